package cli

import (
	"flag"
	"fmt"
	"io"
	"os"
	"runtime/debug"
	"strings"
)

// Version is set at build time with -ldflags "-X github.com/hashless/hashless/internal/cli.Version=…".
var Version = "dev"

const usage = `hashless: customer authentication that keeps password hashes out of your database.

Usage:
  hashless serve [flags]                      run the customer auth service (pool embedded unless COGNITO_* name one)
  hashless pool [flags]                       run the Cognito-compatible user pool server
  hashless pool import --pool ID FILE.csv     import users from a Cognito user import CSV
  hashless pool keys rotate --pool ID         publish new signing keys; they sign after --lead
  hashless customers import [flags] FILE      import existing customers (JSONL, Medusa v1/v2 CSV) into serve's database
  hashless customers migration-status         how far the lazy migration of legacy hashes has got
  hashless version                            print the version

Run "hashless serve -h", "hashless pool -h" or "hashless customers help" for their flags.
`

// Main runs the command line and returns the exit status.
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	switch args[0] {
	case "serve":
		return serve(args[1:], stdout, stderr)
	case "pool":
		if len(args) > 1 && args[1] == "import" {
			return poolImport(args[2:], stdout, stderr)
		}
		if len(args) > 2 && args[1] == "keys" && args[2] == "rotate" {
			return poolKeysRotate(args[3:], stdout, stderr)
		}
		return poolServe(args[1:], stdout, stderr)
	case "customers":
		return customers(args[1:], stdout, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "hashless", versionString())
		return 0
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "hashless: unknown command %q\n\n%s", args[0], usage)
		return 2
	}
}

func versionString() string {
	if Version != "dev" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" && info.Main.Version != "(devel)" {
		return info.Main.Version
	}
	return Version
}

// envFlags gives every flag of fs an environment variable PREFIX_NAME (upper case, dashes as
// underscores) that sets its value unless the flag is given on the command line.
func envFlags(fs *flag.FlagSet, prefix string, args []string) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var firstErr error
	fs.VisitAll(func(f *flag.Flag) {
		if given[f.Name] {
			return
		}
		name := prefix + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		v, ok := os.LookupEnv(name)
		if !ok {
			return
		}
		if list, isList := f.Value.(*listFlag); isList {
			for _, item := range strings.Split(v, ",") {
				if item = strings.TrimSpace(item); item != "" {
					_ = list.Set(item)
				}
			}
			return
		}
		if err := f.Value.Set(v); err != nil && firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", name, err)
		}
	})
	return firstErr
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }
