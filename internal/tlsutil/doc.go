// Package tlsutil owns the TLS material of AgentIdP's listeners: loading an
// operator's certificate and key for `agentidp serve`, and for `agentidp
// dev` a local certificate authority and a localhost server certificate
// that it creates once and renews before they expire.
//
// Every *tls.Config it returns refuses protocol versions below TLS 1.2. It
// writes private keys with mode 0600 and never logs key material. It knows
// nothing about the servers that use the configurations.
package tlsutil
