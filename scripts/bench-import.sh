#!/usr/bin/env bash
# Benchmark of `rampart import`: N namespaces (default 1,000) rendered from generated requests
# (scripts/gen_requests.py) for one environment, then imported back from the rendered
# manifests with --dry-run (requests and report, for every namespace: parse, map, render
# the request, connectivity diff of both sides). Reports time and peak RSS.
#   scripts/bench-import.sh [N]    (RAMPART_BIN=target/debug/rampart to skip the release build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
# RAMPART_BIN=path: measure that binary instead of building the release one.
if [ -z "${RAMPART_BIN:-}" ]; then
  cargo build --release --locked -q -p rampart-cli
fi
bin="${RAMPART_BIN:-${CARGO_TARGET_DIR:-$PWD/target}/release/rampart}"
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}"); trap 'rm -rf "$work"' EXIT
repo="$work/repo"
"$bin" init "$repo" >/dev/null
rm "$repo/specs/shop.yaml"
python3 scripts/gen_requests.py "$repo" "$n"
"$bin" render --env dev --repo "$repo" >/dev/null
dir="$repo/clusters/dev/namespaces"
objects=$(grep -rh '^kind:' "$dir" | wc -l)
names=$(cd "$repo/specs" && ls | sed 's/\.yaml$//' | grep -v '^rampart-system$')
# One `--from` over every rendered namespace (a single stream of them all is larger than
# the 16 MiB a manifest file or stdin may hold).
# shellcheck disable=SC2086
/usr/bin/time -f "%e %M" -o "$work/time" "$bin" import $names --from "$dir" --repo "$repo" \
  --env dev --dry-run --format json > "$work/report.json"
read -r secs kib < "$work/time"
summary=$(python3 -c "
import json, sys
r = json.load(open(sys.argv[1]))
same = sum(1 for ns in r if not ns['connectivity']['removed'] and not ns['connectivity']['added'])
print(f'{len(r)} namespaces imported, {same} with an identical connectivity')
" "$work/report.json")
echo "rampart import: $n namespaces ($objects objects): ${secs}s, peak RSS $((kib / 1024)) MB; $summary"
