#!/usr/bin/python3
"""Two mapsleuth builds timed against each other, A/B pair by pair: for each
corpus core, one warm-up run of each, then RUNS timed runs of each,
alternating which goes first; per-core medians, then the median and p90
over the cores, the median of the per-core ratios B/A, and the cores whose
ratio grew most. For "did this change make analyses slower": both builds
see the same page cache and machine load.

    bench/ab_pairs.py OLD_BIN NEW_BIN [--runs 5] [--cache DIR] [--command analyze]

DIR holds decompressed corpus cases as the tests leave them
(<build>/fixture-cache: LABEL/CASE/core, LABEL/exe or LABEL/CASE/exe)."""
import argparse
import glob
import os
import statistics
import subprocess
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("old")
    ap.add_argument("new")
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--cache", default=os.path.join(ROOT, "build", "fixture-cache"))
    ap.add_argument("--command", default="analyze")
    a = ap.parse_args()
    cases = []
    for c in sorted(glob.glob(os.path.join(a.cache, "go1.*", "*", "core"))):
        d = os.path.dirname(c)
        e = os.path.join(d, "exe") if os.path.exists(os.path.join(d, "exe")) \
            else os.path.join(d, "..", "exe")
        cases.append((c, e))
    if not cases:
        raise SystemExit("no corpus cores under %s (run the tests first)" % a.cache)

    def t(b, c, e):
        s = time.perf_counter()
        subprocess.run([b, a.command, c, "--exe", e, "--format", "json"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        return time.perf_counter() - s

    ra, rb, rows = [], [], []
    for c, e in cases:
        t(a.old, c, e)
        t(a.new, c, e)
        xa, xb = [], []
        for i in range(a.runs):
            order = [(a.old, xa), (a.new, xb)] if i % 2 else [(a.new, xb), (a.old, xa)]
            for b, x in order:
                x.append(t(b, c, e))
        ma, mb = statistics.median(xa), statistics.median(xb)
        ra.append(ma)
        rb.append(mb)
        rows.append((mb / ma, os.path.relpath(c, a.cache), ma * 1e3, mb * 1e3))
    p90 = lambda v: sorted(v)[int(len(v) * 0.9)] * 1e3
    print("%d cores, %s, %d runs each" % (len(cases), a.command, a.runs))
    print("old: median %.2f ms, p90 %.2f ms" % (statistics.median(ra) * 1e3, p90(ra)))
    print("new: median %.2f ms, p90 %.2f ms" % (statistics.median(rb) * 1e3, p90(rb)))
    print("per-core ratio new/old: median %.3f" % statistics.median(r[0] for r in rows))
    for r in sorted(rows)[-6:]:
        print("  %.2fx %s %.1f -> %.1f ms" % r)


if __name__ == "__main__":
    main()
