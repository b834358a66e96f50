-- Idempotency-Key responses live in contactlog/api's api_idempotency_keys
-- now; the stored replays (24 hours at most) are not carried over.
DROP TABLE IF EXISTS server_api_idempotency;
