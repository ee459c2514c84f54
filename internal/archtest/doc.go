// Package archtest holds no code, only tests that keep the architecture
// honest: every package documents itself, and the packages whose doc
// comments promise never to import something (a database driver, a
// backend, a subsystem) really do not, directly or through a dependency.
//
// It reads the module through `go list` and must never be imported.
package archtest
