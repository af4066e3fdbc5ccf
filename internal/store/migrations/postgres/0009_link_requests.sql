-- Requests to link a case to a case of another agency. Such a link is made
-- only once the other case's caseworker or supervisor accepts; until then
-- the requester sees nothing of the other case but the code they typed. A
-- code that no case has makes a request too (target_id empty), which is
-- never answered: the requester cannot tell it from a code of another
-- agency. Keep in step with ../sqlite/0009_link_requests.sql.
CREATE TABLE case_link_requests (
  id UUID PRIMARY KEY,
  case_id UUID NOT NULL REFERENCES cases(id) ON DELETE CASCADE,
  code TEXT NOT NULL,
  target_id UUID REFERENCES cases(id) ON DELETE CASCADE,
  relation TEXT NOT NULL,
  status TEXT NOT NULL,
  requested_by UUID NOT NULL,
  requested_at BIGINT NOT NULL,
  answered_by UUID,
  answered_at BIGINT,
  link_id UUID REFERENCES case_links(id),
  version INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX case_link_requests_case ON case_link_requests (case_id, status);
CREATE INDEX case_link_requests_target ON case_link_requests (target_id, status);
