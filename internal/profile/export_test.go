package profile

// DefaultYAML returns the embedded default profile, for the fuzz test's
// seed corpus.
func DefaultYAML() []byte { return append([]byte(nil), defaultYAML...) }
