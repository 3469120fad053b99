#!/usr/bin/env bash
# Whole-process time of the metapool CLI side by side with R's metafor on the same generated data
# (benches/data.rs, written by the `figures` bench), and GOSH in-process side by side with
# metafor's gosh(). Run by ./build.sh bench; prints a table with the ratio metafor / metapool.
# Without Rscript (and metafor) only metapool's times are printed, with a note.
set -euo pipefail
cd "$(dirname "$0")/.."
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

cargo build --release --quiet
cargo bench --bench figures --no-run --quiet 2>/dev/null
FIG=$(ls -t target/release/deps/figures-* | grep -v '\.d$' | head -1)
CLI=target/release/metapool

have_r=false
if command -v Rscript >/dev/null 2>&1 && Rscript -e 'quit(status = !requireNamespace("metafor", quietly = TRUE))' >/dev/null 2>&1; then
  have_r=true
fi

# Seconds of wall time of a command (best of $1 runs).
best_of() {
  local n=$1; shift
  local best=""
  for _ in $(seq "$n"); do
    local t0 t1 dt
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    dt=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
    if [ -z "$best" ] || awk -v d="$dt" -v b="$best" 'BEGIN { exit !(d < b) }'; then best=$dt; fi
  done
  printf '%.3f' "$best"
}

R_FIT='suppressPackageStartupMessages(library(metafor)); a <- commandArgs(TRUE)
d <- read.csv(a[1]); r <- rma(yi, vi, data = d, method = "REML")
ci <- confint(r); p <- predict(r); cat(r$b, r$tau2, ci$random[1, 2:3], p$pi.lb, "\n")'

echo
echo "Whole process, REML fit with Q-profile CI and prediction interval (seconds, best of 3; metafor: 1 run above k = 100)"
printf '%-9s %12s %12s %10s\n' k metapool metafor ratio
for k in 10 100 1000 2000 10000 100000 1000000; do
  "$FIG" --bench csv "$k" "$TMP/d$k.csv"
  ours=$(best_of 3 "$CLI" "$TMP/d$k.csv" --method REML --json)
  theirs="-"; ratio="-"
  if $have_r && [ "$k" -le 2000 ]; then
    runs=3; [ "$k" -gt 100 ] && runs=1
    theirs=$(best_of "$runs" Rscript -e "$R_FIT" "$TMP/d$k.csv")
    ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.0f×", a / b }')
  elif $have_r; then
    theirs="(skipped)"
  fi
  printf '%-9s %12s %12s %10s\n' "$k" "$ours" "$theirs" "$ratio"
done
if ! $have_r; then
  echo "note: Rscript with metafor is not installed, so metafor's times are left out."
else
  echo "note: metafor is not run above k = 2,000 (rma() forms k × k matrices: minutes and gigabytes)."
fi

echo
echo "GOSH, every subset of k = 12 studies (4,095 fits), in-process seconds"
printf '%-9s %12s %12s %10s\n' method metapool metafor ratio
R_GOSH='suppressPackageStartupMessages(library(metafor)); a <- commandArgs(TRUE)
d <- read.csv(a[1]); r <- rma(yi, vi, data = d, method = a[2])
cat(system.time(gosh(r, progbar = FALSE))[["elapsed"]], "\n")'
"$FIG" --bench csv 12 "$TMP/g12.csv"
for m in FE DL REML; do
  ours=$("$FIG" --bench gosh 12 "$m")
  theirs="-"; ratio="-"
  if $have_r; then
    theirs=$(Rscript -e "$R_GOSH" "$TMP/g12.csv" "$m" 2>/dev/null | tr -d ' \n')
    ratio=$(awk -v a="$theirs" -v b="$ours" 'BEGIN { printf "%.0f×", a / b }')
  fi
  printf '%-9s %12.4f %12s %10s\n' "$m" "$ours" "$theirs" "$ratio"
done
