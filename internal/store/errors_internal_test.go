package store

import (
	"errors"
	"testing"
)

func TestSplitFuncName(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, recv, fn string }{
		{"(*Tx).Case", "Tx", "Case"},
		{"(*Tx).Case.func1", "Tx", "Case"},
		{"(*Tx).Case.func1.2", "Tx", "Case"},
		{"(*DB).Tx", "DB", "Tx"},
		{"(*DB).Tx.deferwrap1", "DB", "Tx"},
		{"storeRows.Scan", "storeRows", "Scan"},
		{"storeRow.Err", "storeRow", "Err"},
		{"Open", "", "Open"},
		{"Open.func2", "", "Open"},
		{"Open.gowrap1", "", "Open"},
		{"oneByID[...]", "", "oneByID"},
		{"oneByID[...].func1", "", "oneByID"},
		{"(*cache[...]).Get", "cache", "Get"},
		{"scanPrefix.Scan", "scanPrefix", "Scan"},
	}
	for _, tt := range tests {
		recv, fn := splitFuncName(tt.in)
		if recv != tt.recv || fn != tt.fn {
			t.Errorf("splitFuncName(%q) = %q, %q; want %q, %q", tt.in, recv, fn, tt.recv, tt.fn)
		}
	}
}

// unexportedHelper fails like a store helper with no exported caller in
// the package, e.g. a background goroutine.
func unexportedHelper() string { return operation(1) }

func unexportedRunner(done chan<- string) { done <- unexportedHelper() }

func TestOperationWithoutExportedFrame(t *testing.T) {
	t.Parallel()
	// The test function is exported and in package store: it names itself.
	if got := operation(1); got != "store.TestOperationWithoutExportedFrame" {
		t.Errorf("operation = %q", got)
	}
	if got := unexportedHelper(); got != "store.TestOperationWithoutExportedFrame" {
		t.Errorf("operation from a helper = %q", got)
	}
	done := make(chan string)
	go unexportedRunner(done)
	if got := <-done; got != "store.unexportedRunner" {
		t.Errorf("operation in a goroutine = %q, want the outermost store function", got)
	}
}

// deepHelper is n store frames deep when it asks for the operation.
func deepHelper(n int) string {
	if n == 0 {
		return operation(1)
	}
	return deepHelper(n-1) + ""
}

// DeepForTest is an exported store function calling itself n times.
func DeepForTest(n int) string {
	if n == 0 {
		return deepHelper(10)
	}
	return DeepForTest(n-1) + ""
}

func TestOperationDeepStack(t *testing.T) {
	t.Parallel()
	// More store frames than operation reads at a time.
	if got := deepHelper(30); got != "store.TestOperationDeepStack" {
		t.Errorf("operation 30 frames down = %q", got)
	}
	// An operation calling itself is named once.
	if got := DeepForTest(12); got != "store.TestOperationDeepStack: store.DeepForTest" {
		t.Errorf("operation in a recursive operation = %q", got)
	}
}

// BenchmarkLabelled is the cost of labelling one error (a lookup that
// finds nothing pays it once).
func BenchmarkLabelled(b *testing.B) {
	for b.Loop() {
		if labelled(errLabelBench) == nil {
			b.Fatal("nil")
		}
	}
}

var errLabelBench = errors.New("sql: no rows in result set")
