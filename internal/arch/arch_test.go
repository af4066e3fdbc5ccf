package arch

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"unicode"
)

// module is the module's path.
const module = "github.com/safecase/safecase"

// infrastructure lists the internal packages that are not domain packages:
// the layers around the domain, and the code that exists for tests and demo
// data. Every other package under internal/ is held to the domain rules
// (domainRules), so a new package is a domain package until it is listed
// here with its reason.
var infrastructure = map[string]string{
	"internal/web":         "the HTTP layer: handlers call the domain operations",
	"internal/cli":         "the command line: wires the store, the web layer and the mail sender together",
	"internal/store":       "the storage: SQL behind every domain Tx interface",
	"internal/testdb":      "tests only: a fresh database per test",
	"internal/fixture":     "tests only: the organisation tests run against, inserted through the store",
	"internal/gen":         "demo and benchmark data, written through the store (safecase gen, safecase demo)",
	"internal/passkeytest": "tests only: a software passkey authenticator",
}

// A rule forbids a domain package to import a package. Direct rules look at
// the package's own imports; the others at everything it links.
type rule struct {
	path   string // import path, relative to the module when it starts with "internal/"
	direct bool   // only the package's own imports count
	why    string
}

// domainRules are the imports a domain package must not have.
var domainRules = []rule{
	// Transitively: no domain package needs a SQL driver or its types.
	{"database/sql", false, "storage belongs to internal/store; declare a Tx interface instead"},
	// Directly only: mfa links net/http through github.com/go-webauthn,
	// whose types it uses, but it never serves or reads a request itself.
	{"net/http", true, "requests and responses belong to internal/web; take plain values"},
	{"internal/store", false, "declare the storage you need as a Tx interface; *store.Tx satisfies it"},
	{"internal/web", false, "the web layer calls the domain, never the other way"},
	{"internal/cli", false, "the command line calls the domain, never the other way"},
	{"internal/testdb", false, "test code is for _test.go files"},
	{"internal/fixture", false, "test code is for _test.go files"},
	{"internal/passkeytest", false, "test code is for _test.go files"},
	{"internal/gen", false, "demo data is written through the store, not read by the domain"},
}

// importAllowed lets one domain package import one forbidden package, with
// the reason. Keep it short: each entry is a hole in the layering.
var importAllowed = map[[2]string]string{
	// none yet, e.g. {"internal/mail", "net/http"}: "…",
}

// binaryForbidden are packages the safecase binary must never link: test
// code and test-only dependencies. An entry ending in "/" forbids every
// package below that path too.
var binaryForbidden = []string{
	"testing",
	"testing/",
	"internal/testdb",
	"internal/fixture",
	"internal/passkeytest",
	"github.com/chromedp/",
	"github.com/google/go-cmp/",
}

// pkg is what `go list -json` says of a package.
type pkg struct {
	ImportPath string
	Name       string
	Dir        string
	Doc        string
	GoFiles    []string
	Imports    []string
	Deps       []string
}

var (
	listOnce sync.Once
	listed   []pkg
	listErr  error
)

// list runs `go list -json` on every package of the module (with -deps for
// dependencies of main packages too, marked by their import path).
func list(t *testing.T) []pkg {
	t.Helper()
	listOnce.Do(func() {
		listed, listErr = goList(module + "/...")
	})
	if listErr != nil {
		t.Fatal(listErr)
	}
	return listed
}

func goList(args ...string) ([]pkg, error) {
	cmd := exec.Command("go", append([]string{"list", "-e", "-json=ImportPath,Name,Dir,Doc,GoFiles,Imports,Deps,Error"}, args...)...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("go list %s: %v\n%s", strings.Join(args, " "), err, stderr.Bytes())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p struct {
			pkg
			Error *struct{ Err string }
		}
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			return nil, fmt.Errorf("go list output: %v", err)
		}
		if p.Error != nil {
			return nil, fmt.Errorf("go list: %s: %s", p.ImportPath, p.Error.Err)
		}
		pkgs = append(pkgs, p.pkg)
	}
	return pkgs, nil
}

// rel shortens a path of the module to its path inside it.
func rel(path string) string {
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return path
}

// isDomain reports whether p is held to the domain rules.
func isDomain(p pkg) bool {
	r := rel(p.ImportPath)
	_, infra := infrastructure[r]
	return strings.HasPrefix(r, "internal/") && !infra
}

