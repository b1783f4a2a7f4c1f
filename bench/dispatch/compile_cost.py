#!/usr/bin/env python3
"""Compile cost of switchboard endpoints: times `CXX -std=c++20 -O2 -c` of generated translation units
with 1, 10 and 100 endpoints (best of --runs) and reports the cost of each added endpoint, plus the
-fsyntax-only time of `#include <switchboard/app.hpp>` alone.

Each generated unit is an ordinary program: endpoints of four kinds in turn (two ints by name, a
string_view, an aggregate round trip, a double with an optional), in modules of --per-module endpoints,
one sb::app over all of them, and a JSON-RPC call so that nothing is left uninstantiated.

    python3 bench/dispatch/compile_cost.py [--cxx g++] [--counts 1 10 100] [--runs 3]

Only the Python standard library is used; the sources go to a temporary directory, removed afterwards
unless --keep is given.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

KINDS = [
    # (function definition, endpoint options)
    ("int ep{i}(int a, int b) {{ return a + b + {i}; }}", ', sb::args{{"a", "b"}}'),
    ("std::string_view ep{i}(std::string_view s) {{ return s.substr(0, s.size() > {i} ? {i} : s.size()); }}", ""),
    ("point ep{i}(point p) {{ p.x += {i}; return p; }}", ""),
    ("double ep{i}(double x, std::optional<int> y) {{ return x * {i} + y.value_or(0); }}", ""),
]


def generate(count, per_module):
    lines = [
        "#include <switchboard/app.hpp>",
        "",
        "#include <optional>",
        "#include <string>",
        "#include <string_view>",
        "",
        "namespace gen {",
        "struct point { int x; int y; std::string_view label; };",
    ]
    for i in range(count):
        lines.append(KINDS[i % len(KINDS)][0].format(i=i))
    modules = []
    for first in range(0, count, per_module):
        name = "m%d" % (first // per_module)
        modules.append(name)
        lines.append("struct %s {" % name)
        for i in range(first, min(first + per_module, count)):
            options = KINDS[i % len(KINDS)][1].format(i=i)
            lines.append("  sb::fn<&gen::ep%d%s> ep%d;" % (i, options, i))
        lines.append("};")
    lines += [
        "}  // namespace gen",
        "",
        "int main() {",
        "  sb::app<%s> app;" % ", ".join("gen::" + m for m in modules),
        "  std::string out;",
        '  app.handle_jsonrpc(R"({"jsonrpc":"2.0","method":"m0.ep0","params":[1,2],"id":1})", out);',
        "  return out.empty() ? 1 : 0;",
        "}",
    ]
    return "\n".join(lines) + "\n"


def timed(command, runs):
    """Best wall-clock and best CPU (user + sys of the compiler) seconds over `runs` runs."""
    best_wall = best_cpu = float("inf")
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wall = time.perf_counter() - start
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if result.returncode != 0:
            sys.exit("compile failed: %s\n%s" % (" ".join(command), result.stderr[:4000]))
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        best_wall = min(best_wall, wall)
        best_cpu = min(best_cpu, cpu)
    return best_wall, best_cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cxx", default=os.environ.get("CXX", "g++"))
    parser.add_argument("--counts", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--per-module", type=int, default=10, help="endpoints per module (default 10)")
    parser.add_argument("--flags", default="-std=c++20 -O2", help="compiler flags (default: -std=c++20 -O2)")
    parser.add_argument("--include", default=os.path.join(REPO, "include"), help="switchboard's include/")
    parser.add_argument("--keep", action="store_true", help="keep the generated sources and print where")
    args = parser.parse_args()

    version = subprocess.run([args.cxx, "--version"], capture_output=True, text=True).stdout.splitlines()[0]
    work = tempfile.mkdtemp(prefix="sb_compile_cost_")
    try:
        base = [args.cxx] + args.flags.split() + ["-I" + args.include]
        print("compiler: %s" % version)
        print("flags:    %s -c (best of %d; %d endpoints per module)" % (args.flags, args.runs, args.per_module))
        print("nproc:    %d, load average: %s" % (os.cpu_count(), " ".join("%.2f" % x for x in os.getloadavg())))
        print()

        header = os.path.join(work, "app_only.cpp")
        with open(header, "w") as f:
            f.write("#include <switchboard/app.hpp>\n")
        wall, cpu = timed([args.cxx, "-std=c++20", "-fsyntax-only", "-I" + args.include, header], args.runs)
        print("#include <switchboard/app.hpp> alone, -fsyntax-only: %.3f s wall, %.3f s cpu" % (wall, cpu))
        print()

        results = {}
        print("%10s %10s %10s" % ("endpoints", "wall s", "cpu s"))
        for count in args.counts:
            source = os.path.join(work, "endpoints_%d.cpp" % count)
            with open(source, "w") as f:
                f.write(generate(count, args.per_module))
            wall, cpu = timed(base + ["-c", source, "-o", os.path.join(work, "endpoints_%d.o" % count)], args.runs)
            results[count] = (wall, cpu)
            print("%10d %10.3f %10.3f" % (count, wall, cpu))
        print()
        counts = sorted(results)
        for low, high in zip(counts, counts[1:]):
            added = high - low
            per_wall = (results[high][0] - results[low][0]) / added * 1000
            per_cpu = (results[high][1] - results[low][1]) / added * 1000
            print("per added endpoint, %d -> %d: %.1f ms wall, %.1f ms cpu" % (low, high, per_wall, per_cpu))
        if len(counts) > 2:
            low, high = counts[0], counts[-1]
            added = high - low
            print("per added endpoint, %d -> %d: %.1f ms wall, %.1f ms cpu" % (
                low, high, (results[high][0] - results[low][0]) / added * 1000,
                (results[high][1] - results[low][1]) / added * 1000))
        if args.keep:
            print("\nsources kept in %s" % work)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
