// Command agentidp is AgentIdP's single binary. `agentidp dev` runs every
// role in one process on a data directory it sets up itself; `agentidp
// serve` runs the roles its configuration file names; `migrate`, `audit
// verify` and `version` are the operator's tools.
//
// This package parses flags, loads and validates the configuration, builds
// the logger and wires the subsystems together; it holds no business
// logic. Each long-running part runs as a task (see runTasks): the first
// one to fail stops the others, and stores close after every server has
// stopped.
package main
