# Shared by the end-to-end scripts: TAP-style reporting and a `hashless pool` started on a
# free loopback port for one script. Callers set WORK, SERVER_PID, PASS, FAIL, ACCESS_KEY and
# SECRET_KEY, and call `trap cleanup EXIT` before start_server.
# shellcheck shell=bash

ok() {
	PASS=$((PASS + 1))
	printf 'ok - %s\n' "$1"
}

not_ok() {
	FAIL=$((FAIL + 1))
	printf 'not ok - %s\n' "$1"
	shift
	local d
	for d in "$@"; do
		[[ -n $d ]] && printf '%s\n' "$d" | head -n 5 | sed 's/^/#   /'
	done
	return 0
}

bail() {
	printf 'Bail out! %s\n' "$1"
	[[ $FAIL -gt 0 ]] || FAIL=1
	summary
	exit 1
}

addr_from_log() {
	local line re_text='(^|[[:space:]])addr="?([^"[:space:]]+)' re_json='"addr":"([^"]+)"'
	while IFS= read -r line; do
		[[ $line == *listening* ]] || continue
		if [[ $line =~ $re_text ]]; then
			printf '%s\n' "${BASH_REMATCH[2]}"
			return 0
		elif [[ $line =~ $re_json ]]; then
			printf '%s\n' "${BASH_REMATCH[1]}"
			return 0
		fi
	done <"$1"
	return 1
}

start_server() {
	local bin=$1 i addr=""
	: >"$WORK/server.log"
	"$bin" pool --addr 127.0.0.1:0 --db memory \
		--credentials "$ACCESS_KEY:$SECRET_KEY" \
		--kdf argon2id:m=64,t=1,p=1 --outbox \
		>"$WORK/server.log" 2>&1 &
	SERVER_PID=$!

	for ((i = 0; i < 300; i++)); do
		addr=$(addr_from_log "$WORK/server.log") && break
		addr=""
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -z $addr ]]; then
		not_ok "server logs its listening address" "$(tail -n 20 "$WORK/server.log")"
		bail "the server did not start"
	fi
	ok "server logs its listening address ($addr)"
	ENDPOINT="http://$addr"

	local code=""
	for ((i = 0; i < 150; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "$ENDPOINT/_local/health" || true)
		[[ $code == 200 ]] && break
		kill -0 "$SERVER_PID" 2>/dev/null || break
		sleep 0.2
	done
	if [[ $code != 200 ]]; then
		not_ok "GET /_local/health is 200" "last status: ${code:-none}" "$(tail -n 20 "$WORK/server.log")"
		bail "the server is not healthy"
	fi
	ok "GET /_local/health is 200"
}

cleanup() {
	local rc=$?
	if [[ -n $SERVER_PID ]] && kill -0 "$SERVER_PID" 2>/dev/null; then
		kill "$SERVER_PID" 2>/dev/null
		local i
		for ((i = 0; i < 50; i++)); do
			kill -0 "$SERVER_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$SERVER_PID" 2>/dev/null
		wait "$SERVER_PID" 2>/dev/null
	fi
	if [[ -n $WORK && -d $WORK ]]; then
		if [[ $FAIL -gt 0 && -f $WORK/server.log ]]; then
			printf '# last lines of the server log:\n'
			tail -n 40 "$WORK/server.log" | sed 's/^/#   /'
		fi
		if [[ -n ${HASHLESS_E2E_KEEP:-} ]]; then
			printf '# kept %s\n' "$WORK"
		else
			rm -rf "$WORK"
		fi
	fi
	exit "$rc"
}

# The AWS CLI, for scripts that set AWS_CLI, ENDPOINT, REGION and WORK.
# cog OP ARGS...: runs `aws cognito-idp OP ARGS...`; sets OUT (stdout), ERR (stderr) and RC.
cog() {
	OUT=$("$AWS_CLI" --endpoint-url "$ENDPOINT" --region "$REGION" --output json \
		--cli-connect-timeout 5 --cli-read-timeout 60 \
		cognito-idp "$@" 2>"$WORK/aws.stderr")
	RC=$?
	ERR=$(<"$WORK/aws.stderr")
}

# expect_ok WHAT OP ARGS...: ok if the call succeeds; returns the call's status.
expect_ok() {
	local what=$1
	shift
	cog "$@"
	if [[ $RC -eq 0 ]]; then
		ok "$what"
	else
		not_ok "$what" "exit $RC: $ERR"
	fi
	return "$RC"
}

# isolate_aws_cli: the AWS CLI sees only ACCESS_KEY, SECRET_KEY and REGION, and config files
# under WORK: nothing from ~/.aws or the caller's profile, no retries, no instance metadata.
isolate_aws_cli() {
	unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_CA_BUNDLE \
		AWS_ENDPOINT_URL AWS_ENDPOINT_URL_COGNITO_IDENTITY_PROVIDER AWS_DEFAULT_OUTPUT AWS_CLI_AUTO_PROMPT
	export AWS_ACCESS_KEY_ID=$ACCESS_KEY AWS_SECRET_ACCESS_KEY=$SECRET_KEY
	export AWS_EC2_METADATA_DISABLED=true AWS_PAGER="" AWS_DEFAULT_REGION=$REGION AWS_REGION=$REGION
	export AWS_CONFIG_FILE=$WORK/aws-config AWS_SHARED_CREDENTIALS_FILE=$WORK/aws-credentials
	export AWS_MAX_ATTEMPTS=1 AWS_RETRY_MODE=standard
}

# Reporting and JSON helpers the scripts share (OUT is the last call's output).
summary() {
	printf '%d passed, %d failed\n' "$PASS" "$FAIL"
}

# require VALUE WHAT: bail unless VALUE is non-empty and not "null".
require() {
	[[ -n $1 && $1 != null ]] || bail "no $2"
}

# jget FILTER: raw value of FILTER applied to $OUT (empty on error or null).
jget() {
	local v
	v=$(jq -r "$1 // empty" <<<"$OUT" 2>/dev/null) || v=""
	printf '%s' "$v"
}

# assert_jq WHAT FILTER [JQ ARGS...]: ok if FILTER, applied to $OUT, is true.
assert_jq() {
	local what=$1 filter=$2
	shift 2
	# jq -e on empty input exits 0 (jq 1.6), so an empty response fails here explicitly.
	if [[ -n ${OUT//[[:space:]]/} ]] && jq -e "$@" "$filter" <<<"$OUT" >/dev/null 2>&1; then
		ok "$what"
	else
		not_ok "$what" "expected: $filter" "got: $(jq -c . <<<"$OUT" 2>/dev/null | cut -c1-400 || printf '%s' "${OUT:0:400}")"
	fi
}
