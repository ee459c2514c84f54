package rest

// Log attribute keys, declared once so that every line spells them alike.
const (
	logMethod    = "method"
	logRoute     = "route"
	logStatus    = "status"
	logDuration  = "duration"
	logRequestID = "request_id"
	logKeyID     = "key_id"
	logError     = "error"
)
