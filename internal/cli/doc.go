// Package cli holds the hashless command's subcommands: one flag set per command, each flag
// also readable from an environment variable, so main stays a one-liner and every command
// can be run from tests in-process.
package cli
