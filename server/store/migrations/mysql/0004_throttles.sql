-- The throttles' state, shared by every task and kept across deploys: one row
-- per key (the SHA-256 hex of what it counts, so no address or e-mail is
-- stored), its recent events as the server encodes them, and when the row
-- says nothing any more and may be deleted.
CREATE TABLE IF NOT EXISTS throttles (
    k          CHAR(64)      NOT NULL PRIMARY KEY,
    state      VARCHAR(4096) NOT NULL,
    expires_at BIGINT        NOT NULL,
    KEY throttles_expires (expires_at)
) ENGINE=InnoDB DEFAULT CHARSET=ascii COLLATE=ascii_bin;

-- Expired sessions of users who never log in again are deleted by expiry.
CREATE INDEX sessions_expires ON sessions (expires_at);
