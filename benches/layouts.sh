#!/usr/bin/env bash
# Compares `sigil bench` of the working tree with a base revision under several code layouts.
#
# The short signatures move with code placement alone (the same machine code of a signer
# measures differently in two binaries; see docs/PERFORMANCE.md), so one build cannot tell a
# small change from layout luck. This builds both trees four times, with the
# default layout and with LLVM told to align functions (32, 64 bytes) or branch targets,
# runs `sigil bench --json` twice per build (the faster run is kept) and prints each layout
# and the mean over layouts.
#
# usage: benches/layouts.sh [BASE_REV]   (default: HEAD)
# Builds go to target/layouts/ (about 1.5 min per layout per tree the first time).
set -euo pipefail

root=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
base=${1:-HEAD}
out="$root/target/layouts"
mkdir -p "$out"
base_tree="$out/base-src"
rm -rf "$base_tree"
git -C "$root" worktree prune
git -C "$root" worktree add -q --detach "$base_tree" "$base"
trap 'git -C "$root" worktree remove --force "$base_tree"' EXIT

layouts=(
  ""
  "-C llvm-args=-align-all-functions=5"
  "-C llvm-args=-align-all-functions=6"
  "-C llvm-args=-align-all-nofallthru-blocks=5"
)

for tree in base work; do
  src=$root
  [ "$tree" = base ] && src=$base_tree
  for i in "${!layouts[@]}"; do
    echo "building $tree, layout $i: ${layouts[$i]:-default}" >&2
    (cd "$src" && RUSTFLAGS="${layouts[$i]}" CARGO_TARGET_DIR="$out/$tree-$i" \
      cargo build --release -q -p sigil-cli)
  done
done

python3 - "$out" "${#layouts[@]}" <<'PY'
import json, statistics, subprocess, sys

out, count = sys.argv[1], int(sys.argv[2])
schemes = ["advance", "aet_get", "aet_post_200b", "avanan_auth", "avanan_request"]
ns = {}
ratio = {}
for tree in ("base", "work"):
    for i in range(count):
        runs = []
        for _ in range(2):
            text = subprocess.run([f"{out}/{tree}-{i}/release/sigil", "bench", "--json"],
                                  capture_output=True, text=True, check=True).stdout
            runs.append({row["scheme"]: row for row in json.loads(text)})
        for s in schemes:
            ns[tree, i, s] = min(r[s]["sigil_ns"] for r in runs)
            ratio[tree, i, s] = min(r[s]["sigil_over_floor"] for r in runs)

print("sigil ns, base / work")
print(f"{'layout':<8}" + "".join(f"{s:>20}" for s in schemes))
for i in range(count):
    print(f"{i:<8}" + "".join(f"{ns['base', i, s]:>9.1f} /{ns['work', i, s]:>8.1f}" for s in schemes))
for tree in ("base", "work"):
    means = [statistics.mean(ns[tree, i, s] for i in range(count)) for s in schemes]
    ratios = [statistics.mean(ratio[tree, i, s] for i in range(count)) for s in schemes]
    print(f"{tree + ' mean':<8}" + "".join(f"{m:>12.1f} ({r:.2f})" for m, r in zip(means, ratios)))
PY
