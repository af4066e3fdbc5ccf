-- SafeCase initial schema (PostgreSQL). Keep in step with ../sqlite/0001_init.sql:
-- a test checks both engines end with the same tables and columns.
-- Times are BIGINT milliseconds since the Unix epoch (UTC) on both engines;
-- calendar dates are TEXT 'YYYY-MM-DD'; lists are TEXT holding JSON.

CREATE TABLE agencies (
  id UUID PRIMARY KEY,
  name TEXT NOT NULL,
  code TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE teams (
  id UUID PRIMARY KEY,
  agency_id UUID NOT NULL REFERENCES agencies(id),
  name TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (agency_id, name)
);

CREATE TABLE users (
  id UUID PRIMARY KEY,
  agency_id UUID NOT NULL REFERENCES agencies(id),
  team_id UUID REFERENCES teams(id),
  username TEXT NOT NULL UNIQUE,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  email TEXT NOT NULL DEFAULT '',
  gender TEXT NOT NULL DEFAULT '',
  languages TEXT NOT NULL DEFAULT '[]',
  password_hash TEXT NOT NULL,
  must_change_password BOOLEAN NOT NULL DEFAULT FALSE,
  disabled_at BIGINT,
  failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until BIGINT,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX users_agency ON users (agency_id, role);
CREATE INDEX users_team ON users (team_id, role);

CREATE TABLE sessions (
  id TEXT PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  created_at BIGINT NOT NULL,
  last_seen_at BIGINT NOT NULL,
  expires_at BIGINT NOT NULL,
  ip TEXT NOT NULL DEFAULT '',
  user_agent TEXT NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id UUID PRIMARY KEY,
  user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at BIGINT NOT NULL,
  last_used_at BIGINT,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX api_tokens_user ON api_tokens (user_id);

CREATE TABLE login_throttle (
  key TEXT PRIMARY KEY,
  window_start BIGINT NOT NULL,
  failures INTEGER NOT NULL,
  locked_until BIGINT
);

-- The audit trail is append-only and hash-chained; it has no foreign keys so
-- that erasing a case's content never breaks it.
CREATE TABLE audit_events (
  seq BIGINT PRIMARY KEY,
  id UUID NOT NULL UNIQUE,
  at BIGINT NOT NULL,
  actor_id UUID,
  actor_role TEXT NOT NULL DEFAULT '',
  action TEXT NOT NULL,
  record_type TEXT NOT NULL DEFAULT '',
  record_id TEXT NOT NULL DEFAULT '',
  case_id UUID,
  agency_id UUID,
  ip TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  detail TEXT NOT NULL DEFAULT '',
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL
);
CREATE INDEX audit_case ON audit_events (case_id, seq);
CREATE INDEX audit_actor ON audit_events (actor_id, seq);
CREATE INDEX audit_action ON audit_events (action, seq);
CREATE INDEX audit_at ON audit_events (at);

CREATE TABLE audit_head (
  id INTEGER PRIMARY KEY,
  seq BIGINT NOT NULL,
  hash TEXT NOT NULL
);

CREATE TABLE identifications (
  id UUID PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  agency_id UUID NOT NULL REFERENCES agencies(id),
  case_type TEXT NOT NULL DEFAULT '',
  source TEXT NOT NULL,
  age_years INTEGER,
  sex TEXT NOT NULL DEFAULT '',
  concerns TEXT NOT NULL DEFAULT '[]',
  urgent BOOLEAN NOT NULL DEFAULT FALSE,
  status TEXT NOT NULL,
  submitted_by UUID NOT NULL REFERENCES users(id),
  submitted_at BIGINT NOT NULL,
  screening_id UUID,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX identifications_queue ON identifications (agency_id, status, urgent, submitted_at);

-- Identifying data of an identification, apart from the rest.
CREATE TABLE identification_identity (
  identification_id UUID PRIMARY KEY REFERENCES identifications(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT ''
);

CREATE TABLE screenings (
  id UUID PRIMARY KEY,
  agency_id UUID NOT NULL REFERENCES agencies(id),
  identification_id UUID REFERENCES identifications(id),
  case_type TEXT NOT NULL,
  age_years INTEGER,
  answers TEXT NOT NULL,
  outcome TEXT NOT NULL,
  reasoning TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  screened_by UUID NOT NULL REFERENCES users(id),
  screened_at BIGINT NOT NULL,
  case_id UUID,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX screenings_agency ON screenings (agency_id, screened_at);

CREATE TABLE cases (
  id UUID PRIMARY KEY,
  code TEXT NOT NULL UNIQUE,
  case_type TEXT NOT NULL,
  agency_id UUID NOT NULL REFERENCES agencies(id),
  team_id UUID NOT NULL REFERENCES teams(id),
  caseworker_id UUID NOT NULL REFERENCES users(id),
  status TEXT NOT NULL,
  step TEXT NOT NULL,
  risk_level TEXT NOT NULL,
  urgent BOOLEAN NOT NULL DEFAULT FALSE,
  priority BOOLEAN NOT NULL DEFAULT FALSE,
  care_status TEXT NOT NULL DEFAULT '',
  care_arrangement TEXT NOT NULL DEFAULT '',
  sex TEXT NOT NULL DEFAULT '',
  age_years INTEGER,
  age_estimated BOOLEAN NOT NULL DEFAULT FALSE,
  registered_on TEXT NOT NULL,
  registration_place TEXT NOT NULL DEFAULT '',
  referred_at BIGINT NOT NULL,
  registered_at BIGINT NOT NULL,
  source TEXT NOT NULL DEFAULT '',
  concerns TEXT NOT NULL DEFAULT '[]',
  details TEXT NOT NULL DEFAULT '{}',
  declined TEXT NOT NULL DEFAULT '[]',
  screening_id UUID,
  next_due_at BIGINT NOT NULL,
  created_by UUID NOT NULL,
  created_at BIGINT NOT NULL,
  updated_by UUID NOT NULL,
  updated_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX cases_caseworker ON cases (caseworker_id, status, urgent DESC, priority DESC, next_due_at, id);
CREATE INDEX cases_team ON cases (team_id, status, urgent DESC, priority DESC, next_due_at, id);
CREATE INDEX cases_agency ON cases (agency_id, status, urgent DESC, priority DESC, next_due_at, id);

-- Identifying data of the child or survivor, apart from the case.
CREATE TABLE case_identity (
  case_id UUID PRIMARY KEY REFERENCES cases(id) ON DELETE CASCADE,
  given_name TEXT NOT NULL DEFAULT '',
  family_name TEXT NOT NULL DEFAULT '',
  other_names TEXT NOT NULL DEFAULT '',
  date_of_birth TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  registration_number TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT ''
);

CREATE TABLE risk_changes (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  from_level TEXT NOT NULL DEFAULT '',
  to_level TEXT NOT NULL,
  reason TEXT NOT NULL,
  changed_by UUID NOT NULL REFERENCES users(id),
  changed_at BIGINT NOT NULL
);
CREATE INDEX risk_changes_case ON risk_changes (case_id, changed_at);

CREATE TABLE case_people (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  relationship TEXT NOT NULL,
  is_caregiver BOOLEAN NOT NULL DEFAULT FALSE,
  alleged_perpetrator BOOLEAN NOT NULL DEFAULT FALSE,
  alive TEXT NOT NULL DEFAULT 'unknown',
  lives_with_child BOOLEAN NOT NULL DEFAULT FALSE,
  age_years INTEGER,
  sex TEXT NOT NULL DEFAULT '',
  created_by UUID NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX case_people_case ON case_people (case_id);

-- Identifying data of family members and caregivers, apart from the rest.
CREATE TABLE person_identity (
  person_id UUID PRIMARY KEY REFERENCES case_people(id) ON DELETE CASCADE,
  name TEXT NOT NULL DEFAULT '',
  contact TEXT NOT NULL DEFAULT '',
  address TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT ''
);

CREATE TABLE consents (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  giver TEXT NOT NULL,
  person_id UUID REFERENCES case_people(id),
  kind TEXT NOT NULL,
  decision TEXT NOT NULL,
  method TEXT NOT NULL,
  obtained_on TEXT NOT NULL,
  obtained_by UUID NOT NULL REFERENCES users(id),
  told_mandatory_reporting BOOLEAN NOT NULL DEFAULT FALSE,
  notes TEXT NOT NULL DEFAULT '',
  withdrawn_at BIGINT,
  withdrawn_by UUID,
  withdrawal_reason TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX consents_case ON consents (case_id, scope);

CREATE TABLE consent_overrides (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  scope TEXT NOT NULL,
  basis TEXT NOT NULL,
  reason TEXT NOT NULL,
  approved_by UUID NOT NULL REFERENCES users(id),
  approved_at BIGINT NOT NULL,
  revoked_at BIGINT,
  revoked_by UUID
);
CREATE INDEX consent_overrides_case ON consent_overrides (case_id);

CREATE TABLE sharing_exclusions (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  agency_id UUID REFERENCES agencies(id),
  name TEXT NOT NULL DEFAULT '',
  reason TEXT NOT NULL DEFAULT '',
  added_by UUID NOT NULL REFERENCES users(id),
  added_at BIGINT NOT NULL,
  removed_at BIGINT,
  removed_by UUID
);
CREATE INDEX sharing_exclusions_case ON sharing_exclusions (case_id);

-- Deadlines and tasks: "what is due" is an index range scan over open rows.
CREATE TABLE deadlines (
  id UUID PRIMARY KEY,
  case_id UUID REFERENCES cases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  anchor_at BIGINT NOT NULL,
  due_at BIGINT NOT NULL,
  assignee_id UUID NOT NULL REFERENCES users(id),
  team_id UUID,
  agency_id UUID NOT NULL,
  done_at BIGINT,
  done_by UUID,
  created_at BIGINT NOT NULL
);
CREATE INDEX deadlines_assignee_open ON deadlines (assignee_id, due_at) WHERE done_at IS NULL;
CREATE INDEX deadlines_team_open ON deadlines (team_id, due_at) WHERE done_at IS NULL;
CREATE INDEX deadlines_case ON deadlines (case_id, kind);

-- The chain starts from a genesis hash of 64 zeros.
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
