package deadline_test

import (
	"strings"
	"testing"

	"github.com/safecase/safecase/internal/deadline"
)

// TestEveryKindHasAForm: every kind in deadline.Kinds links to a page of
// its case, and an unknown kind to none. (The HTTP test
// TestTaskLinksOpen shows every such page answers.)
func TestEveryKindHasAForm(t *testing.T) {
	t.Parallel()
	for _, k := range deadline.Kinds {
		p, ok := deadline.FormPath(k, "c/1")
		if !ok {
			t.Errorf("kind %s has no form", k)
			continue
		}
		if !strings.HasPrefix(p, "/cases/c%2F1") {
			t.Errorf("kind %s: %q does not start with the escaped case's path", k, p)
		}
	}
	if p, ok := deadline.FormPath("no_such_kind", "c1"); ok {
		t.Errorf("an unknown kind links to %q", p)
	}
}
