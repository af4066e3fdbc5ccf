-- The case timeline lists what changed on a case, newest first; most of a
-- case's audit events are reads, which this index leaves out so that the
-- timeline stays an index range however often the case is opened.
-- Keep in step with the other engine's 0004_timeline.sql; the query in
-- store.Tx.CaseChanges repeats this WHERE clause word for word.
CREATE INDEX audit_case_changes ON audit_events (case_id, seq)
  WHERE action NOT LIKE '%.view' AND action NOT LIKE 'access.%';
