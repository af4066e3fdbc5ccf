package search

import "strings"

// Phonetic returns the phonetic key of one normalised name part (see
// Normalise), or "" for a part too short to have a useful one or written
// in a script the key does not know.
//
// The key is built for the names a humanitarian caseload holds, written
// down by different people in different languages: Arabic, Somali,
// Swahili, Hausa, French-speaking West Africa, Dari and Pashto, Vietnamese,
// Spanish, English. English Soundex and Metaphone would keep apart names
// that are one name spelt after French, English or Arabic habits. So:
//
//   - vowels are not written (short vowels are not written in Arabic
//     script either, and vowels are where transcriptions differ most:
//     Mohammed, Muhammad, Mohamed, Mouhamad); a word that starts with a
//     vowel keeps one mark for it (Aisha, Aïcha, Ayesha → AS), and "y" is a
//     vowel (Youssef, Yusuf);
//   - letters and digraphs that transcribe one sound meet: sh, ch, sch,
//     tch, s and z (Aicha, Aisha; Aziz, Asis); kh, gh, q, k, g and a hard c
//     (Khadija, Kadija; Qasim, Kasim, Gasim); d, t, th and dh (Ahmed,
//     Ahmat); b and p (Ibrahim, Iprahim); f, v, ph, w and an initial "ou"
//     before a vowel (Wasim, Vasim; Ouedraogo, Wedraogo); j, dj and zh
//     (Djamila, Jamila);
//   - a doubled letter is one (Hassan, Hasan), and an "h" counts only at
//     the start, between vowels and in a word written without vowels
//     (Fatimah, Fatima; Ahmed, Amed; محمد, Muhammad);
//   - "gu" and "qu" before a vowel are one sound (Guillaume, Quentin).
//
// Nguyen and the common slip Ngyuen both give NKN.
func Phonetic(part string) string {
	w := part
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return ""
		}
	}
	bare := strings.IndexAny(w, "aeiouy") < 0 // written without vowels, as Arabic script is
	var out []byte
	prev := byte(0) // the last class written, 0 after a vowel
	emit := func(c byte) {
		if c != prev {
			out = append(out, c)
		}
		prev = c
	}
	vowel := func(i int) bool { return i >= 0 && i < len(w) && strings.IndexByte("aeiouy", w[i]) >= 0 }
	at := func(i int, s string) bool { return strings.HasPrefix(w[i:], s) }
	for i := 0; i < len(w); {
		c := w[i]
		switch {
		case i == 0 && at(0, "ou") && vowel(2):
			emit('F')
			i += 2
		case vowel(i):
			if i == 0 {
				emit('A')
			}
			prev = 0
			i++
		case at(i, "sch") || at(i, "tch"):
			emit('S')
			i += 3
		case at(i, "sh") || at(i, "ch"):
			emit('S')
			i += 2
		case at(i, "kh") || at(i, "gh") || at(i, "ck"):
			emit('K')
			i += 2
		case at(i, "ph"):
			emit('F')
			i += 2
		case at(i, "th") || at(i, "dh"):
			emit('T')
			i += 2
		case at(i, "zh") || at(i, "dj"):
			emit('J')
			i += 2
		case (c == 'g' || c == 'q') && i+2 < len(w) && w[i+1] == 'u' && vowel(i+2):
			emit('K')
			i += 2
		case c == 'c':
			if i+1 < len(w) && strings.IndexByte("eiy", w[i+1]) >= 0 {
				emit('S')
			} else {
				emit('K')
			}
			i++
		case c == 'x':
			emit('K')
			emit('S')
			i++
		case c == 'h':
			if i == 0 || bare || vowel(i-1) && vowel(i+1) {
				emit('H')
			}
			i++
		default:
			emit(class[c])
			i++
		}
	}
	if len(out) < 2 {
		return ""
	}
	return string(out)
}

// class is the sound class of a single consonant.
var class = [256]byte{
	'b': 'P', 'p': 'P', 'f': 'F', 'v': 'F', 'w': 'F', 'd': 'T', 't': 'T', 'g': 'K', 'k': 'K', 'q': 'K',
	'j': 'J', 's': 'S', 'z': 'S', 'l': 'L', 'r': 'R', 'm': 'M', 'n': 'N',
}
