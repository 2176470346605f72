#!/usr/bin/env bash
# Compares rampart-network's pod-to-pod connectivity with network-config-analyzer's (nca,
# https://github.com/IBM/network-config-analyzer, `pip install network-config-analyzer`),
# an analyzer nobody here wrote.
#
#   scripts/compare-nca.sh [--with <file>]... <dir-or-file>...
#   scripts/compare-nca.sh crates/rampart-network/tests/fixtures/netpol/*.yaml
#   rampart init /tmp/demo && scripts/compare-nca.sh --with tests/fixtures/nca/example-peers.yaml \
#       /tmp/demo/clusters/*/namespaces/* /tmp/demo/clusters/*/namespaces
#
# `--with` adds a file of manifests to every argument: the pods a rendered namespace talks
# to but does not render (peer namespaces, apps without a workload), so both tools see them.
# Each argument (a directory or a file of Namespaces, Deployments and NetworkPolicies) is
# compared on its own: nca's `--connectivity ... -o txt_no_fw_rules --print_ipv6` and
# `cargo run -p rampart-network --example netmap -- --pairs`, both normalized to
# `src => dst : TCP 80,8000-8080; UDP all` (or `all`: every port of TCP, UDP and SCTP) per
# pod pair, then per pod the outside address ranges (IPv4 and IPv6) it may reach or be
# reached from. Unresolved named ports (which rampart keeps as markers and nca drops) are
# left out of rampart's side; protocols other than TCP, UDP and SCTP out of nca's.
#
# Renders nothing. Environment: NCA (default: `nca` on PATH). Exit status: 0 when every
# argument agrees, 1 when one disagrees or nca rejects it, 2 on a usage error.
set -euo pipefail

