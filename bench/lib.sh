# What the benchmark scripts share; `source bench/lib.sh` from the
# repository's root.

# A free TCP port on loopback.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Waits (at most 120 s) until the hub at URL answers /readyz; otherwise
# prints its LOG and fails.
wait_ready() { # URL LOG
  for _ in $(seq 1200); do
    curl -sf "$1/readyz" >/dev/null && return 0
    sleep 0.1
  done
  cat "$2" >&2
  echo "the hub at $1 was not ready within 120 s" >&2
  return 1
}

# A scratch database for STORE (sqlite: a file in WORK; postgres: a new
# database on 127.0.0.1:5432): sets DB_URL, and PGDB for drop_store.
scratch_store() { # STORE WORK
  case "$1" in
    sqlite) DB_URL="sqlite://$2/hub.db?mode=rwc"; PGDB= ;;
    postgres)
      PGDB=lienthong_bench_$$
      psql -q -h 127.0.0.1 -U postgres -c "CREATE DATABASE $PGDB" postgres
      DB_URL="postgres://postgres@127.0.0.1:5432/$PGDB" ;;
    *) echo "the store is sqlite or postgres, not $1" >&2; return 2 ;;
  esac
}

# Drops the scratch PostgreSQL database, if any.
drop_store() {
  if [ -n "${PGDB:-}" ]; then
    psql -q -h 127.0.0.1 -U postgres -c "DROP DATABASE IF EXISTS $PGDB WITH (FORCE)" postgres || true
  fi
}

# A wrk script posting $BODY with the bearer $TOKEN; its last line is
# `RESULT <requests> <req/s> <p50 ms> <p99 ms> <errors>`.
write_post_lua() { # FILE
  cat >"$1" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
wrk.body = os.getenv("BODY")
done = function(summary, latency, requests)
  io.write(string.format("RESULT %d %.1f %.3f %.3f %d\n", summary.requests,
    summary.requests / (summary.duration / 1e6),
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.errors.status + summary.errors.connect + summary.errors.read +
    summary.errors.write + summary.errors.timeout))
end
LUA
}
