#!/usr/bin/env bash
# What keeping parsed documents by hash saves: two hubs on one SQLite
# database, one with the document cache (document_cache_bytes, 32 MiB)
# and one without (0), driven in turn with the same requests (a portal's
# parcel lookup with fragments, not audited, and a tiny `me` query), in
# interleaved rounds. Prints req/s per hub and document, the ratio, and
# each hub's CPU time per request.
#
#   bench/documents.sh        (DURATION=10 CONNECTIONS=32 ROUNDS=3)
#
# Needs wrk (apt-get install wrk), curl and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-32}
ROUNDS=${ROUNDS:-3}
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }

cargo build --release -q
BIN=$PWD/target/release/lienthong
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
export LIENTHONG_DATABASE_URL="sqlite://$WORK/hub.db?mode=rwc" LIENTHONG_SIGNING_KEY="$WORK/hub.key" \
  LIENTHONG_RATE_PER_SECOND=1000000 LIENTHONG_RATE_BURST=1000000 RUST_LOG=warn
declare -A PORT PID
start() { # name cache-bytes
  PORT[$1]=$(free_port)
  LIENTHONG_LISTEN="127.0.0.1:${PORT[$1]}" LIENTHONG_NODE_ID="bench-$1" \
    LIENTHONG_DOCUMENT_CACHE_BYTES="$2" "$BIN" serve >"$WORK/$1.log" 2>&1 &
  PID[$1]=$!
  PIDS+=("$!")
  for _ in $(seq 600); do
    curl -sf "http://127.0.0.1:${PORT[$1]}/readyz" >/dev/null && return
    sleep 0.1
  done
  cat "$WORK/$1.log"
  exit 1
}
start cached $((32 << 20))
start uncached 0
export TOKEN=$("$BIN" token --agency UBND-68 --ttl 3600)

PARCEL=$(curl -sf "http://127.0.0.1:${PORT[cached]}/graphql" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -d '{"query":"{ landParcels(first: 1) { edges { node { id } } } }"}' |
  python3 -c "import json,sys; print(json.load(sys.stdin)['data']['landParcels']['edges'][0]['node']['id'])")
PORTAL=$(python3 - "$PARCEL" <<'PY'
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
SMALL='{"query":"{ me { agencyCode } }"}'

cat >"$WORK/post.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = os.getenv("BODY")
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.1f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6),
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
LUA
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; } # utime + stime, in ticks
TICK=$(getconf CLK_TCK)

declare -A RPS REQ TICKS ERR
for hub in cached uncached; do for doc in portal small; do
  RPS[$hub,$doc]=0; REQ[$hub,$doc]=0; TICKS[$hub,$doc]=0; ERR[$hub,$doc]=0
done; done
for round in $(seq "$ROUNDS"); do
  for doc in portal small; do
    body=$PORTAL; [ $doc = small ] && body=$SMALL
    for hub in cached uncached; do
      before=$(cpu "${PID[$hub]}")
      read -r requests rps errors < <(BODY="$body" wrk -t2 -c"$CONNECTIONS" -d"${DURATION}s" \
        -s "$WORK/post.lua" "http://127.0.0.1:${PORT[$hub]}/graphql" | awk '/^RESULT/ {print $2, $3, $4}')
      after=$(cpu "${PID[$hub]}")
      echo "round $round $doc $hub: $rps req/s, errors $errors" >&2
      RPS[$hub,$doc]=$(python3 -c "print(${RPS[$hub,$doc]} + $rps)")
      REQ[$hub,$doc]=$(( ${REQ[$hub,$doc]} + requests ))
      TICKS[$hub,$doc]=$(( ${TICKS[$hub,$doc]} + after - before ))
      ERR[$hub,$doc]=$(( ${ERR[$hub,$doc]} + errors ))
    done
  done
done
echo
echo "$CONNECTIONS connections, $ROUNDS x ${DURATION}s per hub and document, $(nproc) cores; portal document $(( ${#PORTAL} )) bytes"
printf '%-8s %-9s %10s %14s %7s\n' document hub 'req/s' 'CPU us/req' errors
for doc in portal small; do
  for hub in cached uncached; do
    python3 -c "print('%-8s %-9s %10.0f %14.1f %7d' % ('$doc', '$hub', ${RPS[$hub,$doc]}/$ROUNDS, ${TICKS[$hub,$doc]}*1e6/$TICK/max(1, ${REQ[$hub,$doc]}), ${ERR[$hub,$doc]}))"
  done
  python3 -c "print('%-8s cached/uncached: %.2f x req/s, %.2f x CPU per request' % ('$doc', ${RPS[cached,$doc]}/${RPS[uncached,$doc]}, (${TICKS[cached,$doc]}/max(1,${REQ[cached,$doc]}))/(${TICKS[uncached,$doc]}/max(1,${REQ[uncached,$doc]}))))"
done
