package profile_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/safecase/safecase/internal/profile"
)

func TestAccountKeys(t *testing.T) {
	t.Parallel()
	p := profile.Default()
	if p.RoleApprovalBy != profile.ApprovalByManager {
		t.Errorf("role_approval_by = %q, want manager", p.RoleApprovalBy)
	}
	if p.APITokenMax.D() != 90*24*time.Hour || p.MaxTokenDays() != 90 {
		t.Errorf("api_token_max = %s (%d days), want 90d", p.APITokenMax, p.MaxTokenDays())
	}
	write := func(t *testing.T, body string) string {
		path := filepath.Join(t.TempDir(), "sop.yaml")
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	good, err := profile.Load(write(t, "role_approval_by: dp_officer\napi_token_max: 2w\n"))
	if err != nil {
		t.Fatal(err)
	}
	if good.RoleApprovalBy != profile.ApprovalByDPO || good.MaxTokenDays() != 14 {
		t.Errorf("override: %q, %d days", good.RoleApprovalBy, good.MaxTokenDays())
	}
	for _, tt := range []struct {
		body, key, msg string
		line           int
	}{
		{"name: x\nrole_approval_by: agency_admin\n", "role_approval_by", `"agency_admin" must be manager or dp_officer`, 2},
		{"api_token_max: 0\n", "api_token_max", "less than a day", 1},
		{"name: x\n\napi_token_max: 60w\n", "api_token_max", "more than a year", 3},
	} {
		path := write(t, tt.body)
		_, err := profile.Load(path)
		var perr *profile.Error
		if !errors.As(err, &perr) || len(perr.Problems) != 1 {
			t.Fatalf("%q: error %v, want one problem", tt.body, err)
		}
		got := perr.Problems[0]
		if got.Key != tt.key || got.Line != tt.line || !strings.Contains(got.Msg, tt.msg) {
			t.Errorf("%q: problem %+v, want key %s at line %d saying %q", tt.body, got, tt.key, tt.line, tt.msg)
		}
	}
}
