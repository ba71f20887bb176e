// Package browser holds end-to-end tests that drive headless Chromium (Debian's chromium,
// through chromedp) against real processes: `hashless pool` and the example app in
// examples/hostedui, each built once for the package and run on loopback ports.
//
// TestHostedUIInChromium signs a new user up, confirms them with the code read from the pool's
// outbox, sets up TOTP MFA, lands back in the app with verified tokens and signs out, once
// with JavaScript on and once with it off. Every page it visits is checked by axe-core (from
// tests/node's node_modules) and photographed; the screenshots are kept in
// .tmp/artifacts/browser/ at the module root (or $HASHLESS_ARTIFACTS).
//
// TestConsoleInChromium and TestConsoleWithoutJavaScript drive the pool console on a pool of
// 10,000 imported users (search, disable behind a confirmation, the live outbox); the
// dashboard tests drive `hashless serve`'s migration dashboard after an import and some
// sign-ins. Each checks its pages with axe-core and keeps screenshots the same way.
//
// Without Chromium or axe-core the tests skip, except under CI=true, where they fail:
// scripts/ensure-tools installs both.
package browser
