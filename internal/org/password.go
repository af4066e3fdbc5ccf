package org

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/trustelem/zxcvbn"
	"github.com/trustelem/zxcvbn/match"
)

// Password policy: at least MinPassword characters, at most MaxPassword,
// and hard to guess by the zxcvbn strength estimator (Dropbox's, with its
// lists of 30,000 common passwords and of common words, names and
// surnames, and its patterns: repeats, sequences, keyboard walks, dates,
// l33t substitutions). There are no composition rules: a few unrelated
// words are a good password.
const (
	// MinPassword is the shortest password accepted, in characters.
	MinPassword = 12
	// MaxPassword is the longest password accepted, in characters.
	MaxPassword = 128
	// estimated is how many characters of a password the estimator reads:
	// its time grows steeply with the length (up to a second for 128
	// characters of l33t signs), and a password whose first 64 characters
	// are hard to guess is hard to guess.
	estimated = 64
	// MinScore is the lowest zxcvbn score accepted, from 0 to 4: 3 means
	// at least about 10^8 guesses for the estimator.
	MinScore = 3
)

// PasswordProblem says why password is refused, as a message key and its
// arguments, or returns "" when it is acceptable. inputs are what the
// password must not be built from (the username, the person's name, their
// e-mail address); "safecase" is always one. It is the one check of every
// password set in SafeCase: the account page, the administrators' pages,
// the command line and the setup links.
func PasswordProblem(password string, inputs ...string) (key string, args []any) {
	switch n := utf8.RuneCountInString(password); {
	case countCollapsed(password) < MinPassword:
		return "err.password_short", []any{MinPassword}
	case n > MaxPassword:
		return "err.password_long", []any{MaxPassword}
	}
	if !utf8.ValidString(password) {
		return "err.password_weak", nil
	}
	words := userInputs(inputs)
	r := zxcvbn.PasswordStrength(firstRunes(password, estimated), words)
	// A password built from the person's own names is guessed first: it
	// must be of the best score, and not mostly those names.
	if personal := personalRunes(password, words); personal > 0 &&
		(r.Score < 4 || 2*personal >= utf8.RuneCountInString(password)) {
		return "err.password_personal", nil
	}
	if r.Score >= MinScore {
		return "", nil
	}
	return weakness(r.Sequence), nil
}

// countCollapsed counts the characters of s with every run of spaces
// counted as one (ASVS 2.1.1): a run of spaces adds nothing to guess.
func countCollapsed(s string) int {
	n, space := 0, false
	for _, r := range s {
		if unicode.IsSpace(r) {
			if space {
				continue
			}
			space = true
		} else {
			space = false
		}
		n++
	}
	return n
}

// firstRunes returns the first n characters of s.
func firstRunes(s string, n int) string {
	for i := range s {
		if n == 0 {
			return s[:i]
		}
		n--
	}
	return s
}

// userInputs returns the words a password is checked against: each input
// whole, without its spaces and punctuation, and each of its words of three
// letters or more; all lower case.
func userInputs(inputs []string) []string {
	out := []string{"safecase"}
	seen := map[string]bool{"safecase": true}
	add := func(s string) {
		if utf8.RuneCountInString(s) >= 3 && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	for _, in := range inputs {
		in = strings.ToLower(strings.TrimSpace(in))
		if local, _, ok := strings.Cut(in, "@"); ok {
			in = local
		}
		words := strings.FieldsFunc(in, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) })
		add(strings.Join(words, ""))
		for _, w := range words {
			add(w)
		}
	}
	return out
}

// unleet undoes the usual substitutions of letters by digits and signs.
var unleet = strings.NewReplacer("4", "a", "@", "a", "8", "b", "3", "e", "6", "g", "1", "i", "!", "i", "|", "i",
	"0", "o", "$", "s", "5", "s", "7", "t", "+", "t", "2", "z")

// personalRunes counts the characters of password that spell one of words
// (the user inputs, lower case), forwards or backwards, as written or with
// the usual l33t substitutions. The estimator's own match of the user
// inputs is not enough: it keeps only the cheapest way to read a password,
// which may leave a name out ("amina.yusuf2024" reads as "amina", then 10
// random characters).
func personalRunes(password string, words []string) int {
	lower := []rune(strings.ToLower(password))
	plain := []rune(unleet.Replace(string(lower)))
	covered := make([]bool, len(lower))
	mark := func(text, word []rune) {
		for i := 0; i+len(word) <= len(text); i++ {
			if string(text[i:i+len(word)]) == string(word) {
				for j := i; j < i+len(word); j++ {
					covered[j] = true
				}
			}
		}
	}
	for _, w := range words {
		rw := []rune(w)
		back := make([]rune, len(rw))
		for i, r := range rw {
			back[len(rw)-1-i] = r
		}
		for _, text := range [][]rune{lower, plain} {
			if len(text) == len(lower) { // the replacements keep one rune for one
				mark(text, rw)
				mark(text, back)
			}
		}
	}
	n := 0
	for _, c := range covered {
		if c {
			n++
		}
	}
	return n
}

// weakness names what makes a weak password weak: the kind of its longest
// guessable part.
func weakness(seq []*match.Match) string {
	best, bestLen := "err.password_weak", 0
	for _, m := range seq {
		var key string
		switch m.Pattern {
		case "dictionary":
			switch m.DictionaryName {
			case "passwords":
				key = "err.password_common"
			case "user_inputs":
				key = "err.password_personal"
			default:
				key = "err.password_word"
			}
		case "repeat":
			key = "err.password_repeat"
		case "sequence":
			key = "err.password_sequence"
		case "spatial":
			key = "err.password_keyboard"
		case "date", "regex":
			key = "err.password_date"
		default:
			continue // bruteforce: the part that is not a pattern
		}
		if l := utf8.RuneCountInString(m.Token); l > bestLen {
			best, bestLen = key, l
		}
	}
	return best
}
