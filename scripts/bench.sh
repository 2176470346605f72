#!/usr/bin/env bash
# Benchmark: render + validate + commit N generated requests (3 apps each) into a fresh
# repository, then a no-change re-run, then `kubectl kustomize` over the same output.
#   scripts/bench.sh [N ...]        (default: 1 100 1000 10000)
#   RAMPART_BENCH_ENV=dev scripts/bench.sh 1000   (one environment instead of all three)
#   RAMPART_BENCH_DIR=/dev/shm scripts/bench.sh    (where the repositories go; default $TMPDIR)
# Prints one line per N: wall time, requests/s, peak RSS, no-change re-run, kustomize.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1 100 1000 10000)
cargo build --release --locked -q -p rampart-cli
bin="$PWD/target/release/rampart"
env_args=(); [ -n "${RAMPART_BENCH_ENV:-}" ] && env_args=(--env "$RAMPART_BENCH_ENV")
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}"); trap 'rm -rf "$work"' EXIT

measure() { # prints "seconds peak_kib" of a command
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}

printf "%8s %10s %12s %12s %12s %14s %10s\n" requests render_s requests/s peak_rss_mb rerun_s kustomize_s ratio
for n in "${sizes[@]}"; do
  repo="$work/repo-$n"
  "$bin" init "$repo" >/dev/null
  rm "$repo/specs/shop.yaml"
  python3 scripts/gen_requests.py "$repo" "$n"
  read -r secs kib < <(measure "$bin" render --repo "$repo" "${env_args[@]}")
  read -r rerun _ < <(measure "$bin" render --repo "$repo" "${env_args[@]}")
  [ -z "$(git -C "$repo" status --porcelain)" ] || { echo "work tree not clean after render" >&2; exit 1; }
  env=${RAMPART_BENCH_ENV:-dev}
  # kustomize is super-linear in the number of resources: cap it so large N stay runnable.
  if /usr/bin/time -f "%e %M" -o "$work/time" timeout "${RAMPART_BENCH_KUSTOMIZE_TIMEOUT:-300}" \
      kubectl kustomize "$repo/clusters/$env" >/dev/null 2>&1; then
    read -r kust _ < "$work/time"
    ratio=$(python3 -c "print(f'{$kust/max($secs,0.001):.1f}x')")
  else
    kust=">${RAMPART_BENCH_KUSTOMIZE_TIMEOUT:-300}"; ratio="-"
  fi
  rps=$(python3 -c "print(f'{$n/max($secs,0.001):.0f}')")
  printf "%8s %10s %12s %12s %12s %14s %10s\n" "$n" "$secs" "$rps" "$((kib / 1024))" "$rerun" "$kust" "$ratio"
done
echo "(kustomize builds one environment ($env); ratio = kustomize time / rampart render time)"
