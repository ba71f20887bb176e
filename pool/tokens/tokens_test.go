package tokens

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
)

type testClaims struct {
	Sub string `json:"sub"`
	Exp int64  `json:"exp"`
}

func mustKey(t testing.TB, use string, from time.Time) Key {
	t.Helper()
	k, err := Generate(use, from, from)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func TestSignAndVerify(t *testing.T) {
	now := time.Now()
	id, access := mustKey(t, UseID, now), mustKey(t, UseAccess, now)
	keys := []Key{id, access}
	token, err := Sign(access, testClaims{Sub: "u1", Exp: 42})
	if err != nil {
		t.Fatal(err)
	}
	header, _ := base64.RawURLEncoding.DecodeString(strings.Split(token, ".")[0])
	var h map[string]any
	if json.Unmarshal(header, &h) != nil || h["alg"] != "RS256" || h["kid"] != access.ID {
		t.Fatalf("header %s", header)
	}
	var c testClaims
	if err := Verify(token, keys, UseAccess, now, &c); err != nil || c.Sub != "u1" {
		t.Fatalf("verify: %v %+v", err, c)
	}
	if err := Verify(token, keys, UseID, now, &c); err == nil {
		t.Fatal("an access token verified as an ID token")
	}
	parts := strings.Split(token, ".")
	for name, bad := range map[string]string{
		"tampered payload":                    parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"sub":"admin","exp":42}`)) + "." + parts[2],
		"no signature":                        parts[0] + "." + parts[1] + ".",
		"garbage":                             "a.b.c",
		"two parts":                           parts[0] + "." + parts[1],
		"huge":                                strings.Repeat("a", maxTokenBytes+1),
		"alg none":                            base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","kid":"`+access.ID+`"}`)) + "." + parts[1] + ".",
		"hs256 with the public key as secret": hs256(t, access),
	} {
		if err := Verify(bad, keys, UseAccess, now, &c); err == nil {
			t.Errorf("%s verified", name)
		}
	}
	other := mustKey(t, UseAccess, now)
	signer, _ := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: other.Private, KeyID: access.ID}}, nil)
	jws, _ := signer.Sign([]byte(`{"sub":"u1"}`))
	forged, _ := jws.CompactSerialize()
	if err := Verify(forged, keys, UseAccess, now, &c); err == nil {
		t.Fatal("a token signed by another key under a known kid verified")
	}
}

func hs256(t *testing.T, k Key) string {
	t.Helper()
	secret, _ := json.Marshal(jose.JSONWebKey{Key: &k.Private.PublicKey})
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.HS256, Key: jose.JSONWebKey{Key: secret, KeyID: k.ID}}, nil)
	if err != nil {
		t.Fatal(err)
	}
	jws, _ := signer.Sign([]byte(`{"sub":"u1"}`))
	s, _ := jws.CompactSerialize()
	return s
}

func TestSigningAndPublishingWindows(t *testing.T) {
	t0 := time.Now()
	old := mustKey(t, UseID, t0)
	next, _ := Generate(UseID, t0, t0.Add(10*time.Minute))
	old.SignUntil, old.PublishUntil = next.SignFrom, next.SignFrom.Add(24*time.Hour)
	keys := []Key{old, next}
	if k, _ := Signer(keys, UseID, t0); k.ID != old.ID {
		t.Fatal("the new key signs before its time")
	}
	if k, _ := Signer(keys, UseID, t0.Add(10*time.Minute)); k.ID != next.ID {
		t.Fatal("the new key does not sign from its time")
	}
	if _, ok := Signer(keys, UseAccess, t0); ok {
		t.Fatal("an ID key signs access tokens")
	}
	set := func(at time.Time) string { b, _ := JWKS(keys, at); return string(b) }
	if s := set(t0); !strings.Contains(s, old.ID) || !strings.Contains(s, next.ID) {
		t.Fatal("both keys must be published during the lead")
	}
	if s := set(old.PublishUntil); strings.Contains(s, old.ID) {
		t.Fatal("a retired key stays published past its last token")
	}
	b, _ := JWKS(keys, t0)
	var parsed jose.JSONWebKeySet
	if err := json.Unmarshal(b, &parsed); err != nil || len(parsed.Keys) != 2 || !parsed.Keys[0].IsPublic() {
		t.Fatalf("JWKS %s", b)
	}
	if strings.Contains(string(b), `"d"`) {
		t.Fatal("the JWKS leaks private key material")
	}
}

func TestPrivateKeyRoundTrip(t *testing.T) {
	priv, _ := rsa.GenerateKey(rand.Reader, 2048)
	der, err := MarshalPrivate(priv)
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParsePrivate(der)
	if err != nil || !back.Equal(priv) {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := ParsePrivate([]byte("not a key")); err == nil {
		t.Fatal("garbage parsed")
	}
}

func FuzzVerify(f *testing.F) {
	now := time.Now()
	k := mustKey(f, UseAccess, now)
	good, _ := Sign(k, testClaims{Sub: "x"})
	f.Add(good)
	f.Add("eyJhbGciOiJub25lIn0.e30.")
	f.Add("...")
	f.Add(strings.Replace(good, ".", "..", 1))
	f.Fuzz(func(t *testing.T, token string) {
		var c map[string]any
		err := Verify(token, []Key{k}, UseAccess, now, &c)
		if err == nil && token != good {
			// Only a token this key signed may verify; compact JWS has a single form.
			if !strings.HasPrefix(token, strings.Split(good, ".")[0]) {
				t.Fatalf("unexpected token verified: %q", token)
			}
		}
	})
}
