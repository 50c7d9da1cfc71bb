#!/usr/bin/env bash
# The hub against a plain-SQL baseline, over real HTTP (issue 6).
#
#   bench/run.sh [sqlite|postgres|both] [--small] [--citizens N]
#                [--enterprises N] [--parcels N]
#
# Seeds a database (1,000,000 citizens, 200,000 enterprises, 1,000,000
# parcels by default; --small is 10,000 / 2,000 / 10,000), starts the hub
# and the baseline (bench/baseline: axum + sqlx, no GraphQL, no auth, no
# access log) on the same data, and drives five queries with wrk, hub and
# baseline in turn, ROUNDS times:
#   a citizen lookup      b enterprise lookup      c enterprise listing (100)
#   d verify citizen      e parcel listing (100) with rights and holders
# Lookups rotate over 1,000 ids sampled from the database. The hub is called
# with a real token of UBND-68 (province 68); every personal-data response
# waits for its access-log rows to be committed, as in production. Before
# measuring, each query's hub and baseline answers are checked: data, no
# errors, and the same data from both.
#
# Prints per query: requests/s, p50, p99, the hub/baseline ratio of
# requests/s and each server's peak RSS (VmHWM). Results are appended to
# $BENCH_OUT/results.tsv (`bench/harness.py summary` tabulates any of them).
#
# Seeded databases are cached in $BENCH_CACHE (default bench/out/cache; a
# SQLite file per size, a PostgreSQL template database per size) and each
# run starts from a fresh copy, so access-log rows never pile up.
#
# Environment: DURATION=10 (s per run) CONNECTIONS=32 ROUNDS=3 WRK_THREADS=1
# QUERIES="a b c d e" BENCH_CACHE BENCH_OUT (default bench/out) PGHOST
# (127.0.0.1) PGPORT (5432) PGUSER (postgres). Needs wrk, curl, python3,
# and psql for PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

STORES=sqlite
CITIZENS=1000000 ENTERPRISES=200000 PARCELS=1000000
while [ $# -gt 0 ]; do
  case "$1" in
    sqlite|postgres) STORES=$1 ;;
    both) STORES="sqlite postgres" ;;
    --small) CITIZENS=10000 ENTERPRISES=2000 PARCELS=10000 ;;
    --citizens) CITIZENS=$2; shift ;;
    --enterprises) ENTERPRISES=$2; shift ;;
    --parcels) PARCELS=$2; shift ;;
    -h|--help) sed -n '2,/^set -e/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "unknown argument $1 (see $0 --help)" >&2; exit 2 ;;
  esac
  shift
done
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
WRK_THREADS=${WRK_THREADS:-1}
QUERIES=${QUERIES:-a b c d e}
BENCH_OUT=${BENCH_OUT:-$ROOT/bench/out}
BENCH_CACHE=${BENCH_CACHE:-$BENCH_OUT/cache}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
PGBASE="postgres://$PGUSER@$PGHOST:$PGPORT"
SIZE="c${CITIZENS}-e${ENTERPRISES}-p${PARCELS}"

for tool in wrk curl python3; do
  command -v $tool >/dev/null || { echo "$tool is needed" >&2; exit 2; }
done
case " $STORES " in *" postgres "*) command -v psql >/dev/null || { echo "psql is needed" >&2; exit 2; } ;; esac

STARTED=$(date +%s)
RUN=$(date -u +%Y%m%dT%H%M%SZ)
mkdir -p "$BENCH_OUT" "$BENCH_CACHE"
LOGS=$BENCH_OUT/$RUN
mkdir -p "$LOGS"
RESULTS=$BENCH_OUT/results.tsv
[ -f "$RESULTS" ] || printf 'run\tstore\tcitizens\tround\tquery\tserver\trps\tp50_ms\tp99_ms\terrors\trss_kib\tloadavg\tcpu_us_per_req\n' >"$RESULTS"
HARNESS="python3 $ROOT/bench/harness.py"
log() { echo "[$(date +%H:%M:%S)] $*" >&2; }

log "building the hub and the baseline (release)"
cargo build --release -q
cargo build --release -q --manifest-path bench/baseline/Cargo.toml
BIN=$ROOT/target/release/lienthong
BASE_BIN=$ROOT/bench/baseline/target/release/lienthong-baseline

