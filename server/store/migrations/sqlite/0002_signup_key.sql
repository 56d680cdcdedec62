-- The hash of the Idempotency-Key a sign-up was sent with, so that the same
-- sign-up sent again (a load balancer replaying it after a replica died)
-- answers as the first did. Nullable: the previous release inserts without it.
ALTER TABLE users ADD COLUMN signup_key TEXT;
