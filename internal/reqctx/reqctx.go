// Package reqctx owns the typed context keys that travel with a request
// through every layer: the request id and the authenticated actor. It holds
// no logic beyond storing and reading them.
package reqctx

import "context"

type key int

const (
	requestIDKey key = iota
	actorKey
)

// WithRequestID returns ctx carrying the request id.
func WithRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// RequestID returns the request id carried by ctx, or "".
func RequestID(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// WithActor returns ctx carrying the audit name of the authenticated
// caller, such as "apikey:key_..." (never a secret).
func WithActor(ctx context.Context, actor string) context.Context {
	return context.WithValue(ctx, actorKey, actor)
}

// Actor returns the actor carried by ctx, or "".
func Actor(ctx context.Context) string {
	a, _ := ctx.Value(actorKey).(string)
	return a
}
