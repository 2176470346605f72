#!/usr/bin/env bash
# Benchmark of `rampart check`: lint about N objects (default 10,000) — the rendered output of
# generated requests, one environment — and report objects/s; with CHECKOV=/path/to/checkov,
# run checkov's Kubernetes framework over the same files for comparison.
#   scripts/bench-check.sh [OBJECTS]
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-10000}
cargo build --release --locked -q -p rampart-cli
bin="$PWD/target/release/rampart"
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}"); trap 'rm -rf "$work"' EXIT
repo="$work/repo"
"$bin" init "$repo" >/dev/null
rm "$repo/specs/shop.yaml"
# One generated request renders 26 objects in one environment.
python3 scripts/gen_requests.py "$repo" $(( (objects + 25) / 26 ))
"$bin" render --env dev --repo "$repo" >/dev/null
dir="$repo/clusters/dev/namespaces"
count=$(grep -rh '^kind:' "$dir" | wc -l)
files=$(find "$dir" -name '*.yaml' ! -name kustomization.yaml | wc -l)

/usr/bin/time -f "%e %M" -o "$work/time" "$bin" check "$dir" --format json > "$work/rampart.json" || true
read -r secs kib < "$work/time"
found=$(python3 -c "import json,sys; print(len(json.load(open(sys.argv[1]))))" "$work/rampart.json")
rate=$(python3 -c "print(f'{$count/max($secs,0.001):.0f}')")
echo "rampart check: $count objects in $files files: ${secs}s (${rate} objects/s), peak RSS $((kib / 1024)) MB, $found findings"

if [ -n "${CHECKOV:-}" ]; then
  # checkov tries to reach its vendor's API for guidelines; this machine has no internet.
  limit=${CHECKOV_TIMEOUT:-600}
  if BC_SKIP_MAPPING=TRUE /usr/bin/time -f "%e %M" -o "$work/time" timeout "$limit" \
      "$CHECKOV" -d "$dir" --framework kubernetes --quiet --compact -o json > "$work/checkov.json" 2>/dev/null; then
    read -r csecs ckib < "$work/time"
    summary=$(python3 -c "
import json, sys, collections
data = json.load(open(sys.argv[1]))
runs = data if isinstance(data, list) else [data]
failed = [c for r in runs for c in r.get('results', {}).get('failed_checks', [])]
passed = sum(r.get('summary', {}).get('passed', 0) for r in runs)
top = collections.Counter(c['check_id'] for c in failed).most_common(5)
print(f'{passed} passed and {len(failed)} failed checks; top: ' + (', '.join(f'{k} x{v}' for k, v in top) or 'none'))
" "$work/checkov.json")
    crate=$(python3 -c "print(f'{$count/max($csecs,0.001):.0f}')")
    echo "checkov:       $count objects: ${csecs}s (${crate} objects/s), peak RSS $((ckib / 1024)) MB, $summary"
  else
    echo "checkov:       $count objects: did not finish within ${limit}s"
  fi
fi
