#!/usr/bin/env bash
# Installs what the tests need and runs them all: the one test command of the README.
#   scripts/test.sh            fmt check, clippy, then every test
#   scripts/test.sh --quick    tests only
# Needs on PATH: cargo, python3 (venv), git (with git daemon), kubectl (its built-in kustomize),
# ssh-keygen (signed-commit tests) and pkg-config (libgit2 finds OpenSSL through it); and
# PostgreSQL's server binaries 15+ (initdb, pg_ctl: on PATH, in `pg_config --bindir` or in
# /usr/lib/postgresql/*/bin), which the rotation tests start (crates/rampart-testkit).
set -euo pipefail
cd "$(dirname "$0")/.."

for cmd in cargo python3 git kubectl ssh-keygen pkg-config; do
  command -v "$cmd" >/dev/null || { echo "scripts/test.sh: $cmd is required but not on PATH" >&2; exit 1; }
done

# Python test tools in a project-local venv, reinstalled only when requirements change.
venv=.venv
stamp="$venv/.requirements.sha256"
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
if [ ! -x "$venv/bin/python" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check -r tests/requirements.txt
  echo "$want" > "$stamp"
fi
export PATH="$PWD/$venv/bin:$PATH"

# PostgreSQL's server binaries for the tests' own clusters. Debian and Ubuntu (GitHub's ubuntu
# runners too) install them off PATH in /usr/lib/postgresql/N/bin; RAMPART_PG_BINDIR tells
# rampart-testkit where they are.
pg_missing() {
  echo "scripts/test.sh: $1. The rotation tests start their own PostgreSQL (15 or later):" \
    "install postgresql (e.g. apt-get install postgresql) or set RAMPART_PG_BINDIR to the" \
    "directory that holds initdb and pg_ctl" >&2
  exit 1
}
if [ -z "${RAMPART_PG_BINDIR:-}" ]; then
  if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    RAMPART_PG_BINDIR=$(dirname "$(readlink -f "$(command -v initdb)")")
  elif command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    RAMPART_PG_BINDIR=$(pg_config --bindir)
  else
    RAMPART_PG_BINDIR=$({ ls -d /usr/lib/postgresql/*/bin 2>/dev/null || true; } | sort -t/ -k5,5nr | head -n1)
  fi
fi
[ -n "$RAMPART_PG_BINDIR" ] || pg_missing "PostgreSQL's initdb is not on PATH, in pg_config --bindir or in /usr/lib/postgresql/*/bin"
[ -x "$RAMPART_PG_BINDIR/initdb" ] && [ -x "$RAMPART_PG_BINDIR/pg_ctl" ] ||
  pg_missing "$RAMPART_PG_BINDIR has no initdb and pg_ctl"
pg_major=$("$RAMPART_PG_BINDIR/initdb" --version | sed -E 's/.* ([0-9]+)[^ ]*$/\1/')
[ "$pg_major" -ge 15 ] 2>/dev/null || pg_missing "$RAMPART_PG_BINDIR/initdb is PostgreSQL $pg_major"
export RAMPART_PG_BINDIR

if [ "${1:-}" != "--quick" ]; then
  cargo fmt --all --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi
# Snapshots are compared, never written, in the test command.
export INSTA_UPDATE=no
cargo test --workspace --locked