HUB_PID= BASE_PID= RUNDB= WORK=
stop() { # pid
  [ -n "$1" ] || return 0
  kill "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  stop "$HUB_PID"; HUB_PID=
  stop "$BASE_PID"; BASE_PID=
  if [ -n "$RUNDB" ]; then
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $RUNDB WITH (FORCE)" >/dev/null 2>&1 || true
    RUNDB=
  fi
  [ -n "$WORK" ] && rm -rf "$WORK"
  WORK=
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_ready() { # url log
  for _ in $(seq 600); do
    curl -sf "$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  cat "$2" >&2; return 1
}
hub_vars() { # url key port -> HUB_VARS
  HUB_VARS=(LIENTHONG_DATABASE_URL="$1" LIENTHONG_SIGNING_KEY="$2"
    LIENTHONG_LISTEN="127.0.0.1:${3:-0}" LIENTHONG_RATE_PER_SECOND=1000000000
    LIENTHONG_RATE_BURST=1000000000 LIENTHONG_NODE_ID=bench LIENTHONG_DEMO=true RUST_LOG=warn)
}
hub_env() { # url key port command...
  hub_vars "$1" "$2" "$3"
  env "${HUB_VARS[@]}" "${@:4}"
}

# Seeds the cache for $SIZE unless it is there; prints the seed time.
seed_cache() { # store
  local store=$1 dir=$BENCH_CACHE/$1-$SIZE
  if [ ! -f "$dir/seed.txt" ]; then
    rm -rf "$dir"; mkdir -p "$dir"
    local url
    if [ "$store" = sqlite ]; then
      url="sqlite://$dir/hub.db?mode=rwc"
    else
      local tpl=lienthong_bench_${SIZE//-/_}
      psql -q -d postgres -c "DROP DATABASE IF EXISTS $tpl WITH (FORCE)" >/dev/null
      psql -q -d postgres -c "CREATE DATABASE $tpl" >/dev/null
      url="$PGBASE/$tpl"
    fi
    log "$store: seeding $CITIZENS citizens, $ENTERPRISES enterprises, $PARCELS parcels into $dir"
    local t0 t1
    t0=$(date +%s.%N)
    hub_env "$url" "$dir/hub.key" 0 "$BIN" seed --citizens "$CITIZENS" \
      --enterprises "$ENTERPRISES" --parcels "$PARCELS" >"$dir/seed.log" 2>&1 ||
      { cat "$dir/seed.log" >&2; return 1; }
    t1=$(date +%s.%N)
    if [ "$store" = postgres ]; then
      # What autovacuum would do shortly after a bulk load: planner statistics.
      psql -q -d "$tpl" -c "VACUUM ANALYZE" >/dev/null
    fi
    # A token now, so that the key file exists beside the data.
    hub_env "$url" "$dir/hub.key" 0 "$BIN" token --agency UBND-68 --ttl 60 >/dev/null
    if [ "$store" = sqlite ]; then
      # Fold the write-ahead log into the file, which is then copied alone.
      python3 -c "import sqlite3; sqlite3.connect('$dir/hub.db').execute('PRAGMA wal_checkpoint(TRUNCATE)').fetchall()"
    fi
    printf '%s %.1f %s\n' "$store" "$(python3 -c "print($t1 - $t0)")" "$(tail -1 "$dir/seed.log")" >"$dir/seed.txt"
  fi
  cat "$dir/seed.txt"
}

run_store() { # store
  local store=$1 dir=$BENCH_CACHE/$1-$SIZE url base_url
  WORK=$(mktemp -d)
  local seedline; seedline=$(seed_cache "$store")
  log "seed: $seedline"
  echo "$seedline" >>"$LOGS/seed.txt"
  cp "$dir/hub.key" "$WORK/hub.key"
  if [ "$store" = sqlite ]; then
    cp --reflink=auto "$dir/hub.db" "$WORK/hub.db"
    url="sqlite://$WORK/hub.db?mode=rwc"
    base_url="sqlite://$WORK/hub.db"
  else
    RUNDB=lienthong_bench_run_$$
    local tpl=lienthong_bench_${SIZE//-/_}
    psql -q -d postgres -c "DROP DATABASE IF EXISTS $RUNDB WITH (FORCE)" >/dev/null
    psql -q -d postgres -c "CREATE DATABASE $RUNDB TEMPLATE $tpl" >/dev/null
    url="$PGBASE/$RUNDB"
    base_url=$url
  fi

  # Ids to rotate over: 1,000 citizens and 1,000 enterprises, a fixed sample.
  if [ "$store" = sqlite ]; then
    python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$WORK/hub.db?mode=ro', uri=True)
for (i,) in c.execute('SELECT personal_id FROM citizen'): print(i)" | $HARNESS sample 1000 6 >"$WORK/citizens.txt"
    python3 -c "import sqlite3,sys; c=sqlite3.connect('file:$WORK/hub.db?mode=ro', uri=True)
for (i,) in c.execute('SELECT code FROM enterprise'): print(i)" | $HARNESS sample 1000 6 >"$WORK/enterprises.txt"
  else
    psql -At -d "$RUNDB" -c "SELECT personal_id FROM citizen" | $HARNESS sample 1000 6 >"$WORK/citizens.txt"
    psql -At -d "$RUNDB" -c "SELECT code FROM enterprise" | $HARNESS sample 1000 6 >"$WORK/enterprises.txt"
  fi

  local hub_port base_port
  hub_port=$(free_port)
  # Started by env, which execs the hub: $! is the hub's own pid.
  hub_vars "$url" "$WORK/hub.key" "$hub_port"
  env "${HUB_VARS[@]}" "$BIN" serve >"$LOGS/hub-$store.log" 2>&1 &
  HUB_PID=$!
  base_port=$(free_port)
  BASELINE_DATABASE_URL="$base_url" BASELINE_LISTEN="127.0.0.1:$base_port" \
    "$BASE_BIN" >"$LOGS/baseline-$store.log" 2>&1 &
  BASE_PID=$!
  local hub=http://127.0.0.1:$hub_port base=http://127.0.0.1:$base_port
  wait_ready "$hub" "$LOGS/hub-$store.log"
  wait_ready "$base" "$LOGS/baseline-$store.log"
  export TOKEN
  TOKEN=$(hub_env "$url" "$WORK/hub.key" 0 "$BIN" token --agency UBND-68 --ttl 7200)

  # Every query answers with data, no errors, and the same data from both.
  local q kind id n
  for q in $QUERIES; do
    kind=$(python3 -c "import sys; sys.path.insert(0,'$ROOT/bench'); import harness; print(harness.ID_KIND['$q'] or '')")
    n=0
    for id in $( [ -n "$kind" ] && head -10 "$WORK/$kind.txt" || echo none ); do
      curl -sf "$hub/graphql" -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
        --data-binary "$($HARNESS body "$q" "$id")" >"$WORK/hub.json"
      curl -sf "$base$($HARNESS path "$q" "$id")" >"$WORK/base.json"
      $HARNESS check "$q" "$WORK/hub.json" "$WORK/base.json"
      n=$((n + 1))
    done
    log "$store query $q: $n answers checked, hub and baseline alike"
  done

  cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; } # user + system
  run_wrk() { # server query url pid -> "rps p50 p99 errors rss_kib cpu_us_per_request"
    local server=$1 q=$2 target=$3 pid=$4 kind ids= tpl
    kind=$(python3 -c "import sys; sys.path.insert(0,'$ROOT/bench'); import harness; print(harness.ID_KIND['$q'] or '')")
    [ -n "$kind" ] && ids=$WORK/$kind.txt
    tpl=$($HARNESS template "$server" "$q")
    echo 5 >"/proc/$pid/clear_refs" # VmHWM := current RSS
    local out requests rps p50 p99 errors t0 t1
    t0=$(cpu_ticks "$pid")
    out=$(MODE=$server IDS=$ids TEMPLATE="$tpl" \
      wrk -t"$WRK_THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
      -s "$ROOT/bench/load.lua" "$target" | awk '/^RESULT/ {print $2, $3, $4, $5, $6}')
    t1=$(cpu_ticks "$pid")
    read -r requests rps p50 p99 errors <<<"$out"
    echo "$rps $p50 $p99 $errors $(awk '/VmHWM/ {print $2}' "/proc/$pid/status")" \
      "$(( (t1 - t0) * 1000000 / $(getconf CLK_TCK) / (requests > 0 ? requests : 1) ))"
  }

  local round server rps p50 p99 errors rss cpu load
  for round in $(seq "$ROUNDS"); do
    for q in $QUERIES; do
      for server in hub base; do
        load=$(cut -d' ' -f1 /proc/loadavg)
        if [ $server = hub ]; then
          read -r rps p50 p99 errors rss cpu < <(run_wrk hub "$q" "$hub" "$HUB_PID")
        else
          read -r rps p50 p99 errors rss cpu < <(run_wrk base "$q" "$base" "$BASE_PID")
        fi
        log "$store round $round query $q $server: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors, peak RSS $((rss / 1024)) MiB, server CPU $cpu us/request, load $load"
        printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$RUN" "$store" "$CITIZENS" \
          "$round" "$q" "$server" "$rps" "$p50" "$p99" "$errors" "$rss" "$load" "$cpu" >>"$RESULTS"
      done
    done
  done
  curl -s "$hub/metrics" | grep -E '^lienthong_audit_(rows_total|failures_total|batch_rows_(sum|count))' \
    >"$LOGS/hub-$store-audit.txt" || true
  log "$store hub access log: $(tr '\n' ' ' <"$LOGS/hub-$store-audit.txt")"
  cleanup
}

for store in $STORES; do
  run_store "$store"
done

echo
echo "run $RUN: $CITIZENS citizens, $ENTERPRISES enterprises, $PARCELS parcels;" \
  "$CONNECTIONS connections, $ROUNDS x ${DURATION}s per query and server, wrk -t$WRK_THREADS;" \
  "$(nproc) cores shared by server and load generator ($(uname -m))"
echo "seed (store, wall seconds, seeder's report):"
sed 's/^/  /' "$LOGS/seed.txt"
$HARNESS summary "$RESULTS" "$RUN"
echo "total $(( $(date +%s) - STARTED )) s; logs in $LOGS"
