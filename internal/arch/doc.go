// Package arch has no code of its own: its tests keep SafeCase's layering
// as docs/ARCHITECTURE.md describes it. The domain packages never import
// database/sql, net/http, the store or the web layer; the safecase binary
// never links testing code; every package and every exported identifier has
// a doc comment; and every storage interface a domain package declares is
// checked against the store at compile time in internal/store/interfaces.go.
package arch
