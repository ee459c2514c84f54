package auditlog

// Log attribute keys. Records are never logged: an organisation id and an
// action, at debug level, are all of one that this package logs. (A store
// error logged with a failed batch may name an event id, never more.)
const (
	logAction   = "action"
	logDuration = "duration"
	logError    = "error"
	logOrgID    = "org_id"
	logRecords  = "records"
	logRetryIn  = "retry_in"
)
