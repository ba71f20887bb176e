#!/usr/bin/env bash
# End-to-end test: `hashless serve` as the forward-auth service of a real nginx (Debian's,
# /usr/sbin/nginx, with auth_request). The script starts serve on a free loopback port with a
# SQLite file and its embedded pool, and nginx as the current user on another free loopback
# port with everything (config, pid, logs, temp paths) in a temporary directory. nginx
# guards /private/ with auth_request to /store/auth/verify, and proxies /store/ to serve, so
# customers register and sign in through nginx.
#
#   tests/e2e/forward-auth-nginx.sh path/to/hashless
#
# Prints one `ok - ...` / `not ok - ...` line per assertion and `N passed, M failed` at the
# end; exits non-zero if any assertion failed. Without nginx it skips, except under CI=true,
# where a missing nginx fails (scripts/ensure-tools installs it). Set HASHLESS_E2E_KEEP=1 to
# keep the work directory (logs, nginx config).
# nginx variables ($customer, …) below are literal on purpose.
# shellcheck disable=SC2016
set -uo pipefail

NGINX=${NGINX:-/usr/sbin/nginx}
EMAIL=Forward.Auth@example.com
PASSWORD=Correct-Horse-9

PASS=0
FAIL=0
WORK=""
SERVER_PID=""
NGINX_PID=""
SERVE=""
PROXY=""
# Set by req: the status, headers and body of the last request.
STATUS=""
HEADERS=""
BODY=""
# shellcheck source=tests/e2e/lib/pool.bash
source "$(dirname "${BASH_SOURCE[0]}")/lib/pool.bash"

# req METHOD URL [CURL ARGS...]: sets STATUS, HEADERS (lower-cased names) and BODY.
req() {
	local method=$1 url=$2
	shift 2
	: >"$WORK/headers"
	: >"$WORK/body"
	STATUS=$(curl -s -o "$WORK/body" -D "$WORK/headers" -w '%{http_code}' --max-time 10 \
		-X "$method" "$@" "$url") || STATUS="curl failed ($?)"
	HEADERS=$(tr -d '\r' <"$WORK/headers" | sed 's/^\([^:]*\):/\L\1:/')
	BODY=$(cat "$WORK/body")
}

# header NAME: the value of header NAME (lower case) in HEADERS.
header() {
	sed -n "s/^$1: //p" <<<"$HEADERS" | tail -n1
}

# expect_status WHAT CODE: ok if the last request answered CODE.
expect_status() {
	if [[ $STATUS == "$2" ]]; then
		ok "$1"
	else
		not_ok "$1" "expected HTTP $2, got $STATUS" "body: ${BODY:0:300}"
	fi
}

# --- the processes -----------------------------------------------------------------------

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
	SERVE=$addr
	local code=""
	for ((i = 0; i < 150; i++)); do
		code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://$SERVE/readyz" || true)
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

# write_nginx_conf PORT: the configuration, with every path inside $WORK/nginx.
write_nginx_conf() {
	local port=$1 dir=$WORK/nginx user_line=""
	# A root master would run its workers as nobody, who cannot enter $WORK.
	[[ $(id -u) -eq 0 ]] && user_line="user $(id -un) $(id -gn);"
	cat >"$dir/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $dir/nginx.pid;
error_log $dir/error.log info;
events { worker_connections 64; }
http {
	access_log $dir/access.log;
	client_body_temp_path $dir/client_body;
	proxy_temp_path $dir/proxy;
	fastcgi_temp_path $dir/fastcgi;
	uwsgi_temp_path $dir/uwsgi;
	scgi_temp_path $dir/scgi;

	server {
		listen 127.0.0.1:$port;

		# The guarded location, as README shows it: the customer ID that verify answered
		# replaces whatever X-Customer-Id the client sent, on the way to the app. (A
		# \`return\` here would answer in the rewrite phase, before auth_request ever ran.)
		location /private/ {
			auth_request /_auth;
			auth_request_set \$customer \$upstream_http_x_customer_id;
			proxy_set_header X-Customer-Id \$customer;
			proxy_pass http://127.0.0.1:$port/_app/;
		}
		# The app: it greets the customer its X-Customer-Id names.
		location /_app/ {
			add_header X-Customer \$http_x_customer_id always;
			return 200 "hello \$http_x_customer_id";
		}

		# Forward-auth: the request's cookie and Authorization header go to serve, its body
		# does not.
		location = /_auth {
			internal;
			proxy_pass http://$SERVE/store/auth/verify;
			proxy_pass_request_body off;
			proxy_set_header Content-Length "";
			proxy_set_header X-Original-URI \$request_uri;
		}

		location /store/ {
			proxy_pass http://$SERVE;
		}
	}
}
EOF
}