// checkDomainImports returns one line per forbidden import of a domain
// package in pkgs, naming the package, the import and why.
func checkDomainImports(pkgs []pkg) []string {
	var problems []string
	for _, p := range pkgs {
		if !isDomain(p) {
			continue
		}
		for _, r := range domainRules {
			if _, ok := importAllowed[[2]string{rel(p.ImportPath), r.path}]; ok {
				continue
			}
			full := r.path
			if strings.HasPrefix(full, "internal/") {
				full = module + "/" + full
			}
			switch {
			case slices.Contains(p.Imports, full):
				problems = append(problems, fmt.Sprintf("%s imports %s: %s", rel(p.ImportPath), r.path, r.why))
			case !r.direct && slices.Contains(p.Deps, full):
				problems = append(problems, fmt.Sprintf("%s links %s (through %s): %s",
					rel(p.ImportPath), r.path, strings.Join(importChain(pkgs, p.ImportPath, full), " → "), r.why))
			}
		}
	}
	return problems
}

// importChain returns a shortest chain of imports from one package to
// another it links (both included), shortened to paths in the module.
func importChain(pkgs []pkg, from, to string) []string {
	imports := map[string][]string{}
	for _, p := range pkgs {
		imports[p.ImportPath] = p.Imports
	}
	prev := map[string]string{from: ""}
	queue := []string{from}
	for len(queue) > 0 {
		cur := queue[0]
		queue = queue[1:]
		if cur == to {
			var chain []string
			for at := to; at != ""; at = prev[at] {
				chain = append(chain, rel(at))
			}
			slices.Reverse(chain)
			return chain
		}
		for _, next := range imports[cur] {
			if _, seen := prev[next]; !seen {
				prev[next] = cur
				queue = append(queue, next)
			}
		}
	}
	return []string{rel(from), "…", rel(to)}
}

// forbiddenInBinary reports whether the binary must not link path.
func forbiddenInBinary(path string) bool {
	r := rel(path)
	for _, f := range binaryForbidden {
		if r == f || strings.HasSuffix(f, "/") && strings.HasPrefix(r, f) {
			return true
		}
	}
	return false
}

// checkBinary returns one line per package the main package main links and
// must not, with the chain of imports that brings it in.
func checkBinary(pkgs []pkg, main string) []string {
	var problems []string
	for _, p := range pkgs {
		if p.ImportPath == main {
			for _, d := range p.Deps {
				if forbiddenInBinary(d) {
					problems = append(problems, fmt.Sprintf("%s links %s: %s", rel(main), rel(d),
						strings.Join(importChain(pkgs, main, d), " → ")))
				}
			}
		}
	}
	return problems
}

// checkDocs returns one line per package without a package doc comment, or
// with one that does not begin as Go's convention has it: "Package name …"
// for a library, "Command name …" for a main package.
func checkDocs(pkgs []pkg) []string {
	var problems []string
	for _, p := range pkgs {
		if !strings.HasPrefix(p.ImportPath, module) {
			continue
		}
		want := "Package " + p.Name + " "
		if p.Name == "main" {
			want = "Command " + filepath.Base(p.ImportPath) + " "
		}
		switch {
		case p.Doc == "":
			problems = append(problems, fmt.Sprintf("%s has no package doc comment (write one above the package clause of one file, starting %q)", rel(p.ImportPath), want))
		case !strings.HasPrefix(p.Doc, want):
			problems = append(problems, fmt.Sprintf("%s: its package doc comment should start %q, not %q", rel(p.ImportPath), want, p.Doc))
		}
	}
	return problems
}

func TestDomainImports(t *testing.T) {
	pkgs := list(t)
	var all []string
	for _, p := range pkgs {
		all = append(all, rel(p.ImportPath))
	}
	for name := range infrastructure {
		if !slices.Contains(all, name) {
			t.Errorf("infrastructure lists %s, which is not a package (any more): remove it", name)
		}
	}
	for k := range importAllowed {
		if !slices.Contains(all, k[0]) {
			t.Errorf("importAllowed lists %s, which is not a package (any more): remove it", k[0])
		}
	}
	for _, p := range checkDomainImports(pkgs) {
		t.Error(p)
	}
}

