package oauth

// Log attribute keys, declared once so that every line spells them alike.
// None of them ever carries a token, a secret or a client assertion.
const (
	logEndpoint    = "endpoint"
	logMethod      = "method"
	logStatus      = "status"
	logOAuthError  = "oauth_error"
	logClientID    = "client_id"
	logDuration    = "duration"
	logRequestID   = "request_id"
	logError       = "error"
	logJTI         = "jti"
	logKID         = "kid"
	logRevocations = "revocations"
	logAssertions  = "assertions"
)
