# Starting and stopping the servers the load benchmark drives; sourced by scripts/bench and
# scripts/bench-smoke (bash, with `set -euo pipefail`, from the repository root).
#
# Each bench_start_* function starts one server on 127.0.0.1 and, once it answers, sets
# <NAME>_URL and <NAME>_PID; on failure it returns 1 and sets <NAME>_REASON. Every process
# started here is remembered by its PID, and bench_stop_all stops exactly those.
#
# Needs BENCH_BIN (the built hashless-bench, for free ports and readiness checks) and
# BENCH_WORK (a scratch directory for databases and logs).

bench_pids=()

bench_free_port() {
	"$BENCH_BIN" -free-port
}

# bench_alive PID: whether that process still runs.
bench_alive() {
	kill -0 "$1" 2>/dev/null
}

# bench_log_tail FILE: the last lines of a server log, indented, for error messages.
bench_log_tail() {
	tail -n 5 "$1" 2>/dev/null | sed 's/^/    /' >&2 || true
}

# bench_start_hashless BIN [extra flags...]: hashless pool on a SQLite file in BENCH_WORK
# with the benchmark's credentials and the default KDF, on a port it picks itself.
bench_start_hashless() {
	local bin=$1
	shift
	local log=$BENCH_WORK/hashless.log
	AWS_EC2_METADATA_DISABLED=true "$bin" pool --addr 127.0.0.1:0 --db "$BENCH_WORK/hashless-pool.db" \
		--credentials "$BENCH_ACCESS_KEY:$BENCH_SECRET_KEY" "$@" 2>"$log" &
	HASHLESS_PID=$!
	bench_pids+=("$HASHLESS_PID")
	local addr="" i
	for ((i = 0; i < 300; i++)); do
		addr=$(sed -n 's/.*msg=listening addr=\([^ ]*\).*/\1/p' "$log" | head -n1)
		[[ -n $addr ]] && break
		if ! bench_alive "$HASHLESS_PID"; then
			break
		fi
		sleep 0.1
	done
	if [[ -z $addr ]]; then
		HASHLESS_REASON="hashless pool did not log msg=listening (log: $log)"
		bench_log_tail "$log"
		return 1
	fi
	HASHLESS_URL="http://$addr"
	if ! "$BENCH_BIN" -wait "$HASHLESS_URL/_local/health" -wait-timeout 30s; then
		HASHLESS_REASON="hashless pool does not answer at $HASHLESS_URL"
		return 1
	fi
}

# bench_start_moto TIMEOUT: moto_server from PATH.
bench_start_moto() {
	local timeout=$1
	if ! command -v moto_server >/dev/null 2>&1; then
		MOTO_REASON="moto_server is not installed"
		return 1
	fi
	local port log=$BENCH_WORK/moto.log
	port=$(bench_free_port)
	moto_server -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
	MOTO_PID=$!
	bench_pids+=("$MOTO_PID")
	MOTO_URL="http://127.0.0.1:$port"
	if ! "$BENCH_BIN" -wait "$MOTO_URL/" -wait-timeout "$timeout" 2>/dev/null || ! bench_alive "$MOTO_PID"; then
		MOTO_REASON="moto_server did not answer within $timeout (log: $log)"
		bench_log_tail "$log"
		return 1
	fi
	MOTO_VERSION=$(python3 -c 'import moto; print(moto.__version__)' 2>/dev/null || echo unknown)
}

# bench_start_cognito_local TIMEOUT: cognito-local from bench/node (npm ci when its
# node_modules are missing), its .cognito data directory in BENCH_WORK.
bench_start_cognito_local() {
	local timeout=$1
	local dir=bench/node
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		COGNITO_LOCAL_REASON="node and npm are not installed"
		return 1
	fi
	if [[ ! -f $dir/node_modules/cognito-local/package.json ]]; then
		echo "installing cognito-local into $dir/node_modules (npm ci)" >&2
		if ! npm ci --prefix "$dir" --no-audit --no-fund >"$BENCH_WORK/npm-ci.log" 2>&1; then
			COGNITO_LOCAL_REASON="npm ci in $dir failed (log: $BENCH_WORK/npm-ci.log)"
			bench_log_tail "$BENCH_WORK/npm-ci.log"
			return 1
		fi
	fi
	local root=$PWD port data=$BENCH_WORK/cognito-local log=$BENCH_WORK/cognito-local.log
	port=$(bench_free_port)
	mkdir -p "$data/.cognito"
	# Usernames are plain names, as on the other servers (its default makes them e-mails).
	printf '{"UserPoolDefaults":{"UsernameAttributes":[]},"TokenConfig":{"IssuerDomain":"http://127.0.0.1:%s"}}\n' \
		"$port" >"$data/.cognito/config.json"
	(cd "$data" && PORT=$port HOST=127.0.0.1 exec node "$root/$dir/node_modules/cognito-local/lib/bin/start.js") >"$log" 2>&1 &
	COGNITO_LOCAL_PID=$!
	bench_pids+=("$COGNITO_LOCAL_PID")
	COGNITO_LOCAL_URL="http://127.0.0.1:$port"
	if ! "$BENCH_BIN" -wait "$COGNITO_LOCAL_URL/" -wait-timeout "$timeout" 2>/dev/null || ! bench_alive "$COGNITO_LOCAL_PID"; then
		COGNITO_LOCAL_REASON="cognito-local did not answer within $timeout (log: $log)"
		bench_log_tail "$log"
		return 1
	fi
	COGNITO_LOCAL_VERSION=$(node -p "require('./$dir/node_modules/cognito-local/package.json').version" 2>/dev/null || echo unknown)
}

# bench_stop PID: SIGTERM, then SIGKILL after five seconds.
bench_stop() {
	local pid=$1 i
	bench_alive "$pid" || return 0
	kill "$pid" 2>/dev/null || true
	for ((i = 0; i < 50; i++)); do
		bench_alive "$pid" || break
		sleep 0.1
	done
	if bench_alive "$pid"; then
		kill -9 "$pid" 2>/dev/null || true
	fi
	wait "$pid" 2>/dev/null || true
}

bench_stop_all() {
	local pid
	for pid in "${bench_pids[@]}"; do
		bench_stop "$pid"
	done
	bench_pids=()
}
