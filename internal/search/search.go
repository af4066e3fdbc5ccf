// Package search turns what identifies a child — names, phone numbers,
// date of birth, place — into the keyed tokens of the search index, so that
// a case can be found in milliseconds by any part of the name, a spelling
// variant, a phone number written any way, a date of birth or a place,
// without the index holding any of them.
//
// A token is the first 8 bytes of HMAC-SHA256, under the deployment's
// search key (keys.SearchIndex, kept outside the database), of a token kind
// and a normalised value: whoever reads the database cannot tell which
// name a token stands for, nor try names against the index without the
// key. The identity section itself will be encrypted at rest; the index is
// built so that search never needs to read it.
//
// For each case the index holds: every part of every name (given, family,
// other names; see Parts), the prefixes of each part from three letters
// (Prefix), each part's phonetic key (Phonetic), each pair of parts
// (PairToken), the date of birth, the phone
// numbers of the child and the family (Digits), and the words of the place
// where the child lives and where the case was registered. A search term
// is turned into the same tokens; the store finds the cases that hold them
// within what the user may see and ranks them (see Rank).
package search

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"hash"
	"strings"
	"unicode/utf8"
)

// Kind is what a token stands for. It is stored with the token (so that a
// match can be ranked) and hashed into it (so that the same text as a name
// and as a place gives two unrelated tokens).
type Kind int16

// The kinds of token. The numbers are stored: never renumber.
const (
	Part   Kind = 1 // a whole name part
	Prefix Kind = 2 // the first letters of a name part (MinPrefix to MaxPrefix letters)
	Sound  Kind = 3 // the phonetic key of a name part
	Phone  Kind = 4 // a phone number (Digits)
	Birth  Kind = 5 // a date of birth, YYYY-MM-DD
	Place  Kind = 6 // a word of a place
	Pair   Kind = 7 // two name parts of the same person, by their phonetic keys (PairToken)
)

// Version names what Entries makes: an index built by an older version
// is rebuilt (store.EnsureSearchIndex). Raise it whenever Entries changes.
const Version = 2

// maxPairParts caps the name parts whose pairs the index holds.
const maxPairParts = 6

// The lengths of the name prefixes the index holds: shorter prefixes find
// too many children to be of use; a term longer than MaxPrefix that is not
// a whole part is looked up by its first MaxPrefix letters.
const (
	MinPrefix = 3
	MaxPrefix = 8
)

// Token is a keyed token: the first 8 bytes of HMAC-SHA256 of a kind and a
// normalised value, as a signed integer so that both engines store it in a
// BIGINT.
type Token int64

// Entry is one token of a case in the index.
type Entry struct {
	Token Token
	Kind  Kind
}

// Person is what a case's index entries are made of: the identity section
// of the case, the place it was registered and its family's phone numbers.
type Person struct {
	GivenName, FamilyName, OtherNames string
	DateOfBirth                       string // YYYY-MM-DD or ""
	Location                          string // where the child lives (identity section)
	Contact                           string // the child's contact details (identity section)
	RegistrationPlace                 string
	FamilyContacts                    []string // each family member's contact details
}

// Hasher makes tokens under one key. It is safe for concurrent use.
type Hasher struct {
	key []byte
}

// NewHasher returns a Hasher with key, the deployment's search subkey
// (keys.Set.Derive(keys.SearchIndex)).
func NewHasher(key []byte) *Hasher {
	return &Hasher{key: append([]byte(nil), key...)}
}

// Token returns the token of value v of kind k. v must be normalised as
// the index normalises it (Normalise, Digits, a YYYY-MM-DD date).
func (h *Hasher) Token(k Kind, v string) Token {
	return h.tokenWith(hmac.New(sha256.New, h.key), k, v)
}

func (h *Hasher) tokenWith(mac hash.Hash, k Kind, v string) Token {
	mac.Reset()
	mac.Write([]byte{byte(k), 0})
	mac.Write([]byte(v))
	var sum [sha256.Size]byte
	return Token(binary.BigEndian.Uint64(mac.Sum(sum[:0])[:8]))
}

