package delivery

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"mime"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/smtp"
	"net/textproto"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const (
	defaultDialTimeout = 10 * time.Second
	// smtpSessionTimeout bounds a whole conversation when the caller's context has no
	// deadline, so a server that stops answering cannot hold a worker forever.
	smtpSessionTimeout = time.Minute
	// maxHeaderLine is RFC 5322's recommended line length; longer subjects are folded.
	maxHeaderLine = 78
)

// SMTPOption adjusts an SMTP sender.
type SMTPOption func(*smtpOptions)

type smtpOptions struct {
	tlsConfig   *tls.Config
	dialTimeout time.Duration
	helloName   string
}

// WithTLSConfig sets the TLS configuration used for smtps:// and STARTTLS, for instance to
// trust a private CA. Its ServerName defaults to the URL's host.
func WithTLSConfig(c *tls.Config) SMTPOption {
	return func(o *smtpOptions) { o.tlsConfig = c }
}

// WithDialTimeout bounds connecting to the server (10 s by default).
func WithDialTimeout(d time.Duration) SMTPOption {
	return func(o *smtpOptions) { o.dialTimeout = d }
}

// WithHelloName sets the name announced in EHLO ("localhost" by default); some relays
// insist on a fully qualified name.
func WithHelloName(name string) SMTPOption {
	return func(o *smtpOptions) { o.helloName = name }
}

type smtpSender struct {
	host, addr  string
	implicitTLS bool
	requireTLS  bool
	user, pass  string
	from        *mail.Address
	fromHeader  string
	opts        smtpOptions
}

// NewSMTP returns a sender that mails EMAIL messages through the server named by rawURL:
// smtp://[user:pass@]host:port, upgraded with STARTTLS when the server offers it (with
// ?starttls=required it must), or smtps://[user:pass@]host:port for implicit TLS. The port
// defaults to 587 and 465 respectively. Credentials are sent with AUTH PLAIN, which net/smtp
// allows only over TLS or to a loopback host. from is both the envelope sender and the From
// header, and may carry a display name ("Shop <no-reply@shop.example>"). Messages of other
// media are ignored.
func NewSMTP(rawURL, from string, opts ...SMTPOption) (Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Parse's error repeats the URL, password included.
		return nil, errors.New("smtp: invalid URL")
	}
	s := &smtpSender{opts: smtpOptions{dialTimeout: defaultDialTimeout, helloName: "localhost"}}
	for _, o := range opts {
		o(&s.opts)
	}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicitTLS = "465", true
	default:
		return nil, fmt.Errorf("smtp: URL scheme %q is not smtp or smtps", u.Scheme)
	}
	if u.Opaque != "" || (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("smtp: URL must be smtp://[user:pass@]host:port")
	}
	s.host = u.Hostname()
	if s.host == "" {
		return nil, errors.New("smtp: URL has no host")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("smtp: invalid port %q", p)
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	for k, v := range u.Query() {
		switch {
		case k == "starttls" && len(v) == 1 && (v[0] == "required" || v[0] == "optional"):
			s.requireTLS = v[0] == "required"
		case k == "starttls":
			return nil, errors.New("smtp: starttls must be required or optional")
		default:
			return nil, fmt.Errorf("smtp: unknown URL parameter %q", k)
		}
	}
	if s.implicitTLS && s.requireTLS {
		return nil, errors.New("smtp: starttls does not apply to smtps")
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("smtp: URL has a password but no user")
		}
	}
	if err := headerSafe("from", from); err != nil {
		return nil, err
	}
	s.from, err = mail.ParseAddress(from)
	if err != nil {
		return nil, fmt.Errorf("smtp: from address: %w", err)
	}
	s.fromHeader = s.from.String()
	if err := headerSafe("hello name", s.opts.helloName); err != nil || s.opts.helloName == "" {
		return nil, errors.New("smtp: invalid hello name")
	}
	return s, nil
}

func (s *smtpSender) String() string { return "smtp " + s.addr }

func (s *smtpSender) handles(m Message) bool { return m.Medium == mediumEmail }

// Send mails m. The conversation is bound to ctx: cancelling it aborts a stalled server.
func (s *smtpSender) Send(ctx context.Context, m Message) error {
	if !s.handles(m) {
		return nil
	}
	to, err := recipient(m.Destination)
	if err != nil {
		return permanent(err)
	}
	msg, err := s.compose(m, to)
	if err != nil {
		return permanent(err)
	}
	return s.transmit(ctx, to.Address, msg)
}

func (s *smtpSender) tlsConfig() *tls.Config {
	c := &tls.Config{MinVersion: tls.VersionTLS12}
	if s.opts.tlsConfig != nil {
		c = s.opts.tlsConfig.Clone()
	}
	if c.ServerName == "" {
		c.ServerName = s.host
	}
	return c
}

func (s *smtpSender) dial(ctx context.Context) (net.Conn, error) {
	d := &net.Dialer{Timeout: s.opts.dialTimeout}
	if s.implicitTLS {
		return (&tls.Dialer{NetDialer: d, Config: s.tlsConfig()}).DialContext(ctx, "tcp", s.addr)
	}
	return d.DialContext(ctx, "tcp", s.addr)
}

