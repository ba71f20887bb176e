package wire

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/hashless/hashless/internal/kdf"
	"github.com/hashless/hashless/internal/seal"
	"github.com/hashless/hashless/pool"
	"github.com/hashless/hashless/pool/store/memory"
)

func newHandler(t testing.TB) *Handler {
	t.Helper()
	sealer, err := seal.New(seal.GenerateKey())
	if err != nil {
		t.Fatal(err)
	}
	params, err := kdf.Parse("argon2id:m=64,t=1,p=1")
	if err != nil {
		t.Fatal(err)
	}
	svc, err := pool.New(pool.Config{Store: memory.New(), Sealer: sealer, KDF: params})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(svc.Close)
	h, err := New(Config{Service: svc})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

func TestDecodeRejectsWhatIsNotOneObject(t *testing.T) {
	type in struct {
		Name  string `json:"Name"`
		Limit *int32 `json:"Limit"`
	}
	for body, wantErr := range map[string]bool{
		``: false, `{}`: false, `{"Name":"x","Unknown":[1,2]}`: false, `  {"Limit": 5}  `: false,
		`[]`: true, `"x"`: true, `null`: true, `{"Name":1}`: true, `{"Limit":3000000000}`: true, `{} {}`: true, `{"Name":`: true,
	} {
		var v in
		err := decode([]byte(body), &v)
		if (err != nil) != wantErr {
			t.Errorf("decode(%q) error = %v, want error %v", body, err, wantErr)
		}
		var e *pool.Error
		if err != nil && (!errors.As(err, &e) || e.Type != pool.ExSerialization || e.Message == "") {
			t.Errorf("decode(%q) gave %v, want a SerializationException with a message", body, err)
		}
	}
}

// FuzzRequest sends arbitrary bodies to every operation in development mode. Whatever the
// body, the answer is a well-formed JSON response and never a server error.
func FuzzRequest(f *testing.F) {
	h := newHandler(f)
	ops := h.Operations()
	for _, seed := range []string{`{}`, `{"PoolName":"p"}`, `{"UserPoolId":"us-east-1_abcdefghi","Username":"x"}`,
		`{"UserPoolId":"us-east-1_a","Filter":"email ^= \"a\"","Limit":5}`, `{"MaxResults":10,"NextToken":"x"}`, `[`, `{"Limit":"x"}`} {
		for i := range ops {
			f.Add(uint8(i), []byte(seed))
		}
	}
	f.Fuzz(func(t *testing.T, op uint8, body []byte) {
		name := ops[int(op)%len(ops)]
		req := httptest.NewRequestWithContext(context.Background(), http.MethodPost, "/", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/x-amz-json-1.1")
		req.Header.Set("X-Amz-Target", targetPrefix+name)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s with %q: status %d %s", name, body, rec.Code, rec.Body)
		}
		var out map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil {
			t.Fatalf("%s with %q: response is not a JSON object: %q", name, body, rec.Body)
		}
		if rec.Code != http.StatusOK {
			if typ, _ := out["__type"].(string); typ == "" || rec.Header().Get("x-amzn-ErrorType") != typ {
				t.Fatalf("%s with %q: error without a type: %v", name, body, out)
			}
		}
	})
}

func TestUnsignedCallsInDevelopmentModeUseTheirScopeRegion(t *testing.T) {
	h := newHandler(t)
	req := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(`{"PoolName":"p"}`))
	req.Header.Set("X-Amz-Target", targetPrefix+"CreateUserPool")
	req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/ap-south-1/cognito-idp/aws4_request, SignedHeaders=host, Signature="+strings.Repeat("0", 64))
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	body, _ := io.ReadAll(rec.Body)
	if rec.Code != http.StatusOK || !bytes.Contains(body, []byte(`"Id":"ap-south-1_`)) {
		t.Fatalf("%d %s", rec.Code, body)
	}
}
