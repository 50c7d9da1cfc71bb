#!/usr/bin/env bash
# Runs the client examples (Apollo Client with persisted queries, graphql-ws)
# against a fresh demo hub on a free loopback port. Uses the debug binary,
# building it if it is missing (LIENTHONG_BIN names another).
set -euo pipefail
cd "$(dirname "$0")"
root=$(cd ../.. && pwd)
bin=${LIENTHONG_BIN:-$root/target/debug/lienthong}
[ -x "$bin" ] || (cd "$root" && cargo build -q)
[ -d node_modules ] || npm ci --silent --no-audit --no-fund

work=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export LIENTHONG_DATABASE_URL="sqlite://$work/hub.db?mode=rwc"
export LIENTHONG_LISTEN="127.0.0.1:$port"
export LIENTHONG_DEMO_CITIZENS=500 LIENTHONG_DEMO_ENTERPRISES=100 LIENTHONG_DEMO_PARCELS=500
export LIENTHONG_URL="http://127.0.0.1:$port"
"$bin" serve >"$work/hub.log" 2>&1 &
pid=$!
for _ in $(seq 1 120); do
  curl -fsS "$LIENTHONG_URL/readyz" >/dev/null 2>&1 && break
  kill -0 "$pid" 2>/dev/null || { cat "$work/hub.log"; exit 1; }
  sleep 0.5
done
curl -fsS "$LIENTHONG_URL/readyz" >/dev/null || { echo "the hub did not become ready" >&2; cat "$work/hub.log"; exit 1; }

LIENTHONG_TOKEN=$("$bin" token --agency UBND-68 | tail -n 1) node apollo-persisted.mjs
LIENTHONG_TOKEN=$("$bin" token --agency BNNMT | tail -n 1) node graphql-ws.mjs
