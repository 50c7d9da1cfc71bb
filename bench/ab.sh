#!/usr/bin/env bash
# Two hubs side by side on one database, A and B, each a binary with its
# own settings, driven in turn with the same requests in interleaved
# rounds (A then B, B then A, …), so that the machine's noise and the
# order hit both alike; run it with A and B the same to see the noise.
# Prints req/s and the hub's CPU per request for each, and B/A.
#
#   bench/ab.sh [sqlite|postgres]
#     A_BIN, B_BIN   the binaries (default: target/release/lienthong, built)
#     A_ENV, B_ENV   settings for each, as "NAME=value NAME=value"
#     QUERIES        any of: citizen (audited lookup, query a of the
#                    peers' benchmark: citizen → commune → province),
#                    portal (a parcel lookup with fragments, ~600 bytes,
#                    not audited), me (`{ me { agencyCode } }`)
#     DURATION=10 CONNECTIONS=32 ROUNDS=4 (even: the order alternates)
#
# E.g. what the cache of parsed documents saves:
#   A_ENV=LIENTHONG_DOCUMENT_CACHE_BYTES=0 QUERIES="portal me" bench/ab.sh
# or an older build against this one:
#   A_BIN=/tmp/lienthong-before bench/ab.sh postgres
#
# Needs wrk (apt-get install wrk), curl, python3; psql and PostgreSQL at
# 127.0.0.1:5432 for the postgres run.
set -euo pipefail
cd "$(dirname "$0")/.."
STORE=${1:-sqlite}
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-4}
QUERIES=${QUERIES:-citizen portal me}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
if [ -z "${A_BIN:-}" ] || [ -z "${B_BIN:-}" ]; then cargo build --release -q; fi
A_BIN=${A_BIN:-$PWD/target/release/lienthong}
B_BIN=${B_BIN:-$PWD/target/release/lienthong}
source bench/lib.sh
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  drop_store
  rm -rf "$WORK"
}
trap cleanup EXIT
scratch_store "$STORE" "$WORK"
export LIENTHONG_DATABASE_URL="$DB_URL" LIENTHONG_SIGNING_KEY="$WORK/hub.key" \
  LIENTHONG_RATE_PER_SECOND=1000000 LIENTHONG_RATE_BURST=1000000 RUST_LOG=warn
declare -A PORT PID
start() { # name binary settings
  PORT[$1]=$(free_port)
  # shellcheck disable=SC2086
  env $3 LIENTHONG_LISTEN="127.0.0.1:${PORT[$1]}" LIENTHONG_NODE_ID="bench-$1" \
    "$2" serve >"$WORK/$1.log" 2>&1 &
  PID[$1]=$!
  PIDS+=("$!")
  wait_ready "http://127.0.0.1:${PORT[$1]}" "$WORK/$1.log"
}
# A first: it migrates and seeds; B finds the database ready.
start A "$A_BIN" "${A_ENV:-}"
start B "$B_BIN" "${B_ENV:-}"
export TOKEN=$("$A_BIN" token --agency UBND-68 --ttl 3600)

ask() {
  curl -sf "http://127.0.0.1:${PORT[A]}/graphql" -H "Authorization: Bearer $TOKEN" \
    -H 'Content-Type: application/json' -d "$1"
}
CITIZEN_ID=$(ask '{"query":"{ citizens(first: 1) { edges { node { personalId } } } }"}' |
  python3 -c "import json,sys; print(json.load(sys.stdin)['data']['citizens']['edges'][0]['node']['personalId'])")
PARCEL_ID=$(ask '{"query":"{ landParcels(first: 1) { edges { node { id } } } }"}' |
  python3 -c "import json,sys; print(json.load(sys.stdin)['data']['landParcels']['edges'][0]['node']['id'])")
