package mail_test

import (
	"bufio"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"
)

// received is one message the test server accepted.
type received struct {
	From string   // the envelope sender
	To   []string // the envelope recipients
	Data string   // the message, as sent after DATA (dot-unstuffed)
	TLS  bool     // whether the session was encrypted
	Auth string   // the decoded AUTH PLAIN response, if any
}

// smtpd is a tiny SMTP server on 127.0.0.1: enough of RFC 5321 (EHLO, HELO,
// STARTTLS, AUTH PLAIN, MAIL, RCPT, DATA, RSET, NOOP, QUIT) for net/smtp.
type smtpd struct {
	Addr string
	ln   net.Listener
	tls  *tls.Config // offer STARTTLS when set
	wg   sync.WaitGroup

	mu     sync.Mutex
	msgs   []received
	refuse string // when set, the answer to MAIL FROM (e.g. "451 4.3.0 try later")
}

func startSMTPD(t *testing.T, tlsConf *tls.Config) *smtpd {
	t.Helper()
	return serveSMTPD(t, "127.0.0.1:0", tlsConf)
}

// startSMTPDAt starts a server on addr (of a server that was closed).
func startSMTPDAt(t *testing.T, addr string) *smtpd {
	t.Helper()
	return serveSMTPD(t, addr, nil)
}

func serveSMTPD(t *testing.T, addr string, tlsConf *tls.Config) *smtpd {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpd{Addr: ln.Addr().String(), ln: ln, tls: tlsConf}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				s.session(c)
			}()
		}
	}()
	t.Cleanup(s.Close)
	return s
}

// Close stops the server and waits for its sessions.
func (s *smtpd) Close() {
	s.ln.Close()
	s.wg.Wait()
}

func (s *smtpd) Refuse(answer string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refuse = answer
}

func (s *smtpd) Messages() []received {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]received(nil), s.msgs...)
}

func (s *smtpd) session(conn net.Conn) {
	defer func() { conn.Close() }()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	r, w := bufio.NewReader(conn), bufio.NewWriter(conn)
	say := func(lines ...string) {
		for _, l := range lines {
			w.WriteString(l + "\r\n")
		}
		w.Flush()
	}
	var cur received
	say("220 test.invalid ESMTP")
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO":
			ext := []string{"250-test.invalid", "250-8BITMIME", "250-AUTH PLAIN"}
			if s.tls != nil && !cur.TLS {
				ext = append(ext, "250-STARTTLS")
			}
			ext = append(ext, "250 SMTPUTF8")
			say(ext...)
		case "HELO", "NOOP":
			say("250 ok")
		case "RSET":
			cur = received{TLS: cur.TLS, Auth: cur.Auth}
			say("250 ok")
		case "STARTTLS":
			if s.tls == nil || cur.TLS {
				say("502 not offered")
				continue
			}
			say("220 go ahead")
			tc := tls.Server(conn, s.tls)
			if err := tc.Handshake(); err != nil {
				return
			}
			conn = tc
			r, w = bufio.NewReader(conn), bufio.NewWriter(conn)
			cur = received{TLS: true}
		case "AUTH":
			mech, resp, _ := strings.Cut(arg, " ")
			b, err := base64.StdEncoding.DecodeString(resp)
			if !strings.EqualFold(mech, "PLAIN") || err != nil {
				say("504 unsupported")
				continue
			}
			cur.Auth = string(b)
			say("235 2.7.0 authenticated")
		case "MAIL":
			s.mu.Lock()
			refuse := s.refuse
			s.mu.Unlock()
			if refuse != "" {
				say(refuse)
				continue
			}
			cur.From = envelope(arg)
			say("250 ok")
		case "RCPT":
			cur.To = append(cur.To, envelope(arg))
			say("250 ok")
		case "DATA":
			say("354 end with <CRLF>.<CRLF>")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			cur.Data = data.String()
			s.mu.Lock()
			s.msgs = append(s.msgs, cur)
			s.mu.Unlock()
			cur = received{TLS: cur.TLS, Auth: cur.Auth}
			say("250 ok queued")
		case "QUIT":
			say("221 bye")
			return
		default:
			say("502 unknown command")
		}
	}
}

// envelope returns the address in "FROM:<a> BODY=8BITMIME" or "TO:<a>".
func envelope(arg string) string {
	i, j := strings.IndexByte(arg, '<'), strings.IndexByte(arg, '>')
	if i < 0 || j < i {
		return arg
	}
	return arg[i+1 : j]
}

// selfSigned returns a server TLS config for 127.0.0.1 and a client pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test smtp"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, DNSNames: []string{"localhost"},
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true, IsCA: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}, pool
}
