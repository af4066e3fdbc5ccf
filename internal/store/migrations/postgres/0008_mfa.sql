-- Two-factor sign-in (issue 8 item 15): authenticator apps (TOTP), recovery
-- codes, passkeys (WebAuthn), passkey ceremonies and pending sign-ins.
-- Keep in step with ../sqlite/0008_mfa.sql.

-- A user's authenticator app (TOTP). The secret is sealed with AES-256-GCM
-- under a key kept outside the database (the key file), never stored in the
-- clear; '' until an enrolment is confirmed. last_step is the last 30-second
-- time step accepted, so no code is accepted twice. An enrolment awaiting
-- its first code keeps its own sealed secret, so that a confirmed app keeps
-- working until a new one replaces it.
CREATE TABLE mfa_totp (
  user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  secret TEXT NOT NULL DEFAULT '',
  confirmed_at BIGINT,
  last_step BIGINT NOT NULL DEFAULT 0,
  pending_secret TEXT NOT NULL DEFAULT '',
  pending_since BIGINT,
  updated_at BIGINT NOT NULL
);

-- Single-use recovery codes: only a salted SHA-256 of each (80 random bits).
CREATE TABLE mfa_recovery_codes (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  code_hash TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  used_at BIGINT
);
CREATE INDEX mfa_recovery_codes_user ON mfa_recovery_codes (user_id);

-- Passkeys (WebAuthn credentials). Binary values are base64url text;
-- transports is a JSON list. sign_count only moves forward (a count that
-- goes back is refused as a cloned authenticator).
CREATE TABLE mfa_passkeys (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  credential_id TEXT NOT NULL UNIQUE,
  public_key TEXT NOT NULL,
  attestation_type TEXT NOT NULL DEFAULT '',
  transports TEXT NOT NULL DEFAULT '[]',
  aaguid TEXT NOT NULL DEFAULT '',
  sign_count BIGINT NOT NULL DEFAULT 0,
  user_verified BOOLEAN NOT NULL DEFAULT FALSE,
  backup_eligible BOOLEAN NOT NULL DEFAULT FALSE,
  backup_state BOOLEAN NOT NULL DEFAULT FALSE,
  attachment TEXT NOT NULL DEFAULT '',
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT
);
CREATE INDEX mfa_passkeys_user ON mfa_passkeys (user_id, created_at);

-- Passkey ceremonies under way (registration, sign-in with a passkey
-- alone): the library's session data (challenge, allowed credentials),
-- under the SHA-256 of a token kept in a short-lived cookie. user_id is
-- NULL for a sign-in with a passkey alone. Taken once; 5 minutes at most.
CREATE TABLE mfa_ceremonies (
  id TEXT PRIMARY KEY,
  user_id UUID REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  data TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL
);
CREATE INDEX mfa_ceremonies_user ON mfa_ceremonies (user_id);
CREATE INDEX mfa_ceremonies_expires ON mfa_ceremonies (expires_at);

-- Sign-ins whose password was right and whose second factor is awaited,
-- under the SHA-256 of a token kept in a short-lived cookie: 5 minutes, at
-- most 5 wrong answers, used once. passkey holds the passkey step's session
-- data while one is under way.
CREATE TABLE mfa_pending (
  id TEXT PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  passkey TEXT NOT NULL DEFAULT ''
);
CREATE INDEX mfa_pending_user ON mfa_pending (user_id);
CREATE INDEX mfa_pending_expires ON mfa_pending (expires_at);

-- Wrong second-factor answers per user, over every pending sign-in.
CREATE TABLE mfa_throttle (
  user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
  window_start BIGINT NOT NULL,
  failures INTEGER NOT NULL,
  locked_until BIGINT
);
