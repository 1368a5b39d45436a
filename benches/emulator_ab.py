#!/usr/bin/env python3
"""Compares the emulator of two or more `sigil` binaries under one load, taking turns: each
round starts `SIGIL emulator --addr 127.0.0.1:0` of every binary in turn, runs the
`emulator_load` bench against it (SIGIL_EMULATOR_URL, SIGIL_EMULATOR_PID), stops it, and at
the end prints per case the median over rounds of requests/s and of the emulator's CPU time
per request (its threads' /proc schedstat), and each binary's ratio to the first.

usage: benches/emulator_ab.py ROUNDS LOAD_BINARY SIGIL_BINARY [SIGIL_BINARY ...]

LOAD_BINARY is the built `emulator_load` bench (`cargo bench -p sigil-benches --bench
emulator_load --no-run` prints its path). SIGIL_LOAD_REQUESTS, SIGIL_LOAD_CONNECTIONS and
SIGIL_LOAD_CASES pass through. With SIGIL_AB_PIN=1 (and taskset on the PATH) the emulator
runs on CPU 1 and the load on CPU 0, so that the two do not take turns on one core. Linux only
(the CPU column reads /proc).
"""
import os
import re
import shutil
import statistics
import subprocess
import sys

LINE = re.compile(r"^(\w+)\s+(\d+) req/s.*emulator CPU\s+([\d.]+) us/req\s+failures (\d+)")


def pinned(cpu, command):
    """`command` on CPU `cpu` when SIGIL_AB_PIN=1."""
    if os.environ.get("SIGIL_AB_PIN") == "1" and shutil.which("taskset"):
        return ["taskset", "-c", str(cpu), *command]
    return command


def one_round(load, sigil):
    emulator = subprocess.Popen(pinned(1, [sigil, "emulator", "--addr", "127.0.0.1:0"]),
                                stdout=subprocess.PIPE, text=True)
    try:
        first = emulator.stdout.readline().strip()
        if not first.startswith("listening on "):
            sys.exit(f"{sigil} emulator said {first!r}")
        env = dict(os.environ, SIGIL_EMULATOR_URL=first.removeprefix("listening on "),
                   SIGIL_EMULATOR_PID=str(emulator.pid))
        out = subprocess.run(pinned(0, [load]), env=env, capture_output=True, text=True, check=True).stdout
    finally:
        emulator.terminate()
        emulator.wait(timeout=30)
    rows = {}
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            rows[m[1]] = (float(m[2]), float(m[3]), int(m[4]))
    if not rows:
        sys.exit(f"no figures from the load against {sigil}:\n{out}")
    return rows


def main():
    if len(sys.argv) < 4:
        sys.exit(__doc__)
    rounds, load, binaries = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
    samples = {b: {} for b in binaries}
    for n in range(rounds):
        # Taking turns, in the reverse order every other round, so that machine drift (this
        # VM's speed moves by half within seconds) hits all alike.
        for binary in (binaries if n % 2 == 0 else binaries[::-1]):
            for case, row in one_round(load, binary).items():
                samples[binary].setdefault(case, []).append(row)
    first = binaries[0]
    print(f"{rounds} rounds, medians; ratios to {first}")
    print(f"  {'binary':40} {'case':14} {'req/s':>9} {'CPU us/req':>10} {'req/s x':>8}"
          f" {'CPU x':>6} {'failures':>8}")
    for binary in binaries:
        for case, rows in samples[binary].items():
            rps = statistics.median(r[0] for r in rows)
            cpu = statistics.median(r[1] for r in rows)
            base = samples[first].get(case)
            ratio_rps = rps / statistics.median(r[0] for r in base) if base else float("nan")
            ratio_cpu = cpu / statistics.median(r[1] for r in base) if base else float("nan")
            failures = sum(r[2] for r in rows)
            print(f"  {binary[-40:]:40} {case:14} {rps:9.0f} {cpu:10.2f} {ratio_rps:8.3f}"
                  f" {ratio_cpu:6.3f} {failures:8}")


if __name__ == "__main__":
    main()
