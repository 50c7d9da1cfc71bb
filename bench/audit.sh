#!/usr/bin/env bash
# Throughput of audited lookups against unaudited ones, side by side, over
# real HTTP with a real token: a citizen by personal id (personal data: each
# response waits for its access-log row to be committed) and a land parcel
# by id (not personal: nothing is logged). Both are one primary-key read.
#
#   bench/audit.sh [sqlite|postgres]      (DURATION=10 CONNECTIONS=32 ROUNDS=2)
#
# Needs wrk (apt-get install wrk) and curl; PostgreSQL at 127.0.0.1:5432
# for the postgres run.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:-sqlite}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-2}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

cargo build --release -q
BIN=$PWD/target/release/lienthong
source bench/lib.sh
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  drop_store
  rm -rf "$WORK"
}
trap cleanup EXIT
scratch_store "$STORE" "$WORK"
PORT=$(free_port)
export LIENTHONG_DATABASE_URL="$DB_URL" LIENTHONG_SIGNING_KEY="$WORK/hub.key" \
  LIENTHONG_LISTEN="127.0.0.1:$PORT" LIENTHONG_RATE_PER_SECOND=1000000 \
  LIENTHONG_RATE_BURST=1000000 LIENTHONG_NODE_ID=bench RUST_LOG=warn
"$BIN" serve >"$WORK/serve.log" 2>&1 &
PID=$!
wait_ready "http://127.0.0.1:$PORT" "$WORK/serve.log"
export TOKEN=$("$BIN" token --agency UBND-68 --ttl 3600)
ADMIN=$("$BIN" token --agency TTDLQG --ttl 3600)

gql() {
  curl -sf "http://127.0.0.1:$PORT/graphql" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$1"
}
pick() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
CITIZEN=$(gql '{"query":"{ citizens(first: 1) { edges { node { personalId } } } }"}' | pick "['data']['citizens']['edges'][0]['node']['personalId']")
PARCEL=$(gql '{"query":"{ landParcels(first: 1) { edges { node { id } } } }"}' | pick "['data']['landParcels']['edges'][0]['node']['id']")
AUDITED="{\"query\":\"query Audited(\$id: String!) { citizen(personalId: \$id) { personalId fullName sex residenceCommune { name } } }\",\"variables\":{\"id\":\"$CITIZEN\"}}"
UNAUDITED="{\"query\":\"query Unaudited(\$id: String!) { landParcel(id: \$id) { id areaM2 landUse commune { name } } }\",\"variables\":{\"id\":\"$PARCEL\"}}"
gql "$AUDITED" | grep -q fullName
gql "$UNAUDITED" | grep -q areaM2

write_post_lua "$WORK/post.lua"

run() { # name body -> "rps p50 p99"
  BODY="$2" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" -s "$WORK/post.lua" \
    "http://127.0.0.1:$PORT/graphql" | awk '/^RESULT/ {print $3, $4, $5, $6}'
}

declare -A RPS P50 P99 ERR
for name in audited unaudited; do RPS[$name]=0; P50[$name]=0; P99[$name]=0; ERR[$name]=0; done
for round in $(seq "$ROUNDS"); do
  for name in audited unaudited; do
    body=$AUDITED; [ $name = unaudited ] && body=$UNAUDITED
    read -r rps p50 p99 errors < <(run $name "$body")
    echo "round $round $name: $rps req/s, p50 $p50 ms, p99 $p99 ms, errors $errors" >&2
    RPS[$name]=$(python3 -c "print(${RPS[$name]} + $rps)")
    P50[$name]=$(python3 -c "print(${P50[$name]} + $p50)")
    P99[$name]=$(python3 -c "print(${P99[$name]} + $p99)")
    ERR[$name]=$(( ${ERR[$name]} + errors ))
  done
done
RSS=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
METRICS=$(curl -s "http://127.0.0.1:$PORT/metrics" -H "Authorization: Bearer $ADMIN")
echo
echo "store: $STORE, $CONNECTIONS connections, $ROUNDS x ${DURATION}s per query, $(nproc) cores"
printf '%-10s %10s %9s %9s %7s\n' query 'req/s' 'p50 ms' 'p99 ms' errors
for name in audited unaudited; do
  python3 -c "print('%-10s %10.0f %9.2f %9.2f %7d' % ('$name', ${RPS[$name]}/$ROUNDS, ${P50[$name]}/$ROUNDS, ${P99[$name]}/$ROUNDS, ${ERR[$name]}))"
done
python3 -c "print('ratio audited/unaudited: %.2f' % (${RPS[audited]} / ${RPS[unaudited]}))"
echo "server peak RSS: $((RSS / 1024)) MiB"
echo "$METRICS" | grep -E '^lienthong_audit_(rows_total|failures_total|batch_rows_(sum|count))' || true
