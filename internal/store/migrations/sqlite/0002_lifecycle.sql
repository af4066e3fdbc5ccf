-- The case management lifecycle after registration: assessment, case plan,
-- implementation, follow-up and review, closure; step history; notifications.
-- Keep in step with ../postgres/0002_lifecycle.sql.

ALTER TABLE cases ADD COLUMN consent_since TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN age_out_pathway TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN closed_at BIGINT;
ALTER TABLE cases ADD COLUMN closure_reason TEXT NOT NULL DEFAULT '';
ALTER TABLE cases ADD COLUMN reopened INTEGER NOT NULL DEFAULT 0;
-- Who does the post-closure follow-up: the supervisor or a designee (never the caseworker).
ALTER TABLE cases ADD COLUMN follow_up_by TEXT;

-- Every move between steps, forwards or back, with who, when and why.
CREATE TABLE step_changes (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  from_step TEXT NOT NULL DEFAULT '',
  to_step TEXT NOT NULL,
  reason TEXT NOT NULL DEFAULT '',
  changed_by TEXT NOT NULL,
  changed_at BIGINT NOT NULL
);
CREATE INDEX step_changes_case ON step_changes (case_id, changed_at);

CREATE TABLE assessments (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  assessed_on TEXT NOT NULL,
  interviewed_child BOOLEAN NOT NULL DEFAULT FALSE,
  not_interviewed_why TEXT NOT NULL DEFAULT '',
  domains TEXT NOT NULL DEFAULT '{}',
  vulnerabilities TEXT NOT NULL DEFAULT '',
  protective_factors TEXT NOT NULL DEFAULT '',
  child_views TEXT NOT NULL DEFAULT '',
  caregiver_views TEXT NOT NULL DEFAULT '',
  risk_level TEXT NOT NULL,
  risk_reason TEXT NOT NULL,
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX assessments_case ON assessments (case_id, created_at);

CREATE TABLE safety_threats (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  assessment_id TEXT REFERENCES assessments(id) ON DELETE CASCADE,
  incident_type TEXT NOT NULL,
  location TEXT NOT NULL DEFAULT '',
  frequency TEXT NOT NULL DEFAULT '',
  ongoing BOOLEAN NOT NULL DEFAULT FALSE,
  perpetrator TEXT NOT NULL DEFAULT '',
  occurred_at BIGINT,
  notes TEXT NOT NULL DEFAULT '',
  created_at BIGINT NOT NULL
);
CREATE INDEX safety_threats_case ON safety_threats (case_id);

CREATE TABLE needs (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  assessment_id TEXT REFERENCES assessments(id) ON DELETE CASCADE,
  domain TEXT NOT NULL,
  description TEXT NOT NULL,
  met TEXT NOT NULL,
  priority TEXT NOT NULL,
  essential BOOLEAN NOT NULL DEFAULT FALSE,
  created_at BIGINT NOT NULL
);
CREATE INDEX needs_case ON needs (case_id);

CREATE TABLE plans (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  status TEXT NOT NULL,
  meeting_on TEXT NOT NULL DEFAULT '',
  participants TEXT NOT NULL DEFAULT '[]',
  child_views TEXT NOT NULL DEFAULT '',
  caregiver_views TEXT NOT NULL DEFAULT '',
  notes TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  submitted_at BIGINT,
  decided_by TEXT,
  decided_at BIGINT,
  return_comments TEXT NOT NULL DEFAULT '',
  activated_at BIGINT,
  version INTEGER NOT NULL DEFAULT 1,
  UNIQUE (case_id, number)
);

CREATE TABLE objectives (
  id TEXT PRIMARY KEY,
  plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  case_id TEXT NOT NULL,
  need_id TEXT,
  description TEXT NOT NULL,
  measure TEXT NOT NULL,
  due_on TEXT NOT NULL,
  status TEXT NOT NULL,
  position INTEGER NOT NULL
);
CREATE INDEX objectives_plan ON objectives (plan_id, position);

CREATE TABLE plan_actions (
  id TEXT PRIMARY KEY,
  plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  case_id TEXT NOT NULL,
  objective_id TEXT,
  what TEXT NOT NULL,
  kind TEXT NOT NULL,
  who TEXT NOT NULL,
  who_name TEXT NOT NULL DEFAULT '',
  due_on TEXT NOT NULL,
  horizon TEXT NOT NULL,
  status TEXT NOT NULL,
  position INTEGER NOT NULL
);
CREATE INDEX plan_actions_plan ON plan_actions (plan_id, position);

-- Needs no available service can meet: recorded, never dropped (L4279-4280).
CREATE TABLE service_gaps (
  id TEXT PRIMARY KEY,
  plan_id TEXT NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
  case_id TEXT NOT NULL,
  need_id TEXT,
  description TEXT NOT NULL
);
CREATE INDEX service_gaps_plan ON service_gaps (plan_id);

CREATE TABLE services_given (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  action_id TEXT,
  service_type TEXT NOT NULL,
  given_on TEXT NOT NULL,
  description TEXT NOT NULL DEFAULT '',
  given_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX services_given_case ON services_given (case_id, given_on);

CREATE TABLE safety_plans (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  number INTEGER NOT NULL,
  concern TEXT NOT NULL DEFAULT '',
  current_strategies TEXT NOT NULL DEFAULT '',
  unsafe TEXT NOT NULL DEFAULT '',
  avoidance TEXT NOT NULL DEFAULT '',
  emergency TEXT NOT NULL DEFAULT '',
  resources TEXT NOT NULL DEFAULT '',
  review_on TEXT NOT NULL DEFAULT '',
  created_by TEXT NOT NULL,
  created_at BIGINT NOT NULL,
  UNIQUE (case_id, number)
);

CREATE TABLE fund_disbursements (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  agency_id TEXT NOT NULL,
  team_id TEXT NOT NULL,
  amount_cents BIGINT NOT NULL,
  currency TEXT NOT NULL,
  purpose TEXT NOT NULL,
  criteria TEXT NOT NULL DEFAULT '[]',
  paid_on TEXT NOT NULL,
  notes TEXT NOT NULL DEFAULT '',
  recorded_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX fund_case ON fund_disbursements (case_id);
CREATE INDEX fund_team_month ON fund_disbursements (team_id, paid_on);

CREATE TABLE followups (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  plan_id TEXT,
  mode TEXT NOT NULL,
  contacts TEXT NOT NULL DEFAULT '[]',
  happened_on TEXT NOT NULL,
  seen BOOLEAN NOT NULL DEFAULT TRUE,
  safety TEXT NOT NULL,
  safety_notes TEXT NOT NULL DEFAULT '',
  progress TEXT NOT NULL DEFAULT '[]',
  new_needs TEXT NOT NULL DEFAULT '',
  dissatisfied BOOLEAN NOT NULL DEFAULT FALSE,
  notes TEXT NOT NULL DEFAULT '',
  recorded_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX followups_case ON followups (case_id, happened_on);

CREATE TABLE reviews (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  plan_id TEXT,
  reviewed_on TEXT NOT NULL,
  trigger TEXT NOT NULL DEFAULT '',
  objectives TEXT NOT NULL DEFAULT '[]',
  child_participated BOOLEAN NOT NULL DEFAULT FALSE,
  participation TEXT NOT NULL DEFAULT '',
  plan_changes TEXT NOT NULL DEFAULT '',
  risk_level TEXT NOT NULL,
  recorded_by TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX reviews_case ON reviews (case_id, reviewed_on);

CREATE TABLE closures (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  status TEXT NOT NULL,
  reason TEXT NOT NULL,
  confirmations TEXT NOT NULL DEFAULT '[]',
  explanation TEXT NOT NULL DEFAULT '',
  gaps TEXT NOT NULL DEFAULT '[]',
  proposed_by TEXT NOT NULL,
  proposed_at BIGINT NOT NULL,
  decided_by TEXT,
  decided_at BIGINT,
  required_actions TEXT NOT NULL DEFAULT '',
  follow_up_by TEXT,
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX closures_case ON closures (case_id, proposed_at);

CREATE TABLE feedback (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  closure_id TEXT,
  answers TEXT NOT NULL DEFAULT '{}',
  comments TEXT NOT NULL DEFAULT '',
  child_safe TEXT NOT NULL DEFAULT '',
  recorded_by TEXT NOT NULL,
  recorded_on TEXT NOT NULL,
  created_at BIGINT NOT NULL
);
CREATE INDEX feedback_case ON feedback (case_id);

CREATE TABLE reopenings (
  id TEXT PRIMARY KEY,
  case_id TEXT NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  reason TEXT NOT NULL,
  reopened_by TEXT NOT NULL,
  reopened_at BIGINT NOT NULL
);
CREATE INDEX reopenings_case ON reopenings (case_id);

-- In-app notifications: a kind and a case code, never case content.
CREATE TABLE notifications (
  id TEXT PRIMARY KEY,
  user_id TEXT NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  kind TEXT NOT NULL,
  case_id TEXT,
  actor_id TEXT,
  created_at BIGINT NOT NULL,
  read_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, created_at);
CREATE INDEX notifications_unread ON notifications (user_id) WHERE read_at IS NULL;

-- Deadlines now also belong to people outside the case's team (a designee
-- for the post-closure follow-up): list them by assignee and by case.
CREATE INDEX deadlines_case_open ON deadlines (case_id, due_at) WHERE done_at IS NULL;
