#!/usr/bin/env bash
# Benchmark: `rampart rotate` over N secrets with a rotation policy (default 1000: 100
# namespaces × 10), against a local OpenBao and a local moto (AWS Secrets Manager), at
# concurrency 1, 8 and 32; then a plain sequential Python script (hvac, boto3, no Git:
# scripts/bench_rotate_baseline.py) over the same secrets, for comparison. Never run in CI:
# it needs the .venv of tests/requirements.txt (bao, moto_server, hvac, boto3) and minutes.
#   scripts/bench-rotate.sh [N]
#   RAMPART_BENCH_DIR=/dev/shm scripts/bench-rotate.sh   (where the repositories go; default $TMPDIR)
#   BACKENDS="openbao" CONCURRENCY="8" scripts/bench-rotate.sh   (a subset of the rows)
#   RAMPART_BENCH_LOGS=DIR scripts/bench-rotate.sh   (keep each row's -v log and summary there)
# Prints one row per backend and concurrency: wall time, rotations/s, peak RSS, and the pin
# commit (from the last summary row to "committed": edit the pins, render, commit, check
# the work tree), with the render and commit phases of the -v log. Every row is checked:
# N `rotated` rows in the summary, N new dev pins in the commit's diff, and every secret in
# the backend exactly one version further.
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000}
backends=${BACKENDS:-openbao moto}
concurrency=${CONCURRENCY:-1 8 32}
cargo build --release --locked -q -p rampart-cli
bin="$PWD/target/release/rampart"
if [ ! -x .venv/bin/bao ] || [ ! -x .venv/bin/moto_server ]; then
  python3 -m venv .venv && .venv/bin/pip install -q -r tests/requirements.txt
fi
py="$PWD/.venv/bin/python"
gen="$PWD/scripts/gen_rotation_requests.py"
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}")

server_pid=
stop_server() {
  if [ -n "$server_pid" ]; then
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    server_pid=
  fi
}
# The servers are ours alone: never leave one running, whatever fails.
trap 'stop_server; rm -rf "$work"' EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
# One port per backend for the whole run: the requests' environment names the server URL, so
# every fresh server of a row must listen where the template repository says.
bao_port=$(free_port)
moto_port=$(free_port)
token="bench-$RANDOM$RANDOM"

# A fresh, empty server per row: each row rotates the same N secrets from version 1.
start_server() { # openbao|moto
  local url
  if [ "$1" = openbao ]; then
    .venv/bin/bao server -dev -dev-no-store-token -dev-root-token-id="$token" \
      -dev-listen-address="127.0.0.1:$bao_port" >"$work/server.log" 2>&1 &
    url="http://127.0.0.1:$bao_port/v1/sys/health"
  else
    .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" >"$work/server.log" 2>&1 &
    url="http://127.0.0.1:$moto_port/moto-api/data.json"
  fi
  server_pid=$!
  for _ in $(seq 100); do
    curl -sf -o /dev/null "$url" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep 0.2
  done
  echo "$1 did not start:" >&2; tail -20 "$work/server.log" >&2; exit 1
}

export VAULT_ADDR="http://127.0.0.1:$bao_port" VAULT_TOKEN="$token"
export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port" AWS_REGION=eu-central-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
unset BAO_TOKEN AWS_PROFILE AWS_SESSION_TOKEN

# A template repository per backend: N requests, dev pointing at the local server,
# rendered and committed once, so a row's commit holds only what the rotation changed.
make_template() { # openbao|moto DIR
  local kind=vault; [ "$1" = moto ] && kind=aws
  "$bin" init "$2" >/dev/null
  rm "$2/specs/shop.yaml"
  sed -i -e "s|server: https://vault.dev.example.com:8200|server: http://127.0.0.1:$bao_port|" \
    "$2/environments/dev.yaml"
  grep -q "server: http://127.0.0.1:$bao_port" "$2/environments/dev.yaml"
  python3 "$gen" write "$2" "$n" "$kind"
  "$bin" render --repo "$2" >/dev/null
}
for backend in $backends; do make_template "$backend" "$work/template-$backend"; done

measure() { # prints "seconds peak_kib" of a command whose stdout goes to $work/out
  /usr/bin/time -f "%e %M %U %S" -o "$work/time" "$@" >"$work/out"
  cat "$work/time"
}
# Wall-clock stamps on rampart's stdout (Rust flushes it per line): the pin commit runs
# from the last summary row to the "committed …" line, and not every step of it is logged.
stamp() {
  python3 -u -c 'import sys, time
for line in sys.stdin:
    sys.stdout.write(f"{time.time():.6f} {line}")'
}
phase_ms() { sed -n "s/.*INFO $1 .*elapsed_ms=\([0-9]*\).*/\1/p" "$work/log" | tail -1; }