extras=()
while [[ $# -gt 0 && $1 == --with ]]; do
    [[ $# -ge 2 && -f $2 ]] || { echo "error: --with needs a file" >&2; exit 2; }
    extras+=("$(realpath "$2")")
    shift 2
done
if [[ $# -eq 0 ]]; then
    echo "usage: $0 [--with <file>]... <dir-or-file>..." >&2
    exit 2
fi
targets=()
for target in "$@"; do
    [[ -e $target ]] || { echo "error: $target does not exist" >&2; exit 2; }
    targets+=("$(realpath "$target")")
done
NCA=${NCA:-nca}
if ! command -v "$NCA" >/dev/null; then
    echo "error: nca not found (set NCA=/path/to/nca; pip install network-config-analyzer)" >&2
    exit 2
fi
cd "$(dirname "$0")/.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "nca: $("$NCA" --version 2>&1 | grep -m1 -i version)"
cargo build -q -p rampart-network --example netmap
netmap="${CARGO_TARGET_DIR:-target}/debug/examples/netmap"

# Normalizes flow lines (stdin) of nca's txt_no_fw_rules (`nca`) or netmap --pairs
# (`rampart`) to one line per pod pair, then per (pod, direction, family) the outside
# address ranges with their ports (adjacent ranges with equal ports merged), as
# `shop/api => 10.0.0.0-10.0.255.255 : TCP 443`. Pod-pair lines come first, then an
# `# outside` line, then the address lines.
normalize() {
    python3 -c '
import ipaddress, re, sys

side = sys.argv[1]
PROTOCOLS = ["TCP", "UDP", "SCTP"]
FULL = [(1, 65535)]
pod_re = re.compile(r"^([^/\s\[]+/[^\s\[]+)(\[\w+\])?$")

def merge(ranges):
    out = []
    for first, last in sorted(ranges):
        if out and first <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], last))
        else:
            out.append((first, last))
    return out

def party(text):
    """("pod", "ns/name") or ("ip", (version, first, last))."""
    if re.match(r"^[0-9a-fA-F.:]+$", text):  # a single address
        ip = ipaddress.ip_address(text)
        return ("ip", (ip.version, int(ip), int(ip)))
    if "-" in text and "/" not in text:
        first, last = (ipaddress.ip_address(t) for t in text.split("-"))
        return ("ip", (first.version, int(first), int(last)))
    if re.match(r"^[0-9a-fA-F.:]+/\d+$", text):
        net = ipaddress.ip_network(text)
        return ("ip", (net.version, int(net.network_address), int(net.broadcast_address)))
    m = pod_re.match(text)
    if not m:
        sys.exit("unexpected party %r" % text)
    return ("pod", m.group(1))

def parse_nca(conn, ports):
    if conn == "All connections":
        for p in PROTOCOLS:
            ports.setdefault(p, []).extend(FULL)
        return
    for group in re.findall(r"\{([^}]*)\}", conn):
        protocols, numbers, key = [], [], None
        for token in group.split(","):
            token = token.strip()
            if ":" in token:
                key, token = token.split(":", 1)
            if key == "protocols":
                protocols.append(token)
            elif key == "dst_ports":
                first, _, last = token.partition("-")
                numbers.append((int(first), int(last or first)))
            else:
                sys.exit("unexpected nca connection attribute %r in %r" % (key, conn))
        for p in protocols:
            if p in PROTOCOLS:
                ports.setdefault(p, []).extend(numbers or FULL)

def parse_rampart(conn, ports):
    if conn == "all":
        for p in PROTOCOLS:
            ports.setdefault(p, []).extend(FULL)
        return
    for part in conn.split("; "):
        p, items = part.split(" ", 1)
        for item in items.split(","):
            if item.startswith("name:"):
                continue  # an unresolved named port: a marker, no connection
            if item == "all":
                ports.setdefault(p, []).extend(FULL)
            else:
                first, _, last = item.partition("-")
                ports.setdefault(p, []).append((int(first), int(last or first)))

def text(ports):
    merged = {p: merge(r) for p, r in ports.items() if r}
    if all(merged.get(p) == FULL for p in PROTOCOLS):
        return "all"
    parts = []
    for p in PROTOCOLS:
        if p in merged:
            items = ["all"] if merged[p] == FULL else [
                str(a) if a == b else "%d-%d" % (a, b) for a, b in merged[p]]
            parts.append("%s %s" % (p, ",".join(items)))
    return "; ".join(parts)

pairs, outside = {}, {}
for line in sys.stdin:
    m = re.match(r"^(\S+) => (\S+) : (.*)$", line.strip())
    if not m:
        continue
    src, dst = party(m.group(1)), party(m.group(2))
    ports = {}
    (parse_nca if side == "nca" else parse_rampart)(m.group(3), ports)
    conn = text(ports)
    if not conn:
        continue
    if src[0] == "pod" and dst[0] == "pod":
        key = (src[1], dst[1])
        if key in pairs:  # nca prints one line per protocol group
            parse_rampart(pairs[key], ports)
            conn = text(ports)
        pairs[key] = conn
    elif src[0] == "pod" or dst[0] == "pod":
        pod, (version, first, last) = (src[1], dst[1]) if src[0] == "pod" else (dst[1], src[1])
        way = "=>" if src[0] == "pod" else "<="
        outside.setdefault((pod, way, version), []).append((first, last, ports))

for (src, dst), conn in sorted(pairs.items()):
    print("%s => %s : %s" % (src, dst, conn))
print("# outside")
for (pod, way, version), segments in sorted(outside.items()):
    # Overlapping lines (nca prints one per protocol group) add up per address.
    bounds = sorted({first for first, _, _ in segments} | {last + 1 for _, last, _ in segments})
    merged = []
    for lo, hi in zip(bounds, bounds[1:]):
        ports = {}
        for first, last, theirs in segments:
            if first <= lo and hi - 1 <= last:
                for p, r in theirs.items():
                    ports.setdefault(p, []).extend(r)
        conn = text(ports)
        if not conn:
            continue
        if merged and merged[-1][1] + 1 == lo and merged[-1][2] == conn:
            merged[-1][1] = hi - 1
        else:
            merged.append([lo, hi - 1, conn])
    address = ipaddress.IPv4Address if version == 4 else ipaddress.IPv6Address
    for first, last, conn in merged:
        print("%s %s %s-%s : %s" % (pod, way, address(first), address(last), conn))
' "$1"
}

agree=0
disagree=0
rejected=0
for target in "${targets[@]}"; do
    name=$(basename "$target")
    if [[ ${#extras[@]} -gt 0 ]]; then
        # Both tools read one directory: the argument and the added files, side by side.
        name=$(realpath --relative-to="$(dirname "$(dirname "$(dirname "$target")")")" "$target")
        rm -rf "$work/input" && mkdir -p "$work/input/with"
        cp -r "$target" "$work/input/"
        cp "${extras[@]}" "$work/input/with/"
        target="$work/input"
    fi
    if ! "$NCA" --connectivity "$target" --resource_list "$target" -o txt_no_fw_rules --print_ipv6 --return_0 \
        >"$work/nca.raw" 2>&1 || grep -q '^Error' "$work/nca.raw"; then
        echo "NCA-REJECTS $name: $(grep -m1 '^Error' "$work/nca.raw" || tail -n 1 "$work/nca.raw")"
        rejected=$((rejected + 1))
        continue
    fi
    normalize nca <"$work/nca.raw" >"$work/nca.txt"
    "$netmap" --pairs "$target" | normalize rampart >"$work/rampart.txt"
    if diff -u --label "nca/$name" --label "rampart/$name" "$work/nca.txt" "$work/rampart.txt" >"$work/diff"; then
        pods=$(sed -n '/^# outside$/q;p' "$work/nca.txt" | wc -l)
        ips=$(sed -n '/^# outside$/,$p' "$work/nca.txt" | tail -n +2 | wc -l)
        echo "agree       $name ($pods pod pairs, $ips pod/outside-address ranges with connections)"
        agree=$((agree + 1))
    else
        echo "DISAGREE    $name"
        sed 's/^/    /' "$work/diff"
        disagree=$((disagree + 1))
    fi
done
echo "$agree agree, $disagree disagree, $rejected rejected by nca"
[[ $disagree -eq 0 && $rejected -eq 0 ]]
