package api_test

import (
	"context"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/stretchr/testify/require"

	"github.com/agentidp/agentidp/api"
)

func TestOpenAPIDocumentIsValid(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData(api.OpenAPI())
	require.NoError(t, err)

	require.Equal(t, "3.0.3", doc.OpenAPI)
	require.NoError(t, doc.Validate(context.Background()))
}

func TestOpenAPIReturnsACopy(t *testing.T) {
	a := api.OpenAPI()
	a[0] = 'X'

	require.NotEqual(t, a[0], api.OpenAPI()[0])
}
