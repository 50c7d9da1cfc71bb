#!/usr/bin/env python3
"""Helpers of bench/run.sh: request templates, id samples, response checks
and the summary table. Standard library only.

  harness.py template hub|base QUERY      print the wrk template of a query
  harness.py body QUERY ID                print the hub's request body for one id
  harness.py path QUERY ID                print the baseline's path for one id
  harness.py sample N SEED < ids > ids    a fixed random sample of the ids
  harness.py check QUERY HUB.json BASE.json   both answered, and alike
  harness.py summary RESULTS.tsv [RUN]    the table (of one run, or of all)
"""

import json
import random
import statistics
import sys

PROVINCE = "68"

QUERIES = {
    "a": (
        "citizen lookup",
        "query A($id: String!) { citizen(personalId: $id) { personalId fullName "
        "residenceCommune { code name province { code name } } } }",
        "id",
        "/a?id=%ID%",
    ),
    "b": (
        "enterprise lookup",
        "query B($code: String!) { enterprise(code: $code) { code name "
        "legalRepresentative { personalId fullName } "
        "members { share member { ... on Citizen { personalId fullName } "
        "... on Enterprise { code name } } } "
        "landRights { certificateNumber share status } } }",
        "code",
        "/b?code=%ID%",
    ),
    "c": (
        "enterprise listing",
        "query C { enterprises(first: 100, filter: { provinceCode: \"%s\" }) { edges { node { "
        "code name legalRepresentative { personalId fullName } "
        "headOfficeCommune { code name } headOfficeAddress } } } }" % PROVINCE,
        None,
        "/c?province=%s" % PROVINCE,
    ),
    "d": (
        "verify citizen",
        "query D($id: String!) { verifyCitizen(input: { personalId: $id, alive: true }) "
        "{ matches } }",
        "id",
        "/d?id=%ID%",
    ),
    "e": (
        "parcel listing",
        "query E { landParcels(first: 100, filter: { provinceCode: \"%s\" }) { edges { node { "
        "id areaM2 landUse rights { certificateNumber share status holderKind holderId "
        "holder { ... on Citizen { personalId fullName } ... on Enterprise { code name } } "
        "} } } } }" % PROVINCE,
        None,
        "/e?province=%s" % PROVINCE,
    ),
}

# Which id list a query rotates over.
ID_KIND = {"a": "citizens", "b": "enterprises", "c": None, "d": "citizens", "e": None}


def template(server, query):
    _, text, var, path = QUERIES[query]
    if server == "base":
        return path
    body = {"query": text}
    if var:
        body["variables"] = {var: "%ID%"}
    return json.dumps(body, ensure_ascii=False)


def check(query, hub_file, base_file):
    """Exit non-zero unless the hub answered with data and no errors, the
    baseline answered, and both answers carry the same data."""
    with open(hub_file, encoding="utf-8") as f:
        hub = json.load(f)
    with open(base_file, encoding="utf-8") as f:
        base = json.load(f)
    problems = []
    if hub.get("errors"):
        problems.append("hub errors: %s" % json.dumps(hub["errors"])[:300])
    data = hub.get("data") or {}
    root = next(iter(data.values()), None) if data else None
    if root is None:
        problems.append("hub returned no data")
    elif isinstance(root, dict) and "edges" in root and not root["edges"]:
        problems.append("hub listing is empty")
    if hub.get("data") != base.get("data"):
        problems.append(
            "hub and baseline differ:\n  hub  %s\n  base %s"
            % (json.dumps(hub.get("data"))[:400], json.dumps(base.get("data"))[:400])
        )
    if problems:
        print("query %s: %s" % (query, "; ".join(problems)), file=sys.stderr)
        sys.exit(1)


def fmt_range(values, spec="%.0f"):
    lo, hi = min(values), max(values)
    if len(values) == 1 or spec % lo == spec % hi:
        return spec % lo
    return (spec + "–" + spec) % (lo, hi)