func (s *smtpSender) transmit(ctx context.Context, rcpt string, msg []byte) error {
	conn, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("smtp: connect to %s: %w", s.addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(smtpSessionTimeout)
	}
	_ = conn.SetDeadline(deadline)
	// net/smtp takes no context; expiring the connection's deadline unblocks it.
	stop := context.AfterFunc(ctx, func() { _ = conn.SetDeadline(time.Unix(1, 0)) })
	defer stop()

	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return s.fail(ctx, "greeting", err)
	}
	defer c.Close()
	if err := c.Hello(s.opts.helloName); err != nil {
		return s.fail(ctx, "EHLO", err)
	}
	if !s.implicitTLS {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(s.tlsConfig()); err != nil {
				return s.fail(ctx, "STARTTLS", err)
			}
		} else if s.requireTLS {
			return permanent(fmt.Errorf("smtp: %s does not offer STARTTLS, which the URL requires", s.addr))
		}
	}
	if s.user != "" {
		if ok, _ := c.Extension("AUTH"); !ok {
			return permanent(fmt.Errorf("smtp: %s does not offer AUTH", s.addr))
		}
		if err := c.Auth(smtp.PlainAuth("", s.user, s.pass, s.host)); err != nil {
			// Besides 5xx replies, net/smtp refuses to send a password in clear text;
			// neither improves on retry.
			return permanent(fmt.Errorf("smtp: AUTH: %w", err))
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return s.fail(ctx, "MAIL FROM", err)
	}
	if err := c.Rcpt(rcpt); err != nil {
		return s.fail(ctx, "RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if _, err := w.Write(msg); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	if err := w.Close(); err != nil {
		return s.fail(ctx, "DATA", err)
	}
	// The message is accepted once DATA ends; a failed QUIT must not cause a resend.
	_ = c.Quit()
	return nil
}

// fail names the step that failed and marks 5xx replies permanent, since the server has
// said a retry would be refused too.
func (s *smtpSender) fail(ctx context.Context, step string, err error) error {
	if ctx.Err() != nil {
		err = fmt.Errorf("%w: %w", context.Cause(ctx), err)
	} else if d, ok := ctx.Deadline(); ok && !time.Now().Before(d) {
		// The connection shares ctx's deadline and may notice it before ctx does.
		err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
	}
	err = fmt.Errorf("smtp: %s: %w", step, err)
	var te *textproto.Error
	if errors.As(err, &te) && te.Code >= 500 {
		return permanent(err)
	}
	return err
}

// recipient accepts a bare addr-spec only: a display name or angle brackets would mean the
// stored attribute is not what it claims to be, and the envelope needs the plain address.
func recipient(dest string) (*mail.Address, error) {
	if err := headerSafe("destination", dest); err != nil {
		return nil, err
	}
	a, err := mail.ParseAddress(dest)
	if err != nil || a.Name != "" || a.Address != dest {
		// The address itself stays out of the error, which ends up in logs.
		return nil, errors.New("smtp: destination is not a plain e-mail address")
	}
	return a, nil
}

// headerSafe refuses control characters in what becomes a header line, CR and LF above all:
// they would let a value add headers (Bcc:) or end the header block.
func headerSafe(what, v string) error {
	for _, r := range v {
		if (r < 0x20 && r != '\t') || r == 0x7f {
			return fmt.Errorf("smtp: %s contains a control character", what)
		}
	}
	return nil
}

func defaultSubject(kind string) string {
	if kind == "INVITATION" {
		return "Your temporary password"
	}
	return "Your verification code"
}

// compose builds the RFC 5322 message. The body is quoted-printable so that any UTF-8 text
// and long lines survive servers without 8BITMIME.
func (s *smtpSender) compose(m Message, to *mail.Address) ([]byte, error) {
	subject := m.Subject
	if subject == "" {
		subject = defaultSubject(m.Kind)
	}
	if err := headerSafe("subject", subject); err != nil {
		return nil, err
	}
	date := m.Time
	if date.IsZero() {
		date = time.Now()
	}
	var b bytes.Buffer
	writeHeader(&b, "From", s.fromHeader)
	writeHeader(&b, "To", to.String())
	writeHeader(&b, "Subject", mime.QEncoding.Encode("UTF-8", subject))
	writeHeader(&b, "Date", date.Format(time.RFC1123Z))
	writeHeader(&b, "Message-ID", s.messageID())
	// RFC 3834: tells vacation responders not to answer a machine.
	writeHeader(&b, "Auto-Submitted", "auto-generated")
	writeHeader(&b, "MIME-Version", "1.0")
	writeHeader(&b, "Content-Type", "text/plain; charset=UTF-8")
	writeHeader(&b, "Content-Transfer-Encoding", "quoted-printable")
	b.WriteString("\r\n")
	qp := quotedprintable.NewWriter(&b)
	if _, err := qp.Write([]byte(m.Body)); err != nil {
		return nil, err
	}
	if err := qp.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// messageID is random rather than derived from the outbox id, which restarts with every
// memory-mode pool and would collide in recipients' threads.
func (s *smtpSender) messageID() string {
	domain := s.from.Address[strings.LastIndexByte(s.from.Address, '@')+1:]
	return "<" + hex.EncodeToString(randomBytes(16)) + "@" + domain + ">"
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails
	return b
}

// writeHeader folds at spaces so lines stay within maxHeaderLine; unfolding restores the
// original value because each fold keeps the space it breaks at. The first word may go to
// a line of its own: an encoded word is up to 75 characters and would not fit after the
// name.
func writeHeader(b *bytes.Buffer, name, value string) {
	b.WriteString(name)
	b.WriteString(":")
	line := len(name) + 1
	for _, word := range strings.Split(value, " ") {
		if line+1+len(word) > maxHeaderLine && line > 1 {
			b.WriteString("\r\n")
			line = 0
		}
		b.WriteString(" ")
		b.WriteString(word)
		line += 1 + len(word)
	}
	b.WriteString("\r\n")
}
