-- Page speed at 1,000,000 cases (issue 9). Keep in step with the other
-- engine's 0011_page_speed.sql.

-- The provider's inbox lists the open referrals addressed to an agency,
-- oldest first, 50 at most (store.Tx.ReferralsTo). referrals_to_agency
-- (0005) is ordered by state first, so the three open states were read in
-- full and sorted: every open referral of the agency, thousands at 1M.
-- This index holds the open referrals alone, in the inbox's order; the
-- query repeats its WHERE clause word for word (store.openReferral).
CREATE INDEX referrals_open_to ON referrals (to_agency_id, sent_at, id)
  WHERE status IN ('sent', 'accepted', 'provided');

-- A case's coordination page offers the case's team and the agency's
-- supervisors and managers by name (store.Tx.StaffNear: a UNION of the
-- two). users_agency and users_team (0001) found them, but every row was
-- then read from the table, scattered over its pages (1,280 users of an
-- agency at 1M cases). These two hold every column the query reads, each
-- in the order of one half of it, so each half is one index range. They
-- begin with more columns than users_agency and users_team so that the
-- planner, which has no statistics, cannot prefer those.
CREATE INDEX users_staff_team ON users (team_id, agency_id, disabled_at, display_name, id, role);
CREATE INDEX users_staff_agency ON users (agency_id, role, disabled_at, display_name, id, team_id);

-- The supervisor's team view counts each member's open cases by risk and
-- flags (store.Tx.TeamLoad). cases_team (0001) found the team's open cases
-- but each was then read from the table, 1,000,000 rows at 1M cases, and
-- the counts sorted by caseworker: this index holds every column the
-- count reads, grouped by caseworker already.
CREATE INDEX cases_team_load ON cases (team_id, status, caseworker_id, risk_level, urgent, priority);

-- The team view's "needs attention" list and its counts of what is overdue
-- and due soon per member (store.Tx.TasksDueBefore and TeamLoad, scope
-- team) read the team's open deadlines due before a time. The index of
-- 0001 had only (team_id, due_at): each deadline was then read from the
-- table and the list sorted by id. The same index with every column those
-- queries read of a deadline (done_at, always NULL here, included so that
-- SQLite counts it as covering), in the list's order.
DROP INDEX deadlines_team_open;
CREATE INDEX deadlines_team_open ON deadlines (team_id, due_at, id, assignee_id, kind, anchor_at, case_id, done_at)
  WHERE done_at IS NULL;
