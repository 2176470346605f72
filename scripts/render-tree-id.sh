#!/usr/bin/env bash
# Prints the Git tree id of a render of N generated requests (3 apps each) for all three
# environments, so two builds can be compared byte for byte (equal ids: equal output).
#   scripts/render-tree-id.sh [N]                    (default 1000; this tree's debug build)
#   RAMPART_BENCH_BIN=/path/to/rampart scripts/render-tree-id.sh 1000   (another build)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
if [ -n "${RAMPART_BENCH_BIN:-}" ]; then
  bin=$RAMPART_BENCH_BIN
else
  cargo build --locked -q --workspace --bins
  bin="${CARGO_TARGET_DIR:-$PWD/target}/debug/rampart"
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
repo="$work/repo"
"$bin" init "$repo" >/dev/null
rm "$repo/specs/shop.yaml"
python3 scripts/gen_requests.py "$repo" "$n"
"$bin" render --repo "$repo" >/dev/null
[ -z "$(git -C "$repo" status --porcelain)" ] || { echo "work tree not clean after render" >&2; exit 1; }
echo "$(git -C "$repo" rev-parse 'HEAD^{tree}') $(git -C "$repo" ls-files | wc -l) files"
