package keyset

// Log attribute keys of this package.
const (
	logIssuer = "issuer"
	logKID    = "kid"
	logIndex  = "index"
	logReason = "reason"
	logKeys   = "keys"
	logError  = "error"
)
