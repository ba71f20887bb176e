#!/usr/bin/env bash
# End-to-end test: the hosted UI and OAuth2 endpoints of a `hashless pool` that this script
# starts on a free loopback port with an in-memory store, driven as a browser and an app's
# server would drive them, with curl and a cookie jar. The pool, its domain, a resource server,
# the app clients and the user are made with the AWS CLI only; every token obtained is then
# verified with aws-jwt-verify by tests/node/oauth-tokens.mjs.
#
#   tests/e2e/hosted-oauth.sh path/to/hashless
#
# The flows:
#   1. authorization code with PKCE (S256): authorize, the sign-in form (CSRF field and
#      cookie), the code, its exchange, and a second exchange of the same code refused;
#   2. the seed example's calls exactly: /login with a literal "+" and nothing URL-encoded,
#      the exchange, userInfo with a Bearer token, /logout with logout_uri;
#   3. the implicit grant, silently from flow 1's hosted session;
#   4. the refresh_token grant with flow 1's refresh token;
#   5. client_credentials with HTTP Basic, and a scope the client may not ask for;
#   6. /oauth2/revoke of the refresh token, after which it no longer refreshes.
#
# Needs curl, jq, openssl, the AWS CLI v2 at /usr/bin/aws, and node with tests/node/node_modules
# (scripts/ensure-tools installs them all).
#
# Prints one `ok - ...` / `not ok - ...` line per assertion (its own, and the Node script's
# passed through) and `N passed, M failed` at the end; exits non-zero if any failed. Set
# HASHLESS_E2E_KEEP=1 to keep the work directory (server log, cookie jars, pages, tokens).
# jq programs below are single-quoted on purpose: their $names are jq variables.
# shellcheck disable=SC2016
set -uo pipefail

AWS_CLI=${AWS_CLI:-/usr/bin/aws}
ACCESS_KEY=AKIDLOCAL
SECRET_KEY=localsecret
REGION=us-east-1

# The seed example's app and user.
CALLBACK=http://localhost:4200/oauth/cognito
LOGOUT=http://localhost:4200/oauth/cognito/logout
USER_EMAIL=eve@example.com
USER_PASSWORD=abcdef
API=https://api.example.com

NODE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../node" && pwd)"

PASS=0
FAIL=0
OUT=""
ERR=""
RC=0
ENDPOINT=""
ISSUER=""
WORK=""
SERVER_PID=""
# The last HTTP exchange: status, Location header, body (in $WORK/body), final URL.
STATUS=""
LOCATION=""
PAGE_URL=""
# shellcheck source=tests/e2e/lib/pool.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/pool.bash"

# --- reporting ---------------------------------------------------------------------------

# assert_eq WHAT GOT WANT
assert_eq() {
	if [[ $2 == "$3" ]]; then
		ok "$1"
	else
		not_ok "$1" "expected: $3" "got: $2"
	fi
}

# assert_status WHAT WANT: ok if the last exchange answered WANT.
assert_status() {
	if [[ $STATUS == "$2" ]]; then
		ok "$1"
	else
		not_ok "$1" "expected status $2, got ${STATUS:-none}${LOCATION:+ to $LOCATION}" "$(head -c 400 "$WORK/body" 2>/dev/null)"
	fi
}

# --- JSON helpers ------------------------------------------------------------------------

# jwt_claims TOKEN: the unverified payload of a compact JWT, as JSON.
jwt_claims() {
	jq -R 'split(".")[1] | gsub("-"; "+") | gsub("_"; "/") | . + ("=" * ((4 - length % 4) % 4)) | @base64d | fromjson' \
		<<<"$1" 2>/dev/null
}

# --- URLs and forms ----------------------------------------------------------------------

