// Package rest serves the issuer's management API under /v1: JSON over
// HTTP, authenticated by `Authorization: Bearer <API key>`, with errors as
// RFC 9457 problem documents whose type URIs are stable.
//
// It owns transport concerns only: the route table (the single list that
// the server registers and that the tests compare with api/openapi.yaml),
// strict JSON decoding, the problem writer, request ids, access logs,
// metrics, panic recovery and rate limits. Every business rule, role check
// included, belongs to package issuer, which rest calls with the
// authenticated issuer.Principal.
//
// It must never import a storage backend or a database driver.
package rest
