-- The data protection officer's views of the audit trail (issue 10 §5).
-- Keep in step with the other engine's 0015_audit_views.sql.

-- Every view of the trail is one agency's, newest first, 50 a page by
-- sequence number (store.Tx.AuditEvents, keyset both ways). Without these
-- a small agency's page in a trail of millions read the whole trail
-- backwards until it found 50 of its events; and with an index on the
-- agency alone, SQLite (which has no statistics) read the whole agency's
-- trail for the events of one case or one person, because that index
-- gives the page's order. Each index below holds one filter's column, the
-- agency and the order, so each view is one index range read in order
-- (TestAuditViewQueriesUseIndexes). "Who read this case" and "what this
-- person read" are the case's and the person's ranges with the reads kept.
CREATE INDEX audit_agency ON audit_events (agency_id, seq);
CREATE INDEX audit_case_agency ON audit_events (case_id, agency_id, seq);
CREATE INDEX audit_actor_agency ON audit_events (actor_id, agency_id, seq);
CREATE INDEX audit_action_agency ON audit_events (action, agency_id, seq);
CREATE INDEX audit_ip ON audit_events (ip, agency_id, seq);
