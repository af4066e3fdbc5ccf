-- Coordination between agencies: the service directory, referrals,
-- transfers, case conferences, grants of access to named sections, links
-- between the cases of one family, GBV incidents and mandatory reports.
-- Keep in step with ../postgres/0005_coordination.sql.

-- The service directory (Annex 3 service mapping template, 2017 workshop grid).
-- agency_id is set when the provider works in this deployment; organisation
-- names it either way. Lists (languages, profiles, quality) are JSON arrays.
CREATE TABLE directory_services (
  id TEXT PRIMARY KEY,
  agency_id TEXT REFERENCES agencies(id),
  organisation TEXT NOT NULL,
  sector TEXT NOT NULL,
  services TEXT NOT NULL,
  address TEXT NOT NULL DEFAULT '',
  area TEXT NOT NULL DEFAULT '',
  opening_hours TEXT NOT NULL DEFAULT '',
  target_group TEXT NOT NULL DEFAULT '',
  eligibility TEXT NOT NULL DEFAULT '',
  how_to_refer TEXT NOT NULL DEFAULT '',
  focal_point TEXT NOT NULL DEFAULT '',
  focal_user_id TEXT REFERENCES users(id),
  avg_days INTEGER NOT NULL DEFAULT 0,
  project_end TEXT NOT NULL DEFAULT '',
  languages TEXT NOT NULL DEFAULT '[]',
  profiles TEXT NOT NULL DEFAULT '[]',
  entry_point BOOLEAN NOT NULL DEFAULT FALSE,
  funnelling_point BOOLEAN NOT NULL DEFAULT FALSE,
  quality TEXT NOT NULL DEFAULT '[]',
  quality_notes TEXT NOT NULL DEFAULT '',
  last_verified TEXT NOT NULL,
  active BOOLEAN NOT NULL DEFAULT TRUE,
  version INTEGER NOT NULL DEFAULT 1,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL
);
CREATE INDEX directory_services_sector ON directory_services (sector, organisation);