// Entries returns the index entries of p, each token once (a token that
// is both a part and a prefix of another part is kept as the part).
func (h *Hasher) Entries(p Person) []Entry {
	mac := hmac.New(sha256.New, h.key)
	seen := make(map[Token]bool)
	var out []Entry
	add := func(k Kind, v string) {
		if v == "" {
			return
		}
		t := h.tokenWith(mac, k, v)
		if !seen[t] {
			seen[t] = true
			out = append(out, Entry{Token: t, Kind: k})
		}
	}
	var parts []string
	for _, n := range []string{p.GivenName, p.FamilyName, p.OtherNames} {
		parts = append(parts, Parts(n)...)
	}
	parts = dedupe(parts)
	for _, part := range parts {
		add(Part, part)
	}
	for _, part := range parts {
		for _, pre := range prefixes(part) {
			add(Prefix, pre)
		}
		add(Sound, Phonetic(part))
	}
	var keys []string
	for _, part := range parts {
		keys = append(keys, soundOrPart(part))
	}
	keys = dedupe(keys)
	if len(keys) > maxPairParts {
		keys = keys[:maxPairParts]
	}
	for i := range keys {
		for j := i + 1; j < len(keys); j++ {
			add(Pair, pairKey(keys[i], keys[j]))
		}
	}
	if isDate(p.DateOfBirth) {
		add(Birth, p.DateOfBirth)
	}
	for _, c := range append([]string{p.Contact}, p.FamilyContacts...) {
		for _, d := range Phones(c) {
			add(Phone, d)
		}
	}
	for _, pl := range []string{p.Location, p.RegistrationPlace} {
		for _, w := range strings.Fields(Normalise(pl)) {
			add(Place, w)
		}
	}
	return out
}

// prefixes returns the prefixes of part the index keeps: MinPrefix to
// MaxPrefix letters, shorter than the part itself (the part is its own
// token).
func prefixes(part string) []string {
	var out []string
	n := 0
	for i := range part {
		if n >= MinPrefix && n <= MaxPrefix {
			out = append(out, part[:i])
		}
		n++
		if n > MaxPrefix {
			break
		}
	}
	return out
}

// NameTerm is one word of a name searched for, as the tokens that find it.
type NameTerm struct {
	Part   Token // the word is a whole name part
	Prefix Token // the word begins a name part (0 for a word shorter than MinPrefix)
	Sound  Token // the word sounds like a name part (0 without a phonetic key)
}

// Name returns the terms of a name searched for: one per part (see Parts).
func (h *Hasher) Name(q string) []NameTerm {
	mac := hmac.New(sha256.New, h.key)
	var out []NameTerm
	for _, part := range Parts(q) {
		t := NameTerm{Part: h.tokenWith(mac, Part, part)}
		if utf8.RuneCountInString(part) >= MinPrefix {
			pre := part
			if ps := prefixes(part + "\x00"); len(ps) > 0 {
				pre = ps[len(ps)-1] // the part itself, or its first MaxPrefix letters
			}
			t.Prefix = h.tokenWith(mac, Prefix, pre)
		}
		if s := Phonetic(part); s != "" {
			t.Sound = h.tokenWith(mac, Sound, s)
		}
		out = append(out, t)
	}
	return out
}

// PairToken returns the token of two name parts a and b (normalised, as
// Parts gives them) of the same person, in either order: a check for a
// child already registered looks up the pair of the given and family names
// it is told — a few cases — rather than every case of each name.
func (h *Hasher) PairToken(a, b string) Token {
	return h.Token(Pair, pairKey(soundOrPart(a), soundOrPart(b)))
}

// soundOrPart is what a pair is made of: a part's phonetic key, or the
// part itself when it has none.
func soundOrPart(part string) string {
	if k := Phonetic(part); k != "" {
		return k
	}
	return part
}

// pairKey joins two keys in one order, whichever order they come in.
func pairKey(a, b string) string {
	if b < a {
		a, b = b, a
	}
	return a + "\x00" + b
}

// PhoneToken returns the token of the phone number in s, and false if s
// holds fewer than seven digits.
func (h *Hasher) PhoneToken(s string) (Token, bool) {
	d := Digits(s)
	if d == "" {
		return 0, false
	}
	return h.Token(Phone, d), true
}

// BirthToken returns the token of date of birth d (YYYY-MM-DD), and false
// if d is not such a date.
func (h *Hasher) BirthToken(d string) (Token, bool) {
	if !isDate(d) {
		return 0, false
	}
	return h.Token(Birth, d), true
}

// PlaceTokens returns the tokens of the words of place p: a case is in p
// when it holds all of them.
func (h *Hasher) PlaceTokens(p string) []Token {
	var out []Token
	for _, w := range dedupe(strings.Fields(Normalise(p))) {
		out = append(out, h.Token(Place, w))
	}
	return out
}

// isDate reports whether s is written YYYY-MM-DD.
func isDate(s string) bool {
	if len(s) != 10 || s[4] != '-' || s[7] != '-' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if i != 4 && i != 7 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}
