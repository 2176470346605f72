#!/usr/bin/env bash
# Benchmark: what the GitOps controller objects (clusters/<env>/gitops/) add to a render.
# N generated requests (3 apps each) rendered for one environment with gitops.controller
# none, argocd and flux, each into a fresh repository; prints per controller the wall time,
# peak RSS and the size of clusters/<env>/gitops/.
#   scripts/bench-gitops.sh [N]                   (default 1000)
#   RAMPART_BENCH_ENV=prod scripts/bench-gitops.sh (default dev)
#   RAMPART_BENCH_BIN=/path/to/rampart scripts/bench-gitops.sh   (that binary instead of a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
env=${RAMPART_BENCH_ENV:-dev}
if [ -n "${RAMPART_BENCH_BIN:-}" ]; then
  bin=$RAMPART_BENCH_BIN
else
  cargo build --release --locked -q -p rampart-cli
  bin="${CARGO_TARGET_DIR:-$PWD/target}/release/rampart"
fi
work=$(mktemp -d -p "${TMPDIR:-/tmp}"); trap 'rm -rf "$work"' EXIT
for controller in none argocd flux; do
  repo="$work/$controller"
  "$bin" init "$repo" >/dev/null
  sed -i "s/^  controller: argocd/  controller: $controller/" "$repo/rampart.yaml"
  python3 scripts/gen_requests.py "$repo" "$n"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" render --repo "$repo" --env "$env" >/dev/null
  read -r seconds kib <"$work/time"
  size=0 files=0
  if [ -d "$repo/clusters/$env/gitops" ]; then
    size=$(find "$repo/clusters/$env/gitops" -type f -printf '%s\n' | awk '{s += $1} END {print int(s / 1024)}')
    files=$(find "$repo/clusters/$env/gitops" -type f | wc -l)
  fi
  printf '%-7s %d namespaces (%s): %ss, peak %d MiB; gitops/: %d files, %d KiB\n' \
    "$controller" "$((n + 2))" "$env" "$seconds" "$((kib / 1024))" "$files" "$size"
done