row() { printf "%-14s %11s %8s %8s %12s %8s %13s %12s %13s %10s %10s\n" "$@"; }
cpu() { python3 -c "print(f'{$usr + $sys:.2f}')"; }
# CPU seconds the server has used so far (user + system, all its threads).
server_cpu() {
  python3 -c "import os, sys; f = open('/proc/$server_pid/stat').read().rsplit(')', 1)[1].split(); print((int(f[11]) + int(f[12])) / os.sysconf('SC_CLK_TCK'))"
}
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) cores)"
row backend concurrency secrets seconds rotations/s cpu_s server_cpu_s peak_rss_mb pin_commit_s render_ms commit_ms

for backend in $backends; do
  kind=vault; [ "$backend" = moto ] && kind=aws
  for c in $concurrency; do
    repo="$work/repo-$backend-$c"
    cp -a "$work/template-$backend" "$repo"
    start_server "$backend"
    "$py" "$gen" seed "$n" "$kind"
    before=$(git -C "$repo" rev-list --count HEAD)
    server_before=$(server_cpu)
    (cd "$repo" && /usr/bin/time -f "%e %M %U %S" -o "$work/time" \
      "$bin" -v rotate --env dev --force --delivery commit --concurrency "$c" 2>"$work/log" \
      | stamp >"$work/out") || { tail -5 "$work/out" "$work/log" >&2; exit 1; }
    read -r secs kib usr sys <"$work/time"
    server_s=$(python3 -c "print(f'{$(server_cpu) - $server_before:.2f}')")
    # A benchmark that silently rotates nothing is worthless: check the summary, the
    # commit and the backend.
    rotated=$(grep -c ' rotated$' "$work/out" || true)
    pins=$(git -C "$repo" diff -U0 HEAD~1 HEAD -- specs | grep -c '^+ *version: {dev: ' || true)
    after=$(git -C "$repo" rev-list --count HEAD)
    if [ "$rotated" != "$n" ] || [ "$pins" != "$n" ] || [ "$after" != $((before + 1)) ]; then
      echo "$backend/$c: $rotated rotated, $pins pins changed, $((after - before)) commits; expected $n, $n, 1" >&2
      exit 1
    fi
    "$py" "$gen" verify "$n" "$kind"
    if [ -n "${RAMPART_BENCH_LOGS:-}" ]; then
      mkdir -p "$RAMPART_BENCH_LOGS"
      cp "$work/log" "$RAMPART_BENCH_LOGS/$backend-$c.log"
      cp "$work/out" "$RAMPART_BENCH_LOGS/$backend-$c.out"
    fi
    pin_s=$(awk '/ rotated$/ {last = $1} / committed [0-9a-f]+ on / {done = $1}
      END {printf "%.2f", done - last}' "$work/out")
    row "$backend" "$c" "$n" "$secs" "$(python3 -c "print(f'{$n/max($secs,0.001):.0f}')")" \
      "$(cpu)" "$server_s" "$((kib / 1024))" "$pin_s" "$(phase_ms rendered)" "$(phase_ms committed)"
    stop_server
    rm -rf "$repo"
  done
done

# The baseline on the same secrets, from version 1 on a fresh server too.
for backend in $backends; do
  kind=vault; [ "$backend" = moto ] && kind=aws
  start_server "$backend"
  "$py" "$gen" seed "$n" "$kind"
  server_before=$(server_cpu)
  read -r secs kib usr sys < <(measure "$py" scripts/bench_rotate_baseline.py "$n" "$kind")
  read -r _ done _ <"$work/out"
  [ "$done" = "$n" ] || { echo "python/$backend: rotated $done of $n" >&2; exit 1; }
  "$py" "$gen" verify "$n" "$kind"
  row "python-$backend" 1 "$n" "$secs" "$(python3 -c "print(f'{$n/max($secs,0.001):.0f}')")" \
    "$(cpu)" "$(python3 -c "print(f'{$(server_cpu) - $server_before:.2f}')")" "$((kib / 1024))" - - -
  stop_server
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "(cpu_s: user + system seconds of the measured process; server_cpu_s: the same of the server during it; seconds and rotations/s: whole process, start-up and Git included; python = sequential hvac/boto3 script, no Git)"
