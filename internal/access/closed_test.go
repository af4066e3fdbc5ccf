package access_test

import (
	"testing"

	"github.com/safecase/safecase/internal/access"
)

// TestClosedCaseConsent: the consent records of a closed case are kept
// apart. Their content (and so the coordination page, which rides on the
// consent section) is for the case's supervisor alone; the data protection
// officer of the case's agency sees only that they exist, in the consent
// register; nobody else sees either, and nobody writes to either.
func TestClosedCaseConsent(t *testing.T) {
	t.Parallel()
	closed := caseRefs["own"]
	closed.Closed = true
	open := caseRefs["own"]
	consent := func(c access.Case) access.Resource {
		return access.Resource{Kind: access.KindCase, Case: c, Section: access.Consent}
	}
	register := func(c access.Case) access.Resource {
		return access.Resource{Kind: access.KindConsentRegister, Case: c}
	}
	tests := []struct {
		name  string
		actor string
		act   access.Action
		res   access.Resource
		want  bool
	}{
		{"supervisor reads the closed case's consent records", "supervisor", access.View, consent(closed), true},
		{"the officer never reads their content", "dp officer", access.View, consent(closed), false},
		{"nor does the caseworker", "caseworker", access.View, consent(closed), false},
		{"nor the manager", "manager", access.View, consent(closed), false},
		{"the officer sees the register of a closed case", "dp officer", access.View, register(closed), true},
		{"the supervisor too", "supervisor", access.View, register(closed), true},
		{"not the caseworker of a closed case", "caseworker", access.View, register(closed), false},
		{"not the manager of a closed case", "manager", access.View, register(closed), false},
		{"not another agency's officer", "other dp officer", access.View, register(closed), false},
		{"not another team's supervisor", "supervisor B", access.View, register(closed), false},
		{"not an administrator", "agency admin", access.View, register(closed), false},
		{"the officer: not the register of an open case", "dp officer", access.View, register(open), false},
		{"the case's caseworker: the register of an open case", "caseworker", access.View, register(open), true},
		{"the register is read-only, even to the supervisor", "supervisor", access.Edit, register(closed), false},
		{"the register is read-only to the officer", "dp officer", access.Edit, register(closed), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := access.Decide(actors[tt.actor], tt.act, tt.res)
			if d.Allow != tt.want {
				t.Errorf("Decide = %v (%s), want %v", d.Allow, d.Reason, tt.want)
			}
			if d.Reason == "" {
				t.Error("decision without a reason")
			}
		})
	}
	// A break-glass reader of the agency, whose grant covers the rest of the
	// closed file, sees neither.
	glass := closed
	glass.Grants = []access.Grant{{Via: access.ViaBreakGlass, UserID: "cwb", AgencyID: "A", Sections: access.Sections}}
	for _, r := range []access.Resource{consent(glass), register(glass)} {
		if d := access.Decide(actors["caseworker B"], access.View, r); d.Allow {
			t.Errorf("a break-glass reader reads %s %s of a closed case: %s", r.Kind, r.Section, d.Reason)
		}
	}
}
