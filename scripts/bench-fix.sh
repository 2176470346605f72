#!/usr/bin/env bash
# Benchmark of `rampart check --fix` against `rampart check` itself: about N objects (default
# 10,000) made of copies of the public manifests in tests/fixtures/fix/ (Istio's Bookinfo,
# Online Boutique; each copy's names suffixed so objects stay distinct), every workload with
# fixable findings. Reports seconds and objects/s of: check (text), check --format json
# (which computes each fix's text replacement, `fix_edit`), check --fix --dry-run, check
# --fix, and a second check --fix (nothing left to fix).
#   scripts/bench-fix.sh [OBJECTS]
# BIN=path/to/rampart skips the release build.
set -euo pipefail
cd "$(dirname "$0")/.."
objects=${1:-10000}
if [ -z "${BIN:-}" ]; then
  cargo build --release --locked -q -p rampart-cli
  BIN="${CARGO_TARGET_DIR:-$PWD/target}/release/rampart"
fi
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}"); trap 'rm -rf "$work"' EXIT
python3 - "$work/manifests" "$objects" <<'PY'
import pathlib, re, sys
out, objects = pathlib.Path(sys.argv[1]), int(sys.argv[2])
fixtures = sorted(pathlib.Path("tests/fixtures/fix").glob("*/*.yaml"))
texts = [(f.parent.name + "-" + f.stem, f.read_text()) for f in fixtures]
count = 0
copy = 0
while count < objects:
    copy += 1
    folder = out / f"copy{copy:05d}"
    folder.mkdir(parents=True)
    for name, text in texts:
        # Distinct names per copy: every `name:` value gets the copy's suffix.
        renamed = re.sub(r"^(\s*-?\s*name: )([A-Za-z0-9.-]+)$", rf"\g<1>\g<2>-{copy}", text, flags=re.M)
        (folder / f"{name}.yaml").write_text(renamed)
        count += len(re.findall(r"^kind: ", text, flags=re.M))
print(f"{count} objects in {copy * len(texts)} files", file=sys.stderr)
PY
count=$(grep -rh '^kind:' "$work/manifests" | wc -l)

measure() { # label, args…
  local label=$1; shift
  /usr/bin/time -f "%e %M" -o "$work/time" "$BIN" "$@" > "$work/out" 2> "$work/err" || true
  # The last line: time prefixes "Command exited with non-zero status 1" (findings).
  read -r secs kib < <(tail -1 "$work/time")
  rate=$(python3 -c "print(f'{$count/max($secs,0.001):.0f}')")
  printf '%-26s %s objects: %6ss (%s objects/s), peak RSS %s MB; %s\n' "$label" "$count" "$secs" "$rate" "$((kib / 1024))" "$(tail -1 "$work/err")"
}
measure "check" check "$work/manifests"
measure "check --format json" check "$work/manifests" --format json
measure "check --fix --dry-run" check "$work/manifests" --fix --dry-run
measure "check --fix" check "$work/manifests" --fix --format json
measure "check --fix (again)" check "$work/manifests" --fix --format json
