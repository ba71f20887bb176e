// Command hashless is customer authentication that keeps password hashes out of the
// application database: a Cognito-compatible user pool server (hashless pool) and, in time,
// the customer auth service (hashless serve).
package main

import (
	"os"

	"github.com/hashless/hashless/internal/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
