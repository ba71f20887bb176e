// Package browsertest starts headless Chromium for tests, through chromedp, with the flags
// the project's browser tests agree on, and gives them the two checks every page gets: an
// axe-core accessibility scan and a screenshot kept as an artifact.
//
// Chromium is Debian's /usr/bin/chromium (or $HASHLESS_CHROMIUM) and axe-core comes from
// tests/node/node_modules; scripts/ensure-tools installs both. Without them a test skips,
// except under CI=true, where it fails.
package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// Browser is one headless Chromium with a fresh profile, and the tab a test drives.
type Browser struct {
	// Ctx is the tab's chromedp context: pass it to chromedp.Run and chromedp.Do.
	Ctx       context.Context
	t         testing.TB
	artifacts string
	axe       string
	shots     atomic.Int64
}

// ModuleRoot is the directory of go.mod above the working directory.
func ModuleRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("browsertest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// missing skips the test, or fails it under CI=true.
func missing(t testing.TB, what string) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s is missing (scripts/ensure-tools installs it)", what)
	}
	t.Skipf("%s is missing; run scripts/ensure-tools", what)
}

// Options adjust Start.
type Options struct {
	// JavaScriptOff disables script execution in the tab, as a browser with JavaScript
	// turned off would. Axe cannot run then, so Check only takes the screenshot.
	JavaScriptOff bool
	// Name labels the artifacts directory (default: the test's name).
	Name string
}

// Start launches Chromium for t; it is stopped when t ends.
func Start(t testing.TB, opts Options) *Browser {
	t.Helper()
	path := os.Getenv("HASHLESS_CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := exec.LookPath(path); err != nil {
		missing(t, "Chromium ("+path+")")
	}
	root := ModuleRoot(t)
	axe, err := os.ReadFile(filepath.Join(root, "tests", "node", "node_modules", "axe-core", "axe.min.js"))
	if err != nil {
		missing(t, "axe-core (tests/node/node_modules)")
	}
	name := opts.Name
	if name == "" {
		name = t.Name()
	}
	artifacts := os.Getenv("HASHLESS_ARTIFACTS")
	if artifacts == "" {
		artifacts = filepath.Join(root, ".tmp", "artifacts", "browser")
	}
	artifacts = filepath.Join(artifacts, regexp.MustCompile(`[^A-Za-z0-9_.-]+`).ReplaceAllString(name, "_"))
	_ = os.RemoveAll(artifacts)
	if err := os.MkdirAll(artifacts, 0o755); err != nil {
		t.Fatal(err)
	}
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1024, 900),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	b := &Browser{Ctx: ctx, t: t, artifacts: artifacts, axe: string(axe)}
	if err := chromedp.Do(ctx, chromedp.Func(func(ctx context.Context, tab *chromedp.Target) error {
		_, err := cdp.Call(ctx, tab, emulation.SetScriptExecutionDisabled,
			emulation.SetScriptExecutionDisabledParams{Value: opts.JavaScriptOff})
		return err
	})); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return b
}

// Run runs chromedp actions with a time limit, failing the test on an error.
func (b *Browser) Run(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		loc, _ := chromedp.Run(b.Ctx, chromedp.Location())
		b.Screenshot("failed-" + what)
		b.t.Fatalf("%s (at %s): %v", what, loc, err)
	}
}

// Value runs one action that returns a value.
func Value[T any](b *Browser, what string, a chromedp.Action[T]) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(ctx, a)
	if err != nil {
		b.Screenshot("failed-" + what)
		b.t.Fatalf("%s: %v", what, err)
	}
	return v
}

// Location is the tab's current URL.
func (b *Browser) Location() string {
	b.t.Helper()
	return Value(b, "location", chromedp.Location())
}

// Screenshot saves the whole page as NN-name.png in the artifacts directory.
func (b *Browser) Screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 15*time.Second)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	n := b.shots.Add(1)
	file := filepath.Join(b.artifacts, fmt.Sprintf("%02d-%s.png", n, name))
	if err := os.WriteFile(file, png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}

// Violation is one axe-core finding.
type Violation struct {
	ID    string `json:"id"`
	Help  string `json:"help"`
	Nodes []struct {
		Target []any `json:"target"`
	} `json:"nodes"`
}

// Axe runs axe-core on the page (WCAG 2 A and AA rules and best practices) and returns its
// violations. DevTools evaluation is not bound by the page's CSP, so pages that allow no
// script can still be checked.
func (b *Browser) Axe() []Violation {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.Ctx, 30*time.Second)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[any](b.axe+";0")); err != nil {
		b.t.Fatalf("loading axe-core: %v", err)
	}
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[string](
		`axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]}}).then(r => JSON.stringify(r.violations))`,
		chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("running axe-core: %v", err)
	}
	var out []Violation
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		b.t.Fatalf("axe-core result: %v", err)
	}
	return out
}

// Check photographs the page and, with JavaScript on, fails the test on any axe-core
// violation.
func (b *Browser) Check(name string, javaScriptOff bool) {
	b.t.Helper()
	b.Screenshot(name)
	if javaScriptOff {
		return
	}
	if v := b.Axe(); len(v) > 0 {
		var lines []string
		for _, x := range v {
			lines = append(lines, fmt.Sprintf("%s (%s) at %v", x.ID, x.Help, x.Nodes))
		}
		b.t.Errorf("axe-core on %s (%s):\n%s", name, b.Location(), strings.Join(lines, "\n"))
	}
}
