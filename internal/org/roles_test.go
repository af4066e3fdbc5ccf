package org_test

import (
	"testing"

	"github.com/safecase/safecase/internal/org"
)

func TestReadsCases(t *testing.T) {
	t.Parallel()
	want := map[org.Role]bool{org.Caseworker: true, org.Supervisor: true, org.Manager: true, org.ServiceProvider: true}
	for _, r := range org.Roles {
		if r.ReadsCases() != want[r] {
			t.Errorf("%s.ReadsCases() = %v", r, r.ReadsCases())
		}
	}
	if u := (org.User{}); !u.SetupPending() {
		t.Error("a user without a password is not waiting for setup")
	}
}