func TestBinaryLinksNoTestCode(t *testing.T) {
	pkgs, err := goList("-deps", module+"/cmd/safecase")
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list -deps cmd/safecase: only %d packages", len(pkgs))
	}
	for _, p := range checkBinary(pkgs, module+"/cmd/safecase") {
		t.Error(p)
	}
}

func TestPackageDocs(t *testing.T) {
	for _, p := range checkDocs(list(t)) {
		t.Error(p)
	}
}

// TestTxInterfacesChecked fails for an exported interface of a domain
// package (a storage interface: cases.Tx, cases.Granter, mail.Outbox, …)
// that internal/store/interfaces.go does not check at compile time with
// `_ pkg.Name = (*Tx)(nil)` (or *DB).
func TestTxInterfacesChecked(t *testing.T) {
	pkgs := list(t)
	checked, err := checkedInterfaces(filepath.Join(dirOf(pkgs, module+"/internal/store"), "interfaces.go"))
	if err != nil {
		t.Fatal(err)
	}
	if len(checked) < 20 {
		t.Fatalf("interfaces.go checks only %d interfaces: the test no longer reads it right", len(checked))
	}
	var declared []string
	for _, p := range pkgs {
		if !isDomain(p) {
			continue
		}
		names, err := exportedInterfaces(p)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range names {
			declared = append(declared, p.Name+"."+n)
		}
	}
	for _, d := range declared {
		if _, ok := notStorage[d]; !ok && !checked[d] {
			t.Errorf("internal/store/interfaces.go does not check %s: add `_ %s = (*Tx)(nil)`", d, d)
		}
	}
	for c := range checked {
		if !slices.Contains(declared, c) {
			t.Errorf("internal/store/interfaces.go checks %s, which is not an interface of a domain package", c)
		}
	}
}

// notStorage lists exported interfaces of domain packages that are not
// storage, and so are not checked against the store, each with its reason.
var notStorage = map[string]string{
	"deadline.Ordered": "a task's sort key (store.TaskRow has it), not storage",
}

func dirOf(pkgs []pkg, path string) string {
	for _, p := range pkgs {
		if p.ImportPath == path {
			return p.Dir
		}
	}
	return ""
}

// checkedInterfaces reads the `_ pkg.Name = (*T)(nil)` declarations of file.
func checkedInterfaces(file string) (map[string]bool, error) {
	f, err := parser.ParseFile(token.NewFileSet(), file, nil, 0)
	if err != nil {
		return nil, err
	}
	out := map[string]bool{}
	for _, d := range f.Decls {
		g, ok := d.(*ast.GenDecl)
		if !ok || g.Tok != token.VAR {
			continue
		}
		for _, s := range g.Specs {
			vs := s.(*ast.ValueSpec)
			typ := vs.Type
			if ix, ok := typ.(*ast.IndexExpr); ok { // a generic interface, instantiated
				typ = ix.X
			}
			if sel, ok := typ.(*ast.SelectorExpr); ok && len(vs.Names) == 1 && vs.Names[0].Name == "_" {
				if x, ok := sel.X.(*ast.Ident); ok {
					out[x.Name+"."+sel.Sel.Name] = true
				}
			}
		}
	}
	return out, nil
}

// exportedInterfaces returns the names of the exported interface types
// declared in p's (non-test) files.
func exportedInterfaces(p pkg) ([]string, error) {
	var names []string
	fset := token.NewFileSet()
	for _, name := range p.GoFiles {
		f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		for _, d := range f.Decls {
			g, ok := d.(*ast.GenDecl)
			if !ok || g.Tok != token.TYPE {
				continue
			}
			for _, s := range g.Specs {
				ts := s.(*ast.TypeSpec)
				if _, ok := ts.Type.(*ast.InterfaceType); ok && unicode.IsUpper([]rune(ts.Name.Name)[0]) {
					names = append(names, ts.Name.Name)
				}
			}
		}
	}
	sort.Strings(names)
	return names, nil
}

// standardMethods implement the standard library's interfaces (error,
// fmt.Stringer, json.Marshaler, …): their meaning is the interface's, so
// they need no doc comment of their own.
var standardMethods = map[string]bool{
	"Error": true, "Unwrap": true, "Is": true, "As": true, "String": true, "Format": true, "GoString": true,
	"MarshalJSON": true, "UnmarshalJSON": true, "MarshalText": true, "UnmarshalText": true,
	"ServeHTTP": true, "Scan": true, "Value": true, "Len": true, "Less": true, "Swap": true,
}

