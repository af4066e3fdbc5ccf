package profile_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/profile"
)

// TestListNamesDefault: by default the lists show names for child
// protection cases and codes only for GBV cases, and never for a case type
// the profile does not know.
func TestListNamesDefault(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	if !p.NamesInLists(profile.CP) || p.NamesInLists(profile.GBV) || p.NamesInLists("other") {
		t.Errorf("defaults: cp %v, gbv %v, other %v; want true, false, false",
			p.NamesInLists(profile.CP), p.NamesInLists(profile.GBV), p.NamesInLists("other"))
	}
}

// TestListNamesOverride: a deployment turns names on or off per case type;
// a type it leaves out keeps its default.
func TestListNamesOverride(t *testing.T) {
	t.Parallel()
	p, err := profile.Parse("sop.yaml", []byte("lists:\n  names:\n    gbv: true\n"))
	if err != nil {
		t.Fatal(err)
	}
	if !p.NamesInLists(profile.GBV) || !p.NamesInLists(profile.CP) {
		t.Errorf("gbv: true: cp %v, gbv %v", p.NamesInLists(profile.CP), p.NamesInLists(profile.GBV))
	}
	p, err = profile.Parse("sop.yaml", []byte("lists: {names: {cp: false}}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.NamesInLists(profile.CP) || p.NamesInLists(profile.GBV) {
		t.Errorf("cp: false: cp %v, gbv %v", p.NamesInLists(profile.CP), p.NamesInLists(profile.GBV))
	}
}

// TestListNamesBroken: an unknown case type or a value that is not true or
// false stops start-up naming the file, the line and the key.
func TestListNamesBroken(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ yaml, want string }{
		{"lists:\n  names:\n    cpp: true\n", "sop.yaml:3: lists.names.cpp: unknown key; the keys here are cp, gbv"},
		{"lists:\n  names:\n    gbv: sometimes\n", `sop.yaml:3: lists.names.gbv: "sometimes" is not true or false`},
		{"lists:\n  name: {cp: true}\n", "sop.yaml:2: lists.name: unknown key; the keys here are names"},
	} {
		_, err := profile.Parse("sop.yaml", []byte(tc.yaml))
		var pe *profile.Error
		if !errors.As(err, &pe) {
			t.Errorf("%q: err = %v, want a profile error", tc.yaml, err)
			continue
		}
		if !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q:\n got %s\nwant %s", tc.yaml, err, tc.want)
		}
	}
}
