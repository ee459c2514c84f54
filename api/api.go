package api

import (
	"bytes"
	_ "embed"
)

//go:embed openapi.yaml
var openAPI []byte

// OpenAPI returns the OpenAPI 3.0 document of the REST API, as YAML, in a
// slice the caller owns.
func OpenAPI() []byte {
	return bytes.Clone(openAPI)
}
