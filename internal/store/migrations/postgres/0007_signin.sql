-- Sign-in throttling without lockouts (issue 8). Keep in step with
-- ../sqlite/0007_signin.sql.
--
-- Failed sign-ins are counted per (username, address) pair, per account
-- (at addresses it does not use) and per address (distinct usernames), each
-- count with the earliest time of the next attempt it allows; see package
-- signin. Usernames are as typed (lower-cased), whether or not an account
-- has them, so unknown names are counted exactly like real ones. address is
-- the counting key of the client address: an IPv4 address or an IPv6 /64.
-- A count is forgotten after a day without a failure. This replaces
-- login_throttle, whose lockouts let an attacker keep the owner out.
DROP TABLE login_throttle;

CREATE TABLE signin_pairs (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  failures INTEGER NOT NULL,
  last_failure_at BIGINT NOT NULL,
  next_at BIGINT NOT NULL,
  PRIMARY KEY (username, address)
);
CREATE INDEX signin_pairs_quiet ON signin_pairs (last_failure_at);

CREATE TABLE signin_accounts (
  username TEXT PRIMARY KEY,
  failures INTEGER NOT NULL,
  last_failure_at BIGINT NOT NULL
);

CREATE TABLE signin_addresses (
  address TEXT PRIMARY KEY,
  names INTEGER NOT NULL,
  last_failure_at BIGINT NOT NULL,
  next_at BIGINT NOT NULL
);

-- The addresses each username signed in from, and when last: an account is
-- never slowed down at an address it uses because of failures elsewhere.
CREATE TABLE signin_known (
  username TEXT NOT NULL,
  address TEXT NOT NULL,
  last_success_at BIGINT NOT NULL,
  PRIMARY KEY (username, address)
);

-- Failed sign-ins, listed to the account's owner and administrators (ip is
-- the full address) and kept for 30 days; user_id is NULL for a username
-- that belongs to nobody.
CREATE TABLE signin_failures (
  id UUID PRIMARY KEY,
  username TEXT NOT NULL,
  user_id UUID REFERENCES users(id) ON DELETE CASCADE,
  ip TEXT NOT NULL,
  at BIGINT NOT NULL
);
CREATE INDEX signin_failures_user ON signin_failures (user_id, at);
CREATE INDEX signin_failures_at ON signin_failures (at);