start_nginx() {
	local dir=$WORK/nginx attempt port i code
	mkdir -p "$dir"
	for ((attempt = 0; attempt < 20; attempt++)); do
		port=$((20000 + RANDOM % 40000))
		write_nginx_conf "$port"
		: >"$dir/error.log"
		"$NGINX" -p "$dir/" -c "$dir/nginx.conf" -e "$dir/error.log" >"$dir/stdout.log" 2>&1 &
		NGINX_PID=$!
		code=""
		for ((i = 0; i < 100; i++)); do
			code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$port/nginx-probe" || true)
			[[ $code == 404 ]] && break
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
		done
		if [[ $code == 404 ]]; then
			PROXY=http://127.0.0.1:$port
			ok "nginx ($("$NGINX" -v 2>&1 | sed 's/^nginx version: //')) listens on $PROXY"
			return 0
		fi
		stop_nginx
		if ! grep -q 'Address already in use' "$dir/error.log" "$dir/stdout.log"; then
			break
		fi
	done
	not_ok "nginx starts" "$(cat "$dir/stdout.log" "$dir/error.log" 2>/dev/null | tail -n 20)"
	bail "nginx did not start"
}

stop_nginx() {
	[[ -n $NGINX_PID ]] || return 0
	if kill -0 "$NGINX_PID" 2>/dev/null; then
		kill -QUIT "$NGINX_PID" 2>/dev/null
		local i
		for ((i = 0; i < 50; i++)); do
			kill -0 "$NGINX_PID" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$NGINX_PID" 2>/dev/null
	fi
	wait "$NGINX_PID" 2>/dev/null
	NGINX_PID=""
}

on_exit() {
	local rc=$?
	stop_nginx
	if [[ $FAIL -gt 0 && -n $WORK && -f $WORK/nginx/error.log ]]; then
		printf '# last lines of the nginx error log:\n'
		grep -v '\[info\]' "$WORK/nginx/error.log" | tail -n 20 | sed 's/^/#   /'
	fi
	(exit "$rc")
	cleanup
}

# --- the test ----------------------------------------------------------------------------

