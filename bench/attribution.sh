#!/usr/bin/env bash
# Where the hub's time goes on a lookup: the audited citizen lookup, an
# unaudited parcel lookup, `me { agencyCode }` (token check + GraphQL, no
# data) and the baseline's lookup, with server CPU time per request, on the
# 10k database run.sh cached.   bench/attribution.sh sqlite|postgres  (D=8 s)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
STORE=${1:?sqlite or postgres}; C=$ROOT/bench/out/cache/$STORE-c10000-e2000-p10000; W=$(mktemp -d)
H=$ROOT/bench/harness.py; BIN=$ROOT/target/release/lienthong
cp $C/hub.key $W/
if [ $STORE = sqlite ]; then cp $C/hub.db $W/; URL="sqlite://$W/hub.db?mode=rwc"; BURL="sqlite://$W/hub.db"
else psql -h 127.0.0.1 -U postgres -q -d postgres -c "DROP DATABASE IF EXISTS lienthong_bench_attr WITH (FORCE)" -c "CREATE DATABASE lienthong_bench_attr TEMPLATE lienthong_bench_c10000_e2000_p10000"; URL=postgres://postgres@127.0.0.1:5432/lienthong_bench_attr; BURL=$URL; fi
V=(LIENTHONG_DATABASE_URL="$URL" LIENTHONG_SIGNING_KEY=$W/hub.key LIENTHONG_RATE_PER_SECOND=1000000000 LIENTHONG_RATE_BURST=1000000000 LIENTHONG_NODE_ID=bench LIENTHONG_DEMO=true RUST_LOG=warn)
env "${V[@]}" LIENTHONG_LISTEN=127.0.0.1:18301 $BIN serve > $W/serve.log 2>&1 & HP=$!
env BASELINE_DATABASE_URL="$BURL" BASELINE_LISTEN=127.0.0.1:18302 $ROOT/bench/baseline/target/release/lienthong-baseline > $W/base.log 2>&1 & BP=$!
trap "kill $HP $BP; rm -rf $W; [ $STORE = postgres ] && psql -h 127.0.0.1 -U postgres -q -d postgres -c \"DROP DATABASE IF EXISTS lienthong_bench_attr WITH (FORCE)\" || true" EXIT
sleep 3
export TOKEN=$(env "${V[@]}" $BIN token --agency UBND-68 --ttl 3600)
if [ $STORE = sqlite ]; then
  python3 -c "import sqlite3; c=sqlite3.connect('$W/hub.db'); [print(i) for (i,) in c.execute('select personal_id from citizen')]" | python3 $H sample 1000 6 > $W/cit.txt
  python3 -c "import sqlite3; c=sqlite3.connect('$W/hub.db'); [print(i) for (i,) in c.execute('select id from land_parcel')]" | python3 $H sample 1000 6 > $W/par.txt
else
  psql -h 127.0.0.1 -U postgres -At -d lienthong_bench_attr -c "select personal_id from citizen" | python3 $H sample 1000 6 > $W/cit.txt
  psql -h 127.0.0.1 -U postgres -At -d lienthong_bench_attr -c "select id from land_parcel" | python3 $H sample 1000 6 > $W/par.txt
fi
TA="$(python3 $H template hub a)"
TP='{"query":"query P($id: String!) { landParcel(id: $id) { id areaM2 landUse } }","variables":{"id":"%ID%"}}'
TM='{"query":"{ me { agencyCode } }"}'
w() { # label mode port pid ids template
  local t0 t1 out; t0=$(awk '{print $14+$15}' /proc/$4/stat)
  out=$(MODE=$2 IDS=$5 TEMPLATE="$6" wrk -t1 -c32 -d${D:-8}s --timeout 10s -s $ROOT/bench/load.lua http://127.0.0.1:$3 | grep RESULT)
  t1=$(awk '{print $14+$15}' /proc/$4/stat)
  set -- "$1" $out
  echo "$1: $4 req/s p50 $5 ms, server CPU $(( (t1-t0)*10000/$3 )) us/req"
}
for i in 1 2; do
  w "hub  a citizen(personalId) audited   " hub 18301 $HP $W/cit.txt "$TA"
  w "hub  P landParcel(id) not audited    " hub 18301 $HP $W/par.txt "$TP"
  w "hub  me { agencyCode } (auth+graphql) " hub 18301 $HP "" "$TM"
  w "base a citizen lookup                 " base 18302 $BP $W/cit.txt "/a?id=%ID%"
done
