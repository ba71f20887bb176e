package storeauth

import "github.com/prometheus/client_golang/prometheus"

type metrics struct {
	logins         *prometheus.CounterVec
	registrations  *prometheus.CounterVec
	sessionChecks  *prometheus.CounterVec
	sessionsEnded  prometheus.Counter
	passwordResets *prometheus.CounterVec
	reconciled     *prometheus.CounterVec
	httpRequests   *prometheus.HistogramVec
	legacyChecks   *prometheus.CounterVec
	migrations     *prometheus.CounterVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_logins_total", Help: "Sign-in attempts by result (ok, refused, throttled, error).",
		}, []string{"result"}),
		registrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_registrations_total", Help: "Registrations by result (created, duplicate, refused, failed).",
		}, []string{"result"}),
		sessionChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_session_checks_total", Help: "Session token checks by result (ok, invalid, expired).",
		}, []string{"result"}),
		sessionsEnded: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "hashless_store_sessions_ended_total", Help: "Sessions ended in bulk (sign-out elsewhere, password change or reset, disable, delete).",
		}),
		passwordResets: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_password_resets_total", Help: "Password reset steps by result (requested, done, refused).",
		}, []string{"result"}),
		reconciled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_sagas_settled_total", Help: "Half-done registrations and deletions settled by the reconciler, by action.",
		}, []string{"action"}),
		httpRequests: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "hashless_store_http_request_seconds", Help: "HTTP requests of the customer API by route and status.",
			Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 10},
		}, []string{"route", "code"}),
		legacyChecks: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_legacy_hash_checks_total", Help: "Legacy password hash verifications: real (an unmigrated customer) or decoy (the equal-cost check on other failures).",
		}, []string{"kind"}),
		migrations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "hashless_store_migrations_total", Help: "Legacy customers moved into the pool, by route (login, password_change, password_reset) or outcome (blocked_by_policy, deferred, failed).",
		}, []string{"outcome"}),
	}
	if reg != nil {
		reg.MustRegister(m.logins, m.registrations, m.sessionChecks, m.sessionsEnded, m.passwordResets, m.reconciled, m.httpRequests, m.legacyChecks, m.migrations)
	}
	return m
}
