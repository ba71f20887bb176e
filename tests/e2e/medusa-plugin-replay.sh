#!/usr/bin/env bash
# End-to-end test: the pool calls of the Medusa v1 Cognito auth plugin (medusa-auth-cognito),
# replayed with the AWS SDK for JavaScript v3 it used against the pool that `hashless serve`
# embeds. The script starts serve on a free loopback port with a SQLite file (where serve
# mounts the pool surface on its own listener), reads the pool and app client from
# GET /_local/pool and the pool's admin credential from serve's database, and runs
# tests/node/medusa-plugin-replay.mjs, which makes the calls and checks them.
#
#   tests/e2e/medusa-plugin-replay.sh path/to/hashless
#
# The credential: serve never exposes it over HTTP; it keeps it in its database setting
# embedded_pool.credential as "KEY:SECRET". A small Go program, written to the work
# directory and run with `go run` inside this module, reads it through the store's own API
# (sqlstore.Setting, as tests/serve does), so nothing here depends on the table layout.
#
# Needs go (as for building the binary), node (20 or later), npm, jq and curl; runs `npm ci`
# in tests/node when its node_modules is missing or out of date (scripts/ensure-tools normally
# has done that already). A missing one skips the test, except under CI=true, where it fails.
#
# Prints one `ok - ...` / `not ok - ...` line per assertion (its own, and the Node script's
# passed through) and `N passed, M failed` over all of them at the end; exits non-zero if any
# failed. Set HASHLESS_E2E_KEEP=1 to keep the work directory (server log, Node output).
set -uo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
NODE_DIR=$ROOT/tests/node

PASS=0
FAIL=0
WORK=""
SERVER_PID=""
SERVE=""
GO=""
# shellcheck source=tests/e2e/lib/pool.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/pool.bash"

# missing WHAT: a component is not there: the test skips, or fails under CI=true.
missing() {
	if [[ ${CI:-} == true ]]; then
		bail "$1 is missing (scripts/ensure-tools installs it)"
	fi
	printf '# SKIP: %s is missing (run scripts/ensure-tools)\n' "$1"
	summary
	exit 0
}

# --- Node ----------------------------------------------------------------------------------

# ensure_node_modules: node is recent enough, and tests/node/node_modules matches the lock file.
ensure_node_modules() {
	local major
	major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
	if [[ $major -lt 20 ]]; then
		not_ok "node is version 20 or later" "node $(node --version 2>&1)"
		bail "node is too old"
	fi
	ok "node $(node --version) is version 20 or later"

	local stamp=$NODE_DIR/node_modules/.package-lock.json
	if [[ ! -f $stamp || $NODE_DIR/package.json -nt $stamp || $NODE_DIR/package-lock.json -nt $stamp ]]; then
		if (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >"$WORK/npm-ci.log" 2>&1; then
			ok "npm ci in tests/node"
		else
			not_ok "npm ci in tests/node" "$(tail -n 5 "$WORK/npm-ci.log")"
			bail "the Node packages are not installed"
		fi
	else
		ok "tests/node/node_modules is up to date"
	fi
}

# run_node WHAT SCRIPT [VAR=VALUE...]: runs tests/node/SCRIPT with the given environment,
# passes its `ok`/`not ok`/`#` lines through (its own summary line is left out) and adds its
# counts to this script's. A non-zero exit without a reported failure counts as one failure.
run_node() {
	local what=$1 script=$2 rc passed failed
	shift 2
	local log=$WORK/${script%.*}.out
	(cd "$NODE_DIR" && env "$@" node "$script") 2>&1 | tee "$log" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
	rc=${PIPESTATUS[0]}
	passed=$(grep -c '^ok - ' "$log")
	failed=$(grep -c '^not ok - ' "$log")
	PASS=$((PASS + passed))
	FAIL=$((FAIL + failed))
	if [[ $rc -ne 0 && $failed -eq 0 ]]; then
		not_ok "$what exits 0" "exit $rc" "$(tail -n 5 "$log")"
	fi
	printf '# %s: %d passed, %d failed (exit %d)\n' "$what" "$passed" "$failed" "$rc"
}

# --- serve -----------------------------------------------------------------------------------

start_serve() {
	local bin=$1 i addr=""
	: >"$WORK/server.log"
	# A clean environment: no COGNITO_* (which would select a real pool) nor HASHLESS_*.
	env -i PATH="$PATH" HOME="$WORK" AWS_EC2_METADATA_DISABLED=true \
		"$bin" serve --addr 127.0.0.1:0 --db "$WORK/s.db" --kdf pbkdf2-sha256:i=1000 \
		>"$WORK/server.log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 300; i++)); do
		addr=$(addr_from_log "$WORK/server.log") && break
		addr=""
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -z $addr ]]; then
		not_ok "serve logs its listening address" "$(tail -n 20 "$WORK/server.log")"
		bail "hashless serve did not start"
	fi
	ok "serve logs its listening address ($addr)"
	SERVE=http://$addr
	local code=""
	for ((i = 0; i < 150; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$SERVE/readyz" || true)
		[[ $code == 200 ]] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.2
	done
	if [[ $code != 200 ]]; then
		not_ok "serve: GET /readyz is 200" "last status: ${code:-none}" "$(tail -n 20 "$WORK/server.log")"
		bail "hashless serve is not ready"
	fi
	ok "serve: GET /readyz is 200"
}

# read_credential DSN: prints the embedded pool's credential ("KEY:SECRET") kept in serve's
# database, read with the store's API.
read_credential() {
	mkdir -p "$WORK/credential"
	cat >"$WORK/credential/main.go" <<'EOF'
// Prints the embedded pool's credential that `hashless serve` keeps in its database.
package main

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/hashless/hashless/storeauth/store/sqlstore"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	st, err := sqlstore.Open(ctx, os.Args[1], sqlstore.Options{})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	defer st.Close()
	cred, err := st.Setting(ctx, "embedded_pool.credential")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(cred)
}
EOF
	(cd "$ROOT" && "$GO" run "$WORK/credential/main.go" "$1") 2>"$WORK/credential/stderr"
}

