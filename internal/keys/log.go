package keys

// Log attribute keys of this package.
const (
	logKID         = "kid"
	logAlg         = "alg"
	logState       = "state"
	logKEKID       = "kek_id"
	logActivatesAt = "activates_at"
	logRemoveAfter = "remove_after"
	logError       = "error"
)
