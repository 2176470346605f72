#!/usr/bin/env bash
# Benchmark: render + validate + commit N generated requests (3 apps each) into a fresh
# repository, then a no-change re-run, then `kubectl kustomize` over the same output.
#   scripts/bench.sh [N[:ENV] ...]  (default: 1000:dev 10000:dev 10000 — N requests rendered
#                                    for environment ENV, or for all three without :ENV)
#   RAMPART_BENCH_ENV=dev scripts/bench.sh 1000   (ENV for every N given without one)
#   RAMPART_BENCH_DIR=/dev/shm scripts/bench.sh    (where the repositories go; default $TMPDIR)
#   RAMPART_BENCH_BIN=/path/to/rampart scripts/bench.sh   (that binary instead of a release build)
#   RAMPART_BENCH_KUSTOMIZE_TIMEOUT=1 scripts/bench.sh    (cap kustomize's run, default 300 s)
# Prints one line per N: environments, namespaces rendered, wall time, requests/s, peak RSS,
# no-change re-run and its peak RSS, kustomize; then the everyday paths on the same
# repository: `render --check` with nothing changed, then with one request edited (its
# `replicas` changed), `plan` and `render` of that edit — seconds and peak RSS each.
#
#   scripts/bench.sh push [N]       (default 1000) delivery instead: N namespaces of one
#   environment rendered, committed in memory onto a fetched bare remote (file://) and
#   pushed by `render --push --branch main`, with the commit and push phases from its log; then the
#   secret guard (`rampart scan`) over the same output, in MB/s.
#
#   scripts/bench.sh check [N]      (default 10000) the linters over a rendered tree: N
#   requests rendered for one environment (RAMPART_BENCH_ENV, default dev), then
#   `rampart check` (objects/s, peak RSS) and `rampart scan` (MB/s, peak RSS) over it.
set -euo pipefail
cd "$(dirname "$0")/.."
sizes=("$@"); [ ${#sizes[@]} -gt 0 ] || sizes=(1000:dev 10000:dev 10000)
if [ -n "${RAMPART_BENCH_BIN:-}" ]; then
  bin=$RAMPART_BENCH_BIN   # another build, e.g. of an earlier commit, to compare with
else
  cargo build --release --locked -q -p rampart-cli
  bin="${CARGO_TARGET_DIR:-$PWD/target}/release/rampart"
fi
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}"); trap 'rm -rf "$work"' EXIT

measure() { # prints "seconds peak_kib" of a command; its output goes to $work/stdout
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/stdout"
  cat "$work/time"
}
measure_expect() { # measure, for a command that must exit with status $1
  local want=$1; shift
  local got=0
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >"$work/stdout" || got=$?
  [ "$got" = "$want" ] || { echo "bench: exit $got (wanted $want): $*" >&2; cat "$work/stdout" >&2; exit 1; }
  tail -1 "$work/time"
}
mb_per_s() { python3 -c "print(f'{$1/1e6/max($2,0.01):.0f}')"; } # bytes seconds

if [ "${sizes[0]}" = check ]; then
  n=${sizes[1]:-10000}
  env=${RAMPART_BENCH_ENV:-dev}
  repo="$work/repo"
  "$bin" init "$repo" >/dev/null
  rm "$repo/specs/shop.yaml"
  python3 scripts/gen_requests.py "$repo" "$n"
  "$bin" render --repo "$repo" --env "$env" >/dev/null
  tree="$repo/clusters/$env"
  read -r check_s check_kib < <(measure "$bin" check "$tree")
  # "ok: no findings in N document(s)" or "F finding(s) in N document(s)"
  objects=$(sed -n 's/.* in \([0-9]*\) document(s)$/\1/p' "$work/stdout" | tail -1)
  [ -n "$objects" ] || { echo "rampart check did not report its documents" >&2; exit 1; }
  bytes=$(find "$tree" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  read -r scan_s scan_kib < <(measure "$bin" scan "$tree")
  grep -q "^ok: no secrets in" "$work/stdout" || { echo "rampart scan found secrets" >&2; exit 1; }
  printf "%10s %8s %10s %13s %8s %10s %12s\n" objects check_s objects/s check_rss_mb scan_s scan_MB/s scan_rss_mb
  printf "%10s %8s %10s %13s %8s %10s %12s\n" "$objects" "$check_s" \
    "$(python3 -c "print(f'{$objects/max($check_s,0.01):.0f}')")" "$((check_kib / 1024))" \
    "$scan_s" "$(mb_per_s "$bytes" "$scan_s")" "$((scan_kib / 1024))"
  exit 0
fi

if [ "${sizes[0]}" = push ]; then
  n=${sizes[1]:-1000}
  repo="$work/repo"
  "$bin" init "$repo" >/dev/null
  rm "$repo/specs/shop.yaml"
  python3 scripts/gen_requests.py "$repo" "$n"
  git -C "$repo" add -A && git -C "$repo" commit -qm "requests"
  git init -q --bare -b main "$work/remote.git"
  git -C "$repo" remote add origin "file://$work/remote.git"
  git -C "$repo" push -q origin main
  start=$(date +%s.%N)
  (cd "$repo" && "$bin" -v render --env dev --push --branch main) 2>"$work/log" >/dev/null
  total=$(python3 -c "import time; print(f'{time.time()-$start:.2f}')")
  phase() { sed -n "s/.*INFO $1 .*elapsed_ms=\([0-9]*\).*/\1/p" "$work/log" | tail -1; }
  files=$(git -C "$work/remote.git" ls-tree -r --name-only main -- clusters/dev | wc -l)
  git -C "$repo" pull -q --ff-only origin main
  bytes=$(find "$repo/clusters/dev" -type f -printf '%s\n' | awk '{s+=$1} END {print s}')
  read -r scan_s _ < <(measure "$bin" scan "$repo/clusters/dev")
  printf "%10s %8s %10s %10s %10s %10s %10s %12s\n" namespaces files total_s render_ms commit_ms push_ms scan_s scan_MB/s
  printf "%10s %8s %10s %10s %10s %10s %10s %12s\n" "$n" "$files" "$total" "$(phase rendered)" \
    "$(phase 'commit built')" "$(phase pushed)" "$scan_s" \
    "$(python3 -c "print(f'{$bytes/1e6/max($scan_s,0.01):.0f}')")"
  exit 0
fi

everyday=()
printf "%8s %6s %10s %10s %10s %8s %8s %10s %12s %8s\n" requests envs namespaces \
  render_s requests/s rss_mb rerun_s rerun_mb kustomize_s ratio
for size in "${sizes[@]}"; do
  n=${size%%:*}
  env=${RAMPART_BENCH_ENV:-}; [ "$size" = "$n" ] || env=${size#*:}
  env_args=(); envs=3; [ -z "$env" ] || { env_args=(--env "$env"); envs=1; }
  repo="$work/repo-$n-${env:-all}"
  "$bin" init "$repo" >/dev/null
  rm "$repo/specs/shop.yaml"
  python3 scripts/gen_requests.py "$repo" "$n"
  read -r secs kib < <(measure "$bin" render --repo "$repo" "${env_args[@]}")
  read -r rerun rerun_kib < <(measure "$bin" render --repo "$repo" "${env_args[@]}")
  [ -z "$(git -C "$repo" status --porcelain)" ] || { echo "work tree not clean after render" >&2; exit 1; }
  kust_env=${env:-dev}
  # kustomize is super-linear in the number of resources: cap it so large N stay runnable.
  if /usr/bin/time -f "%e %M" -o "$work/time" timeout "${RAMPART_BENCH_KUSTOMIZE_TIMEOUT:-300}" \
      kubectl kustomize "$repo/clusters/$kust_env" >/dev/null 2>&1; then
    read -r kust _ < "$work/time"
    ratio=$(python3 -c "print(f'{$kust/max($secs,0.001):.1f}x')")
  else
    kust=">${RAMPART_BENCH_KUSTOMIZE_TIMEOUT:-300}"; ratio="-"
  fi
  rps=$(python3 -c "print(f'{$n/max($secs,0.001):.0f}')")
  printf "%8s %6s %10s %10s %10s %8s %8s %10s %12s %8s\n" "$n" "$envs" "$((n * envs))" "$secs" "$rps" \
    "$((kib / 1024))" "$rerun" "$((rerun_kib / 1024))" "$kust" "$ratio"
  # The everyday paths: what CI runs on a pull request, and one edited request.
  read -r check_s check_kib < <(measure_expect 0 "$bin" render --repo "$repo" --check "${env_args[@]}")
  spec="$repo/specs/ns-$(printf %05d $((n / 2))).yaml"
  sed -i 's/replicas: 3/replicas: 4/' "$spec"
  read -r echeck_s echeck_kib < <(measure_expect 1 "$bin" render --repo "$repo" --check "${env_args[@]}")
  read -r plan_s plan_kib < <(measure_expect 0 "$bin" plan --repo "$repo" "${env_args[@]}")
  read -r edit_s edit_kib < <(measure_expect 0 "$bin" render --repo "$repo" "${env_args[@]}")
  [ -z "$(git -C "$repo" status --porcelain)" ] || { echo "work tree not clean after the edit's render" >&2; exit 1; }
  everyday+=("$(printf "%8s %6s %14s %14s %14s %14s" "$n" "$envs" "$check_s/$((check_kib / 1024))" \
    "$echeck_s/$((echeck_kib / 1024))" "$plan_s/$((plan_kib / 1024))" "$edit_s/$((edit_kib / 1024))")")
  rm -rf "$repo"
done
echo
printf "%8s %6s %14s %14s %14s %14s\n" requests envs check_s/mb edit_check_s/mb edit_plan_s/mb edit_render_s/mb
printf "%s\n" "${everyday[@]}"
echo "(kustomize builds one environment (dev, or the one rendered); ratio = kustomize time / rampart render time)"
