// Package config owns AgentIdP's configuration: the Config struct and its
// defaults, loading it from one YAML file, AGENTIDP_* environment variables
// and command-line overrides (in that order of increasing precedence), and
// validating it so that every problem is reported at once with its full key
// path.
//
// It reads the environment only through the lookup function it is handed,
// so the binary reads it in exactly one place. It knows nothing about what
// the settings drive: it must never import a storage backend, the issuer or
// any other subsystem.
package config
