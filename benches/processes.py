#!/usr/bin/env python3
"""Runs `sigil bench --json` of one or more `sigil` binaries in turn, N processes each, and
prints per scheme the median over processes of sigil/floor, encoded/floor and sigil/encoded.

Why processes: on the project's VM a short signature's ratio is bimodal from one process to
the next (ADVANCE 1.42-1.45 or 1.66-1.70 with the same binary), following where the stack
lands (`setarch -R` fixes it; changing the environment's size moves it). One process cannot
tell a change from that; the median of ten usually can. See docs/PERFORMANCE.md.

usage: benches/processes.py N SIGIL_BINARY [SIGIL_BINARY ...] [-- SIGIL_BENCH_ARGS ...]
(e.g. `-- --scheme avanan_auth` to time one scheme only)
"""
import json
import statistics
import subprocess
import sys


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    args = sys.argv[2:]
    extra = []
    if "--" in args:
        extra = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    runs, binaries = int(sys.argv[1]), args
    rows = {b: {} for b in binaries}
    for _ in range(runs):
        for binary in binaries:  # taking turns, so that machine drift hits all alike
            out = subprocess.run([binary, "bench", "--json", *extra], capture_output=True,
                                 text=True, check=True).stdout
            for row in json.loads(out):
                rows[binary].setdefault(row["scheme"], []).append(row)
    for binary in binaries:
        print(f"{binary} ({runs} processes, medians)")
        print(f"  {'scheme':16} {'sigil/floor':>11} {'encoded/floor':>13} {'sigil/encoded':>13}"
              f" {'sigil ns':>10} {'floor ns':>10}")
        for scheme, samples in rows[binary].items():
            def med(f):
                return statistics.median(f(r) for r in samples)
            print(f"  {scheme:16} {med(lambda r: r['sigil_ns'] / r['floor_ns']):11.3f}"
                  f" {med(lambda r: r['encoded_floor_ns'] / r['floor_ns']):13.3f}"
                  f" {med(lambda r: r['sigil_ns'] / r['encoded_floor_ns']):13.3f}"
                  f" {med(lambda r: r['sigil_ns']):10.1f} {med(lambda r: r['floor_ns']):10.1f}")


if __name__ == "__main__":
    main()
