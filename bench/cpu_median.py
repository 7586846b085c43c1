"""Median CPU seconds (user + system, to the microsecond: /usr/bin/time's
are cut to 10 ms, a tenth of a 0.1 s run) of shell commands run in turn,
REPS rounds, and rows per CPU-second for ROWS rows.

    python3 bench/cpu_median.py REPS ROWS NAME=COMMAND...
"""
import resource
import statistics
import subprocess
import sys

reps, rows = int(sys.argv[1]), int(sys.argv[2])
runs = [a.split("=", 1) for a in sys.argv[3:]]
cpu = {name: [] for name, _ in runs}
for _ in range(reps):
    for name, command in runs:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        subprocess.run(command, shell=True, check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu[name].append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
for name, _ in runs:
    median = statistics.median(cpu[name])
    print(f"{name} {median:.4f} {rows / median:.0f}")
