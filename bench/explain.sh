#!/usr/bin/env bash
# Query plans of the statements behind the benchmark's five queries, on the
# databases bench/run.sh seeded and cached: the hub's statements (as sea-orm
# sends them; captured with PostgreSQL's log_statement = 'all' and written
# out below, with the same WHERE/ORDER BY/LIMIT and the IN-lists filled with
# real ids) and the baseline's (`lienthong-baseline sql`).
#
#   bench/explain.sh [sqlite|postgres|both] [--small] [--citizens N]
#                    [--enterprises N] [--parcels N]
#
# SQLite: EXPLAIN QUERY PLAN. PostgreSQL: EXPLAIN (ANALYZE, BUFFERS) of the
# prepared statement executed with real values, as the hub's driver does.
# Every line with SCAN (SQLite) or Seq Scan (PostgreSQL) on a large table is
# flagged "<-- full scan".
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
    *) echo "usage: $0 [sqlite|postgres|both] [--small] [--citizens N] ..." >&2; exit 2 ;;
  esac
  shift
done
BENCH_OUT=${BENCH_OUT:-$ROOT/bench/out}
BENCH_CACHE=${BENCH_CACHE:-$BENCH_OUT/cache}
export PGHOST=${PGHOST:-127.0.0.1} PGPORT=${PGPORT:-5432} PGUSER=${PGUSER:-postgres}
SIZE="c${CITIZENS}-e${ENTERPRISES}-p${PARCELS}"
BASE_BIN=$ROOT/bench/baseline/target/release/lienthong-baseline
[ -x "$BASE_BIN" ] || cargo build --release -q --manifest-path bench/baseline/Cargo.toml
PROVINCE=68

CITIZEN_COLS='"citizen"."personal_id", "citizen"."full_name", "citizen"."search_name", "citizen"."sex", "citizen"."date_of_birth", "citizen"."ethnicity", "citizen"."nationality", "citizen"."place_of_origin_commune", "citizen"."residence_commune", "citizen"."residence_province", "citizen"."residence_line", "citizen"."household_id", "citizen"."father_id", "citizen"."mother_id", "citizen"."spouse_id", "citizen"."status", "citizen"."date_of_death", "citizen"."version", "citizen"."updated_at"'
ENTERPRISE_COLS='"enterprise"."code", "enterprise"."name", "enterprise"."search_name", "enterprise"."name_en", "enterprise"."enterprise_type", "enterprise"."status", "enterprise"."founded_on", "enterprise"."registered_capital_vnd", "enterprise"."head_office_commune", "enterprise"."head_office_province", "enterprise"."head_office_line", "enterprise"."legal_rep_id", "enterprise"."version", "enterprise"."updated_at"'
MEMBER_COLS='"enterprise_member"."enterprise_code", "enterprise_member"."member_kind", "enterprise_member"."member_id", "enterprise_member"."share_bp"'
RIGHT_COLS='"land_right"."certificate_number", "land_right"."parcel_id", "land_right"."holder_citizen_id", "land_right"."holder_enterprise_id", "land_right"."share_bp", "land_right"."issued_on", "land_right"."status", "land_right"."mortgaged", "land_right"."version", "land_right"."updated_at"'
PARCEL_COLS='"land_parcel"."id", "land_parcel"."commune_code", "land_parcel"."province_code", "land_parcel"."map_sheet", "land_parcel"."parcel_number", "land_parcel"."area_m2", "land_parcel"."land_use", "land_parcel"."address_line", "land_parcel"."version", "land_parcel"."updated_at"'

flag() { sed -E "/(SCAN (citizen|enterprise|enterprise_member|land_parcel|land_right|access_log)( |$)|Seq Scan on (citizen|enterprise|enterprise_member|land_parcel|land_right|access_log)( |$))/ s/$/   <-- full scan/"; }