-- Grants: another user or agency may see named sections of a case, because
-- of a referral, a transfer, a case conference or break-glass. A grant holds
-- while revoked_at is null and (expires_at is null or in the future).
-- user_id names one user; otherwise agency_id, team_id (if set) and role name
-- who at that agency.
CREATE TABLE case_grants (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  via TEXT NOT NULL,
  source_id TEXT NOT NULL,
  user_id TEXT REFERENCES users(id),
  agency_id TEXT REFERENCES agencies(id),
  team_id TEXT REFERENCES teams(id),
  role TEXT NOT NULL DEFAULT '',
  sections TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  expires_at BIGINT,
  revoked_at BIGINT
);
CREATE INDEX case_grants_case ON case_grants (case_id) WHERE revoked_at IS NULL;
CREATE INDEX case_grants_source ON case_grants (source_id);
CREATE INDEX case_grants_break_glass ON case_grants (created_at) WHERE via = 'break_glass';
-- Every grant of a case, revoked ones too, newest first (the case's list of shares).
CREATE INDEX case_grants_case_all ON case_grants (case_id, created_at, id);

-- Referrals: to a directory service, from a case (and maybe a plan action)
-- or stand-alone from a screening with no case. sections lists exactly what
-- was shared; basis says under which consent or override.
CREATE TABLE referrals (
  id TEXT PRIMARY KEY,
  case_id TEXT REFERENCES cases(id) ON DELETE CASCADE,
  screening_id TEXT REFERENCES screenings(id),
  action_id TEXT,
  service_id TEXT NOT NULL REFERENCES directory_services(id),
  from_agency_id TEXT NOT NULL REFERENCES agencies(id),
  to_agency_id TEXT REFERENCES agencies(id),
  to_user_id TEXT REFERENCES users(id),
  service_type TEXT NOT NULL,
  reason TEXT NOT NULL,
  urgent BOOLEAN NOT NULL DEFAULT FALSE,
  sections TEXT NOT NULL,
  basis TEXT NOT NULL,
  consent_id TEXT,
  override_id TEXT,
  consent_giver TEXT NOT NULL DEFAULT '',
  consent_on TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  response_due BIGINT,
  decline_reason TEXT NOT NULL DEFAULT '',
  service_note TEXT NOT NULL DEFAULT '',
  outcome TEXT NOT NULL DEFAULT '',
  sent_by TEXT NOT NULL REFERENCES users(id),
  sent_at BIGINT NOT NULL,
  responded_by TEXT,
  responded_at BIGINT,
  provided_at BIGINT,
  outcome_at BIGINT,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX referrals_case ON referrals (case_id, sent_at);
-- The inbox reads an agency's open referrals (ReferralsTo: a range per open
-- state, then sorted) and its newest stand-alone ones (ReferralsFrom: an
-- index range), without reading the closed history.
CREATE INDEX referrals_to_agency ON referrals (to_agency_id, status, sent_at, id);
CREATE INDEX referrals_from_agency ON referrals (from_agency_id, sent_at, id) WHERE case_id IS NULL;

-- A case's plan items are read by case (store.Plans): without these the
-- case page of a case with a plan scanned both tables.
CREATE INDEX objectives_case ON objectives (case_id, position);
CREATE INDEX plan_actions_case ON plan_actions (case_id, position);
CREATE INDEX service_gaps_case ON service_gaps (case_id);

-- Transfers of a case to another caseworker or team (internal) or agency
-- (external). The sender's side is kept so that history reads true.
CREATE TABLE transfers (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  reason TEXT NOT NULL,
  reason_notes TEXT NOT NULL DEFAULT '',
  from_agency_id TEXT NOT NULL,
  from_team_id TEXT,
  from_caseworker_id TEXT NOT NULL,
  to_agency_id TEXT NOT NULL REFERENCES agencies(id),
  to_team_id TEXT REFERENCES teams(id),
  to_user_id TEXT REFERENCES users(id),
  sections TEXT NOT NULL,
  basis TEXT NOT NULL,
  family_told_on TEXT NOT NULL,
  family_told_to TEXT NOT NULL,
  family_told_why TEXT NOT NULL,
  handover_plan TEXT NOT NULL,
  warm_handover_on TEXT NOT NULL DEFAULT '',
  no_warm_handover_why TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  batch_id TEXT,
  requested_by TEXT NOT NULL REFERENCES users(id),
  requested_at BIGINT NOT NULL,
  approved_by TEXT,
  approved_at BIGINT,
  decided_by TEXT,
  decided_at BIGINT,
  decline_reason TEXT NOT NULL DEFAULT '',
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX transfers_case ON transfers (case_id, requested_at);
CREATE INDEX transfers_to_agency ON transfers (to_agency_id, status);

-- Case conferences: participants (our staff or another agency's), decisions,
-- action items, sign-off.
CREATE TABLE conferences (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  reason TEXT NOT NULL,
  scheduled_at BIGINT NOT NULL,
  place TEXT NOT NULL DEFAULT '',
  sections TEXT NOT NULL,
  basis TEXT NOT NULL DEFAULT '',
  summary TEXT NOT NULL DEFAULT '',
  risks TEXT NOT NULL DEFAULT '',
  needs TEXT NOT NULL DEFAULT '',
  services TEXT NOT NULL DEFAULT '',
  decisions TEXT NOT NULL DEFAULT '',
  status TEXT NOT NULL,
  created_by TEXT NOT NULL REFERENCES users(id),
  created_at BIGINT NOT NULL,
  held_at BIGINT,
  closed_at BIGINT,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX conferences_case ON conferences (case_id, scheduled_at);

CREATE TABLE conference_participants (
  id TEXT PRIMARY KEY,
  conference_id TEXT NOT NULL REFERENCES conferences(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id),
  external BOOLEAN NOT NULL DEFAULT FALSE,
  signed_off_at BIGINT,
  position INTEGER NOT NULL
);
CREATE INDEX conference_participants_conf ON conference_participants (conference_id, position);
CREATE INDEX conference_participants_user ON conference_participants (user_id);

CREATE TABLE conference_actions (
  id TEXT PRIMARY KEY,
  conference_id TEXT NOT NULL REFERENCES conferences(id) ON DELETE CASCADE,
  description TEXT NOT NULL,
  owner_id TEXT NOT NULL REFERENCES users(id),
  due_on TEXT NOT NULL,
  plan_action_id TEXT,
  position INTEGER NOT NULL
);
CREATE INDEX conference_actions_conf ON conference_actions (conference_id, position);

-- Links between cases that need coordination (a GBV survivor and her
-- children's CP cases). A link shows that coordination is needed; it grants
-- nothing of the other file.
CREATE TABLE case_links (
  id TEXT PRIMARY KEY,
  case_a TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  case_b TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  relation TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  removed_at BIGINT
);
CREATE INDEX case_links_a ON case_links (case_a);
CREATE INDEX case_links_b ON case_links (case_b);

-- Incidents recorded on a case (the GBVIMS core types for GBV cases, the CP
-- taxonomy for CP cases) and the mandatory-reporting decision they may call for.
CREATE TABLE incidents (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  type TEXT NOT NULL,
  happened_on TEXT NOT NULL DEFAULT '',
  location TEXT NOT NULL DEFAULT '',
  perpetrator TEXT NOT NULL DEFAULT '',
  description TEXT NOT NULL DEFAULT '',
  recorded_by TEXT NOT NULL,
  recorded_at BIGINT NOT NULL
);
CREATE INDEX incidents_case ON incidents (case_id, recorded_at);

CREATE TABLE mandatory_reports (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  incident_id TEXT NOT NULL REFERENCES incidents(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  recommendation TEXT NOT NULL DEFAULT '',
  recommendation_reasoning TEXT NOT NULL DEFAULT '',
  recommended_by TEXT,
  recommended_at BIGINT,
  decision TEXT NOT NULL DEFAULT '',
  reasoning TEXT NOT NULL DEFAULT '',
  authority TEXT NOT NULL DEFAULT '',
  shared_what TEXT NOT NULL DEFAULT '',
  shared_how TEXT NOT NULL DEFAULT '',
  reported_on TEXT NOT NULL DEFAULT '',
  family_told BOOLEAN NOT NULL DEFAULT FALSE,
  family_told_on TEXT NOT NULL DEFAULT '',
  family_not_told_why TEXT NOT NULL DEFAULT '',
  decided_by TEXT,
  decided_at BIGINT,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX mandatory_reports_case ON mandatory_reports (case_id);

-- E-mail notifications (optional, through a configured SMTP server). One row
-- per notification to be mailed, keyed by the notification's own ID so that it
-- is mailed at most once; it holds no address and no case content (the
-- address is read from users when sending). next_at is when to try next;
-- a failure keeps the row with attempts and last_error and is retried with
-- backoff; failed_at marks a row given up (too many attempts, or the user was
-- disabled or lost their address). sent_at is when the server accepted it.
CREATE TABLE outbox (
  id TEXT PRIMARY KEY REFERENCES notifications(id) ON DELETE CASCADE,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  next_at BIGINT NOT NULL,
  sent_at BIGINT,
  failed_at BIGINT,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX outbox_due ON outbox (next_at) WHERE sent_at IS NULL AND failed_at IS NULL;

-- A notification about a referral, transfer or conference names it, so that
-- its receiver (who may not see the case) is taken to it.
ALTER TABLE notifications ADD COLUMN subject_id TEXT;

-- At most one transfer of a case waits for a decision (two requests at once
-- must not both be accepted).
CREATE UNIQUE INDEX transfers_one_open ON transfers (case_id) WHERE status = 'requested';
