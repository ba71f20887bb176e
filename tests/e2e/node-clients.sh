#!/usr/bin/env bash
# End-to-end test: the JavaScript Cognito clients (amazon-cognito-identity-js for password
# sign-in, aws-jwt-verify for the tokens) against a `hashless pool` that this script starts on a
# free loopback port with an in-memory store. The Node side is tests/node/password-flows.mjs,
# tests/node/srp-flows.mjs (SRP, the libraries' default) and tests/node/srp-edge-vectors.mjs
# (and tests/node/verifier-selftest.mjs, which needs no server); the pool, app client and users
# are made here with the AWS CLI.
#
#   tests/e2e/node-clients.sh path/to/hashless
#
# Needs node (20 or later) and npm; runs `npm ci` in tests/node when its node_modules is
# missing or out of date (scripts/ensure-tools normally has done that already).
#
# Prints one `ok - ...` / `not ok - ...` line per assertion (its own, and the Node scripts'
# passed through) and `N passed, M failed` over all of them at the end; exits non-zero if any
# failed. Set HASHLESS_E2E_KEEP=1 to keep the work directory (server log, Node output).
# jq programs below are single-quoted on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -uo pipefail

AWS_CLI=${AWS_CLI:-/usr/bin/aws}
ACCESS_KEY=AKIDLOCAL
SECRET_KEY=localsecret
REGION=us-east-1

USER1=alice
USER1_EMAIL=alice@example.com
USER2=bob
USER2_EMAIL=bob@example.com
TEMP_PASSWORD='Temp-pass1'
NEW_PASSWORD='Perm-pass2'
WEAK_PASSWORD='no-digits-here'

NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../node" && pwd)"
LEGACY_NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../node-legacy" && pwd)"

PASS=0
FAIL=0
OUT=""
ERR=""
RC=0
ENDPOINT=""
POOL_ID=""
WORK=""
SERVER_PID=""
# shellcheck source=tests/e2e/lib/pool.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/pool.bash"

# --- JSON helpers ------------------------------------------------------------------------

