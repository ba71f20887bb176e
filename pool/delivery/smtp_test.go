package delivery

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

const testFrom = "Shop <no-reply@shop.example>"

func testEmail() Message {
	return Message{
		ID: 7, Pool: "us-east-1_AbCdEfGhI", Username: "bob", Destination: "bob@example.com",
		Medium: "EMAIL", Kind: "SIGNUP", Code: "482913",
		Subject: "Código de verificação",
		Body:    "Olá bob,\nyour verification code is 482913.\nÜber-long line " + strings.Repeat("ünïcödé ", 20) + "end.",
		Time:    time.Date(2026, 3, 4, 5, 6, 7, 0, time.FixedZone("CET", 3600)),
	}
}

func newTestSMTP(t *testing.T, rawURL string, opts ...SMTPOption) Sender {
	t.Helper()
	s, err := NewSMTP(rawURL, testFrom, append([]SMTPOption{WithDialTimeout(2 * time.Second)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func sendNow(t *testing.T, s Sender, m Message) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	return s.Send(ctx, m)
}

// onlySession returns the single session a test expects, which must have carried a message.
func onlySession(t *testing.T, srv *smtpServer) smtpSession {
	t.Helper()
	sessions := srv.Sessions()
	if len(sessions) != 1 {
		t.Fatalf("server saw %d sessions, want 1", len(sessions))
	}
	if sessions[0].Data == "" {
		t.Fatalf("session carried no message: %+v", sessions[0])
	}
	return sessions[0]
}

func TestSMTPSendsMessage(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{auth: true})
	m := testEmail()
	if err := sendNow(t, newTestSMTP(t, "smtp://mailer:p%40ss@"+srv.Addr), m); err != nil {
		t.Fatal(err)
	}
	sess := onlySession(t, srv)
	if sess.AuthUser != "mailer" || sess.AuthPass != "p@ss" {
		t.Errorf("AUTH PLAIN credentials = %q, %q; want mailer, p@ss", sess.AuthUser, sess.AuthPass)
	}
	if sess.Hello != "localhost" {
		t.Errorf("EHLO %q, want localhost", sess.Hello)
	}
	if sess.From != "no-reply@shop.example" || !slices.Equal(sess.To, []string{"bob@example.com"}) {
		t.Errorf("envelope from %q to %q", sess.From, sess.To)
	}

	for i, line := range strings.Split(sess.Data, "\n") {
		if len(line) > maxHeaderLine {
			t.Errorf("line %d is %d long: %q", i, len(line), line)
		}
		for _, r := range line {
			if r > 0x7e {
				t.Fatalf("line %d is not 7-bit: %q", i, line)
			}
		}
	}

	msg, err := mail.ReadMessage(strings.NewReader(sess.Data))
	if err != nil {
		t.Fatal(err)
	}
	h := msg.Header
	if from, err := mail.ParseAddress(h.Get("From")); err != nil || from.Name != "Shop" || from.Address != "no-reply@shop.example" {
		t.Errorf("From: %q (%v)", h.Get("From"), err)
	}
	if to, err := mail.ParseAddress(h.Get("To")); err != nil || to.Address != "bob@example.com" {
		t.Errorf("To: %q (%v)", h.Get("To"), err)
	}
	raw := h.Get("Subject")
	if !strings.HasPrefix(raw, "=?UTF-8?q?") {
		t.Errorf("Subject is not RFC 2047 encoded: %q", raw)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || subject != m.Subject {
		t.Errorf("Subject decodes to %q (%v), want %q", subject, err, m.Subject)
	}
	if date, err := h.Date(); err != nil || !date.Equal(m.Time) {
		t.Errorf("Date: %q = %v (%v), want %v", h.Get("Date"), date, err, m.Time)
	}
	if id := h.Get("Message-ID"); !regexp.MustCompile(`^<[0-9a-f]{32}@shop\.example>$`).MatchString(id) {
		t.Errorf("Message-ID: %q", id)
	}
	for k, want := range map[string]string{
		"MIME-Version":              "1.0",
		"Content-Type":              "text/plain; charset=UTF-8",
		"Content-Transfer-Encoding": "quoted-printable",
		"Auto-Submitted":            "auto-generated",
	} {
		if got := h.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	// SMTP ends the data with a line break the body did not have.
	text := strings.TrimSuffix(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	if !strings.Contains(text, m.Code) || text != m.Body {
		t.Errorf("decoded body %q, want %q", text, m.Body)
	}
}

func TestSMTPDefaultSubjectAndFoldedLongSubject(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{})
	s := newTestSMTP(t, "smtp://"+srv.Addr)
	long := strings.Repeat("Vérifiez votre adresse électronique ", 6)
	for _, c := range []struct{ kind, subject, want string }{
		{"SIGNUP", "", "Your verification code"},
		{"INVITATION", "", "Your temporary password"},
		{"SIGNUP", long, long},
		{"SIGNUP", strings.Repeat("plain words ", 20), strings.Repeat("plain words ", 20)},
	} {
		m := testEmail()
		m.Kind, m.Subject = c.kind, c.subject
		if err := sendNow(t, s, m); err != nil {
			t.Fatal(err)
		}
	}
	wants := []string{"Your verification code", "Your temporary password", long, strings.Repeat("plain words ", 20)}
	sessions := srv.Sessions()
	if len(sessions) != len(wants) {
		t.Fatalf("%d sessions, want %d", len(sessions), len(wants))
	}
	var got []string
	for _, sess := range sessions {
		header, _, _ := strings.Cut(sess.Data, "\n\n")
		for _, line := range strings.Split(header, "\n") {
			if len(line) > maxHeaderLine {
				t.Errorf("header line is %d long: %q", len(line), line)
			}
		}
		msg, err := mail.ReadMessage(strings.NewReader(sess.Data))
		if err != nil {
			t.Fatal(err)
		}
		subject, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, strings.TrimSpace(subject))
	}
	// Header parsing trims the trailing space the repeated phrases end with.
	for i := range wants {
		wants[i] = strings.TrimSpace(wants[i])
	}
	slices.Sort(got)
	slices.Sort(wants)
	if !slices.Equal(got, wants) {
		t.Errorf("subjects %q, want %q", got, wants)
	}
}

func TestSMTPServerErrors(t *testing.T) {
	for _, c := range []struct {
		step, reply string
		permanent   bool
	}{
		{"GREET", "554 5.3.2 go away", true},
		{"MAIL", "553 5.1.8 sender rejected", true},
		{"RCPT", "550 5.1.1 no such user", true},
		{"DATA", "554 5.5.1 no valid recipients", true},
		{"END", "552 5.3.4 message too big", true},
		{"RCPT", "451 4.3.0 try again later", false},
		{"END", "421 4.4.2 timeout", false},
	} {
		t.Run(c.step+" "+c.reply[:3], func(t *testing.T) {
			srv := startSMTPServer(t, &smtpServer{replies: map[string]string{c.step: c.reply}})
			m := testEmail()
			err := sendNow(t, newTestSMTP(t, "smtp://"+srv.Addr), m)
			if err == nil {
				t.Fatal("Send succeeded against a refusing server")
			}
			if isPermanent(err) != c.permanent {
				t.Errorf("permanent = %v, want %v (%v)", isPermanent(err), c.permanent, err)
			}
			if strings.Contains(err.Error(), m.Code) {
				t.Errorf("error reveals the code: %v", err)
			}
		})
	}
}

func TestSMTPAuthRejected(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{auth: true, replies: map[string]string{"AUTH": "535 5.7.8 bad credentials"}})
	err := sendNow(t, newTestSMTP(t, "smtp://mailer:wrong@"+srv.Addr), testEmail())
	if err == nil || !isPermanent(err) {
		t.Fatalf("Send = %v, want a permanent error", err)
	}
	if strings.Contains(err.Error(), "wrong") {
		t.Errorf("error reveals the password: %v", err)
	}
	if sess := srv.Sessions(); len(sess) != 1 || sess[0].Data != "" {
		t.Errorf("a message went out after AUTH failed: %+v", sess)
	}
}

func TestSMTPNoAuthOffered(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{})
	if err := sendNow(t, newTestSMTP(t, "smtp://mailer:pw@"+srv.Addr), testEmail()); err == nil {
		t.Fatal("Send with credentials succeeded against a server without AUTH")
	}
}

func TestSMTPS(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	srv := startSMTPServer(t, &smtpServer{tlsConfig: serverTLS, implicit: true, auth: true})
	s := newTestSMTP(t, "smtps://mailer:secret@"+srv.Addr, WithTLSConfig(&tls.Config{RootCAs: roots}))
	if err := sendNow(t, s, testEmail()); err != nil {
		t.Fatal(err)
	}
	sess := onlySession(t, srv)
	if !sess.TLS || sess.AuthUser != "mailer" || sess.AuthPass != "secret" {
		t.Errorf("session TLS=%v auth=%q/%q", sess.TLS, sess.AuthUser, sess.AuthPass)
	}
	if !strings.Contains(sess.Data, "482913") {
		t.Error("message data lacks the code")
	}
}

func TestSMTPSUntrustedCertificate(t *testing.T) {
	serverTLS, _ := selfSigned(t)
	srv := startSMTPServer(t, &smtpServer{tlsConfig: serverTLS, implicit: true, auth: true})
	err := sendNow(t, newTestSMTP(t, "smtps://mailer:secret@"+srv.Addr), testEmail())
	var unknown x509.UnknownAuthorityError
	if err == nil || !errors.As(err, &unknown) {
		t.Fatalf("Send = %v, want an unknown-authority error", err)
	}
	for _, sess := range srv.Sessions() {
		if sess.AuthPass != "" {
			t.Error("credentials reached an unverified server")
		}
	}
}

func TestSMTPStartTLS(t *testing.T) {
	serverTLS, roots := selfSigned(t)
	for _, rawURL := range []string{"smtp://mailer:secret@%s", "smtp://mailer:secret@%s?starttls=required"} {
		srv := startSMTPServer(t, &smtpServer{tlsConfig: serverTLS, auth: true})
		s := newTestSMTP(t, strings.Replace(rawURL, "%s", srv.Addr, 1), WithTLSConfig(&tls.Config{RootCAs: roots}))
		if err := sendNow(t, s, testEmail()); err != nil {
			t.Fatal(err)
		}
		if sess := onlySession(t, srv); !sess.TLS || sess.AuthPass != "secret" {
			t.Errorf("%s: session TLS=%v auth=%q", rawURL, sess.TLS, sess.AuthPass)
		}
	}
}

func TestSMTPStartTLSRequiredButMissing(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{auth: true})
	err := sendNow(t, newTestSMTP(t, "smtp://mailer:secret@"+srv.Addr+"?starttls=required"), testEmail())
	if err == nil || !isPermanent(err) {
		t.Fatalf("Send = %v, want a permanent error", err)
	}
	if sess := srv.Sessions(); len(sess) != 1 || sess[0].AuthPass != "" || sess[0].From != "" {
		t.Errorf("session went on without TLS: %+v", sess)
	}
}