// checkExportedDocs returns one line per exported identifier of f without a
// doc comment: a function, a method of an exported type, a type, a
// constant or a variable (the comment of its group, or a line comment after
// it, counts).
func checkExportedDocs(fset *token.FileSet, f *ast.File) []string {
	var problems []string
	missing := func(pos token.Pos, what string) {
		p := fset.Position(pos)
		problems = append(problems, fmt.Sprintf("%s:%d: %s has no doc comment", p.Filename, p.Line, what))
	}
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.FuncDecl:
			if !d.Name.IsExported() || d.Doc != nil {
				continue
			}
			if d.Recv == nil {
				missing(d.Pos(), "func "+d.Name.Name)
				continue
			}
			recv := d.Recv.List[0].Type
			if s, ok := recv.(*ast.StarExpr); ok {
				recv = s.X
			}
			switch r := recv.(type) {
			case *ast.IndexExpr:
				recv = r.X
			case *ast.IndexListExpr:
				recv = r.X
			}
			if id, ok := recv.(*ast.Ident); ok && id.IsExported() && !standardMethods[d.Name.Name] {
				missing(d.Pos(), "method "+id.Name+"."+d.Name.Name)
			}
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				switch s := spec.(type) {
				case *ast.TypeSpec:
					if s.Name.IsExported() && s.Doc == nil && d.Doc == nil {
						missing(s.Pos(), "type "+s.Name.Name)
					}
				case *ast.ValueSpec:
					for _, n := range s.Names {
						if n.IsExported() && s.Doc == nil && d.Doc == nil && s.Comment == nil {
							missing(n.Pos(), d.Tok.String()+" "+n.Name)
						}
					}
				}
			}
		}
	}
	return problems
}

// TestExportedDocs: every exported identifier of the module has a doc
// comment (STYLE: "Go doc comments on every exported identifier").
func TestExportedDocs(t *testing.T) {
	fset := token.NewFileSet()
	n := 0
	for _, p := range list(t) {
		for _, name := range p.GoFiles {
			f, err := parser.ParseFile(fset, filepath.Join(p.Dir, name), nil, parser.ParseComments|parser.SkipObjectResolution)
			if err != nil {
				t.Fatal(err)
			}
			n++
			for _, problem := range checkExportedDocs(fset, f) {
				t.Error(rel(p.ImportPath) + "/" + filepath.Base(problem))
			}
		}
	}
	if n < 100 {
		t.Fatalf("only %d files read", n)
	}
}

// The checks above pass on the code as it is; these show that each fails,
// naming the offending import, on code that breaks its rule.

func TestCheckDomainImportsFails(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := []pkg{
		{ImportPath: m("internal/good"), Imports: []string{"context", m("internal/errs")}, Deps: []string{"context", "net/http", m("internal/errs")}},
		{ImportPath: m("internal/sqly"), Imports: []string{"database/sql"}, Deps: []string{"database/sql"}},
		{ImportPath: m("internal/httpy"), Imports: []string{"net/http"}, Deps: []string{"net/http"}},
		{ImportPath: m("internal/storey"), Imports: []string{m("internal/sqly")}, Deps: []string{"database/sql", m("internal/sqly"), m("internal/store")}},
		{ImportPath: m("internal/store"), Imports: []string{"database/sql"}, Deps: []string{"database/sql"}},
		{ImportPath: m("internal/web"), Imports: []string{"net/http"}, Deps: []string{"net/http"}},
		{ImportPath: m("internal/webby"), Imports: []string{m("internal/web")}, Deps: []string{"net/http", m("internal/web")}},
	}
	// internal/sqly imports store to make the chain of internal/storey
	// longer than one step.
	pkgs[1].Imports = append(pkgs[1].Imports, m("internal/store"))
	pkgs[1].Deps = append(pkgs[1].Deps, m("internal/store"))
	got := strings.Join(checkDomainImports(pkgs), "\n")
	for _, want := range []string{
		"internal/sqly imports database/sql",
		"internal/sqly imports internal/store",
		"internal/httpy imports net/http",
		"internal/storey links database/sql (through internal/storey → internal/sqly → database/sql)",
		"internal/storey links internal/store (through internal/storey → internal/sqly → internal/store)",
		"internal/webby imports internal/web",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("checkDomainImports does not say %q; it says:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"internal/good", "internal/store imports", "internal/web imports", "internal/webby links net/http"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("checkDomainImports complains about %q:\n%s", unwanted, got)
		}
	}
}