def summary(path, run=None):
    rows = []
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        for line in f:
            rec = dict(zip(header, line.rstrip("\n").split("\t")))
            if run and rec["run"] != run:
                continue
            rows.append(rec)
    if not rows:
        print("no results", file=sys.stderr)
        return
    groups = {}
    for r in rows:
        key = (r["store"], int(r["citizens"]), r["query"])
        groups.setdefault(key, {"hub": [], "base": []})[r["server"]].append(r)
    print(
        "%-8s %9s %-2s %-18s %16s %8s %8s %16s %8s %8s %14s %9s %9s %8s %8s %5s %6s"
        % (
            "store", "citizens", "q", "", "hub req/s", "p50 ms", "p99 ms",
            "base req/s", "p50 ms", "p99 ms", "hub/base", "hub RSS", "base RSS",
            "hub CPU", "base CPU", "errs", "rounds",
        )
    )
    for (store, citizens, query) in sorted(groups, key=lambda k: (k[0], k[1], k[2])):
        g = groups[(store, citizens, query)]
        hub, base = g["hub"], g["base"]
        if not hub:
            continue
        h_rps = [float(r["rps"]) for r in hub]
        b_rps = [float(r["rps"]) for r in base]
        # Ratios of the hub run and the baseline run that followed it.
        pairs = {}
        for r in hub + base:
            pairs.setdefault((r["run"], r["round"]), {})[r["server"]] = float(r["rps"])
        ratios = [p["hub"] / p["base"] for p in pairs.values() if "hub" in p and "base" in p and p["base"]]
        errors = sum(int(r["errors"]) for r in hub + base)

        def med(rs, key, spec="%.2f"):
            vals = [float(r[key]) for r in rs if r.get(key) not in (None, "")]
            return spec % statistics.median(vals) if vals else "-"

        print(
            "%-8s %9d %-2s %-18s %16s %8s %8s %16s %8s %8s %14s %8.0fM %8.0fM %8s %8s %5d %6d"
            % (
                store, citizens, query, QUERIES[query][0],
                "%s (%s)" % ("%.0f" % statistics.median(h_rps), fmt_range(h_rps)),
                med(hub, "p50_ms"), med(hub, "p99_ms"),
                "%s (%s)" % ("%.0f" % statistics.median(b_rps), fmt_range(b_rps)) if b_rps else "-",
                med(base, "p50_ms"), med(base, "p99_ms"),
                "%.2f (%s)" % (statistics.median(ratios), fmt_range(ratios, "%.2f")) if ratios else "-",
                max(int(r["rss_kib"]) for r in hub) / 1024,
                max(int(r["rss_kib"]) for r in base) / 1024 if base else 0,
                med(hub, "cpu_us_per_req", "%.0f"), med(base, "cpu_us_per_req", "%.0f"),
                errors,
                len(hub),
            )
        )
    print(
        "req/s: median over rounds (min–max); p50/p99: median over rounds; hub/base:"
        " median (min–max) of each round's hub run over the baseline run right after it;"
        " RSS: peak (VmHWM) during the query's runs; CPU: server CPU time (user + system)"
        " per request in microseconds, median over rounds."
    )


def main(argv):
    cmd = argv[1]
    if cmd == "template":
        print(template(argv[2], argv[3]))
    elif cmd == "body":
        print(template("hub", argv[2]).replace("%ID%", argv[3]))
    elif cmd == "path":
        print(template("base", argv[2]).replace("%ID%", argv[3]))
    elif cmd == "sample":
        ids = [line.strip() for line in sys.stdin if line.strip()]
        rng = random.Random(int(argv[3]))
        for i in rng.sample(ids, min(int(argv[2]), len(ids))):
            print(i)
    elif cmd == "check":
        check(argv[2], argv[3], argv[4])
    elif cmd == "summary":
        summary(argv[2], argv[3] if len(argv) > 3 else None)
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main(sys.argv)
