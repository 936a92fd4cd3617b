# shellcheck shell=bash
# Starting and stopping the parts of a local resume-chat stack: a throwaway PostgreSQL
# cluster, the Anthropic API simulator, the worker and nginx. Sourced by scripts/demo and
# scripts/test-stack. Everything listens on 127.0.0.1 on free ports; state, logs and pid
# files live in $STACK_DIR.

ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}

die() { echo "$(basename "$0"): $*" >&2; exit 1; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_for SECONDS DESCRIPTION COMMAND...: polls COMMAND every 0.1 s.
wait_for() {
  local seconds=$1 what=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    ((SECONDS < deadline)) || return 1
    sleep 0.1
  done
}

pg_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

# PostgreSQL refuses to run as root: as root, run it as the Debian 'postgres' user with its
# data directory under /tmp (a checkout under /root is not reachable for that user).
as_pg_user() {
  if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi
}

start_postgres() {
  local bin; bin=$(pg_bin) || true
  [[ -n $bin ]] || die "PostgreSQL server binaries not found: run 'make deps'"
  PG_PORT=${PG_PORT:-$(free_port)}
  # Under $STACK_DIR (.run/) when the server's user can reach it, else under /tmp.
  PG_DATA=$STACK_DIR/pg
  rm -rf "$PG_DATA"; mkdir -p "$PG_DATA"
  if [[ $(id -u) -eq 0 ]]; then
    chown postgres: "$PG_DATA"
    runuser -u postgres -- test -w "$PG_DATA" ||
      PG_DATA=$(mktemp -d "${TMPDIR:-/tmp}/resume-chat-pg.XXXXXX")
  fi
  local pwfile="$PG_DATA/.pw"
  printf '%s\n' "$DB_ADMIN_PASSWORD" >"$pwfile"
  [[ $(id -u) -eq 0 ]] && chown -R postgres: "$PG_DATA"
  as_pg_user "$bin/initdb" -D "$PG_DATA/data" -U "$DB_ADMIN_USER" --pwfile="$pwfile" \
    --auth-host=scram-sha-256 --auth-local=trust -E UTF8 --locale=C.UTF-8 \
    >"$STACK_DIR/initdb.log" 2>&1 || { cat "$STACK_DIR/initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
  echo "$PG_DATA" >"$STACK_DIR/pg_data"
  echo "$PG_PORT" >"$STACK_DIR/pg_port"
  pg_server start
  DATABASE_HOST=127.0.0.1 DATABASE_PORT=$PG_PORT
  export DATABASE_HOST DATABASE_PORT
  PGPASSWORD=$DB_ADMIN_PASSWORD "$bin/createdb" -h 127.0.0.1 -p "$PG_PORT" -U "$DB_ADMIN_USER" \
    "$DATABASE_NAME" 2>/dev/null || true
}

# pg_server start|stop: the cluster of this stack, same data and port (outage tests).
pg_server() {
  local data port
  data=$(cat "$STACK_DIR/pg_data") port=$(cat "$STACK_DIR/pg_port")
  if [[ $1 == start ]]; then
    as_pg_user "$(pg_bin)/pg_ctl" -D "$data/data" -l "$data/postgres.log" -w -t 30 \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$data -c fsync=off -c synchronous_commit=off" \
      start >/dev/null || { tail -20 "$data/postgres.log" >&2; die "PostgreSQL did not start"; }
  else
    as_pg_user "$(pg_bin)/pg_ctl" -D "$data/data" -m fast -w stop >/dev/null
  fi
}

stop_postgres() {
  local data; data=$(cat "$STACK_DIR/pg_data" 2>/dev/null) || return 0
  as_pg_user "$(pg_bin)/pg_ctl" -D "$data/data" -m fast -w stop >/dev/null 2>&1 || true
  rm -rf "$data" "$STACK_DIR/pg_data" "$STACK_DIR/pg_port"
}

# psql_admin [psql args...]: psql as the owner of the stack's database (DB_ADMIN_USER).
psql_admin() {
  PGPASSWORD=$DB_ADMIN_PASSWORD psql -X -q -v ON_ERROR_STOP=1 -h "$DATABASE_HOST" \
    -p "$DATABASE_PORT" -U "$DB_ADMIN_USER" -d "$DATABASE_NAME" "$@"
}

# As the owner: the migrations, then the documents table as the application that owns it
# would create it, and the demo document. The worker then runs as the least-privilege role
# of migrations/002_app_role.sql (DATABASE_USER), so every test exercises those grants.
prepare_database() {
  psql_admin -f "$ROOT/migrations/001_create_tables.sql"
  psql_admin -f "$ROOT/migrations/documents_table.sql"
  psql_admin -f "$ROOT/scripts/demo-document.sql"
  psql_admin -f "$ROOT/migrations/004_token_usage.sql"  # the daily token budget
  psql_admin -f "$ROOT/migrations/005_sessions.sql"     # sessions → documents
  psql_admin -v app_user="$DATABASE_USER" -v app_password="$DATABASE_PASSWORD" \
    -f "$ROOT/migrations/002_app_role.sql" >/dev/null
  psql_admin -v app_user="$DATABASE_USER" -f "$ROOT/migrations/003_superseded_replies.sql"
  psql_admin -v app_user="$DATABASE_USER" -f "$ROOT/migrations/006_reply_outcomes.sql"
}

start_simulator() {
  local out="$STACK_DIR/sim.out"
  : >"$out"
  "$ROOT/scripts/anthropic-sim" --port 0 ${SIM_ARGS:-} >"$out" 2>"$STACK_DIR/sim.log" </dev/null &
  echo $! >"$STACK_DIR/sim.pid"
  wait_for 10 "simulator" grep -q 'listening on' "$out" || die "simulator did not start"
  SIM_URL=$(sed -n 's/.*listening on \(http[^ ]*\).*/\1/p' "$out" | head -1)
  export SIM_URL
  start_api_front
}

# make_api_ca DIR: a CA and a certificate for localhost (and 127.0.0.1) it signed, once.
make_api_ca() {
  local dir=$1
  [[ -s $dir/server.crt ]] && return 0
  mkdir -p "$dir"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=resume-chat test CA" -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' \
    >"$dir/server.ext"
  openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" -CAcreateserial \
    -days 3650 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
}

# The simulator behind HTTPS + HTTP/2 (nginx/api-front.conf.in), as the real API is met: the
# worker gets ANTHROPIC_BASE_URL=https://localhost:PORT and trusts the stack's CA through
# ANTHROPIC_CA_FILE. SIM_URL stays the simulator's own plain address (its /_sim endpoints).
start_api_front() {
  local prefix="$STACK_DIR/api-front" port sim_port
  make_api_ca "$STACK_DIR/api-tls"
  mkdir -p "$prefix/tmp"
  port=$(free_port) sim_port=${SIM_URL##*:}
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@SIM_PORT@|$sim_port|g" -e "s|@API_PORT@|$port|g" \
      -e "s|@TLS_DIR@|$STACK_DIR/api-tls|g" "$ROOT/nginx/api-front.conf.in" >"$prefix/nginx.conf"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$prefix/error.log" -g 'daemon off;' \
    >>"$STACK_DIR/api-front.log" 2>&1 </dev/null &
  echo $! >"$STACK_DIR/api-front.pid"
  ANTHROPIC_BASE_URL=https://localhost:$port ANTHROPIC_CA_FILE=$STACK_DIR/api-tls/ca.crt
  export ANTHROPIC_BASE_URL ANTHROPIC_CA_FILE
  wait_for 10 "API front" curl -fsS --cacert "$ANTHROPIC_CA_FILE" -o /dev/null \
    "$ANTHROPIC_BASE_URL/_sim/health" || die "the TLS front of the simulator did not start"
}

# start_worker: runs the worker ($WORKER_BIN, default build/resume-chat) under a restart
# loop, the demo's and the tests' supervisor (systemd or the container entrypoint in
# production). Startup failures (exit 2..6) would only repeat, so they end the loop; any
# other exit, a crash or a clean SIGTERM exit, is restarted until the stack is stopped.
start_worker() {
  start_db_relay
  local worker_db_port=${DB_RELAY_PORT:-$DATABASE_PORT}
  FCGI_PORT=${FCGI_PORT:-$(free_port)}
  export FCGI_SOCKET="127.0.0.1:$FCGI_PORT"
  export TEMPLATES_DIR=${TEMPLATES_DIR:-$(asset_root)/templates}
  local bin=${WORKER_BIN:-build/resume-chat}
  export GNUTLS_NO_IMPLICIT_INIT=1  # as the unit and the image set it (deploy/, Dockerfile)
  rm -f "$STACK_DIR/stopping"
  (
    cd "$ROOT"
    trap 'touch "$STACK_DIR/stopping"; kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM INT
    while :; do
      DATABASE_PORT=$worker_db_port $bin &
      child=$!
      echo "$child" >"$STACK_DIR/worker.pid"
      code=0
      wait "$child" || code=$?  # (callers run with set -e)
      [[ -e $STACK_DIR/stopping ]] && exit 0
      if ((code >= 2 && code <= 6)); then echo "$code" >"$STACK_DIR/worker.failed"; exit "$code"; fi
      echo "supervisor: worker exited with status $code; restarting" >&2
      sleep 0.3
    done
  ) >>"$STACK_DIR/worker.log" 2>&1 </dev/null &
  echo $! >"$STACK_DIR/supervisor.pid"
  wait_for 20 "worker" grep -q '"msg":"ready"' "$STACK_DIR/worker.log" || {
    tail -5 "$STACK_DIR/worker.log" >&2
    die "the worker did not become ready"
  }
}

# With DB_DELAY_MS set, the worker reaches PostgreSQL through scripts/db-relay, which delays
# every byte that long each way (25: a database 50 ms away). Tests' own SQL goes direct.
start_db_relay() {
  [[ ${DB_DELAY_MS:-0} != 0 ]] || return 0
  DB_RELAY_PORT=$(free_port)
  "$ROOT/scripts/db-relay" --listen "$DB_RELAY_PORT" --to "127.0.0.1:$DATABASE_PORT" \
    --delay-ms "$DB_DELAY_MS" >>"$STACK_DIR/db-relay.log" 2>&1 &
  echo $! >"$STACK_DIR/db-relay.pid"
  wait_for 10 "db-relay" bash -c "echo >/dev/tcp/127.0.0.1/$DB_RELAY_PORT" 2>/dev/null ||
    die "the database relay did not start"
}

# The page template and static files: the content-hashed copies `make` writes to build/
# (scripts/hash-static), else the source tree's unhashed ones.
asset_root() { if [[ -f $ROOT/build/static/manifest ]]; then echo "$ROOT/build"; else echo "$ROOT"; fi; }

# NGINX_HTTP_EXTRA: a file of http-level directives to include (an upstream, more servers).
render_nginx_conf() {
  local prefix="$STACK_DIR/nginx" user_line="" extra=""
  mkdir -p "$prefix"/{tmp,logs}
  [[ $(id -u) -eq 0 ]] && user_line="user root root;  # throwaway local run as root"
  [[ -n ${NGINX_HTTP_EXTRA:-} ]] && extra="    include $NGINX_HTTP_EXTRA;"
  sed -e "s|@ACCESS_LOG@|$prefix/logs/access.log resume_chat|g" -e "s|@HTTP_EXTRA@|$extra|g" -e "s|@APP_PORT@|$APP_PORT|g" -e "s|@LISTEN_ADDR@|${LISTEN_ADDR:-127.0.0.1}|g" \
      -e "s|@PREFIX@|$prefix|g" -e "s|@STATIC_ROOT@|$(asset_root)/static|g" \
      -e "s|@FCGI_PASS@|$FCGI_SOCKET|g" -e "s|@USER_LINE@|$user_line|g" \
      -e "s|@LOCATIONS@|$prefix/locations.conf|g" -e "s|@CHAT_RATE@|${CHAT_RATE:-30r/m}|g" \
      -e "s|@PAGE_RATE@|${PAGE_RATE:-10r/s}|g" \
      "$ROOT/nginx/standalone.conf.in" >"$prefix/nginx.conf"
  render_locations "$FCGI_SOCKET" "$prefix/locations.conf"
}

# render_locations FCGI_PASS OUT: nginx/locations.conf.in for a worker at FCGI_PASS (and the
# security headers it includes, next to OUT). /chat's body limit follows the worker's
# MAX_MESSAGE_CHARS (12 bytes a character plus 4 KB, as src/chat_route.cc reads it).
render_locations() {
  local chars=${MAX_MESSAGE_CHARS:-8000}
  [[ $chars =~ ^[0-9]+$ ]] || die "MAX_MESSAGE_CHARS must be a whole number"
  sed -e "s|@STATIC_ROOT@|$(asset_root)/static|g" -e "s|@FCGI_PASS@|$1|g" \
      -e "s|@MAX_MESSAGE_CHARS@|$chars|g" -e "s|@CHAT_BODY_MAX@|$((chars * 12 + 4096))|g" \
      -e "s|@CHAT_BURST@|${CHAT_BURST:-10}|g" -e "s|@CHAT_STREAMS@|${CHAT_STREAMS:-4}|g" \
      -e "s|@PAGE_BURST@|${PAGE_BURST:-40}|g" -e "s|@SECURITY_HEADERS@|${2%/*}/security-headers.conf|g" \
      "$ROOT/nginx/locations.conf.in" >"$2"
  sed -e "s|@FRAME_ANCESTORS@|'self'|g" "$ROOT/nginx/security-headers.conf.in" >"${2%/*}/security-headers.conf"
}

start_nginx() {
  render_nginx_conf
  local prefix="$STACK_DIR/nginx"
  nginx -t -q -p "$prefix" -c "$prefix/nginx.conf" -e stderr || die "nginx config test failed"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e stderr -g 'daemon off;' \
    >>"$STACK_DIR/nginx.log" 2>&1 </dev/null &
  echo $! >"$STACK_DIR/nginx.pid"
  wait_for 10 "nginx" curl -fsS -o /dev/null "http://127.0.0.1:$APP_PORT/static/app.css" ||
    die "nginx did not start on port $APP_PORT (see $STACK_DIR/nginx.log)"
}

# stop_pid PID: SIGTERM, SIGKILL if it still runs after 5 s; reaps it when it is our child.
stop_pid() {
  local pid=$1
  [[ -n $pid ]] || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

stop_pidfile() {
  local file="$STACK_DIR/$1" pid
  pid=$(cat "$file" 2>/dev/null) || return 0
  stop_pid "$pid"
  rm -f "$file"
}

# The simulator and its TLS front (start_simulator).
stop_simulator() {
  stop_pidfile api-front.pid
  stop_pidfile sim.pid
}

stop_stack() {
  touch "$STACK_DIR/stopping"
  stop_pidfile nginx.pid
  stop_pidfile supervisor.pid
  stop_pidfile worker.pid
  stop_pidfile db-relay.pid
  stop_simulator
  stop_postgres
}