declare -A BODY
BODY[me]='{"query":"{ me { agencyCode } }"}'
BODY[citizen]=$(python3 -c 'import json,sys; print(json.dumps({"query": "query A($id: String!) { citizen(personalId: $id) { personalId fullName residenceCommune { name province { name } } } }", "variables": {"id": sys.argv[1]}}))' "$CITIZEN_ID")
BODY[portal]=$(python3 - "$PARCEL_ID" <<'PY'
import json, sys
document = """
# Portal: check a parcel before a transfer of its land-use right.
query ParcelForTransfer($id: String!) {
  landParcel(id: $id) {
    ...ParcelFacts
    commune {
      ...Place
    }
  }
}

fragment ParcelFacts on LandParcel {
  id
  mapSheet
  parcelNumber
  areaM2
  landUse
  addressLine
}

fragment Place on Commune {
  code
  name
  province {
    code
    name
  }
}
"""
print(json.dumps({"query": document, "variables": {"id": sys.argv[1]}}))
PY
)
for query in $QUERIES; do
  [ -n "${BODY[$query]:-}" ] || { echo "unknown query $query" >&2; exit 2; }
  for hub in A B; do
    answer=$(curl -sf "http://127.0.0.1:${PORT[$hub]}/graphql" -H "Authorization: Bearer $TOKEN" \
      -H 'Content-Type: application/json' -d "${BODY[$query]}")
    echo "$answer" | python3 -c "import json,sys; b=json.load(sys.stdin); sys.exit(1 if b.get('errors') or not b.get('data') else 0)" ||
      { echo "$hub answers $query with errors: $answer" >&2; exit 1; }
  done
done

write_post_lua "$WORK/post.lua"
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in ticks
TICK=$(getconf CLK_TCK)

declare -A RPS REQ TICKS ERR
for hub in A B; do for query in $QUERIES; do
  RPS[$hub,$query]=0; REQ[$hub,$query]=0; TICKS[$hub,$query]=0; ERR[$hub,$query]=0
done; done
for round in $(seq "$ROUNDS"); do
  # A then B in odd rounds, B then A in even ones: whatever running
  # second costs or gains falls on both alike (use an even ROUNDS).
  order="A B"; [ $((round % 2)) = 0 ] && order="B A"
  for query in $QUERIES; do
    for hub in $order; do
      before=$(cpu "${PID[$hub]}")
      read -r requests rps errors < <(BODY="${BODY[$query]}" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" \
        -s "$WORK/post.lua" "http://127.0.0.1:${PORT[$hub]}/graphql" | awk '/^RESULT/ {print $2, $3, $6}')
      after=$(cpu "${PID[$hub]}")
      echo "round $round $query $hub: $rps req/s, errors $errors" >&2
      RPS[$hub,$query]=$(python3 -c "print(${RPS[$hub,$query]} + $rps)")
      REQ[$hub,$query]=$(( ${REQ[$hub,$query]} + requests ))
      TICKS[$hub,$query]=$(( ${TICKS[$hub,$query]} + after - before ))
      ERR[$hub,$query]=$(( ${ERR[$hub,$query]} + errors ))
    done
  done
done
echo
echo "store: $STORE; A: $A_BIN ${A_ENV:-}; B: $B_BIN ${B_ENV:-}"
echo "$CONNECTIONS connections, $ROUNDS x ${DURATION}s per hub and query, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf '%-8s %-3s %10s %14s %7s\n' query hub 'req/s' 'CPU us/req' errors
for query in $QUERIES; do
  for hub in A B; do
    python3 -c "print('%-8s %-3s %10.0f %14.1f %7d' % ('$query', '$hub', ${RPS[$hub,$query]}/$ROUNDS, ${TICKS[$hub,$query]}*1e6/$TICK/max(1, ${REQ[$hub,$query]}), ${ERR[$hub,$query]}))"
  done
  python3 -c "print('%-8s B/A: %.2f x req/s, %.2f x hub CPU per request' % ('$query', ${RPS[B,$query]}/${RPS[A,$query]}, (${TICKS[B,$query]}/max(1,${REQ[B,$query]}))/max(1e-9, ${TICKS[A,$query]}/max(1,${REQ[A,$query]}))))"
done
