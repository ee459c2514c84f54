-- Every agent's position in the deployment's status lists (W3C Bitstring
-- Status List): the bit of its agent badge. An index is handed out once,
-- when the agent is created, and never again, so that a bit set for a
-- revoked agent can never come to mean another one. Agents created before
-- this migration are numbered in the order they were created.

CREATE TABLE agent_status_indexes (
    idx      {{identity}},
    agent_id TEXT NOT NULL UNIQUE REFERENCES agents (id)
);

INSERT INTO agent_status_indexes (agent_id) SELECT id FROM agents ORDER BY created_at, id;
