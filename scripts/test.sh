#!/usr/bin/env bash
# Installs what the tests need and runs them all: the one test command of the README.
#   scripts/test.sh            fmt check, clippy, then every test
#   scripts/test.sh --quick    tests only
# Needs on PATH: cargo, python3 (venv), git (with git daemon), kubectl (its built-in kustomize),
# ssh-keygen (signed-commit tests) and pkg-config (libgit2 finds OpenSSL through it).
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

if [ "${1:-}" != "--quick" ]; then
  cargo fmt --all --check
  cargo clippy --workspace --all-targets --locked -- -D warnings
fi
# Snapshots are compared, never written, in the test command.
export INSTA_UPDATE=no
cargo test --workspace --locked
