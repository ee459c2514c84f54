// Package telemetry owns how AgentIdP reports on itself: the slog logger
// (request ids added from the context, sensitive attributes redacted by
// key before any handler sees them), the Prometheus registry, and the
// operations listener's handler for /metrics, /healthz and /readyz.
//
// Components receive the *slog.Logger and the prometheus.Registerer they
// use through their configuration; this package keeps no globals. It
// depends only on internal/reqctx and must never import a subsystem or a
// storage backend: readiness checks are plain functions handed to it.
package telemetry