func TestCheckBinaryFails(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := []pkg{
		{ImportPath: m("cmd/safecase"), Imports: []string{m("internal/cli")},
			Deps: []string{"fmt", "testing", "testing/iotest", m("internal/cli"), m("internal/fixture"), "github.com/google/go-cmp/cmp", "github.com/chromedp/chromedp", m("internal/store")}},
		{ImportPath: m("internal/cli"), Imports: []string{"fmt", m("internal/fixture"), "github.com/google/go-cmp/cmp", "github.com/chromedp/chromedp"}},
		{ImportPath: m("internal/fixture"), Imports: []string{"testing", "testing/iotest", m("internal/store")}},
	}
	got := strings.Join(checkBinary(pkgs, m("cmd/safecase")), "\n")
	for _, want := range []string{
		"cmd/safecase links testing: cmd/safecase → internal/cli → internal/fixture → testing",
		"cmd/safecase links testing/iotest",
		"cmd/safecase links internal/fixture: cmd/safecase → internal/cli → internal/fixture",
		"cmd/safecase links github.com/google/go-cmp/cmp",
		"cmd/safecase links github.com/chromedp/chromedp",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("checkBinary does not say %q; it says:\n%s", want, got)
		}
	}
	if strings.Contains(got, "fmt") || strings.Contains(got, "links internal/store") {
		t.Errorf("checkBinary complains about an allowed package:\n%s", got)
	}
}

func TestCheckExportedDocsFails(t *testing.T) {
	const src = `package p

// Documented is documented.
func Documented() {}

func Bare() {}

func unexported() {}

// T is documented.
type T struct{}

type U int

func (T) Method() {}

// Documented is documented.
func (T) Documented() {}

func (T) Error() string { return "" }

func (u) Method() {}

type u int

// Kinds are documented as a group.
const (
	A = 1
	B = 2
)

const (
	C = 3 // documented at the end of its line
	D = 4
)

var E, f = 1, 2

type G[X any] struct{}

func (G[X]) Generic() {}
`
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "p.go", src, parser.ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	got := strings.Join(checkExportedDocs(fset, f), "\n")
	for _, want := range []string{"p.go:6: func Bare", "type U", "method T.Method", "const D", "var E", "method G.Generic"} {
		if !strings.Contains(got, want) {
			t.Errorf("checkExportedDocs does not say %q; it says:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"Documented", "unexported", "type T ", "T.Error", "u.Method", "const A", "const B", "const C", " f "} {
		if strings.Contains(got, unwanted) {
			t.Errorf("checkExportedDocs complains about %q:\n%s", unwanted, got)
		}
	}
}

func TestCheckDocsFails(t *testing.T) {
	m := func(s string) string { return module + "/" + s }
	pkgs := []pkg{
		{ImportPath: m("internal/good"), Name: "good", Doc: "Package good is documented."},
		{ImportPath: m("internal/none"), Name: "none"},
		{ImportPath: m("internal/wrong"), Name: "wrong", Doc: "This package is wrong."},
		{ImportPath: m("cmd/tool"), Name: "main", Doc: "Command tool does things."},
		{ImportPath: m("cmd/other"), Name: "main", Doc: "Package main does things."},
		{ImportPath: "example.com/elsewhere", Name: "elsewhere"},
	}
	got := strings.Join(checkDocs(pkgs), "\n")
	for _, want := range []string{"internal/none has no package doc comment", "internal/wrong: its package doc", "cmd/other: its package doc"} {
		if !strings.Contains(got, want) {
			t.Errorf("checkDocs does not say %q; it says:\n%s", want, got)
		}
	}
	for _, unwanted := range []string{"good", "cmd/tool", "elsewhere"} {
		if strings.Contains(got, unwanted) {
			t.Errorf("checkDocs complains about %q:\n%s", unwanted, got)
		}
	}
}