# urldecode VALUE: a form-encoded value decoded ("+" is a space).
urldecode() {
	local v=${1//+/ }
	printf '%b' "${v//%/\\x}"
}

# param PART NAME: the decoded value of NAME in PART (a query or a fragment), empty if absent.
param() {
	local pair
	local -a pairs
	IFS='&' read -r -a pairs <<<"$1"
	for pair in "${pairs[@]}"; do
		if [[ ${pair%%=*} == "$2" ]]; then
			urldecode "${pair#*=}"
			return 0
		fi
	done
	return 1
}

# query_of URL / fragment_of URL: the part after ? (up to #) / after #.
query_of() {
	local q=${1#*\?}
	[[ $q == "$1" ]] && return 0
	printf '%s' "${q%%#*}"
}
fragment_of() {
	local f=${1#*#}
	[[ $f == "$1" ]] || printf '%s' "$f"
}

# html_unescape: the entities Go's html/template writes in attribute values.
html_unescape() {
	sed -e 's/&#43;/+/g' -e 's/&#34;/"/g' -e 's/&quot;/"/g' -e "s/&#39;/'/g" \
		-e 's/&lt;/</g' -e 's/&gt;/>/g' -e 's/&amp;/\&/g'
}

# form_block FILE ACTION: the inside of the first <form method="post"> of FILE whose action
# ends in ACTION.
form_block() {
	awk -v action="$2" '
		!inside && /<form method="post" action="/ {
			a = $0; sub(/.*action="/, "", a); sub(/".*/, "", a)
			if (length(a) >= length(action) && substr(a, length(a) - length(action) + 1) == action) { inside = 1; next }
		}
		inside && /<\/form>/ { exit }
		inside { print }
	' "$1"
}

# form_action FILE ACTION: the action attribute of that form.
form_action() {
	grep -o '<form method="post" action="[^"]*"' "$1" | sed 's/.*action="//; s/"$//' |
		while IFS= read -r a; do
			if [[ $a == *"$2" ]]; then
				printf '%s\n' "$a" | html_unescape
				break
			fi
		done
}

# hidden_fields FILE ACTION: "name=value" lines (values unescaped, not URL-encoded) of the
# hidden inputs of that form.
hidden_fields() {
	form_block "$1" "$2" | grep -o '<input type="hidden" name="[^"]*" value="[^"]*"' |
		sed 's/^<input type="hidden" name="\([^"]*\)" value="\([^"]*\)"$/\1=\2/' | html_unescape
}

# cookie_value JAR NAME: a cookie's value in a curl cookie jar.
cookie_value() {
	awk -v name="$2" -F '\t' 'NF >= 7 && $6 == name { v = $7 } END { if (v != "") print v }' "$1"
}

# --- HTTP --------------------------------------------------------------------------------

# request JAR CURL-ARGS...: one HTTP exchange, never following a redirect; sets STATUS and
# LOCATION, and leaves the body in $WORK/body. JAR "-" keeps no cookies.
request() {
	local jar=$1
	shift
	local -a cookies=()
	[[ $jar != - ]] && cookies=(-b "$jar" -c "$jar")
	: >"$WORK/body"
	: >"$WORK/headers"
	STATUS=$(curl -s --max-time 30 "${cookies[@]}" -D "$WORK/headers" -o "$WORK/body" -w '%{http_code}' "$@") || STATUS=""
	LOCATION=$(awk 'tolower($1) == "location:" { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print; exit }' "$WORK/headers")
	OUT=$(<"$WORK/body")
}

# header NAME: a header of the last exchange.
header() {
	awk -v name="$(tr '[:upper:]' '[:lower:]' <<<"$1"):" 'tolower($1) == name { sub(/^[^:]*:[ \t]*/, ""); sub(/\r$/, ""); print; exit }' \
		"$WORK/headers"
}

# browse JAR URL: a browser's GET: follows redirects within the server and stops at any other
# (the app's callback is nobody's); sets PAGE_URL to the last URL fetched.
browse() {
	local jar=$1 url=$2 i
	for ((i = 0; i < 10; i++)); do
		PAGE_URL=$url
		request "$jar" "$url"
		[[ $STATUS == 30[1237] && -n $LOCATION ]] || return 0
		case $LOCATION in
		/*) url=$ENDPOINT$LOCATION ;;
		"$ENDPOINT"/*) url=$LOCATION ;;
		*) return 0 ;;
		esac
	done
}

# submit JAR PAGE-FILE ACTION NAME=VALUE...: posts the form of PAGE-FILE whose action ends in
# ACTION as a browser would: its hidden fields, the given fields, same-origin.
submit() {
	local jar=$1 page=$2 action=$3 target field
	shift 3
	target=$(form_action "$page" "$action")
	if [[ -z $target ]]; then
		STATUS=""
		LOCATION=""
		printf 'no form posting to %s\n' "$action" >"$WORK/body"
		return 1
	fi
	[[ $target == /* ]] && target=$ENDPOINT$target
	local -a data=()
	while IFS= read -r field; do
		[[ -n $field ]] && data+=(--data-urlencode "$field")
	done < <(hidden_fields "$page" "$action")
	for field in "$@"; do
		data+=(--data-urlencode "$field")
	done
	PAGE_URL=$target
	request "$jar" -X POST -H "Origin: $ENDPOINT" "${data[@]}" "$target"
}

# token_call ENDPOINT CURL-ARGS...: a POST as an app's server makes it (no cookies).
token_call() {
	local endpoint=$1
	shift
	request - -X POST -H 'Content-Type: application/x-www-form-urlencoded' "$@" "$ISSUER/oauth2/$endpoint"
}

# --- Node --------------------------------------------------------------------------------

# check_node_modules: node is there, and tests/node/node_modules has aws-jwt-verify.
check_node_modules() {
	command -v node >/dev/null || bail "node is missing (scripts/ensure-tools installs it)"
	if [[ ! -f $NODE_DIR/node_modules/aws-jwt-verify/package.json ]]; then
		not_ok "tests/node/node_modules has aws-jwt-verify" \
			"tests/node/node_modules is missing or incomplete: run scripts/ensure-tools (or \`npm ci\` in tests/node)"
		bail "the Node packages are not installed"
	fi
	ok "tests/node/node_modules has aws-jwt-verify $(jq -r .version "$NODE_DIR/node_modules/aws-jwt-verify/package.json" 2>/dev/null)"
}

# run_node WHAT SCRIPT ARGS...: runs tests/node/SCRIPT, passes its `ok`/`not ok`/`#` lines
# through (its own summary line is left out) and adds its counts to this script's. A non-zero
# exit without a reported failure counts as one failure.
run_node() {
	local what=$1 script=$2 rc passed failed
	shift 2
	local log=$WORK/${script%.*}.out
	(cd "$NODE_DIR" && node "$script" "$@") 2>&1 | tee "$log" | grep -Ev '^[0-9]+ passed, [0-9]+ failed$'
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

# --- the test ----------------------------------------------------------------------------

# The tokens handed to oauth-tokens.mjs, one JSON object a line.
add_token() { # NAME KIND CLIENT TOKEN [GRANT]
	if [[ -z $4 ]]; then
		not_ok "$1: there is a $2 token to verify"
		return
	fi
	jq -nc --arg name "$1" --arg kind "$2" --arg client "$3" --arg token "$4" --arg grant "${5:-}" \
		'{name: $name, kind: $kind, clientId: $client, token: $token} + (if $grant == "" then {} else {grant: $grant} end)' \
		>>"$WORK/tokens.jsonl"
}

# pkce: a fresh S256 verifier and challenge (RFC 7636) in VERIFIER and CHALLENGE.
pkce() {
	VERIFIER=$(openssl rand 48 | openssl base64 -A | tr '+/' '-_' | tr -d '=')
	CHALLENGE=$(printf '%s' "$VERIFIER" | openssl dgst -sha256 -binary | openssl base64 -A | tr '+/' '-_' | tr -d '=')
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
	command -v openssl >/dev/null || bail "openssl is missing"

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hashless-e2e-oauth.XXXXXX")
	trap cleanup EXIT
	trap 'exit 130' INT TERM

	isolate_aws_cli
	# Parameters such as --callback-urls are URLs: the CLI must pass them on, not fetch them
	# (v2 does not by default; v1 did).
	printf '[default]\ncli_follow_urlparam = false\n' >"$AWS_CONFIG_FILE"
	: >"$AWS_SHARED_CREDENTIALS_FILE"

	check_node_modules
	printf '# %s; %s; node %s\n' "$("$AWS_CLI" --version 2>&1)" "$(curl --version | head -n 1 | cut -d' ' -f1-2)" "$(node --version)"

	start_server "$bin"

	# --- the pool, as the seed example makes it ---
	expect_ok "create-user-pool signing in by email" create-user-pool --pool-name hosted-oauth \
		--username-attributes email --auto-verified-attributes email \
		--policies 'PasswordPolicy={MinimumLength=6}'
	local pool_id
	pool_id=$(jget .UserPool.Id)
	require "$pool_id" "user pool id"
	assert_jq "the pool signs in by email and its policy asks only for 6 characters" \
		'.UserPool.UsernameAttributes == ["email"] and .UserPool.AutoVerifiedAttributes == ["email"]
		 and (.UserPool.Policies.PasswordPolicy | .MinimumLength == 6 and .RequireUppercase == false
		      and .RequireLowercase == false and .RequireNumbers == false and .RequireSymbols == false)'
	ISSUER=$ENDPOINT/$pool_id

	local domain=hosted-oauth-${pool_id##*_}
	domain=${domain,,}
	expect_ok "create-user-pool-domain $domain" create-user-pool-domain --user-pool-id "$pool_id" --domain "$domain"
	expect_ok "describe-user-pool-domain" describe-user-pool-domain --domain "$domain"
	assert_jq "the domain belongs to the pool" '.DomainDescription.UserPoolId == $p and .DomainDescription.Domain == $d' \
		--arg p "$pool_id" --arg d "$domain"

	expect_ok "create-resource-server $API with read and write" create-resource-server --user-pool-id "$pool_id" \
		--identifier "$API" --name api \
		--scopes ScopeName=read,ScopeDescription=Read ScopeName=write,ScopeDescription=Write
	assert_jq "the resource server has both scopes" \
		'.ResourceServer.Identifier == $api and ([.ResourceServer.Scopes[].ScopeName] | sort) == ["read", "write"]' --arg api "$API"

	expect_ok "create-user-pool-client: a public OAuth client (code, implicit)" create-user-pool-client \
		--user-pool-id "$pool_id" --client-name client-localhost \
		--explicit-auth-flows ALLOW_CUSTOM_AUTH ALLOW_USER_SRP_AUTH ALLOW_REFRESH_TOKEN_AUTH \
		--prevent-user-existence-errors ENABLED \
		--allowed-o-auth-flows code implicit --allowed-o-auth-scopes openid email profile \
		--callback-urls "$CALLBACK" --logout-urls "$LOGOUT" \
		--allowed-o-auth-flows-user-pool-client --supported-identity-providers COGNITO
	local client_id
	client_id=$(jget .UserPoolClient.ClientId)
	require "$client_id" "public client id"
	assert_jq "the public client has no secret and keeps its OAuth settings" \
		'(.UserPoolClient.ClientSecret // "") == ""
		 and .UserPoolClient.CallbackURLs == [$cb] and .UserPoolClient.LogoutURLs == [$lo]
		 and (.UserPoolClient.AllowedOAuthFlows | sort) == ["code", "implicit"]
		 and (.UserPoolClient.AllowedOAuthScopes | sort) == ["email", "openid", "profile"]
		 and .UserPoolClient.AllowedOAuthFlowsUserPoolClient == true' --arg cb "$CALLBACK" --arg lo "$LOGOUT"

	expect_ok "create-user-pool-client: a confidential client (client_credentials)" create-user-pool-client \
		--user-pool-id "$pool_id" --client-name service --generate-secret \
		--allowed-o-auth-flows client_credentials --allowed-o-auth-scopes "$API/read" \
		--allowed-o-auth-flows-user-pool-client
	local service_id service_secret
	service_id=$(jget .UserPoolClient.ClientId)
	service_secret=$(jget .UserPoolClient.ClientSecret)
	require "$service_id" "confidential client id"
	require "$service_secret" "confidential client secret"
	assert_jq "the confidential client allows client_credentials for $API/read only" \
		'.UserPoolClient.AllowedOAuthFlows == ["client_credentials"] and .UserPoolClient.AllowedOAuthScopes == [$s]' \
		--arg s "$API/read"

	expect_ok "admin-create-user $USER_EMAIL (no message)" admin-create-user --user-pool-id "$pool_id" \
		--username "$USER_EMAIL" --message-action SUPPRESS \
		--user-attributes Name=email,Value="$USER_EMAIL" Name=email_verified,Value=true
	local username sub
	username=$(jget .User.Username)
	sub=$(jget '.User.Attributes[] | select(.Name == "sub") | .Value')
	require "$username" "username"
	require "$sub" "sub"
	expect_ok "admin-set-user-password --permanent (6 lowercase letters)" admin-set-user-password \
		--user-pool-id "$pool_id" --username "$USER_EMAIL" --password "$USER_PASSWORD" --permanent
	cog admin-get-user --user-pool-id "$pool_id" --username "$USER_EMAIL"
	assert_jq "the user is CONFIRMED" '.UserStatus == "CONFIRMED"'

	request - "$ISSUER/.well-known/openid-configuration"
	assert_status "GET /.well-known/openid-configuration is 200" 200
	assert_jq "discovery names the issuer and the endpoints under it" \
		'.issuer == $i and .authorization_endpoint == $i + "/oauth2/authorize" and .token_endpoint == $i + "/oauth2/token"
		 and .userinfo_endpoint == $i + "/oauth2/userInfo" and .revocation_endpoint == $i + "/oauth2/revoke"
		 and .jwks_uri == $i + "/.well-known/jwks.json" and (.code_challenge_methods_supported | index("S256") != null)' \
		--arg i "$ISSUER"

	: >"$WORK/tokens.jsonl"
	local jar1=$WORK/jar-code jar2=$WORK/jar-seed
	local code q frag

	# --- 1. authorization code with PKCE ---
	printf '# 1. authorization code with PKCE S256\n'
	pkce
	local code_verifier=$VERIFIER
	browse "$jar1" "$ISSUER/oauth2/authorize?response_type=code&client_id=$client_id&redirect_uri=$(jq -rn --arg u "$CALLBACK" '$u | @uri')&scope=openid+email+profile&state=state-1&code_challenge=$CHALLENGE&code_challenge_method=S256"
	cp "$WORK/body" "$WORK/login-1.html"
	if [[ $STATUS == 200 && $PAGE_URL == "$ISSUER/login?"* ]]; then
		ok "authorize leads to the sign-in page"
	else
		not_ok "authorize leads to the sign-in page" "status ${STATUS:-none} at $PAGE_URL${LOCATION:+ to $LOCATION}"
	fi
	local csrf_field csrf_cookie
	csrf_field=$(hidden_fields "$WORK/login-1.html" /login | sed -n 's/^csrf=//p')
	csrf_cookie=$(cookie_value "$jar1" hashless-hosted-csrf)
	if [[ -n $csrf_field && $csrf_field == "$csrf_cookie" ]]; then
		ok "the form's csrf field equals the hashless-hosted-csrf cookie"
	else
		not_ok "the form's csrf field equals the hashless-hosted-csrf cookie" "field: $csrf_field" "cookie: $csrf_cookie"
	fi
	local fields
	fields=$(hidden_fields "$WORK/login-1.html" /login)
	if grep -qx "code_challenge=$CHALLENGE" <<<"$fields" && grep -qx 'code_challenge_method=S256' <<<"$fields" &&
		grep -qx "redirect_uri=$CALLBACK" <<<"$fields" && grep -qx 'state=state-1' <<<"$fields" &&
		grep -qx 'scope=openid email profile' <<<"$fields"; then
		ok "the form carries the authorization parameters as hidden fields"
	else
		not_ok "the form carries the authorization parameters as hidden fields" "$fields"
	fi

	submit "$jar1" "$WORK/login-1.html" /login "username=$USER_EMAIL" "password=wrong-password"
	cp "$WORK/body" "$WORK/login-1-wrong.html"
	if [[ $STATUS == 400 ]] && grep -q 'Incorrect username or password.' "$WORK/body"; then
		ok "a wrong password shows the form again with the error (400)"
	else
		not_ok "a wrong password shows the form again with the error (400)" "status ${STATUS:-none}" "$(head -c 300 "$WORK/body")"
	fi
	submit "$jar1" "$WORK/login-1-wrong.html" /login "username=$USER_EMAIL" "password=$USER_PASSWORD"
	if [[ $STATUS == 302 && $LOCATION == "$CALLBACK?"* ]]; then
		ok "signing in redirects to the callback (302)"
	else
		not_ok "signing in redirects to the callback (302)" "status ${STATUS:-none} to $LOCATION" "$(head -c 300 "$WORK/body")"
	fi
	q=$(query_of "$LOCATION")
	code=$(param "$q" code)
	assert_eq "the callback has a code and the state" "${code:+code}:$(param "$q" state)" "code:state-1"
	if [[ -n $(cookie_value "$jar1" hashless-hosted-session) ]]; then
		ok "the sign-in set the hashless-hosted-session cookie"
	else
		not_ok "the sign-in set the hashless-hosted-session cookie" "$(cat "$jar1")"
	fi

	token_call token --data-urlencode grant_type=authorization_code --data-urlencode "client_id=$client_id" \
		--data-urlencode "code=$code" --data-urlencode "redirect_uri=$CALLBACK" --data-urlencode "code_verifier=$code_verifier"
	assert_status "the code exchange with the PKCE verifier is 200" 200
	assert_jq "it returns Bearer ID, access and refresh tokens for 3600 s" \
		'.token_type == "Bearer" and .expires_in == 3600 and (.id_token | length > 0)
		 and (.access_token | length > 0) and (.refresh_token | length > 0)'
	local code_id code_access code_refresh
	code_id=$(jget .id_token)
	code_access=$(jget .access_token)
	code_refresh=$(jget .refresh_token)
	OUT=$(jwt_claims "$code_access")
	assert_jq "the access token has the granted scopes and the user" \
		'(.scope | split(" ") | sort) == ["email", "openid", "profile"] and .username == $u and .client_id == $c' \
		--arg u "$username" --arg c "$client_id"
	add_token "code flow" id "$client_id" "$code_id"
	add_token "code flow" access "$client_id" "$code_access"

	token_call token --data-urlencode grant_type=authorization_code --data-urlencode "client_id=$client_id" \
		--data-urlencode "code=$code" --data-urlencode "redirect_uri=$CALLBACK" --data-urlencode "code_verifier=$code_verifier"
	assert_status "a second exchange of the same code is 400" 400
	assert_jq "the second exchange is invalid_grant" '.error == "invalid_grant"'

	# --- 2. the seed example ---
	printf '# 2. the seed example: /login, token, userInfo, logout\n'
	# qs.stringify(..., {encode: false}): a literal "+" between the scopes, the URL as it is.
	browse "$jar2" "$ISSUER/login?client_id=$client_id&response_type=code&scope=email+openid&redirect_uri=$CALLBACK"
	cp "$WORK/body" "$WORK/login-2.html"
	if [[ $STATUS == 200 ]] && grep -q 'type="email"' "$WORK/body"; then
		ok "GET /login with the seed's query is the sign-in page, asking for an email"
	else
		not_ok "GET /login with the seed's query is the sign-in page, asking for an email" \
			"status ${STATUS:-none}${LOCATION:+ to $LOCATION}" "$(head -c 300 "$WORK/body")"
	fi
	submit "$jar2" "$WORK/login-2.html" /login "username=$USER_EMAIL" "password=$USER_PASSWORD"
	if [[ $STATUS == 302 && $LOCATION == "$CALLBACK?code="* && $LOCATION != *state=* ]]; then
		ok "signing in redirects to $CALLBACK?code=... (no state)"
	else
		not_ok "signing in redirects to $CALLBACK?code=... (no state)" "status ${STATUS:-none} to $LOCATION" "$(head -c 300 "$WORK/body")"
	fi
	code=$(param "$(query_of "$LOCATION")" code)
	# The seed's exchange body, unencoded.
	token_call token --data-binary "grant_type=authorization_code&client_id=$client_id&redirect_uri=$CALLBACK&code=$code"
	assert_status "the seed's code exchange is 200" 200
	assert_jq "it returns Bearer ID, access and refresh tokens for 3600 s" \
		'.token_type == "Bearer" and .expires_in == 3600 and (.id_token | length > 0)
		 and (.access_token | length > 0) and (.refresh_token | length > 0)'
	local seed_id seed_access
	seed_id=$(jget .id_token)
	seed_access=$(jget .access_token)
	add_token "seed example" id "$client_id" "$seed_id"
	add_token "seed example" access "$client_id" "$seed_access"

	request - -H "Authorization: Bearer $seed_access" "$ISSUER/oauth2/userInfo"
	assert_status "GET /oauth2/userInfo with the Bearer token is 200" 200
	assert_jq "userInfo has sub, username, email and email_verified as the string \"true\"" \
		'.sub == $sub and .username == $u and .email == $e and .email_verified == "true"' \
		--arg sub "$sub" --arg u "$username" --arg e "$USER_EMAIL"
	request - -H "Authorization: Bearer ${seed_access}x" "$ISSUER/oauth2/userInfo"
	if [[ $STATUS == 401 && $(header WWW-Authenticate) == *'error="invalid_token"'* ]]; then
		ok "userInfo with a forged token is 401 invalid_token"
	else
		not_ok "userInfo with a forged token is 401 invalid_token" "status ${STATUS:-none}, WWW-Authenticate: $(header WWW-Authenticate)"
	fi

	request "$jar2" "$ISSUER/logout?client_id=$client_id&logout_uri=$LOGOUT"
	if [[ $STATUS == 302 && $LOCATION == "$LOGOUT" ]]; then
		ok "GET /logout redirects to the logout_uri exactly"
	else
		not_ok "GET /logout redirects to the logout_uri exactly" "status ${STATUS:-none} to '$LOCATION'"
	fi
	browse "$jar2" "$ISSUER/login?client_id=$client_id&response_type=code&scope=email+openid&redirect_uri=$CALLBACK"
	if [[ $STATUS == 200 ]] && grep -q 'name="password"' "$WORK/body"; then
		ok "after logout /login asks for the password again"
	else
		not_ok "after logout /login asks for the password again" "status ${STATUS:-none}${LOCATION:+ to $LOCATION}"
	fi

	# --- 3. implicit, silently from flow 1's hosted session ---
	printf '# 3. implicit grant with the hosted session of flow 1\n'
	browse "$jar1" "$ISSUER/oauth2/authorize?response_type=token&client_id=$client_id&redirect_uri=$(jq -rn --arg u "$CALLBACK" '$u | @uri')&scope=openid+email+profile&state=state-3&nonce=nonce-3"
	if [[ $STATUS == 302 && $LOCATION == "$CALLBACK#"* ]]; then
		ok "authorize with the session redirects to the callback without a form"
	else
		not_ok "authorize with the session redirects to the callback without a form" \
			"status ${STATUS:-none} at $PAGE_URL${LOCATION:+ to $LOCATION}" "$(head -c 300 "$WORK/body")"
	fi
	frag=$(fragment_of "$LOCATION")
	local implicit_id implicit_access
	implicit_id=$(param "$frag" id_token)
	implicit_access=$(param "$frag" access_token)
	if [[ -n $implicit_id && -n $implicit_access && $(param "$frag" token_type) == Bearer &&
		$(param "$frag" expires_in) == 3600 && $(param "$frag" state) == state-3 ]]; then
		ok "the fragment has ID and access tokens, Bearer, 3600 s and the state"
	else
		not_ok "the fragment has ID and access tokens, Bearer, 3600 s and the state" "$frag"
	fi
	if param "$frag" refresh_token >/dev/null || [[ -n $(query_of "$LOCATION") ]]; then
		not_ok "the implicit grant gives no refresh token (and nothing in the query)" "$LOCATION"
	else
		ok "the implicit grant gives no refresh token (and nothing in the query)"
	fi
	OUT=$(jwt_claims "$implicit_id")
	assert_jq "the implicit ID token carries the nonce and the user" '.nonce == "nonce-3" and .sub == $sub' --arg sub "$sub"
	add_token "implicit" id "$client_id" "$implicit_id"
	add_token "implicit" access "$client_id" "$implicit_access"

	# --- 4. refresh_token ---
	printf '# 4. refresh_token grant\n'
	token_call token --data-urlencode grant_type=refresh_token --data-urlencode "client_id=$client_id" \
		--data-urlencode "refresh_token=$code_refresh"
	assert_status "the refresh_token grant is 200" 200
	assert_jq "it returns Bearer ID and access tokens for 3600 s" \
		'.token_type == "Bearer" and .expires_in == 3600 and (.id_token | length > 0) and (.access_token | length > 0)'
	local refreshed_id refreshed_access
	refreshed_id=$(jget .id_token)
	refreshed_access=$(jget .access_token)
	OUT=$(jwt_claims "$refreshed_access")
	assert_jq "the refreshed access token keeps the granted scopes" \
		'(.scope | split(" ") | sort) == ["email", "openid", "profile"] and .username == $u' --arg u "$username"
	add_token "refresh" id "$client_id" "$refreshed_id"
	add_token "refresh" access "$client_id" "$refreshed_access"

	# --- 5. client_credentials ---
	printf '# 5. client_credentials with HTTP Basic\n'
	token_call token -u "$service_id:$service_secret" --data-urlencode grant_type=client_credentials \
		--data-urlencode "scope=$API/read"
	assert_status "client_credentials with Basic auth is 200" 200
	assert_jq "it returns a Bearer access token only, for 3600 s" \
		'.token_type == "Bearer" and .expires_in == 3600 and (.access_token | length > 0)
		 and .id_token == null and .refresh_token == null'
	local cc_access
	cc_access=$(jget .access_token)
	OUT=$(jwt_claims "$cc_access")
	assert_jq "its scope claim is the requested $API/read" '.scope == $s' --arg s "$API/read"
	assert_jq "it is the client's own: token_use access, client_id and sub the client, no username" \
		'.token_use == "access" and .client_id == $c and .sub == $c and has("username") == false' --arg c "$service_id"
	add_token "client_credentials" access "$service_id" "$cc_access" client_credentials

	token_call token -u "$service_id:$service_secret" --data-urlencode grant_type=client_credentials \
		--data-urlencode "scope=$API/write"
	assert_status "client_credentials for $API/write (not the client's) is 400" 400
	assert_jq "it is invalid_scope" '.error == "invalid_scope"'

	# --- 6. revoke ---
	printf '# 6. revoking the refresh token\n'
	token_call revoke --data-urlencode "token=$code_refresh" --data-urlencode "client_id=$client_id"
	assert_status "POST /oauth2/revoke with the refresh token is 200" 200
	token_call token --data-urlencode grant_type=refresh_token --data-urlencode "client_id=$client_id" \
		--data-urlencode "refresh_token=$code_refresh"
	assert_status "refreshing with the revoked token is 400" 400
	assert_jq "it is invalid_grant" '.error == "invalid_grant"'
	request - -H "Authorization: Bearer $refreshed_access" "$ISSUER/oauth2/userInfo"
	assert_status "userInfo refuses an access token minted from the revoked refresh token (401)" 401

	# --- every token through aws-jwt-verify ---
	jq -s --arg issuer "$ISSUER" '{issuer: $issuer, tokens: .}' "$WORK/tokens.jsonl" >"$WORK/tokens.json"
	printf '# %d tokens to verify\n' "$(jq '.tokens | length' "$WORK/tokens.json")"
	run_node "oauth-tokens.mjs" oauth-tokens.mjs "$WORK/tokens.json"

	summary
	[[ $FAIL -eq 0 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
