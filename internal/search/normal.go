package search

import (
	"strings"
	"unicode"

	"golang.org/x/text/unicode/norm"
)

// folds are letters that do not decompose into a base letter and a mark
// but that names written in Latin letters spell with base letters.
var folds = map[rune]string{
	'ß': "ss", 'æ': "ae", 'œ': "oe", 'ø': "o", 'đ': "d", 'ð': "d", 'ł': "l", 'ı': "i", 'þ': "th",
	'ŋ': "ng", 'ħ': "h", 'ſ': "s", 'ĳ': "ij", 'ɛ': "e", 'ɔ': "o", 'ƙ': "k", 'ɗ': "d", 'ɓ': "b", 'ƴ': "y",
}

// arabic transliterates the letters of the Arabic script (and the Persian
// and Urdu additions) to the Latin letters names are most often spelt with
// in the field, so that محمد and Mohamed share a phonetic key. Short
// vowels are not written in Arabic script; the phonetic key drops vowels,
// so the two meet there, not letter by letter.
var arabic = map[rune]string{
	'ا': "a", 'أ': "a", 'إ': "i", 'آ': "a", 'ٱ': "a", 'ء': "", 'ؤ': "u", 'ئ': "i", 'ب': "b", 'پ': "p",
	'ت': "t", 'ة': "a", 'ث': "th", 'ج': "j", 'چ': "ch", 'ح': "h", 'خ': "kh", 'د': "d", 'ذ': "dh", 'ر': "r",
	'ز': "z", 'ژ': "zh", 'س': "s", 'ش': "sh", 'ص': "s", 'ض': "d", 'ط': "t", 'ظ': "z", 'ع': "a", 'غ': "gh",
	'ف': "f", 'ق': "q", 'ك': "k", 'ک': "k", 'گ': "g", 'ل': "l", 'م': "m", 'ن': "n", 'ه': "h", 'ۀ': "h",
	'و': "w", 'ي': "y", 'ی': "y", 'ى': "a", 'ے': "e",
}

// cyrillic transliterates Russian, Ukrainian and related Cyrillic letters
// (a simplified passport-style scheme).
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'ґ': "g", 'д': "d", 'е': "e", 'ё': "e", 'є': "ye", 'ж': "zh",
	'з': "z", 'и': "i", 'і': "i", 'ї': "yi", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o",
	'п': "p", 'р': "r", 'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh",
	'щ': "shch", 'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya",
}

// Normalise folds s for matching: letters lower-cased with their accents
// taken off (Aïcha → aicha, Nguyễn → nguyen), Arabic and Cyrillic letters
// transliterated, every run of anything that is not a letter or a digit a
// single space, no space at either end.
func Normalise(s string) string {
	var b strings.Builder
	space := false
	for _, r := range norm.NFKD.String(strings.ToValidUTF8(s, " ")) {
		if unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Cf, r) {
			continue // combining marks and invisible format characters
		}
		r = unicode.ToLower(r)
		var out string
		switch {
		case r < unicode.MaxASCII && (r >= 'a' && r <= 'z' || r >= '0' && r <= '9'):
			out = string(r)
		case folds[r] != "":
			out = folds[r]
		case arabic[r] != "" || cyrillic[r] != "":
			out = arabic[r] + cyrillic[r]
		case r == 'ء' || r == 'ъ' || r == 'ь' || r == '\'' || r == '’' || r == 'ʼ' || r == 'ʻ':
			continue // hamza, hard and soft signs, apostrophes inside names (N'Dour, O'Brien)
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			out = string(r) // other scripts are kept as they are
		default:
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteString(out)
	}
	return b.String()
}

// Parts returns the parts of a name as the index keeps them: the words of
// its normalised form, and for a word joined to its article (Alhassan,
// Elamin, "Al Hassan") the word without it too, so that "Hassan" finds
// "Al-Hassan" and "Alhassan".
func Parts(name string) []string {
	words := strings.Fields(Normalise(name))
	parts := make([]string, 0, len(words)+1)
	for i, w := range words {
		if (w == "al" || w == "el") && i+1 < len(words) {
			parts = append(parts, w+words[i+1])
			continue
		}
		parts = append(parts, w)
		for _, a := range []string{"al", "el"} {
			if len(w) >= len(a)+3 && strings.HasPrefix(w, a) {
				parts = append(parts, w[len(a):])
			}
		}
	}
	return dedupe(parts)
}

// Digits returns the phone number key of s: its digits, at most the last
// nine of them — the subscriber number without country or trunk prefix, so
// that +234 803 555 0192 and 0803 555 0192 meet — or "" for fewer than
// seven digits, which are not a phone number.
func Digits(s string) string {
	var d []byte
	for i := 0; i < len(s); i++ {
		if s[i] >= '0' && s[i] <= '9' {
			d = append(d, s[i])
		}
	}
	if len(d) < 7 {
		return ""
	}
	if len(d) > 9 {
		d = d[len(d)-9:]
	}
	return string(d)
}

// Phones returns the phone number keys found in free text s (a contact
// field may read "mother: 0803 555 0192, or the neighbour 0704 111 222"):
// every run of digits with the spaces, dots, dashes, brackets and plus
// signs written between them, that has seven digits or more.
func Phones(s string) []string {
	var out []string
	start := -1
	flush := func(end int) {
		if start >= 0 {
			if k := Digits(s[start:end]); k != "" {
				out = append(out, k)
			}
		}
		start = -1
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c == '+' && start < 0:
			if start < 0 {
				start = i
			}
		case start >= 0 && (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')'):
			// separators inside a number
		default:
			flush(i)
		}
	}
	flush(len(s))
	return dedupe(out)
}

func dedupe(s []string) []string {
	out := s[:0]
	seen := make(map[string]bool, len(s))
	for _, x := range s {
		if x != "" && !seen[x] {
			seen[x] = true
			out = append(out, x)
		}
	}
	return out
}
