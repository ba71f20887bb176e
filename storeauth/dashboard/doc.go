// Package dashboard is the migration console of `hashless serve`, under /admin/ui/: how far
// the lazy migration of legacy password hashes has got, over time, and the few admin
// actions a store owner needs while it runs. It is server-rendered HTML (html/template
// over embedded files), needs no JavaScript and no build step, and loads nothing from
// anywhere but itself.
//
// It owns the pages, their charts and their access rules; the data and the actions are
// storeauth's (Service.MigrationHistory, LoginHistory, BlockedByPolicy, Customer, Sessions,
// EndSessions, SetDisabled), so the console does nothing the admin API could not.
//
// Pages:
//
//   - the migration: customers migrated against those still on a legacy hash over the last
//     day, week or month, sign-ins by outcome over the same time, and today's counts;
//   - the customers the pool's password policy blocks (they sign in, but stay legacy until
//     they change their password);
//   - a customer found by e-mail or ID, with their sessions, and "end all sessions",
//     "disable" and "enable", each a POST form behind a confirmation page.
//
// Charts are SVG drawn here (charts.go): axes with labels, a legend, a <title> and <desc>
// naming what they show, and the same numbers in a table for those who cannot see them.
//
// Access (Config.Access): AccessLoopback, for development without an admin token, is open
// to callers on this machine only (a loopback peer naming a loopback host, with no proxy
// headers). AccessToken asks for the admin token on a sign-in form (compared in constant
// time, failures throttled per client) and then keeps an HttpOnly, SameSite=Strict cookie
// naming a random session that this process keeps, hashed, for 8 hours; behind a load
// balancer that spreads requests over several nodes, send a client's console requests to
// one node. AccessOff answers 404 with what to set. Every form carries a CSRF token checked
// against a cookie (double submit, constant time), every POST passes net/http's
// cross-origin check, and every response has a Content-Security-Policy that allows nothing
// but this package's own stylesheet and images. No page shows a password hash, a session
// token or any pool secret: the views are built field by field.
package dashboard
