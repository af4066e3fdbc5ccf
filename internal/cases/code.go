package cases

import "regexp"

// codeForm is what a case code looks like: NewCode's prefix, a hyphen and
// letters and digits (synthetic data uses longer ones), at most 40 in all.
var codeForm = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,39}$`)

// LooksLikeCode reports whether code, upper-cased, has the form of a case
// code. It says nothing of whether a case has it.
func LooksLikeCode(code string) bool { return codeForm.MatchString(code) }
