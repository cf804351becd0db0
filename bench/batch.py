#!/usr/bin/python3
"""Throughput of `mapsleuth batch` on the committed corpus: cores per
second with --jobs 1 and --jobs 2 (or --jobs-list), several runs each.

    bench/batch.py [--bin build/cli/mapsleuth] [--runs 3] [--jobs-list 1,2]

Prints a Markdown table (paste into bench/BATCH.md) with, per job count: the
best and median wall time, cores/s from the median, CPU time (user+sys of
mapsleuth and its threads) and peak RSS. The load average is printed too:
on a shared machine wall time says more about the neighbours than about
mapsleuth; CPU seconds per core are the steadier number."""
import argparse
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
CORPUS = ROOT / "fixtures" / "corpus"


def one_run(binary, jobs):
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        p = subprocess.Popen([binary, "batch", "--no-logs", str(CORPUS), "--jobs",
                              str(jobs), "--progress", "never"],
                             stdout=out, stderr=err)
        _, status, ru = os.wait4(p.pid, 0)  # rusage of this run alone
        wall = time.monotonic() - t0
        p.returncode = rc = os.waitstatus_to_exitcode(status)
        if rc != 0:
            err.seek(0)
            sys.exit("mapsleuth batch --jobs %d failed (%d): %s"
                     % (jobs, rc, err.read().decode()[-2000:]))
        out.seek(0)
        lines = sum(1 for _ in out)
    cpu = ru.ru_utime + ru.ru_stime
    rss = ru.ru_maxrss / 1024  # KiB -> MiB
    return wall, cpu, rss, lines


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=os.environ.get(
        "MAPSLEUTH_BIN", str(ROOT / "build" / "cli" / "mapsleuth")))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs-list", default="1,2")
    a = ap.parse_args()
    cores = len(list(CORPUS.glob("*/*/core.zst")))
    rows = []
    for jobs in [int(j) for j in a.jobs_list.split(",")]:
        walls, cpus, rsss = [], [], []
        load0 = os.getloadavg()[0]
        for _ in range(a.runs):
            wall, cpu, rss, n = one_run(a.bin, jobs)
            assert n == cores, (n, cores)
            walls.append(wall)
            cpus.append(cpu)
            rsss.append(rss)
            print("jobs %d: %.1f s wall, %.1f s CPU, %.0f MiB"
                  % (jobs, wall, cpu, rss), file=sys.stderr)
        med = statistics.median(walls)
        rows.append((jobs, min(walls), med, cores / med, cores / min(walls),
                     statistics.median(cpus), statistics.median(cpus) / cores,
                     max(rsss), load0, os.getloadavg()[0]))
    print("corpus: %d cores; %d CPUs; %s; %s" % (
        cores, os.cpu_count(), time.strftime("%Y-%m-%d %H:%M"),
        subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                       capture_output=True, text=True).stdout.strip()))
    print()
    print("| jobs | wall best (s) | wall median (s) | cores/s (median) | "
          "cores/s (best) | CPU (s) | CPU s/core | peak RSS (MiB) | "
          "load avg before/after |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for r in rows:
        print("| %d | %.1f | %.1f | %.2f | %.2f | %.1f | %.3f | %.0f | "
              "%.1f / %.1f |" % r)


if __name__ == "__main__":
    main()
