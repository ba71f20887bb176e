// Package formguard holds what every server-rendered page of the project (the pool's hosted
// UI and console, serve's migration dashboard) does the same way: random tokens, the CSRF
// double-submit check, reading a POSTed form within a size limit, and telling a request
// from a browser on this machine, the one kind a console may serve without a sign-in.
//
// CSRF: the browser gets a random cookie on first sight, every form echoes it in the field
// "csrf", and a POST is accepted only when the two are equal (compared in constant time). An
// attacker's page can make the browser send the cookie but cannot read it to fill the field.
// The pages put net/http's CrossOriginProtection in front of this as a second, independent
// check.
package formguard

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Field is the form field that echoes the CSRF cookie.
const Field = "csrf"

// tokenLength is the length of RandomToken's answers.
const tokenLength = 43

// RandomToken is 256 random bits, base64url without padding (43 characters).
func RandomToken() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// CSRFToken returns the CSRF value of the browser that sent r, first setting cookie (its
// Name, Path, Secure, SameSite and so on; the Value is made here) when the browser has none.
func CSRFToken(w http.ResponseWriter, r *http.Request, cookie http.Cookie) string {
	if c, err := r.Cookie(cookie.Name); err == nil && len(c.Value) == tokenLength {
		return c.Value
	}
	cookie.Value = RandomToken()
	cookie.HttpOnly = true
	http.SetCookie(w, &cookie)
	return cookie.Value
}

// CSRFValid reports whether a parsed form echoes the browser's CSRF cookie named name.
func CSRFValid(r *http.Request, name string) bool {
	c, err := r.Cookie(name)
	if err != nil || len(c.Value) != tokenLength {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(c.Value), []byte(r.PostForm.Get(Field))) == 1
}

// ParseForm reads a POSTed form of at most maxBytes. When it cannot, it says with which
// status and message to refuse the request.
func ParseForm(w http.ResponseWriter, r *http.Request, maxBytes int64) (status int, message string, ok bool) {
	r.Body = http.MaxBytesReader(w, r.Body, maxBytes)
	if err := r.ParseForm(); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return http.StatusRequestEntityTooLarge, "The form is too large.", false
		}
		return http.StatusBadRequest, "The form could not be read.", false
	}
	return 0, "", true
}

// FromThisMachine reports whether r comes straight from this machine to a loopback name:
// its peer is a loopback address, no proxy header says it came from further away, and its
// Host is localhost or a loopback address, so that a site rebinding its own name to
// 127.0.0.1 cannot reach a page open to local users.
func FromThisMachine(r *http.Request) bool {
	if !loopback(r.RemoteAddr) {
		return false
	}
	for _, h := range []string{"Forwarded", "X-Forwarded-For", "X-Forwarded-Host", "X-Real-Ip"} {
		if r.Header.Get(h) != "" {
			return false
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	host = strings.Trim(host, "[]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	return loopback(host)
}

func loopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		host = addr
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.Unmap().IsLoopback()
}
