package apitest

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/hashless/hashless/internal/kdf"
	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool/server"
)

// The hosted UI's two costs, each beside its floor measured in the same run on the same
// cores: a returning user's silent authorization plus code exchange (the floor is the two
// RSA-2048 signatures of the ID and access tokens), and a sign-in through the login form
// with the default KDF (the floor is one argon2id verification).

// benchBrowser is a browser stand-in for benchmarks: cookies kept, redirects not followed.
func benchBrowser(t testing.TB) *browser {
	b := newBrowser(t)
	b.client.CheckRedirect = func(req *http.Request, via []*http.Request) error { return http.ErrUseLastResponse }
	return b
}

func benchHosted(b *testing.B, opts ...pooltest.Option) (hostedSetup, *browser, string) {
	p := pooltest.Start(b, pooltest.DSN(b, pooltest.SQLite), opts...)
	s := newHostedSetup(b, p, nil)
	br := benchBrowser(b)
	q := url.Values{"client_id": {s.clientID}, "response_type": {"code"}, "redirect_uri": {appCallback}, "scope": {"openid email"}}
	return s, br, s.issuer + "/oauth2/authorize?" + q.Encode()
}

func BenchmarkHostedSilentCodeFlow(b *testing.B) {
	s, br, authorize := benchHosted(b)
	login := br.get(s.issuer + "/login?" + strings.SplitN(authorize, "?", 2)[1])
	if first := br.submit(login, "/login", map[string]string{"username": "quinn", "password": password}); first.status != http.StatusFound {
		b.Fatalf("sign-in: %d", first.status)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			resp, err := br.client.Get(authorize)
			if err != nil {
				b.Fatal(err)
			}
			resp.Body.Close()
			loc, _ := url.Parse(resp.Header.Get("Location"))
			code := loc.Query().Get("code")
			if code == "" {
				b.Fatalf("no code: %d %s", resp.StatusCode, loc)
			}
			form := url.Values{"grant_type": {"authorization_code"}, "client_id": {s.clientID}, "code": {code}, "redirect_uri": {appCallback}}
			tr, err := http.PostForm(s.issuer+"/oauth2/token", form)
			if err != nil {
				b.Fatal(err)
			}
			tr.Body.Close()
			if tr.StatusCode != http.StatusOK {
				b.Fatalf("token: %d", tr.StatusCode)
			}
		}
	})
}

// BenchmarkHostedTwoRSASignatures is the floor of one code exchange.
func BenchmarkHostedTwoRSASignatures(b *testing.B) {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	digest := sha256.Sum256([]byte("payload"))
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			for range 2 {
				if _, err := rsa.SignPKCS1v15(nil, k, crypto.SHA256, digest[:]); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
}

func BenchmarkHostedPasswordSignIn(b *testing.B) {
	s, br, authorize := benchHosted(b, func(cfg *server.Config) { cfg.KDF = kdf.DefaultSpec })
	login := br.get(s.issuer + "/login?" + strings.SplitN(authorize, "?", 2)[1])
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if got := br.submit(login, "/login", map[string]string{"username": "quinn", "password": password}); got.status != http.StatusFound {
				b.Fatalf("sign-in: %d", got.status)
			}
		}
	})
}

// BenchmarkHostedBareKDF is the floor of one password sign-in: the default KDF's verify.
func BenchmarkHostedBareKDF(b *testing.B) {
	p, err := kdf.Parse(kdf.DefaultSpec)
	if err != nil {
		b.Fatal(err)
	}
	h, err := p.Hash(password)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if ok, err := kdf.Verify(password, h); !ok || err != nil {
				b.Fatal(ok, err)
			}
		}
	})
}
