#!/usr/bin/env bash
# metapool's one entry point. Each command installs what it needs on a fresh machine.
#   ./build.sh test    everything: Rust tests (core, CLI, metafor fixtures), lints, browser tests
#   ./build.sh serve   build the page and serve it on http://localhost:8000
#   ./build.sh dist    write the static site to dist/ (and dist/metapool.html, one file)
#   ./build.sh bench   benchmarks that print figures
#   ./build.sh fuzz [SECONDS]   fuzz analyze() for SECONDS (default 60) from a random, printed seed
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

# ---- the page: wasm, tools, browser ----

E2E="$ROOT/tests/e2e"
WASM_TARGET=wasm32-unknown-unknown

ensure_wasm_target() {
  ensure_rust
  if ! rustup target list --installed 2>/dev/null | grep -qx "$WASM_TARGET"; then
    log "rustup target add $WASM_TARGET"
    rustup target add "$WASM_TARGET"
  fi
}

# wasm-bindgen (and wasm-bindgen-test-runner) at exactly the version in Cargo.lock.
ensure_wasm_bindgen() {
  ensure_rust
  local want have
  want=$(awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock)
  if [ -z "$want" ]; then echo "wasm-bindgen is not in Cargo.lock" >&2; exit 1; fi
  have=$(wasm-bindgen --version 2>/dev/null | awk '{print $2}' || true)
  if [ "$have" != "$want" ] || ! command -v wasm-bindgen-test-runner >/dev/null 2>&1; then
    log "cargo install wasm-bindgen-cli --version $want (found: ${have:-none})"
    cargo install wasm-bindgen-cli --version "$want"
  fi
}

ensure_apt() {  # ensure_apt COMMAND PACKAGE...: installs the packages when COMMAND is missing
  local cmd=$1; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  log "apt-get install $*"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}

ensure_node() {
  ensure_apt node nodejs
  ensure_apt npm npm
}

# playwright-core and binaryen's wasm-opt, at the versions in tests/e2e/package-lock.json.
ensure_node_tools() {
  ensure_node
  if [ ! -x "$E2E/node_modules/.bin/wasm-opt" ] || [ ! -d "$E2E/node_modules/playwright-core" ] \
    || [ "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
    log "npm ci (tests/e2e: playwright-core, binaryen)"
    (cd "$E2E" && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

ensure_chromium() {
  if ! command -v chromium >/dev/null 2>&1 || ! command -v chromedriver >/dev/null 2>&1; then
    log "apt-get install chromium chromium-driver"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-driver
  fi
  export CHROMEDRIVER=${CHROMEDRIVER:-$(command -v chromedriver)}
  export CHROMIUM=${CHROMIUM:-$(command -v chromium)}
}

# target/…/metapool.wasm → pkg/ (wasm-bindgen --target web, then wasm-opt -Oz).
build_wasm() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_node_tools
  log "cargo build --release --target $WASM_TARGET --lib"
  cargo build --release --target "$WASM_TARGET" --lib
  rm -rf pkg && mkdir -p pkg
  wasm-bindgen --target web --no-typescript --experimental-reset-state-function \
    --out-dir pkg "target/$WASM_TARGET/release/metapool.wasm"
  log "wasm-opt -Oz"
  "$E2E/node_modules/.bin/wasm-opt" -Oz pkg/metapool_bg.wasm -o pkg/metapool_bg.wasm.opt
  mv pkg/metapool_bg.wasm.opt pkg/metapool_bg.wasm
  printf 'pkg/metapool_bg.wasm: %s bytes\n' "$(wc -c < pkg/metapool_bg.wasm)"
}

# dist/: the static site (index.html, www/, pkg/) and dist/metapool.html, one self-contained file.
build_dist() {
  build_wasm
  log "dist/"
  rm -rf dist && mkdir -p dist/www/examples dist/pkg
  cp index.html dist/
  cp www/*.js www/*.css www/embed-example.html dist/www/
  cp www/examples/*.csv dist/www/examples/
  cp pkg/metapool.js pkg/metapool_bg.wasm dist/pkg/
  node "$E2E/single-file.js" dist
}

wasm_tests() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_chromium
  log "wasm-bindgen-test: the bindings in headless Chromium"
  cargo test --release --target "$WASM_TARGET" --lib
  log "cargo clippy (wasm32: the bindings and their tests)"
  cargo clippy --release --target "$WASM_TARGET" --lib -- -D warnings
  cargo clippy --target "$WASM_TARGET" --lib --profile test -- -D warnings
}

e2e_tests() {
  ensure_node_tools
  ensure_chromium
  log "node --test: the page in headless Chromium (tests/e2e)"
  (cd "$E2E" && node --test --test-concurrency=1 ./*.test.js)
}

cmd=${1:-}
case "$cmd" in
  test)
    rust_tests
    wasm_tests
    build_dist
    e2e_tests
    ;;
  serve)
    build_wasm
    log "serving on http://localhost:${PORT:-8000} (Ctrl-C stops)"
    exec node "$E2E/server.js" "$ROOT" "${PORT:-8000}"
    ;;
  dist)
    build_dist
    ;;
  bench)
    ensure_rust
    log "cargo bench --bench core (divan: fits per method and k, leave-one-out, Q-profile, meta-regression, Monte Carlo, GOSH)"
    cargo bench --bench core
    log "cargo bench --bench figures (fit time against k: docs/performance_fit.csv and .svg)"
    cargo bench --bench figures
    log "benches/cli_vs_metafor.sh (whole-process CLI and GOSH beside R's metafor, when installed)"
    bash benches/cli_vs_metafor.sh
    build_dist
    ensure_chromium
    log "tests/e2e/bench.mjs (page figures in headless Chromium: bytes, cold load, edit latency, k = 10^6 and Monte Carlo in wasm, beside the budgets)"
    node "$E2E/bench.mjs"
    ;;
  fuzz)
    ensure_rust
    log "fuzzing analyze() for ${2:-60} s (tests/fuzz.rs; METAPOOL_FUZZ_SEED=… replays a run, failures go to target/fuzz-failures/)"
    METAPOOL_FUZZ_SECONDS=${2:-60} cargo test --release --test fuzz fuzz_for_a_set_time -- --ignored --nocapture
    ;;
  *)
    echo "usage: ./build.sh test|serve|dist|bench|fuzz [SECONDS]" >&2
    exit 2
    ;;
esac
