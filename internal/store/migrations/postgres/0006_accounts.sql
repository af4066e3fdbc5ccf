-- Account administration that keeps separation of duties (issue 8):
-- single-use setup codes instead of passwords chosen by an administrator,
-- case access that waits for a second person's approval, one-time notices
-- after a reset or an unlock, sessions with an opaque public ID, and API
-- tokens that always expire.
-- Keep in step with ../sqlite/0006_accounts.sql.

-- A role that reads case content, given or kept through an administrator's
-- act, takes effect only once approved: until then the user has no case access.
ALTER TABLE users ADD COLUMN case_access_pending BOOLEAN NOT NULL DEFAULT FALSE;

-- Setup codes: the person sets their own password with one. Only the
-- SHA-256 of the code is kept; a code is used once, expires, and is revoked
-- by a newer reset.
CREATE TABLE setup_codes (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL UNIQUE,
  purpose TEXT NOT NULL,
  created_by UUID REFERENCES users(id),
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  used_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX setup_codes_user ON setup_codes (user_id, created_at);

-- Case access awaiting approval: one row per request. decision is empty
-- while it waits, then approved, refused or superseded (by a newer request
-- or a change to a role that reads no case content).
CREATE TABLE access_approvals (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  agency_id UUID NOT NULL REFERENCES agencies(id),
  role TEXT NOT NULL,
  reason TEXT NOT NULL,
  requested_by UUID REFERENCES users(id),
  requested_at BIGINT NOT NULL,
  decision TEXT NOT NULL DEFAULT '',
  decided_by UUID REFERENCES users(id),
  decided_at BIGINT
);
CREATE INDEX access_approvals_open ON access_approvals (agency_id, decision, requested_at);
CREATE INDEX access_approvals_user ON access_approvals (user_id, requested_at);

-- One-time notices shown to a person after sign-in: who reset or unlocked
-- their account, and when.
CREATE TABLE account_notices (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  actor_id UUID REFERENCES users(id),
  created_at BIGINT NOT NULL,
  shown_at BIGINT
);
CREATE INDEX account_notices_user ON account_notices (user_id, shown_at);

-- Sessions are named by an opaque public ID (never the hash of the cookie's
-- token) when listed and ended.
ALTER TABLE sessions ADD COLUMN public_id TEXT NOT NULL DEFAULT '';
UPDATE sessions SET public_id = md5(random()::text || id);
CREATE UNIQUE INDEX sessions_public ON sessions (public_id);

-- API tokens always expire now: a token made without an expiry gets the
-- default maximum (90 days, 7776000000 ms) from this migration.
UPDATE api_tokens SET expires_at = (EXTRACT(EPOCH FROM now()) * 1000)::BIGINT + 7776000000
  WHERE expires_at IS NULL AND revoked_at IS NULL;
