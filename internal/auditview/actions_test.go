package auditview

import (
	"encoding/json"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// actionForm is what an action name looks like: a category, a dot, a verb.
var actionForm = regexp.MustCompile(`^[a-z][a-z_]*\.[a-z][a-z_]*$`)

// notActions are string literals of the action form, in a category that
// actions use, that are not actions: message keys and the like.
var notActions = map[string]string{
	"agency.admin":      "a fixture's username",
	"consent.age_bands": "a profile setting's path",
	"consent.scopes":    "a profile setting's path",
	"case.priority":     "a message key",
	"directory.ended":   "a message key",
}

// notActionPattern matches message keys of the action form that are
// plainly not actions (page titles, time spans, sign-in waits).
var notActionPattern = regexp.MustCompile(`(^|[._])title$|\.span_|^signin\.wait_|^cli\.|^search\.(why|status)_`)

// sourceLiterals returns every string literal of the non-test Go files
// under dirs, with whether it was written as the Action of a composite
// literal (audit.Event{Action: "…"}).
func sourceLiterals(t *testing.T, dirs ...string) (all map[string]string, asAction map[string]bool) {
	t.Helper()
	all, asAction = map[string]string{}, map[string]bool{}
	fset := token.NewFileSet()
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				return err
			}
			keys := map[*ast.BasicLit]bool{} // arguments of T and Has: message keys
			ast.Inspect(f, func(n ast.Node) bool {
				switch n := n.(type) {
				case *ast.CallExpr:
					if sel, ok := n.Fun.(*ast.SelectorExpr); ok && (sel.Sel.Name == "T" || sel.Sel.Name == "Has") && len(n.Args) > 0 {
						if lit, ok := n.Args[0].(*ast.BasicLit); ok {
							keys[lit] = true
						}
					}
				case *ast.BasicLit:
					if keys[n] {
						return true
					}
					if n.Kind == token.STRING {
						if s, err := strconv.Unquote(n.Value); err == nil {
							all[s] = fset.Position(n.Pos()).String()
						}
					}
				case *ast.KeyValueExpr:
					if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Action" {
						if lit, ok := n.Value.(*ast.BasicLit); ok && lit.Kind == token.STRING {
							if s, err := strconv.Unquote(lit.Value); err == nil {
								asAction[s] = true
							}
						}
					}
				}
				return true
			})
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	return all, asAction
}

// TestEveryActionLabelled scans the Go source of SafeCase for action
// names and fails for one without its entry in actions (and so without a
// label). An action is a string literal written as an Event's Action, or
// any literal of the form category.verb whose category is a package's
// name, the category of an action written as an Event's Action, or of a
// known action: actions passed through helpers (record(…, "plan.submit",
// …)) are found too.
func TestEveryActionLabelled(t *testing.T) {
	all, asAction := sourceLiterals(t, "..", "../../cmd")
	categories := map[string]bool{}
	entries, err := os.ReadDir("..")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			categories[e.Name()] = true
		}
	}
	for a := range asAction {
		if actionForm.MatchString(a) {
			categories[strings.TrimSuffix(Prefix(a), ".")] = true
		}
	}
	for a := range actions {
		categories[strings.TrimSuffix(Prefix(a), ".")] = true
	}
	found := 0
	for s, where := range all {
		if !actionForm.MatchString(s) || !categories[strings.TrimSuffix(Prefix(s), ".")] {
			continue
		}
		if !asAction[s] && (notActions[s] != "" || notActionPattern.MatchString(s)) {
			continue
		}
		found++
		if !Known(s) {
			t.Errorf("%s: action %q has no label: add it to auditview.actions and audit.act.%s to en.audit.json "+
				"(or, if it is not an action, to notActions in this test)", where, s, s)
		}
	}
	if found < len(actions)/2 {
		t.Fatalf("found only %d actions in the source: the scan is broken", found)
	}
	for _, a := range Actions() {
		if _, ok := all[a]; !ok {
			t.Errorf("action %q has a label but no code writes it: drop it from auditview.actions", a)
		}
	}
	for a := range asAction {
		if actionForm.MatchString(a) && !Known(a) {
			t.Errorf("Action %q written in the source has no label", a)
		}
	}
}

// catalog returns the English messages, from every en*.json catalog.
func catalog(t *testing.T) map[string]string {
	t.Helper()
	files, err := filepath.Glob("../i18n/messages/en*.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no catalogs: %v", err)
	}
	out := map[string]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]string
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for k, v := range m {
			out[k] = v
		}
	}
	return out
}

// TestLabelsInCatalog: every action, category and labelled detail key has
// its message.
func TestLabelsInCatalog(t *testing.T) {
	msgs := catalog(t)
	for _, a := range Actions() {
		if msgs[Label(a)] == "" {
			t.Errorf("no message %s", Label(a))
		}
	}
	for _, g := range Groups() {
		if msgs["audit.cat."+g.Prefix] == "" {
			t.Errorf("no message audit.cat.%s", g.Prefix)
		}
	}
	for k := range detailKeys {
		if msgs["audit.key."+k] == "" {
			t.Errorf("no message audit.key.%s", k)
		}
	}
}

// TestReads: the reads "who read this case" lists are reads, the changes are not.
func TestReads(t *testing.T) {
	for _, a := range []string{"case.view", "share.view", "identification.view", "audit.export", "consent_register.view"} {
		if !IsRead(a) {
			t.Errorf("%s is not a read", a)
		}
	}
	for _, a := range []string{"case.update", "consent.record", "auth.login", "made.up"} {
		if IsRead(a) {
			t.Errorf("%s is a read", a)
		}
	}
	for _, a := range Actions() {
		if strings.HasSuffix(a, ".view") && !IsRead(a) {
			t.Errorf("%s is a view but not a read", a)
		}
	}
}
