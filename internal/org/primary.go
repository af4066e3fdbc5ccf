package org

// MayBePrimary reports whether u may be the primary caseworker of a case of
// agency agencyID: an active caseworker or supervisor of that agency, in a
// team. Who may choose u (a supervisor picks in their own team, a caseworker
// only themselves) is cases.MayChoose.
func MayBePrimary(u *User, agencyID string) bool {
	return u != nil && u.AgencyID == agencyID && u.Active() && u.TeamID != "" &&
		(u.Role == Caseworker || u.Role == Supervisor)
}
