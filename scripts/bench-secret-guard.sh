#!/usr/bin/env bash
# Compares the secret guard (`rampart scan`) with detect-secrets on the labelled corpus in
# tests/fixtures/secret-corpus: leaks/ holds one leak per file (a tool should flag each),
# clean/ holds files without secrets (a flag is a false positive).
#   scripts/bench-secret-guard.sh [CORPUS_DIR]
# The rampart binary: $RAMPART, else target/release/rampart, else target/debug/rampart.
# detect-secrets: the one on PATH, else detect-secrets $DS_VERSION installed into a venv under
# ${TMPDIR:-/tmp} (kept for the next run). It runs with its default plugins and filters.
# Per file: rampart exit 1 = flagged, 0 = not flagged, anything else = error; detect-secrets
# flagged = a non-empty `results` in its JSON. Prints a table per file and a summary; exits 1
# when a tool errored on a file, 0 otherwise (misses and false positives are results, not
# failures).
set -euo pipefail
cd "$(dirname "$0")/.."

DS_VERSION=1.5.0
corpus=${1:-tests/fixtures/secret-corpus}
for dir in "$corpus/leaks" "$corpus/clean"; do
  [ -d "$dir" ] || { echo "bench-secret-guard: no directory $dir" >&2; exit 2; }
done

if [ -n "${RAMPART:-}" ]; then
  rampart_bin=$RAMPART
elif [ -x target/release/rampart ]; then
  rampart_bin=target/release/rampart
else
  rampart_bin=target/debug/rampart
fi
[ -x "$rampart_bin" ] || {
  echo "bench-secret-guard: no rampart binary at $rampart_bin (build it, or set RAMPART)" >&2
  exit 2
}

work=$(mktemp -d "${TMPDIR:-/tmp}/bench-secret-guard.XXXXXX")
trap 'rm -rf "$work"' EXIT
# A copy, so that a rebuild under target/ during the run does not break it.
cp "$rampart_bin" "$work/rampart"
rampart="$work/rampart"

if command -v detect-secrets >/dev/null; then
  ds=$(command -v detect-secrets)
else
  venv="${TMPDIR:-/tmp}/bench-secret-guard-detect-secrets-$DS_VERSION"
  if [ ! -x "$venv/bin/detect-secrets" ]; then
    echo "installing detect-secrets $DS_VERSION into $venv" >&2
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "detect-secrets==$DS_VERSION"
  fi
  ds="$venv/bin/detect-secrets"
fi
ds_version=$("$ds" --version)
[ "$ds_version" = "$DS_VERSION" ] ||
  echo "bench-secret-guard: note: detect-secrets $ds_version on PATH (the figures were taken with $DS_VERSION)" >&2

# Prints "flag RULES", "pass" or "error RC" for rampart on one file.
run_rampart() {
  local rc=0
  "$rampart" scan "$1" >"$work/out" 2>"$work/err" || rc=$?
  case $rc in
    0) echo pass ;;
    1) echo "flag $(sed -nE 's/^.*:[0-9]+: .* \(([a-z0-9-]+)\)$/\1/p' "$work/out" | sort -u | paste -sd, -)" ;;
    *) echo "error $rc"; sed 's/^/    rampart: /' "$work/err" >&2 ;;
  esac
}

# The same for detect-secrets (flagged: non-empty results; the finding types after it).
run_ds() {
  local rc=0
  "$ds" scan --all-files "$1" >"$work/ds.json" 2>"$work/err" || rc=$?
  if [ "$rc" -ne 0 ]; then
    echo "error $rc"; sed 's/^/    detect-secrets: /' "$work/err" >&2
    return
  fi
  python3 - "$work/ds.json" <<'PY' || echo "error json"
import json, sys
results = json.load(open(sys.argv[1]))["results"]
found = sorted({r["type"].replace(" ", "-") for rs in results.values() for r in rs})
print("flag " + ",".join(found) if found else "pass")
PY
}

# Verdict of one run against the label: caught / MISSED for leaks, ok / FALSE-POS for clean.
verdict() {
  local expected=$1 result=$2
  case "$result" in
    error*) echo "ERROR" ;;
    flag*) [ "$expected" = leak ] && echo caught || echo FALSE-POS ;;
    *) [ "$expected" = leak ] && echo MISSED || echo ok ;;
  esac
}

declare -A caught=([rampart]=0 [ds]=0) fp=([rampart]=0 [ds]=0) errors=([rampart]=0 [ds]=0)
declare -A missed_list=([rampart]="" [ds]="") fp_list=([rampart]="" [ds]="") error_list=([rampart]="" [ds]="")
leaks=0 cleans=0

details() { case "$1" in flag\ *) echo "${1#flag }" ;; error*) echo "$1" ;; *) echo - ;; esac; }

rows="$work/rows"
printf 'file\texpected\trampart\tdetect-secrets\trampart rules\tdetect-secrets types\n' >"$rows"
for label in leaks clean; do
  expected=$([ $label = leaks ] && echo leak || echo clean)
  for file in "$corpus/$label"/*; do
    [ -f "$file" ] || continue
    name="$label/$(basename "$file")"
    if [ $label = leaks ]; then leaks=$((leaks + 1)); else cleans=$((cleans + 1)); fi
    r=$(run_rampart "$file")
    d=$(run_ds "$file")
    v_rampart=$(verdict "$expected" "$r")
    v_ds=$(verdict "$expected" "$d")
    for tool in rampart ds; do
      v=v_$tool
      case ${!v} in
        caught) caught[$tool]=$((caught[$tool] + 1)) ;;
        MISSED) missed_list[$tool]+="$name"$'\n' ;;
        FALSE-POS) fp[$tool]=$((fp[$tool] + 1)); fp_list[$tool]+="$name"$'\n' ;;
        ERROR) errors[$tool]=$((errors[$tool] + 1)); error_list[$tool]+="$name"$'\n' ;;
      esac
    done
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$expected" "$v_rampart" "$v_ds" "$(details "$r")" "$(details "$d")" >>"$rows"
  done
done
# The table, each column as wide as its widest cell.
awk -F'\t' '
  { for (i = 1; i <= NF; i++) { cell[NR, i] = $i; if (length($i) > w[i]) w[i] = length($i) } n = NF }
  END {
    for (r = 1; r <= NR; r++) {
      line = ""
      for (i = 1; i <= n; i++) line = line sprintf(i < n ? "%-" w[i] "s  " : "%s", cell[r, i])
      print line
      if (r == 1) { line = ""; for (i = 1; i <= n; i++) { d = sprintf("%" w[i] "s", ""); gsub(/ /, "-", d); line = line d (i < n ? "  " : "") } print line }
    }
  }' "$rows"

list() {
  local items=$1
  if [ -z "$items" ]; then echo "    (none)"; else printf '%s' "$items" | sed 's/^/    /'; fi
}
echo
for tool in rampart ds; do
  if [ $tool = rampart ]; then
    echo "rampart ($rampart_bin):"
  else
    echo "detect-secrets $ds_version (default plugins):"
  fi
  nmissed=$(printf '%s' "${missed_list[$tool]}" | grep -c . || true)
  echo "  leaks caught: ${caught[$tool]}/$leaks; missed: $nmissed"
  list "${missed_list[$tool]}"
  echo "  false positives: ${fp[$tool]}/$cleans"
  list "${fp_list[$tool]}"
  if [ "${errors[$tool]}" -gt 0 ]; then
    echo "  errors: ${errors[$tool]}"
    list "${error_list[$tool]}"
  fi
done

[ "${errors[rampart]}" -eq 0 ] && [ "${errors[ds]}" -eq 0 ]