# assert_jq WHAT FILTER [JQ ARGS...]: ok if FILTER, applied to $OUT, is true.
assert_jq() {
	local what=$1 filter=$2
	shift 2
	if [[ -n ${OUT//[[:space:]]/} ]] && jq -e "$@" "$filter" <<<"$OUT" >/dev/null 2>&1; then
		ok "$what"
	else
		not_ok "$what" "expected: $filter" "got: $(jq -c . <<<"$OUT" 2>/dev/null | cut -c1-400 || printf '%s' "${OUT:0:400}")"
	fi
}

# --- Node ----------------------------------------------------------------------------------

# ensure_node_modules: node and npm are there, and tests/node/node_modules matches the lock file.
ensure_node_modules() {
	command -v node >/dev/null || bail "node is missing (scripts/ensure-tools installs it)"
	local major
	major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
	if [[ $major -lt 20 ]]; then
		not_ok "node is version 20 or later" "node $(node --version 2>&1)"
		bail "node is too old"
	fi
	ok "node $(node --version) is version 20 or later"

	local stamp=$NODE_DIR/node_modules/.package-lock.json
	if [[ ! -f $stamp || $NODE_DIR/package.json -nt $stamp || $NODE_DIR/package-lock.json -nt $stamp ]]; then
		command -v npm >/dev/null || bail "npm is missing (scripts/ensure-tools installs it)"
		if (cd "$NODE_DIR" && npm ci --no-audit --no-fund) >"$WORK/npm-ci.log" 2>&1; then
			ok "npm ci in tests/$(basename "$NODE_DIR")"
		else
			not_ok "npm ci in tests/$(basename "$NODE_DIR")" "$(tail -n 5 "$WORK/npm-ci.log")"
			bail "the Node packages are not installed"
		fi
	else
		ok "tests/$(basename "$NODE_DIR")/node_modules is up to date"
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

# --- the server --------------------------------------------------------------------------

# --- the test ----------------------------------------------------------------------------

# create_user NAME EMAIL: a user with a verified email and the temporary password, no message.
create_user() {
	expect_ok "admin-create-user $1 with a temporary password" admin-create-user --user-pool-id "$POOL_ID" \
		--username "$1" --temporary-password "$TEMP_PASSWORD" --message-action SUPPRESS \
		--user-attributes Name=email,Value="$2" Name=email_verified,Value=true
	assert_jq "$1 must change the temporary password" \
		'.User.Username == $u and .User.UserStatus == "FORCE_CHANGE_PASSWORD"' --arg u "$1"
}

main() {
	local bin=${1:-}
	if [[ -z $bin || ! -x $bin ]]; then
		printf 'usage: %s path/to/hashless\n' "$0" >&2
		exit 2
	fi
	[[ -x $AWS_CLI ]] || bail "$AWS_CLI is missing (scripts/ensure-tools installs it)"
	command -v jq >/dev/null || bail "jq is missing (scripts/ensure-tools installs it)"
	command -v curl >/dev/null || bail "curl is missing (scripts/ensure-tools installs it)"

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hashless-e2e-node.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	isolate_aws_cli
	: >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"

	ensure_node_modules
	printf '# %s; amazon-cognito-identity-js %s; aws-jwt-verify %s\n' "$("$AWS_CLI" --version 2>&1)" \
		"$(jq -r .version "$NODE_DIR/node_modules/amazon-cognito-identity-js/package.json" 2>/dev/null)" \
		"$(jq -r .version "$NODE_DIR/node_modules/aws-jwt-verify/package.json" 2>/dev/null)"

	# The token verifier setup on its own, against a local JWKS (no pool server needed).
	run_node "verifier-selftest.mjs" verifier-selftest.mjs

	start_server "$bin"

	# --- pool, client, users ---
	expect_ok "create-user-pool" create-user-pool --pool-name node-clients \
		--policies 'PasswordPolicy={MinimumLength=8,RequireUppercase=false,RequireLowercase=false,RequireNumbers=true,RequireSymbols=false}'
	POOL_ID=$(jget .UserPool.Id)
	require "$POOL_ID" "user pool id"

	expect_ok "create-user-pool-client without a secret" create-user-pool-client --user-pool-id "$POOL_ID" \
		--client-name node-app \
		--explicit-auth-flows ALLOW_USER_PASSWORD_AUTH ALLOW_REFRESH_TOKEN_AUTH ALLOW_USER_SRP_AUTH
	local client_id
	client_id=$(jget .UserPoolClient.ClientId)
	require "$client_id" "client id"
	assert_jq "the client has no secret and allows password and refresh sign-in" \
		'(.UserPoolClient.ClientSecret // "") == ""
		 and (.UserPoolClient.ExplicitAuthFlows | index("ALLOW_USER_PASSWORD_AUTH") != null)
		 and (.UserPoolClient.ExplicitAuthFlows | index("ALLOW_REFRESH_TOKEN_AUTH") != null)'

	create_user "$USER1" "$USER1_EMAIL"
	create_user "$USER2" "$USER2_EMAIL"

	# --- the JavaScript clients ---
	run_node "password-flows.mjs" password-flows.mjs \
		ENDPOINT="$ENDPOINT" POOL_ID="$POOL_ID" CLIENT_ID="$client_id" ISSUER="$ENDPOINT/$POOL_ID" \
		TEST_USERNAME="$USER1" TEST_EMAIL="$USER1_EMAIL" TEMP_PASSWORD="$TEMP_PASSWORD" \
		NEW_PASSWORD="$NEW_PASSWORD" WEAK_USERNAME="$USER2" WEAK_PASSWORD="$WEAK_PASSWORD"

	# SRP, the library's default flow, in a pool of its own: random users and passwords,
	# newPasswordRequired after SRP, the lockout.
	run_node "srp-flows.mjs" srp-flows.mjs \
		ENDPOINT="$ENDPOINT" ACCESS_KEY="$ACCESS_KEY" SECRET_KEY="$SECRET_KEY" SRP_USERS="${SRP_USERS:-300}"

	# The SRP edge vectors of package srp still agree with the official client.
	run_node "srp-edge-vectors.mjs (check)" srp-edge-vectors.mjs CHECK=1

	# The seed documents' cognito-user-pool library, on the old client it pins.
	NODE_DIR=$LEGACY_NODE_DIR ensure_node_modules
	NODE_DIR=$LEGACY_NODE_DIR run_node "seed-library.mjs (cognito-user-pool 0.2.4)" seed-library.mjs \
		ENDPOINT="$ENDPOINT" ACCESS_KEY="$ACCESS_KEY" SECRET_KEY="$SECRET_KEY"

	# --- what the sign-ins left behind, seen by the admin API ---
	cog admin-get-user --user-pool-id "$POOL_ID" --username "$USER1"
	assert_jq "$USER1 is CONFIRMED after the new password challenge" '.UserStatus == "CONFIRMED"'
	cog admin-get-user --user-pool-id "$POOL_ID" --username "$USER2"
	assert_jq "$USER2 still must change the password after a refused new password" \
		'.UserStatus == "FORCE_CHANGE_PASSWORD"'

	summary
	[[ $FAIL -eq 0 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