func TestSMTPIgnoresSMS(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{})
	m := testEmail()
	m.Medium, m.Destination = "SMS", "+15555550100"
	if err := sendNow(t, newTestSMTP(t, "smtp://"+srv.Addr), m); err != nil {
		t.Fatal(err)
	}
	if sess := srv.Sessions(); len(sess) != 0 {
		t.Errorf("an SMS message opened %d SMTP sessions", len(sess))
	}
}

func TestSMTPRefusesHeaderInjection(t *testing.T) {
	srv := startSMTPServer(t, &smtpServer{})
	s := newTestSMTP(t, "smtp://"+srv.Addr)
	for _, c := range []struct{ subject, dest string }{
		{"Hello\r\nBcc: victim@example.org", "bob@example.com"},
		{"Hello\nBcc: victim@example.org", "bob@example.com"},
		{"Hello\rBcc: victim@example.org", "bob@example.com"},
		{"Hello\r\n\r\nfake body", "bob@example.com"},
		{"Hello\x00", "bob@example.com"},
		{"Hello", "bob@example.com\r\nBcc: victim@example.org"},
		{"Hello", "bob@example.com\nBcc: victim@example.org"},
		{"Hello", "bob@example.com,victim@example.org"},
		{"Hello", "Bob <bob@example.com>"},
		{"Hello", "<bob@example.com>"},
		{"Hello", "not an address"},
		{"Hello", ""},
	} {
		m := testEmail()
		m.Subject, m.Destination = c.subject, c.dest
		err := sendNow(t, s, m)
		if err == nil || !isPermanent(err) {
			t.Errorf("subject %q, destination %q: Send = %v, want a permanent error", c.subject, c.dest, err)
		}
	}
	if sess := srv.Sessions(); len(sess) != 0 {
		t.Errorf("refused messages still opened %d sessions", len(sess))
	}
	for _, from := range []string{"no-reply@shop.example\r\nBcc: victim@example.org", "Shop\n <no-reply@shop.example>", "not an address"} {
		if _, err := NewSMTP("smtp://127.0.0.1:25", from); err == nil {
			t.Errorf("NewSMTP accepted from %q", from)
		}
	}
}

