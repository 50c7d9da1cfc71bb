#!/usr/bin/env bash
# A flood of wrong client secrets at POST /oauth/token, and what it does to
# everyone else: the hub's RSS and another agency's token latency before,
# during and after the flood.
#
#   bench/dos-token.sh                 (FLOOD_SECONDS=20 FLOOD_THREADS=64)
#   BIN=/path/to/lienthong bench/dos-token.sh    (an already built binary,
#                                                 e.g. an older version)
#   PROFILE=debug bench/dos-token.sh   (the dev build instead of release)
#
# The flood comes from 200 loopback addresses (127.0.0.10–209), naming the
# ministries' client ids and made-up ones; the other agencies (UBND-*, each
# asked once) come from 127.0.0.2 with their real secrets. Only loopback
# traffic; the flood stops by itself. Needs curl and python3. Not run in CI.
set -euo pipefail
cd "$(dirname "$0")/.."
FLOOD_SECONDS=${FLOOD_SECONDS:-20}
FLOOD_THREADS=${FLOOD_THREADS:-64}
PROFILE=${PROFILE:-release}

if [ -z "${BIN:-}" ]; then
  if [ "$PROFILE" = release ]; then
    cargo build --release -q --bin lienthong
  else
    cargo build -q --bin lienthong
  fi
  BIN=$PWD/target/$PROFILE/lienthong
fi
WORK=$(mktemp -d)
PID=
FLOOD=
cleanup() {
  [ -n "$FLOOD" ] && kill "$FLOOD" 2>/dev/null || true
  [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL=http://127.0.0.1:$PORT
"$BIN" serve --database-url "sqlite://$WORK/hub.db?mode=rwc" --signing-key "$WORK/hub.key" \
  --listen "127.0.0.1:$PORT" --demo true \
  --demo-citizens 500 --demo-enterprises 100 --demo-parcels 500 \
  >"$WORK/banner.txt" 2>"$WORK/hub.log" &
PID=$!
for _ in $(seq 1 600); do
  curl -sf "$URL/healthz" >/dev/null 2>&1 && grep -q "Client secrets" "$WORK/banner.txt" && break
  sleep 0.2
done
curl -sf "$URL/healthz" >/dev/null || { echo "the hub did not start:" >&2; tail "$WORK/hub.log" >&2; exit 1; }
sleep 1
# "  UBND-01: <secret>" lines, after the heading.
sed -n '/Client secrets/,$p' "$WORK/banner.txt" | awk '/^  UBND-[0-9]+: /{sub(":","",$1); print $1, $2}' >"$WORK/victims.txt"
[ -s "$WORK/victims.txt" ] || { echo "no client secrets in the banner" >&2; exit 1; }

rss_mb() { awk '/VmRSS/{printf "%.0f", $2/1024}' "/proc/$PID/status"; }
VICTIM=0
# One token request by the next province agency; prints "status seconds".
victim() {
  VICTIM=$((VICTIM + 1))
  local line id secret
  line=$(sed -n "${VICTIM}p" "$WORK/victims.txt")
  [ -n "$line" ] || { VICTIM=1; line=$(sed -n 1p "$WORK/victims.txt"); }
  id=${line%% *}
  secret=${line#* }
  curl -s -o /dev/null --interface 127.0.0.2 --max-time 60 -w '%{http_code} %{time_total}' \
    "$URL/oauth/token" -d grant_type=client_credentials -d "client_id=$id" -d "client_secret=$secret" || echo "000 60"
}
sample() {
  local phase=$1 out
  out=$(victim)
  printf '%-7s rss %5s MB   other agency: HTTP %s in %6.3f s\n' "$phase" "$(rss_mb)" "${out% *}" "${out#* }"
}

echo "hub $BIN (pid $PID) on $URL"
for _ in 1 2 3; do sample before; sleep 1; done

python3 - "$PORT" "$FLOOD_SECONDS" "$FLOOD_THREADS" >"$WORK/flood.txt" <<'EOF' &
import collections, http.client, random, sys, threading, time, urllib.parse
port, seconds, threads = int(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
deadline = time.monotonic() + seconds
counts = collections.Counter()
lock = threading.Lock()
ids = ["BCA", "BNNMT", "BTC", "TTDLQG"]
def run(n):
    rng = random.Random(n)
    while time.monotonic() < deadline:
        source = "127.0.0.%d" % (10 + rng.randrange(200))
        client = rng.choice(ids) if rng.random() < 0.5 else "X-%08x" % rng.getrandbits(32)
        body = urllib.parse.urlencode({"grant_type": "client_credentials",
                                       "client_id": client, "client_secret": "guess-%d" % rng.getrandbits(64)})
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30, source_address=(source, 0))
            c.request("POST", "/oauth/token", body, {"Content-Type": "application/x-www-form-urlencoded"})
            status = c.getresponse().status
            c.close()
        except Exception as e:
            status = type(e).__name__
        with lock:
            counts[status] += 1
workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
for w in workers: w.start()
for w in workers: w.join()
print("flood answers:", ", ".join("%s: %d" % kv for kv in sorted(counts.items(), key=str)))
EOF
FLOOD=$!
PEAK=0
START=$(date +%s)
while kill -0 "$FLOOD" 2>/dev/null; do
  line=$(sample during)
  echo "$line"
  rss=$(rss_mb); [ "$rss" -gt "$PEAK" ] && PEAK=$rss
  [ $(( $(date +%s) - START )) -gt $((FLOOD_SECONDS + 120)) ] && break
  sleep 1
done
wait "$FLOOD" 2>/dev/null || true
FLOOD=
cat "$WORK/flood.txt"
echo "peak rss during the flood: $PEAK MB"
sleep 5
for _ in 1 2 3; do sample after; sleep 1; done
