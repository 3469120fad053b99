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
  log "cargo test --no-default-features --lib (the core without extras, as the page first loads it)"
  cargo test --release --no-default-features --lib without_extras
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

# playwright-core, binaryen's wasm-opt and esbuild, at the versions in tests/e2e/package-lock.json.
ensure_node_tools() {
  ensure_node
  if [ ! -x "$E2E/node_modules/.bin/wasm-opt" ] || [ ! -x "$E2E/node_modules/.bin/esbuild" ] \
    || [ ! -d "$E2E/node_modules/playwright-core" ] \
    || [ "$E2E/package-lock.json" -nt "$E2E/node_modules/.package-lock.json" ]; then
    log "npm ci (tests/e2e: playwright-core, binaryen, esbuild)"
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

# The page's two cores, each through wasm-bindgen --target web and wasm-opt -Oz: pkg/ the first one
# (built without the `extras` feature: the main fit, the studies, forest and funnel plots), loaded
# with the page; pkg/full/ everything, loaded when an option asks for more (docs/performance.md).
build_wasm() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_node_tools
  rm -rf pkg && mkdir -p pkg/full
  local features out
  for out in pkg pkg/full; do
    features=()
    [ "$out" = pkg ] && features=(--no-default-features)
    log "cargo build --profile wasm --target $WASM_TARGET --lib ${features[*]} → $out/"
    cargo build --profile wasm --target "$WASM_TARGET" --lib "${features[@]}"
    wasm-bindgen --target web --no-typescript --experimental-reset-state-function \
      --out-dir "$out" "target/$WASM_TARGET/wasm/metapool.wasm"
    "$E2E/node_modules/.bin/wasm-opt" -Oz "$out/metapool_bg.wasm" -o "$out/metapool_bg.wasm.opt"
    mv "$out/metapool_bg.wasm.opt" "$out/metapool_bg.wasm"
    printf '%s/metapool_bg.wasm: %s bytes\n' "$out" "$(wc -c < "$out/metapool_bg.wasm")"
  done
}

# dist/: the static site (index.html, www/, pkg/) and dist/metapool.html, one self-contained file.
build_dist() {
  build_wasm
  log "dist/"
  rm -rf dist && mkdir -p dist/www/examples dist/pkg
  cp index.html dist/
  cp www/*.js www/*.css www/embed-example.html dist/www/
  cp www/examples/*.csv dist/www/examples/
  mkdir -p dist/pkg/full
  cp pkg/metapool.js pkg/metapool_bg.wasm dist/pkg/
  cp pkg/full/metapool.js pkg/full/metapool_bg.wasm dist/pkg/full/
  node "$E2E/single-file.js" dist
  log "esbuild --minify (dist's scripts, each file on its own: the same modules, smaller)"
  "$E2E/node_modules/.bin/esbuild" dist/www/*.js dist/pkg/metapool.js dist/pkg/full/metapool.js \
    --minify --target=es2022 --outdir=dist --outbase=dist --allow-overwrite --log-level=warning
}

wasm_tests() {
  ensure_wasm_target
  ensure_wasm_bindgen
  ensure_chromium
  log "wasm-bindgen-test: the bindings in headless Chromium"
  cargo test --release --target "$WASM_TARGET" --lib
  log "cargo clippy (wasm32: the bindings and their tests; the page's first core, without extras)"
  cargo clippy --release --target "$WASM_TARGET" --lib -- -D warnings
  cargo clippy --release --target "$WASM_TARGET" --lib --no-default-features -- -D warnings
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
