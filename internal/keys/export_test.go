package keys

// KeyAAD exposes the additional data a signing key is sealed with, so that
// tests can open a stored key and look for it where it must not be.
var KeyAAD = keyAAD
