-- The age-out pathway (L4565-4595): what happens as a child turns adult,
-- recorded with who decided it, when and why. The case keeps the pathway in
-- force (cases.age_out_pathway); this table keeps every decision.
-- Keep in step with ../sqlite/0003_closure.sql.

CREATE TABLE age_out_decisions (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  pathway TEXT NOT NULL,
  note TEXT NOT NULL DEFAULT '',
  recorded_by UUID NOT NULL,
  recorded_at BIGINT NOT NULL
);
CREATE INDEX age_out_decisions_case ON age_out_decisions (case_id, recorded_at);
