-- The data protection officer's views of the audit trail (issue 10 §5).
-- Keep in step with the other engine's 0015_audit_views.sql.

-- Every view of the trail is one agency's, newest first, 50 a page by
-- sequence number (store.Tx.AuditEvents, keyset). Without this index a
-- small agency's page in a trail of millions read the whole trail
-- backwards until it found 50 of its events.
CREATE INDEX audit_agency ON audit_events (agency_id, seq);

-- The filter by address: every event from one address, newest first.
CREATE INDEX audit_ip ON audit_events (ip, seq);