# --- the test ----------------------------------------------------------------------------

main() {
	local bin=${1:-}
	if [[ -z $bin || ! -x $bin ]]; then
		printf 'usage: %s path/to/hashless\n' "$0" >&2
		exit 2
	fi
	command -v jq >/dev/null || missing jq
	command -v curl >/dev/null || missing curl
	command -v node >/dev/null || missing node
	command -v npm >/dev/null || missing npm
	GO=$(command -v go || true)
	[[ -z $GO && -x /usr/local/go/bin/go ]] && GO=/usr/local/go/bin/go
	[[ -n $GO ]] || missing go

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hashless-e2e-medusa.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	# Only the credentials and settings given here: nothing from ~/.aws or the caller's profile.
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE \
		AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER AWS_ACCESS_KEY_ID AWS_SECRET_ACCESS_KEY \
		AWS_REGION AWS_DEFAULT_REGION AWS_USE_FIPS_ENDPOINT AWS_USE_DUALSTACK_ENDPOINT AWS_IGNORE_CONFIGURED_ENDPOINT_URLS
	export AWS_EC2_METADATA_DISABLED=true
	export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
	: >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"

	ensure_node_modules
	printf '# %s; node %s; @aws-sdk/client-cognito-identity-provider %s\n' "$("$GO" version)" "$(node --version)" \
		"$(jq -r .version "$NODE_DIR/node_modules/@aws-sdk/client-cognito-identity-provider/package.json" 2>/dev/null)"

	start_serve "$bin"

	# --- the embedded pool: its IDs over HTTP, its credential from the database ---
	local info pool_id client_id region endpoint
	info=$(curl -s --max-time 5 "$SERVE/_local/pool") || info=""
	pool_id=$(jq -r '.pool_id // empty' <<<"$info" 2>/dev/null)
	client_id=$(jq -r '.client_id // empty' <<<"$info" 2>/dev/null)
	region=$(jq -r '.region // empty' <<<"$info" 2>/dev/null)
	endpoint=$(jq -r '.endpoint // empty' <<<"$info" 2>/dev/null)
	if [[ -n $pool_id && -n $client_id && -n $region && $endpoint == "$SERVE" ]]; then
		ok "GET /_local/pool names the pool ($pool_id), its app client and region, at serve's URL"
	else
		not_ok "GET /_local/pool names the pool, its app client and region, at serve's URL" "got: ${info:0:300}"
		bail "no embedded pool to replay against"
	fi

	local cred key secret
	cred=$(read_credential "$WORK/s.db")
	key=${cred%%:*}
	secret=${cred#*:}
	if [[ $cred == *:* && -n $key && -n $secret ]]; then
		ok "the embedded pool's credential is read from serve's database"
	else
		not_ok "the embedded pool's credential is read from serve's database" "$(tail -n 5 "$WORK/credential/stderr")"
		bail "no credential for the pool's admin operations"
	fi

	# --- the replay ---
	run_node "medusa-plugin-replay.mjs" medusa-plugin-replay.mjs \
		ENDPOINT="$endpoint" POOL_ID="$pool_id" CLIENT_ID="$client_id" REGION="$region" \
		POOL_ACCESS_KEY="$key" POOL_SECRET_KEY="$secret" AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true

	# serve answered every call without falling over.
	if kill -0 "$SERVER_PID" 2>/dev/null; then
		ok "serve is still running after the replay"
	else
		not_ok "serve is still running after the replay" "$(tail -n 20 "$WORK/server.log")"
	fi

	summary
	[[ $FAIL -eq 0 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
