#!/usr/bin/env bash
# Benchmark of the rotation service (not run in CI; needs the .venv of tests/requirements.txt):
#  1. idle cost: `rampart serve` with N scheduled secrets (default 10,000: 1,000 namespaces
#     × 10, weekly schedule, none due) on a local OpenBao — the time to inspect them all at
#     start, then RSS and CPU over an idle window;
#  2. latency: one secret due every minute, delivered by push to a bare remote — the time
#     from the minute boundary (when it is due; jitter 0) to the pin being pushed.
#   scripts/bench-serve.sh [N] [IDLE_SECONDS]
#   ONLY=latency scripts/bench-serve.sh     (or ONLY=idle: one of the two)
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-10000}
idle=${2:-60}
cargo build --release --locked -q -p rampart-cli
bin="$PWD/target/release/rampart"
if [ ! -x .venv/bin/bao ]; then
  python3 -m venv .venv && .venv/bin/pip install -q -r tests/requirements.txt
fi
py="$PWD/.venv/bin/python"
work=$(mktemp -d -p "${RAMPART_BENCH_DIR:-${TMPDIR:-/tmp}}")
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null; rm -rf "$work"' EXIT
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
bao_port=$(free_port)
export VAULT_ADDR="http://127.0.0.1:$bao_port" VAULT_TOKEN="bench-$RANDOM$RANDOM"
unset BAO_TOKEN
.venv/bin/bao server -dev -dev-no-store-token -dev-root-token-id="$VAULT_TOKEN" \
  -dev-listen-address="127.0.0.1:$bao_port" >"$work/bao.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -sf -o /dev/null "$VAULT_ADDR/v1/sys/health" && break; sleep 0.2; done

# Every environment on the local OpenBao, rotations committed locally (dev logs in with
# VAULT_TOKEN; the example's staging and prod keep their Kubernetes login).
make_repo() { # DIR
  "$bin" init "$1" >/dev/null
  for env in dev staging prod; do
    sed -i -e "s|server: https://vault.$env.example.com:8200|server: $VAULT_ADDR|" \
      -e 's|delivery: push|delivery: commit|; s|delivery: pull-request|delivery: commit|' \
      "$1/environments/$env.yaml"
  done
}
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

if [ "${ONLY:-idle}" = idle ]; then
# 1. Idle cost with N scheduled secrets (one environment renders; all are scheduled in dev).
make_repo "$work/idle"
rm "$work/idle/specs/shop.yaml" "$work/idle/environments/staging.yaml" "$work/idle/environments/prod.yaml"
sed -i 's/^environments: \[dev, staging, prod\]/environments: [dev]/' "$work/idle/rampart.yaml"
grep -q '^environments: \[dev\]' "$work/idle/rampart.yaml"
python3 scripts/gen_rotation_requests.py write "$work/idle" "$n" vault
git -C "$work/idle" add -A && git -C "$work/idle" commit -qm "N requests"
"$py" scripts/gen_rotation_requests.py seed "$n" vault
port=$(free_port)
(cd "$work/idle" && exec "$bin" serve --listen "127.0.0.1:$port" --refresh-interval 30s 2>"$work/idle.log") &
spid=$!; pids+=($spid)
start=$(date +%s.%N)
# (grep -c, not -q: an early exit would fail curl's write, and the pipeline, under pipefail)
until [ "$(curl -s "127.0.0.1:$port/metrics" | grep -c '^rampart_next_rotation_timestamp_seconds')" -ge "$n" ]; do
  kill -0 "$spid" || { tail "$work/idle.log"; exit 1; }
  sleep 0.2
done
ready=$(python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
scheduled=$(curl -s "127.0.0.1:$port/metrics" | grep -c '^rampart_next_rotation_timestamp_seconds')
sleep 5
t0=$(cpu_ticks "$spid"); sleep "$idle"; t1=$(cpu_ticks "$spid")
rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$spid/status")
hwm=$(awk '/VmHWM/ {print int($2 / 1024)}' "/proc/$spid/status")
cpu=$(python3 -c "import os; print(f'{100 * ($t1 - $t0) / os.sysconf(\"SC_CLK_TCK\") / $idle:.2f}')")
kill -TERM "$spid"; wait "$spid"
echo "idle: $scheduled secrets scheduled ${ready}s after start; over ${idle}s idle: ${cpu}% of one core, RSS ${rss} MB (peak ${hwm} MB, during the start-up inspection)"

fi
[ "${ONLY:-latency}" = latency ] || exit 0

# 2. Due to pushed: one secret due every minute, pushed to a bare remote.
make_repo "$work/one"
git init -q --bare -b main "$work/remote.git"
sed -i 's|delivery: commit|delivery: push|' "$work/one/environments/dev.yaml"
sed -i 's|schedule: "0 3 \* \* 1"|schedule: "* * * * *"|' "$work/one/specs/shop.yaml"
git -C "$work/one" add -A && git -C "$work/one" commit -qm "every minute"
"$bin" render --repo "$work/one" >/dev/null
git -C "$work/one" remote add origin "file://$work/remote.git"
git -C "$work/one" push -q origin main
for v in 1 2 3; do
  curl -sf -H "X-Vault-Token: $VAULT_TOKEN" -d "{\"data\":{\"username\":\"app\",\"password\":\"p$v\"}}" \
    "$VAULT_ADDR/v1/secret/data/shop/api/db" >/dev/null
done
port=$(free_port)
(cd "$work/one" && exec "$bin" --log-format json serve --listen "127.0.0.1:$port" --jitter 0s --refresh-interval 5s 2>"$work/one.log") &
spid=$!; pids+=($spid)
for _ in $(seq 150); do grep -q '"message":"pushed"' "$work/one.log" && break; sleep 1; done
kill -TERM "$spid"; wait "$spid" || true
python3 - "$work/one.log" <<'PY'
import json, sys
from datetime import datetime
for line in open(sys.argv[1]):
    event = json.loads(line)
    if event["fields"].get("message") == "pushed":
        t = datetime.fromisoformat(event["timestamp"].replace("Z", "+00:00"))
        due = t.replace(second=0, microsecond=0)
        print(f"due to pushed: {(t - due).total_seconds():.3f}s (due {due:%H:%M:%S}, pushed {t:%H:%M:%S.%f})")
        break
else:
    sys.exit("nothing was pushed")
PY
