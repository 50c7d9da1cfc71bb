#!/usr/bin/env bash
# What abusive GraphQL documents do to everyone else: a document of doubly
# spread fragments (2^24 fields once expanded, ~1 KB; below the parser's
# recursion limit of 32), lists nested six
# deep under a page of 500 citizens (~220 bytes), and a burst of
# verification guesses. For each: the attacker's answer and how long it
# took, /healthz and another agency's query latency while it runs, and the
# hub's RSS before and after.
#
#   bench/dos-graphql.sh                 (ROUNDS=4 concurrent attackers)
#   BIN=/path/to/lienthong bench/dos-graphql.sh   (an already built binary)
#   PROFILE=debug bench/dos-graphql.sh   (the dev build instead of release)
#
# Only loopback traffic; every loop is bounded. Needs curl and python3.
# Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-4}
PROFILE=${PROFILE:-release}
if [ -z "${BIN:-}" ]; then
  if [ "$PROFILE" = release ]; then cargo build --release -q --bin lienthong; else cargo build -q --bin lienthong; fi
  BIN=$PWD/target/$PROFILE/lienthong
fi
WORK=$(mktemp -d)
PID=
cleanup() {
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
DB="sqlite://$WORK/hub.db?mode=rwc"
"$BIN" serve --database-url "$DB" --signing-key "$WORK/hub.key" --listen "127.0.0.1:$PORT" \
  --demo true --demo-citizens 2000 --demo-enterprises 200 --demo-parcels 1000 \
  >"$WORK/banner.txt" 2>"$WORK/hub.log" &
PID=$!
for _ in $(seq 1 600); do curl -sf "$URL/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
curl -sf "$URL/healthz" >/dev/null || { echo "the hub did not start" >&2; tail "$WORK/hub.log" >&2; exit 1; }
token() { "$BIN" token --database-url "$DB" --signing-key "$WORK/hub.key" --demo true --agency "$1"; }
ATTACKER=$(token UBND-68)
OTHER=$(token UBND-01)
rss_mb() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$PID/status"; }

python3 - "$URL" "$ATTACKER" "$OTHER" "$ROUNDS" "$PID" <<'PY'
import json, sys, threading, time, urllib.request
url, attacker, other, rounds, pid = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
def rss():
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmRSS"):
            return int(line.split()[1]) // 1024
def post(token, query, variables=None, timeout=60):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    req = urllib.request.Request(url + "/graphql", body, {"Content-Type": "application/json", "Authorization": "Bearer " + token})
    start = time.monotonic()
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            answer = json.loads(r.read())
    except Exception as e:
        answer = {"errors": [{"message": type(e).__name__}]}
    return time.monotonic() - start, answer
def health():
    start = time.monotonic()
    try:
        urllib.request.urlopen(url + "/healthz", timeout=60).read()
    except Exception:
        pass
    return time.monotonic() - start
def summary(answer):
    errors = answer.get("errors") or []
    if not errors:
        return "served"
    e = errors[0]
    return "%s: %s" % (e.get("extensions", {}).get("code", "?"), e.get("message", "")[:70])

bomb = "query { ...F0 }\n" + "".join("fragment F%d on QueryRoot { ...F%d ...F%d }\n" % (i, i + 1, i + 1) for i in range(24)) + "fragment F24 on QueryRoot { me { agencyCode } }\n"
inner = "personalId"
for _ in range(6):
    inner = "household { members { %s } }" % inner
nested = "{ citizens(first: 500) { edges { node { %s } } } }" % inner
cases = [("fragment bomb (%d bytes)" % len(bomb), bomb), ("six nested lists (%d bytes)" % len(nested), nested)]
for name, query in cases:
    before = rss()
    results = []
    def attack():
        results.append(post(attacker, query))
    threads = [threading.Thread(target=attack) for _ in range(rounds)]
    for t in threads: t.start()
    time.sleep(0.05)
    probes = [(health(), post(other, "{ me { agencyCode } }")[0]) for _ in range(5)]
    for t in threads: t.join()
    slowest = max(r[0] for r in results)
    print(f"{name}, {rounds} at once: slowest answer {slowest*1000:.0f} ms, answer: {summary(results[0][1])}")
    print(f"  meanwhile /healthz max {max(p[0] for p in probes)*1000:.0f} ms, another agency's query max {max(p[1] for p in probes)*1000:.0f} ms; rss {before} -> {rss()} MB")

# Guessing a date of birth: 40 attempts on one person.
_, listing = post(attacker, "{ citizens(first: 1) { edges { node { personalId } } } }")
person = listing["data"]["citizens"]["edges"][0]["node"]["personalId"]
outcomes = {}
for day in range(1, 41):
    _, answer = post(attacker, "query ($id: String!, $d: NaiveDate) { verifyCitizen(input: { personalId: $id, dateOfBirth: $d }) { matches } }",
                     {"id": person, "d": "1990-%02d-%02d" % (1 + day // 28, 1 + day % 28)})
    key = summary(answer).split(":")[0]
    outcomes[key] = outcomes.get(key, 0) + 1
print("40 date-of-birth guesses on one person:", ", ".join(f"{k} {v}" for k, v in sorted(outcomes.items())))
PY
