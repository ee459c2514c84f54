// Command agentidp is AgentIdP's single binary. `agentidp dev` runs every
// role in one process on a data directory it sets up itself; `agentidp
// serve` runs the roles its configuration file names; `migrate`, `keys`,
// `audit verify` and `version` are the operator's tools.
//
// This package parses flags, loads and validates the configuration, builds
// the logger and wires the subsystems together; it holds no business
// logic. Each long-running part runs as a task (see runTasks): the first
// one to fail stops the others. The audit writer runs beneath the servers
// (runLayered) and drains only after they have stopped, and stores close
// last of all.
package main
