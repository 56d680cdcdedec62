-- The throttles' state, shared by every process and kept across deploys: one
-- row per key (the SHA-256 hex of what it counts, so no address or e-mail is
-- stored), its recent events as the server encodes them, and when the row
-- says nothing any more and may be deleted.
CREATE TABLE IF NOT EXISTS throttles (
    k          TEXT    NOT NULL PRIMARY KEY,
    state      TEXT    NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS throttles_expires ON throttles (expires_at);

-- Expired sessions of users who never log in again are deleted by expiry.
CREATE INDEX IF NOT EXISTS sessions_expires ON sessions (expires_at);
