package delivery

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/base64"
	"math/big"
	"net"
	"net/textproto"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpSession is what the test server saw on one connection.
type smtpSession struct {
	TLS                bool
	Hello              string
	AuthUser, AuthPass string
	From               string
	To                 []string
	Data               string // dot-decoded, with \n line endings
}

// smtpServer speaks just enough SMTP for net/smtp: EHLO, optional STARTTLS, AUTH PLAIN,
// MAIL, RCPT, DATA and QUIT.
type smtpServer struct {
	Addr string

	tlsConfig *tls.Config // with implicit false: offered through STARTTLS
	implicit  bool
	auth      bool
	// replies overrides the answer to a step: GREET, AUTH, MAIL, RCPT, DATA, or END (the
	// end of the message data).
	replies map[string]string

	ln       net.Listener
	wg       sync.WaitGroup
	once     sync.Once
	mu       sync.Mutex
	sessions []smtpSession
}

func startSMTPServer(t *testing.T, s *smtpServer) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s.implicit {
		ln = tls.NewListener(ln, s.tlsConfig)
	}
	s.ln, s.Addr = ln, ln.Addr().String()
	s.wg.Go(func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.wg.Go(func() { s.serve(conn) })
		}
	})
	t.Cleanup(func() { s.stop() })
	return s
}

func (s *smtpServer) stop() {
	s.once.Do(func() { s.ln.Close() })
	s.wg.Wait()
}

// Sessions stops the server, waits for open connections to end and returns what they did.
func (s *smtpServer) Sessions() []smtpSession {
	s.stop()
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sessions
}

func (s *smtpServer) serve(conn net.Conn) {
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	var sess smtpSession
	defer func() {
		s.mu.Lock()
		s.sessions = append(s.sessions, sess)
		s.mu.Unlock()
	}()
	if tc, ok := conn.(*tls.Conn); ok {
		if tc.Handshake() != nil {
			return
		}
		sess.TLS = true
	}
	tp := textproto.NewConn(conn)
	reply := func(step, def string) bool {
		r := def
		if o, ok := s.replies[step]; ok {
			r = o
		}
		_ = tp.PrintfLine("%s", r)
		return r[0] == '2' || r[0] == '3'
	}
	if !reply("GREET", "220 mx.test ESMTP") {
		return
	}
	for {
		line, err := tp.ReadLine()
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		switch strings.ToUpper(verb) {
		case "EHLO", "HELO":
			sess.Hello = arg
			ext := []string{"mx.test"}
			if s.tlsConfig != nil && !s.implicit && !sess.TLS {
				ext = append(ext, "STARTTLS")
			}
			if s.auth {
				ext = append(ext, "AUTH PLAIN")
			}
			ext = append(ext, "8BITMIME")
			for i, e := range ext {
				sep := "-"
				if i == len(ext)-1 {
					sep = " "
				}
				_ = tp.PrintfLine("250%s%s", sep, e)
			}
		case "STARTTLS":
			_ = tp.PrintfLine("220 2.0.0 ready")
			tc := tls.Server(conn, s.tlsConfig)
			if tc.Handshake() != nil {
				return
			}
			tp, sess.TLS = textproto.NewConn(tc), true
		case "AUTH":
			mech, ir, _ := strings.Cut(arg, " ")
			raw, err := base64.StdEncoding.DecodeString(ir)
			parts := strings.Split(string(raw), "\x00")
			if mech != "PLAIN" || err != nil || len(parts) != 3 {
				_ = tp.PrintfLine("501 5.5.2 bad AUTH")
				continue
			}
			sess.AuthUser, sess.AuthPass = parts[1], parts[2]
			reply("AUTH", "235 2.7.0 authenticated")
		case "MAIL":
			sess.From = envelopeAddress(arg)
			reply("MAIL", "250 2.1.0 ok")
		case "RCPT":
			sess.To = append(sess.To, envelopeAddress(arg))
			reply("RCPT", "250 2.1.5 ok")
		case "DATA":
			if !reply("DATA", "354 end with <CRLF>.<CRLF>") {
				continue
			}
			data, err := tp.ReadDotBytes()
			if err != nil {
				return
			}
			sess.Data = string(data)
			reply("END", "250 2.0.0 queued")
		case "RSET", "NOOP":
			_ = tp.PrintfLine("250 2.0.0 ok")
		case "QUIT":
			_ = tp.PrintfLine("221 2.0.0 bye")
			return
		default:
			_ = tp.PrintfLine("502 5.5.1 unrecognized command")
		}
	}
}

// envelopeAddress takes the address out of "FROM:<a@b> BODY=8BITMIME" or "TO:<a@b>".
func envelopeAddress(arg string) string {
	_, rest, _ := strings.Cut(arg, "<")
	addr, _, _ := strings.Cut(rest, ">")
	return addr
}

// selfSigned returns a server configuration for 127.0.0.1 and the pool that trusts it.
func selfSigned(t *testing.T) (*tls.Config, *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "delivery test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(cert)
	return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}, MinVersion: tls.VersionTLS12}, roots
}
