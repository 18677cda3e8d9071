-- 010_router_claims.sql — a router's claim is its transaction's row lock,
-- no longer a lease written into the complaint (issue 11).
--
-- Measured (tests/bench/pipeline.sh): every batch a router took cost a
-- transaction of its own that wrote lease_owner and lease_until into each
-- complaint and waited for the disk at its commit, before the assignment's
-- transaction wrote the same rows again. The router now claims inside the
-- assignment's transaction (SELECT ... FOR NO KEY UPDATE SKIP LOCKED,
-- services/router/claims.c): other routers skip the rows, a router that dies
-- releases them with its connection, and one that hangs is cut off by the
-- server (idle_in_transaction_session_timeout = the router's --lease-ms).
-- The two columns have no reader or writer left.

ALTER TABLE complaint DROP COLUMN lease_owner, DROP COLUMN lease_until;

COMMENT ON TABLE complaint IS
    'owner: intake | also: router (assignment: state received->assigned, classification, '
    'department, handler), watchdog (sla_dirty, due_at) | the complaint and its case';
