// Package mail sends e-mail notifications through a configured SMTP server
// (optional, off by default). A mail says only that there is a new
// notification of a kind and links to the notifications page: never a case
// code, a name, a case ID or any case content, so that nothing of a case
// crosses an outside mail server or sits in an inbox. Mails are delivered
// from the outbox table, so that nothing is lost while the server is down.
package mail

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	netmail "net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/safecase/safecase/internal/i18n"
	"github.com/safecase/safecase/internal/notify"
)

// ErrHeader reports an address or header value that would break the
// message's headers (a CR, LF or other control character: header injection).
var ErrHeader = errors.New("mail: control character in an address or header")

// Message is one plain-text mail.
type Message struct {
	From    string // "Name <addr>" or "addr"
	To      string // an address only
	Subject string
	Body    string // lines separated by \n or \r\n
	Date    time.Time
	ID      string // Message-ID without the angle brackets; made up when empty
}

// hasControl reports whether s holds a control character (CR and LF among them).
func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// ParseAddress checks one address (with an optional display name when
// named is true) and returns it parsed. It refuses control characters,
// invalid UTF-8 and anything net/mail cannot parse.
func ParseAddress(s string, named bool) (*netmail.Address, error) {
	if hasControl(s) {
		return nil, ErrHeader
	}
	if !utf8.ValidString(s) {
		return nil, fmt.Errorf("mail: address is not valid UTF-8")
	}
	a, err := netmail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("mail: not an e-mail address: %w", err)
	}
	if !named && a.Name != "" {
		return nil, fmt.Errorf("mail: give the address alone, without a name")
	}
	if hasControl(a.Address) || hasControl(a.Name) || !strings.Contains(a.Address, "@") {
		return nil, ErrHeader
	}
	return a, nil
}

// domainOf returns the domain part of addr, for the Message-ID.
func domainOf(addr string) string {
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		d := addr[i+1:]
		if !strings.ContainsAny(d, "<>[]\"\\ ") {
			return d
		}
	}
	return "safecase.invalid"
}

// maxHeader bounds the From, To and Subject given to Compose, so that no
// header line nears RFC 5322's limit of 998 characters even once encoded.
const maxHeader = 200

// Compose returns m as an RFC 5322 message: CRLF line ends, the headers
// Date, From, To, Subject, Message-ID, MIME-Version, Content-Type
// (text/plain; charset=utf-8), Content-Transfer-Encoding (quoted-printable)
// and Auto-Submitted, the subject encoded as RFC 2047 words when it is not
// plain ASCII. An address with a control character is refused with
// ErrHeader.
func Compose(m Message) ([]byte, error) {
	if len(m.From) > maxHeader || len(m.To) > maxHeader || len(m.Subject) > maxHeader {
		return nil, fmt.Errorf("mail: an address or the subject is longer than %d bytes", maxHeader)
	}
	from, err := ParseAddress(m.From, true)
	if err != nil {
		return nil, fmt.Errorf("from: %w", err)
	}
	to, err := ParseAddress(m.To, false)
	if err != nil {
		return nil, fmt.Errorf("to: %w", err)
	}
	if !utf8.ValidString(m.Subject) || !utf8.ValidString(m.Body) {
		return nil, fmt.Errorf("mail: subject or body is not valid UTF-8")
	}
	id := m.ID
	if id == "" {
		b := make([]byte, 16)
		rand.Read(b)
		id = hex.EncodeToString(b) + "@" + domainOf(from.Address)
	}
	if hasControl(id) || strings.ContainsAny(id, "<> ") {
		return nil, ErrHeader
	}
	date := m.Date
	if date.IsZero() {
		date = time.Now()
	}
	var b bytes.Buffer
	header := func(name, value string) { b.WriteString(name + ": " + value + "\r\n") }
	header("Date", date.Format(time.RFC1123Z))
	header("From", from.String()) // net/mail quotes or RFC 2047-encodes the name
	header("To", (&netmail.Address{Address: to.Address}).String())
	// QEncoding encodes any control character, so a subject cannot add a
	// header; long subjects are split into words folded with CRLF + space.
	header("Subject", mime.QEncoding.Encode("utf-8", strings.Join(strings.Fields(m.Subject), " ")))
	header("Message-ID", "<"+id+">")
	header("MIME-Version", "1.0")
	header("Content-Type", "text/plain; charset=utf-8")
	header("Content-Transfer-Encoding", "quoted-printable")
	header("Auto-Submitted", "auto-generated")
	b.WriteString("\r\n")
	// The quoted-printable writer turns every line break (\n, \r or \r\n)
	// into CRLF and encodes what a mail server might mangle.
	qp := quotedprintable.NewWriter(&b)
	qp.Write([]byte(m.Body))
	if err := qp.Close(); err != nil {
		return nil, err
	}
	if !bytes.HasSuffix(b.Bytes(), []byte("\r\n")) {
		b.WriteString("\r\n")
	}
	return b.Bytes(), nil
}

// The English wording of the mail. (The kind's text comes from the message
// catalog; these lines are the same for every kind.)
const (
	subjectText = "SafeCase: you have a new notification"
	introText   = "You have a new notification in SafeCase:"
	linkText    = "Sign in to read it:"
	footerText  = "This message holds no case information. Do not reply: this address is not read."
)

// revealing are the kinds whose words say what happened to someone (sexual
// violence, a child unsafe, an incident to report): a mail passes through
// servers outside the deployment, so it says only that something needs
// attention; the words stay on the notifications page.
var revealing = map[notify.Kind]bool{notify.MedicalReferral: true, notify.Unsafe: true, notify.ClosedConcerns: true,
	notify.MandatoryReport: true, notify.MandatoryDecided: true, notify.Urgent: true}

// KindText is the catalog's text for kind (as on the notifications page),
// or a neutral line when the catalog has none or the kind's words reveal
// what happened to someone.
func KindText(cat *i18n.Catalog, kind notify.Kind) string {
	if revealing[kind] {
		return "Something on a case needs your attention"
	}
	loc := cat.Locale(i18n.Fallback)
	if key := "notify." + string(kind); loc.Has(key) {
		return loc.T(key)
	}
	return "A new notification"
}

// Notification returns the subject and body of the mail for a notification
// of kind: the kind's text and the link baseURL + "/notifications". It
// takes the kind alone, so it cannot put case content in a mail.
func Notification(cat *i18n.Catalog, kind notify.Kind, baseURL string) (subject, body string) {
	link := strings.TrimRight(baseURL, "/") + "/notifications"
	body = introText + "\n\n  " + KindText(cat, kind) + "\n\n" + linkText + "\n" + link + "\n\n-- \n" + footerText + "\n"
	return subjectText, body
}
