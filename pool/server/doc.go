// Package server assembles a running pool: it opens the store, builds the engine and the
// protocol handler, adds the local endpoints (/_local/health, /_local/messages, import
// uploads, the console under /_local/console/), health and metrics, runs periodic cleanup,
// and serves over HTTP or TLS with a graceful drain. The hashless command and tests both
// start pools through it.
package server