main() {
	local bin=${1:-}
	if [[ -z $bin || ! -x $bin ]]; then
		printf 'usage: %s path/to/hashless\n' "$0" >&2
		exit 2
	fi
	command -v jq >/dev/null || bail "jq is missing (scripts/ensure-tools installs it)"
	command -v curl >/dev/null || bail "curl is missing (scripts/ensure-tools installs it)"
	if [[ ! -x $NGINX ]]; then
		if [[ ${CI:-} == true ]]; then
			bail "$NGINX is missing (scripts/ensure-tools installs nginx-light)"
		fi
		printf '# SKIP: %s is missing (apt-get install nginx-light, or run scripts/ensure-tools)\n' "$NGINX"
		summary
		exit 0
	fi

	WORK=$(mktemp -d "${TMPDIR:-/tmp}/hashless-e2e.XXXXXX")
	trap on_exit EXIT
	trap 'exit 130' INT TERM

	start_serve "$bin"
	start_nginx

	# --- no session ---
	req GET "$PROXY/private/x"
	expect_status "without a session, /private/x is 401" 401
	req GET "$PROXY/private/x" -H "Authorization: Bearer AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	expect_status "with a forged bearer token, /private/x is 401" 401
	req GET "$PROXY/private/x" -b "hashless_session=not-a-session"
	expect_status "with a forged cookie, /private/x is 401" 401

	# --- register and sign in through nginx ---
	req POST "$PROXY/store/customers" -H 'Content-Type: application/json' \
		--data "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\",\"first_name\":\"Forward\"}"
	expect_status "POST /store/customers through nginx is 201" 201
	local id
	id=$(jq -r '.customer.id // empty' <<<"$BODY" 2>/dev/null)
	if [[ $id =~ ^cus_[0-9A-Z]{26}$ ]]; then
		ok "the new customer has an ID ($id)"
	else
		not_ok "the new customer has an ID" "body: ${BODY:0:300}"
		bail "no customer"
	fi

	local jar=$WORK/cookies
	req POST "$PROXY/store/auth" -c "$jar" -H 'Content-Type: application/json' \
		--data "{\"email\":\"${EMAIL,,}\",\"password\":\"$PASSWORD\"}"
	expect_status "POST /store/auth through nginx is 200" 200
	local cookie
	cookie=$(awk -F'\t' '$6 == "hashless_session" { print $7 }' "$jar" 2>/dev/null)
	if [[ -n $cookie ]]; then
		ok "the sign-in sets the hashless_session cookie"
	else
		not_ok "the sign-in sets the hashless_session cookie" "$(header set-cookie)"
	fi
	if [[ $(header set-cookie) == *HttpOnly* && $(header set-cookie) == *SameSite=Lax* ]]; then
		ok "the cookie is HttpOnly and SameSite=Lax"
	else
		not_ok "the cookie is HttpOnly and SameSite=Lax" "$(header set-cookie)"
	fi

	# --- the guarded location with the cookie ---
	req GET "$PROXY/private/x" -b "$jar"
	expect_status "with the cookie, /private/x is 200" 200
	if [[ $BODY == "hello $id" ]]; then
		ok "the app sees the customer ID that verify answered"
	else
		not_ok "the app sees the customer ID that verify answered" "expected: hello $id" "got: ${BODY:0:300}"
	fi
	if [[ $(header x-customer) == "$id" ]]; then
		ok "X-Customer is the customer ID"
	else
		not_ok "X-Customer is the customer ID" "got: $(header x-customer)"
	fi
	req GET "$PROXY/private/x" -b "$jar" -H "X-Customer-Id: cus_FORGED"
	if [[ $STATUS == 200 && $BODY == "hello $id" ]]; then
		ok "a client's own X-Customer-Id does not reach the app"
	else
		not_ok "a client's own X-Customer-Id does not reach the app" "HTTP $STATUS: ${BODY:0:300}"
	fi
	# Forward-auth answers for any method: nginx asks with the guarded request's method.
	req POST "$PROXY/private/form" -b "$jar" -H 'Content-Type: application/x-www-form-urlencoded' --data 'a=1'
	expect_status "a POST with a body to /private/ with the cookie is 200" 200

	# --- a bearer session ---
	req POST "$PROXY/store/auth/token" -H 'Content-Type: application/json' \
		--data "{\"email\":\"$EMAIL\",\"password\":\"$PASSWORD\"}"
	expect_status "POST /store/auth/token through nginx is 200" 200
	local token
	token=$(jq -r 'select(.token_type == "Bearer") | .access_token // empty' <<<"$BODY" 2>/dev/null)
	[[ -n $token ]] || bail "no bearer token in ${BODY:0:200}"
	req GET "$PROXY/private/x" -H "Authorization: Bearer $token"
	expect_status "with the bearer token, /private/x is 200" 200
	if [[ $BODY == "hello $id" ]]; then
		ok "the bearer session names the same customer"
	else
		not_ok "the bearer session names the same customer" "got: ${BODY:0:300}"
	fi

	# --- signing out ends both sessions at once ---
	req DELETE "$PROXY/store/auth" -b "$jar" -c "$jar"
	expect_status "DELETE /store/auth with the cookie is 200" 200
	req GET "$PROXY/private/x" -b "hashless_session=$cookie"
	expect_status "after signing out, the old cookie gets 401 at /private/x" 401
	req GET "$PROXY/private/x" -b "$jar"
	expect_status "after signing out, the cookie jar gets 401 at /private/x" 401
	req GET "$PROXY/private/x" -H "Authorization: Bearer $token"
	expect_status "the bearer session still works after the cookie session ended" 200
	req DELETE "$PROXY/store/auth" -H "Authorization: Bearer $token"
	expect_status "DELETE /store/auth with the bearer token is 200" 200
	req GET "$PROXY/private/x" -H "Authorization: Bearer $token"
	expect_status "after DELETE /store/auth, the bearer token gets 401 at /private/x" 401

	summary
	[[ $FAIL -eq 0 ]]
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