func TestNewSMTPURL(t *testing.T) {
	for _, c := range []struct {
		url, addr string
	}{
		{"smtp://mail.example.com", "mail.example.com:587"},
		{"smtps://mail.example.com", "mail.example.com:465"},
		{"smtp://u:p@mail.example.com:25?starttls=required", "mail.example.com:25"},
		{"smtp://mail.example.com:2525/?starttls=optional", "mail.example.com:2525"},
		{"smtps://[::1]:465", "[::1]:465"},
	} {
		s, err := NewSMTP(c.url, "no-reply@shop.example")
		if err != nil {
			t.Errorf("NewSMTP(%q): %v", c.url, err)
			continue
		}
		if got := s.(*smtpSender).addr; got != c.addr {
			t.Errorf("NewSMTP(%q) dials %q, want %q", c.url, got, c.addr)
		}
		if str := s.(*smtpSender).String(); strings.Contains(str, "p@") {
			t.Errorf("String() reveals credentials: %q", str)
		}
	}
	for _, bad := range []string{
		"", "mail.example.com:25", "http://mail.example.com", "smtp://", "smtp://:25",
		"smtp://mail.example.com:0", "smtp://mail.example.com:99999", "smtp://mail.example.com:x",
		"smtp://mail.example.com?starttls=maybe", "smtp://mail.example.com?starttls=required&starttls=optional",
		"smtp://mail.example.com?tls=1", "smtps://mail.example.com?starttls=required",
		"smtp://mail.example.com/inbox", "smtp://:secretpw@mail.example.com", "smtp://u:secretpw@mail.example.com:%zz",
	} {
		_, err := NewSMTP(bad, "no-reply@shop.example")
		if err == nil {
			t.Errorf("NewSMTP(%q) succeeded", bad)
		} else if strings.Contains(err.Error(), "secretpw") {
			t.Errorf("NewSMTP(%q) error reveals the password: %v", bad, err)
		}
	}
}

