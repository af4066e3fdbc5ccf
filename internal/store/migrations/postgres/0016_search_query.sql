-- The search (internal/search, store/search_query.go) finds, besides the
-- cases of the searcher's scope, the cases granted to them or their agency
-- and those whose post-closure follow-up they are designated for: indexes
-- so that neither is a scan of the table. Keep in step with the other
-- engine's 0016_search_query.sql.
CREATE INDEX case_grants_user ON case_grants (user_id) WHERE revoked_at IS NULL;
CREATE INDEX case_grants_agency ON case_grants (agency_id) WHERE revoked_at IS NULL;
CREATE INDEX cases_follow_up_by ON cases (follow_up_by) WHERE follow_up_by IS NOT NULL;
