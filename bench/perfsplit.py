#!/usr/bin/env python3
"""Splits a `perf record -g` profile of the hub into what the CPU did.

  perf script -i perf.data | bench/perfsplit.py

Each sample goes to the first category (in the order below) that one of
its stack frames matches, so a signature check inside a request counts as
"token", not as "http". Prints each category's share of the samples.
"""

import re
import sys

CATEGORIES = [
    ("token: JWT decode + Ed25519 verify", r"api::auth::token::verify|jsonwebtoken::|curve25519|ed25519"),
    ("access cache / epoch sync", r"api::access::cache"),
    ("audit writer task (hash chain, inserts, commit)", r"api::audit::writer"),
    ("audit trail in the request (record, wait)", r"api::audit::|Trail"),
    ("graphql parse + limits + validation", r"async_graphql_parser|async_graphql::validation|parse_query|DocumentLimits|pest::"),
    ("sqlite engine (in the connection threads)", r"sqlite3[A-Za-z_]*"),
    ("sqlx + sea-orm glue (statements, rows, channels)", r"sqlx_|sea_orm|sea_query|flume::"),
    ("graphql execution + resolvers + dataloader", r"async_graphql::|api::graphql"),
    ("json (serde_json)", r"serde_json"),
    ("http (hyper, axum, tower)", r"hyper|axum|tower"),
    ("malloc/free", r"malloc|_int_free|cfree|realloc"),
    ("scheduler, futex, thread wake-ups (kernel)", r"finish_task_switch|futex|schedule|__x64_sys_futex|try_to_wake_up"),
    ("tokio runtime", r"tokio::"),
]


def main():
    compiled = [(name, re.compile(rx)) for name, rx in CATEGORIES]
    counts = {name: 0 for name, _ in CATEGORIES}
    counts["other"] = 0
    total = 0
    frames = []

    def flush():
        nonlocal total
        if not frames:
            return
        total += 1
        for name, rx in compiled:
            if any(rx.search(f) for f in frames):
                counts[name] += 1
                break
        else:
            counts["other"] += 1
        frames.clear()

    for line in sys.stdin:
        if not line.strip():
            flush()
            continue
        if line[0] in " \t":
            frames.append(line.strip())
    flush()
    if not total:
        print("no samples")
        return
    for name, n in sorted(counts.items(), key=lambda kv: -kv[1]):
        print("%5.1f%%  %s" % (100.0 * n / total, name))
    print("%d samples" % total)


if __name__ == "__main__":
    main()
