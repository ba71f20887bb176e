package console_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hashless/hashless/internal/pooltest"
	"github.com/hashless/hashless/pool"
)

// benchUsers is how many users BenchmarkUsersPage seeds: HASHLESS_CONSOLE_BENCH_USERS, or
// 100,000 (about 15 s of seeding on a laptop core; 1,000,000 takes a few minutes).
func benchUsers(b *testing.B) int {
	if s := os.Getenv("HASHLESS_CONSOLE_BENCH_USERS"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1000 || n > 1_000_000 {
			b.Fatalf("HASHLESS_CONSOLE_BENCH_USERS must be 1000 to 1000000, not %q", s)
		}
		return n
	}
	return 100_000
}

// benchCSV streams an import file of n users with e-mail and phone numbers.
func benchCSV(n int) io.Reader {
	r, w := io.Pipe()
	go func() {
		buf := make([]byte, 0, 1<<20)
		buf = append(buf, "cognito:username,email,email_verified,phone_number,phone_number_verified,cognito:mfa_enabled\n"...)
		for i := range n {
			buf = fmt.Appendf(buf, "user%07d,user%07d@example.com,true,+1555%07d,false,false\n", i, i, i)
			if len(buf) > 1<<20-200 {
				if _, err := w.Write(buf); err != nil {
					return
				}
				buf = buf[:0]
			}
		}
		_, _ = w.Write(buf)
		w.Close()
	}()
	return r
}

var benchNext = regexp.MustCompile(`href="([^"]+)" rel="next" id="next-page"`)

// BenchmarkUsersPage serves the console's users page, in-process through the whole HTTP
// handler (access gate, ListUsers, template), from a SQLite pool of benchUsers users seeded
// through the bulk import: the first page, a page far into the list (reached by cursor),
// and prefix searches on username, e-mail and phone number. Each page is one ListUsers
// call, which is one range scan of the filtered column's index (see sqlstore's
// TestListUsersUsesIndexes), so the times should not grow with the pool.
func BenchmarkUsersPage(b *testing.B) {
	n := benchUsers(b)
	p := pooltest.Start(b, pooltest.DSN(b, pooltest.SQLite), development)
	svc := p.Server.Service
	ctx := context.Background()
	created, err := svc.CreateUserPool(ctx, pool.Caller{Region: "us-east-1"}, &pool.CreateUserPoolInput{PoolName: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	poolID := created.UserPool.Id
	started := time.Now()
	res, err := svc.ImportUsers(ctx, poolID, benchCSV(n), nil)
	if err != nil || res.Imported != int64(n) {
		b.Fatalf("import: %v %+v", err, res)
	}
	b.Logf("seeded %d users in %s", n, time.Since(started).Round(time.Millisecond))

	h := p.Server.Handler()
	get := func(b *testing.B, target string) string {
		req := httptest.NewRequest(http.MethodGet, target, nil)
		req.RemoteAddr = loopback
		req.Host = "127.0.0.1:9229"
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("%s: %d\n%s", target, rec.Code, excerpt(rec.Body.String()))
		}
		return rec.Body.String()
	}
	users := "/_local/console/pools/" + poolID + "/users"
	// A page deep into the list: the cursor of page 200 (user 10,000 onwards).
	deep := users
	for range 200 {
		m := benchNext.FindStringSubmatch(get(b, deep))
		if m == nil {
			b.Fatal("no next page")
		}
		deep = strings.ReplaceAll(m[1], "&amp;", "&")
	}
	search := func(by string, value func(i int) string) func(b *testing.B) {
		return func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				body := get(b, users+"?"+url.Values{"by": {by}, "q": {value(i)}}.Encode())
				if !strings.Contains(body, `id="users"`) {
					b.Fatalf("no users found searching %s", value(i))
				}
			}
		}
	}
	// Prefixes that each match a block of users somewhere in the pool.
	block := func(i int) int { return (i * 7919) % (n / 100) }
	b.Run("first-page", func(b *testing.B) {
		for b.Loop() {
			get(b, users)
		}
	})
	b.Run("page-200", func(b *testing.B) {
		for b.Loop() {
			get(b, deep)
		}
	})
	b.Run("username-prefix", search("username", func(i int) string { return fmt.Sprintf("user%05d", block(i)) }))
	b.Run("email-prefix", search("email", func(i int) string { return fmt.Sprintf("user%05d", block(i)) }))
	b.Run("phone-prefix", search("phone_number", func(i int) string { return fmt.Sprintf("+1555%05d", block(i)) }))
	b.Run("no-match", func(b *testing.B) {
		for b.Loop() {
			get(b, users+"?by=email&q=nobody")
		}
	})
}
