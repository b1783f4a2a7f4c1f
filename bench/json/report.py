#!/usr/bin/env python3
"""Turns bench_json's --benchmark_out JSON into the markdown tables of docs/benchmarks.md.

usage: report.py RESULTS.json [MORE_RESULTS.json ...]

Each benchmark is taken at its fastest repetition (least CPU time) over all the files given (runs of
the same binary): on a shared machine interference only ever slows a run down. MB/s are 10^6 bytes per second of CPU time (reads: the input document;
writes: the bytes that library wrote). Ratios are ratios of CPU time per operation.
"""
import collections
import json
import sys

DOCS = [("twitter", "twitter.json"), ("citm_catalog", "citm_catalog.json"), ("canada", "canada.json"),
        ("small", "600-byte object")]


def load(paths):
    best = {}
    context = {}
    for path in paths:
        data = json.load(open(path))
        context = data.get("context", context)
        for b in data["benchmarks"]:
            if b.get("run_type") != "iteration" or b.get("error_occurred"):
                continue
            name = b["run_name"]
            if name not in best or b["cpu_time"] < best[name]["cpu_time"]:
                best[name] = b
    results = collections.defaultdict(dict)
    for name, b in best.items():
        op, doc, lib = name.split("/")
        seconds = b["cpu_time"] * {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0}[b["time_unit"]]
        results[(op, doc)][lib] = {"seconds": seconds, "mbps": b.get("bytes_per_second", 0) / 1e6,
                                   "allocs": b.get("allocs/op", 0), "reps": 0}
    return context, results


def cell(r):
    if r is None:
        return "—"
    allocs = r["allocs"]
    allocs_text = f"{allocs:.0f}" if allocs >= 1 or allocs == 0 else f"{allocs:.2f}"
    return f"{r['mbps']:,.0f} ({allocs_text})"


def ratio(a, b):
    if a is None or b is None:
        return "—"
    return f"{b['seconds'] / a['seconds']:.2f}x"


def table(results, op, libs, comparisons, subject="switchboard"):
    header = "| Document | " + " | ".join(title for _, title in libs) + " | " + " | ".join(
        f"{subject} vs {title}" for _, title in comparisons) + " |"
    lines = [header, "|" + "---|" * (1 + len(libs) + len(comparisons))]
    for doc, title in DOCS:
        row = results.get((op, doc), {})
        cells = [cell(row.get(lib)) for lib, _ in libs]
        ratios = [ratio(row.get(subject), row.get(lib)) for lib, _ in comparisons]
        lines.append(f"| {title} | " + " | ".join(cells) + " | " + " | ".join(ratios) + " |")
    return "\n".join(lines)


def main():
    context, results = load(sys.argv[1:])
    libs = {lib for row in results.values() for lib in row}
    read_libs = [("switchboard", "switchboard"), ("switchboard_fresh", "switchboard, new target"),
                 ("rapidjson", "RapidJSON"), ("nlohmann", "nlohmann"), ("simdjson", "simdjson On-Demand")]
    write_libs = [("switchboard", "switchboard"), ("rapidjson", "RapidJSON Writer"), ("nlohmann", "nlohmann dump")]
    candidates = sorted(lib for lib in libs if lib not in dict(read_libs) and not lib.endswith("_fresh"))
    present = lambda pairs: [p for p in pairs if p[0] in libs]
    comparisons = present([("rapidjson", "RapidJSON"), ("nlohmann", "nlohmann"), ("simdjson", "simdjson")])
    print(f"Machine: {context.get('num_cpus', '?')} CPUs at {context.get('mhz_per_cpu', '?')} MHz; "
          f"library build type as reported: {context.get('library_build_type', '?')}\n")
    print("Typed read, MB/s (allocations per read):\n")
    print(table(results, "read", present(read_libs), comparisons))
    print("\nTyped write, MB/s (allocations per write):\n")
    print(table(results, "write", present(write_libs), present([("rapidjson", "RapidJSON"), ("nlohmann", "nlohmann")])))
    for candidate in candidates:
        print(f"\nCandidate headers `{candidate}` against the current ones (same run), read:\n")
        pairs = [("switchboard", "switchboard"), (candidate, candidate)] + present(
            [("rapidjson", "RapidJSON"), ("simdjson", "simdjson On-Demand")])
        print(table(results, "read", pairs, [("switchboard", "current")] + comparisons, subject=candidate))
        print(f"\nCandidate headers `{candidate}`, write:\n")
        pairs = [("switchboard", "switchboard"), (candidate, candidate)] + present([("rapidjson", "RapidJSON Writer")])
        print(table(results, "write", pairs, [("switchboard", "current")] + present([("rapidjson", "RapidJSON")]),
                    subject=candidate))


if __name__ == "__main__":
    main()
