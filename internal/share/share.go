// Package share keeps the grants through which someone outside a case's
// scope reads named sections of it — a referral's receiver, a transfer's
// receiving agency, a conference's external participant — and break-glass,
// the stated-reason, time-limited read access of staff of the case's own
// agency. access.Decide applies the grants; this package makes and lists
// them.
package share

import (
	"time"

	"github.com/safecase/safecase/internal/access"
)

// Record is a grant as stored: who may read which sections of a case, and why.
type Record struct {
	ID        string
	CaseID    string
	SourceID  string // the referral, transfer or conference; the grant itself for break-glass
	Grant     access.Grant
	Reason    string // break-glass: the stated reason
	CreatedBy string
	CreatedAt time.Time
	RevokedAt time.Time
}

// Shareable are the sections a sender may share: never the consent records
// (kept apart) or the closure file.
var Shareable = []access.Section{access.Identity, access.Registration, access.Family, access.Assessment, access.Plan,
	access.Services, access.FollowUp}

// Minimum is what a share form proposes by default: the registration data
// (type, age band, sex, concerns, risk) without identity.
var Minimum = []access.Section{access.Registration}

// ReferralDefaults is what the referral form proposes by default, as the
// inter-agency referral form does: who the child is and how to reach them
// (identity and contact) and the registration data (age, sex, concerns,
// risk) — a provider who gets a six-year-old with no name cannot help. The
// reason and urgency are part of every referral. Each section stays the
// sender's choice, and the referral's consent is checked when it is sent.
var ReferralDefaults = []access.Section{access.Identity, access.Registration}

// ParseSections reads section names, keeping only shareable ones, each
// once, in the order of Shareable. It reports false if any name is not
// shareable.
func ParseSections(names []string) ([]access.Section, bool) {
	want := map[string]bool{}
	ok := true
	for _, n := range names {
		if !isShareable(n) {
			ok = false
			continue
		}
		want[n] = true
	}
	var out []access.Section
	for _, s := range Shareable {
		if want[string(s)] {
			out = append(out, s)
		}
	}
	return out, ok
}

func isShareable(n string) bool {
	for _, s := range Shareable {
		if string(s) == n {
			return true
		}
	}
	return false
}

// Names returns the sections as strings.
func Names(ss []access.Section) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = string(s)
	}
	return out
}