explain_store() { # store
  local store=$1 dir=$BENCH_CACHE/$1-$SIZE db q
  if [ "$store" = sqlite ]; then
    db=$dir/hub.db
    [ -f "$db" ] || { echo "no cached database $db: run bench/run.sh sqlite first" >&2; return 1; }
    q() { sqlite3 -batch -noheader "file:$db?mode=ro" "$1"; }
  else
    db=lienthong_bench_${SIZE//-/_}
    psql -Atq -d "$db" -c 'SELECT 1' >/dev/null 2>&1 || { echo "no cached database $db: run bench/run.sh postgres first" >&2; return 1; }
    q() { psql -Atq -d "$db" -c "$1"; }
  fi
  # Real values: a citizen, an enterprise with members, and the ids the
  # follow-up statements of the listings receive.
  # One column of rows as a quoted, comma-separated SQL list.
  qlist() { q "$1" | sed "s/.*/'&'/" | paste -sd, | sed 's/,/, /g'; }
  local citizen enterprise reps parcels holders_c holders_e members_c members_e
  citizen=$(q "SELECT personal_id FROM citizen ORDER BY personal_id LIMIT 1 OFFSET $((CITIZENS / 2))")
  enterprise=$(q "SELECT enterprise_code FROM enterprise_member GROUP BY enterprise_code HAVING count(*) > 2 ORDER BY enterprise_code LIMIT 1")
  reps=$(qlist "SELECT legal_rep_id FROM enterprise WHERE head_office_province IN ('$PROVINCE') ORDER BY code LIMIT 101")
  parcels=$(qlist "SELECT id FROM land_parcel WHERE province_code IN ('$PROVINCE') ORDER BY id LIMIT 101")
  holders_c=$(qlist "SELECT DISTINCT holder_citizen_id FROM land_right WHERE holder_citizen_id IS NOT NULL AND parcel_id IN ($parcels)")
  holders_e=$(qlist "SELECT DISTINCT holder_enterprise_id FROM land_right WHERE holder_enterprise_id IS NOT NULL AND parcel_id IN ($parcels)")
  members_c=$(qlist "SELECT member_id FROM enterprise_member WHERE enterprise_code = '$enterprise' AND member_kind = 'CITIZEN'")
  members_e=$(qlist "SELECT member_id FROM enterprise_member WHERE enterprise_code = '$enterprise' AND member_kind = 'ENTERPRISE'")
  : "${holders_e:='0000000000'}" "${members_c:='000000000000'}" "${members_e:='0000000000'}"

  # name | SQL with $1 | value of $1 (empty: none)
  local -a stmts=(
    "hub, every request on PostgreSQL: access epoch|SELECT epoch FROM access_epoch WHERE id = 1|"
    "hub a/b/c/e: citizens by id (1 id)|SELECT $CITIZEN_COLS FROM \"citizen\" WHERE \"citizen\".\"personal_id\" IN (\$1)|$citizen"
    "hub d: citizen by id|SELECT $CITIZEN_COLS FROM \"citizen\" WHERE \"citizen\".\"personal_id\" = \$1 LIMIT 1|$citizen"
    "hub b: enterprise by code|SELECT $ENTERPRISE_COLS FROM \"enterprise\" WHERE \"enterprise\".\"code\" IN (\$1)|$enterprise"
    "hub b: members of the enterprise|SELECT $MEMBER_COLS FROM \"enterprise_member\" WHERE \"enterprise_member\".\"enterprise_code\" IN (\$1) ORDER BY \"enterprise_member\".\"share_bp\" DESC, \"enterprise_member\".\"member_id\" ASC|$enterprise"
    "hub b: citizen members|SELECT $CITIZEN_COLS FROM \"citizen\" WHERE \"citizen\".\"personal_id\" IN ($members_c)|"
    "hub b: enterprise members|SELECT $ENTERPRISE_COLS FROM \"enterprise\" WHERE \"enterprise\".\"code\" IN ($members_e)|"
    "hub b: land rights of the enterprise|SELECT $RIGHT_COLS FROM \"land_right\" WHERE \"land_right\".\"holder_enterprise_id\" IN (\$1) ORDER BY \"land_right\".\"certificate_number\" ASC|$enterprise"
    "hub c: enterprises of province $PROVINCE|SELECT $ENTERPRISE_COLS FROM \"enterprise\" WHERE \"enterprise\".\"head_office_province\" IN (\$1) ORDER BY \"enterprise\".\"code\" ASC LIMIT 101|$PROVINCE"
    "hub c: their legal representatives (IN 101)|SELECT $CITIZEN_COLS FROM \"citizen\" WHERE \"citizen\".\"personal_id\" IN ($reps)|"
    "hub e: parcels of province $PROVINCE|SELECT $PARCEL_COLS FROM \"land_parcel\" WHERE \"land_parcel\".\"province_code\" IN (\$1) ORDER BY \"land_parcel\".\"id\" ASC LIMIT 101|$PROVINCE"
    "hub e: rights on the parcels (IN 101)|SELECT $RIGHT_COLS FROM \"land_right\" WHERE \"land_right\".\"parcel_id\" IN ($parcels) ORDER BY \"land_right\".\"certificate_number\" ASC|"
    "hub e: citizen holders|SELECT $CITIZEN_COLS FROM \"citizen\" WHERE \"citizen\".\"personal_id\" IN ($holders_c)|"
    "hub e: enterprise holders|SELECT $ENTERPRISE_COLS FROM \"enterprise\" WHERE \"enterprise\".\"code\" IN ($holders_e)|"
  )
  local name sql value
  while IFS=$'\t' read -r name sql; do
    case $name in
      a|d) value=$citizen ;;
      b_*) value=$enterprise ;;
      *) value=$PROVINCE ;;
    esac
    stmts+=("baseline $name|$sql|$value")
  done < <("$BASE_BIN" sql)

  echo "==================== $store ($SIZE, $db)"
  local s plan
  for s in "${stmts[@]}"; do
    name=${s%%|*}; s=${s#*|}; sql=${s%|*}; value=${s##*|}
    echo "--- $name"
    if [ "$store" = sqlite ]; then
      # Parameters stay unbound: the plan does not depend on their values.
      sqlite3 -batch "file:$db?mode=ro" "EXPLAIN QUERY PLAN $sql" | flag
    else
      if [ -n "$value" ]; then
        psql -q -d "$db" -c "PREPARE s(text) AS $sql" \
          -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE s('$value')" | flag
      else
        psql -q -d "$db" -c "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $sql" | flag
      fi
    fi
  done
}

for store in $STORES; do
  explain_store "$store"
done