func TestSMTPHonoursContext(t *testing.T) {
	// A server that accepts and never greets.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
		}
	}()
	s := newTestSMTP(t, "smtp://"+ln.Addr().String())
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = s.Send(ctx, testEmail())
	if err == nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Send = %v, want a deadline error", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Send took %v after its context ended", d)
	}
}

// FuzzCompose checks that no subject, body or destination can add a header or alter the
// body's meaning.
func FuzzCompose(f *testing.F) {
	f.Add("Código de verificação", "Olá, your code is 123456.\n", "bob@example.com")
	f.Add("Hi\r\nBcc: x@y.z", "a\r\n.\r\nMAIL FROM:<x@y.z>\r\n", "bob@example.com")
	f.Add(strings.Repeat("long subject ", 12), "=?UTF-8?q?x?=\r", "a.b+c@sub.example.co.uk")
	s, err := NewSMTP("smtp://127.0.0.1:25", testFrom)
	if err != nil {
		f.Fatal(err)
	}
	sender := s.(*smtpSender)
	want := []string{"Auto-Submitted", "Content-Transfer-Encoding", "Content-Type", "Date", "From", "Message-Id", "Mime-Version", "Subject", "To"}
	f.Fuzz(func(t *testing.T, subject, body, dest string) {
		to, err := recipient(dest)
		if err != nil {
			return
		}
		if strings.ContainsAny(dest, "\r\n") {
			t.Fatalf("recipient accepted %q", dest)
		}
		raw, err := sender.compose(Message{Subject: subject, Body: body, Kind: "SIGNUP"}, to)
		if err != nil {
			if !strings.ContainsFunc(subject, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
				t.Fatalf("compose refused subject %q: %v", subject, err)
			}
			return
		}
		msg, err := mail.ReadMessage(strings.NewReader(string(raw)))
		if err != nil {
			t.Fatalf("composed message does not parse: %v\n%s", err, raw)
		}
		var keys []string
		for k, v := range msg.Header {
			if len(v) != 1 {
				t.Errorf("header %s appears %d times", k, len(v))
			}
			keys = append(keys, k)
		}
		slices.Sort(keys)
		if !slices.Equal(keys, want) {
			t.Fatalf("headers %q, want %q", keys, want)
		}
		if got, err := mail.ParseAddress(msg.Header.Get("To")); err != nil || got.Address != dest {
			t.Errorf("To %q, want %q", msg.Header.Get("To"), dest)
		}
		decoded, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
		if err != nil {
			t.Fatal(err)
		}
		norm := strings.NewReplacer("\r\n", "\n", "\r", "\n")
		if norm.Replace(string(decoded)) != norm.Replace(body) {
			t.Errorf("body %q decodes to %q", body, decoded)
		}
	})
}
