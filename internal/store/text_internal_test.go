package store

import (
	"testing"

	"github.com/safecase/safecase/internal/deadline"
)

// BenchmarkUnstorable is the check every statement pays: a typical list of
// arguments (IDs, a time, a name, a kind, NULL).
func BenchmarkUnstorable(b *testing.B) {
	args := []any{"01a24938-3d9a-7e04-91c3-b94b93219d67", int64(1733450000000), "Amal Testcase, Block 4 near the market",
		deadline.CasePlan, nil, "01a24938-3d9a-7e04-91c3-b94b93219d68", 3}
	for b.Loop() {
		if unstorable(args) {
			b.Fatal("storable arguments refused")
		}
	}
}
