// Package keys owns the deployment's token-signing keys: generating them
// (ES256 by default, EdDSA or RS256), sealing their private halves under
// the key-encryption key (KEK) before they reach the store, the schedule
// that takes a key from pending through active to retired and out of the
// published set, and signing with the key whose turn it is.
//
// It leaves storage to internal/store, what a token says to the issuer,
// and serving the key set over HTTP to the issuer's handlers. Private keys
// and the KEK never leave it: nothing it logs, returns or formats carries
// key material, and the types that hold some print only an id.
//
// It must never import a database driver, a storage backend or the
// issuer: it works on the store.Store interface alone.
package keys
