#!/usr/bin/env bash
# The GraphQL-over-HTTP conformance audit (the npm package graphql-http's
# `auditServer`) against a hub on loopback, with a demo token: prints each
# audit that is not "ok" and the counts per level (MUST, SHOULD, MAY).
#
#   bench/graphql-http-audit.sh
#   BIN=/path/to/lienthong bench/graphql-http-audit.sh   (an already built binary)
#   GRAPHQL_HTTP=1.22.4 bench/graphql-http-audit.sh     (another audit version)
#
# Needs curl, python3, node (20 or later) and npm (the registry, once, for
# graphql-http and graphql). Only loopback traffic. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=${GRAPHQL_HTTP:-latest}
if [ -z "${BIN:-}" ]; then
  cargo build -q --bin lienthong
  BIN=$PWD/target/debug/lienthong
fi
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
(cd "$WORK" && npm init -y >/dev/null && npm install --silent "graphql-http@$VERSION" graphql >/dev/null)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
DB="sqlite://$WORK/hub.db?mode=rwc"
"$BIN" serve --database-url "$DB" --signing-key "$WORK/hub.key" --listen "127.0.0.1:$PORT" \
  --demo true --demo-citizens 500 --demo-enterprises 50 --demo-parcels 200 \
  >"$WORK/banner.txt" 2>"$WORK/hub.log" &
PID=$!
for _ in $(seq 1 600); do curl -sf "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$URL/healthz" >/dev/null || { echo "the hub did not start" >&2; tail "$WORK/hub.log" >&2; exit 1; }
TOKEN=$("$BIN" token --database-url "$DB" --signing-key "$WORK/hub.key" --demo true --agency UBND-68)
cat >"$WORK/audit.mjs" <<'JS'
import { auditServer } from 'graphql-http';
const [url, token] = process.argv.slice(2);
const fetchFn = (input, init = {}) => {
  const headers = new Headers(init.headers || {});
  headers.set('Authorization', 'Bearer ' + token);
  return fetch(input, { ...init, headers });
};
const counts = {};
for (const result of await auditServer({ url: url + '/graphql', fetchFn })) {
  const level = result.name.split(' ')[0];
  counts[level] ??= {};
  counts[level][result.status] = (counts[level][result.status] ?? 0) + 1;
  if (result.status !== 'ok') console.log(`${result.status}: ${result.name} (${result.reason ?? ''})`);
}
for (const [level, byStatus] of Object.entries(counts)) {
  const all = Object.values(byStatus).reduce((a, b) => a + b, 0);
  console.log(`${level}: ${byStatus.ok ?? 0}/${all} ok`);
}
JS
(cd "$WORK" && echo "graphql-http $(node -p "require('graphql-http/package.json').version")" && node audit.mjs "$URL" "$TOKEN")
