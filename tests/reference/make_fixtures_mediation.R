## Reference fixtures for the per-study indirect effects of studies given by their mediation paths
## (crate/src/mediation/per_study.rs, montecarlo.rs, dop.rs).
##
## Run from the repository root:
##
##     Rscript tests/reference/make_fixtures_mediation.R
##
## Needs R (>= 4) with jsonlite (and metafor and metadat, which common.R loads). Writes
## tests/reference/fixtures_mediation.json, which is committed; the Rust test
## (tests/mediation_per_study.rs) only reads that file and never needs R. Takes about a minute.
##
## Each case is a small dataset, one study per row, given by the paths a, sa, b, sb and the
## covariance cov_ab (some datasets mix in rows given by yi and vi), with the level of the
## intervals. For every study given by its paths it records, from the values parsed back from
## the CSV text:
##
##   yi, vi_sobel, vi_aroian  a*b; a^2 sb^2 + b^2 sa^2 + 2ab cov; the same + sa^2 sb^2 + cov^2
##   mc6_lower, mc6_upper     the Monte Carlo interval from 10^6 draws of (a*, b*):
##                            quantile(a* b*, c(alpha/2, 1 - alpha/2), type = 7)
##   mc7_lower, mc7_upper     the same from 10^7 draws (the check on the distribution of the
##                            product)
##   dop_lower, dop_upper     the quantiles of the product by numerical integration of its CDF
##                            in R (integrate() at rel.tol 1e-13 on each side of a = 0, uniroot()
##                            to 1e-15 sd): the same definition as metapool's, computed
##                            independently
##
## (a*, b*) are drawn as a* = a + sa z1, b* = b + (cov/sa) z1 + sqrt(sb^2 - cov^2/sa^2) z2 with
## z1, z2 from rnorm() after set.seed(20240601) for each study: R's draws, not metapool's, so
## the two Monte Carlo intervals agree only within their sampling error (the test allows 1% of
## the interval's width). Rows given by yi and vi have null in every field but yi.
##
## RMediation (Tofighi & MacKinnon 2011), whose medci(type = "dop") these intervals follow, is
## not on CRAN's mirror here; its printed examples are checked in the Rust test itself.

source(file.path("tests", "reference", "common.R"))   # num, csv_text, write_fixtures, ...

out_file <- file.path("tests", "reference", "fixtures_mediation.json")
mc_seed  <- 20240601L

## P(XY <= t) for (X, Y) bivariate normal, means (a, b), sds (sa, sb), covariance c: the
## integral over u = (X - a)/sa of dnorm(u) * P(XY <= t | u), split where X = 0.
pprod <- function(t, a, sa, b, sb, c) {
  rho <- c / (sa * sb)
  s   <- sb * sqrt(1 - rho^2)
  g <- function(u) {
    x <- a + sa * u
    dnorm(u) * pnorm((t - (b + rho * sb * u) * x) / (abs(x) * s))
  }
  int <- function(lo, hi) {
    integrate(g, lo, hi, rel.tol = 1e-13, abs.tol = 0, subdivisions = 2000L)$value
  }
  u0 <- -a / sa
  if (abs(u0) < 40) int(-Inf, u0) + int(u0, Inf) else int(-Inf, Inf)
}

## The quantile of the product at probability p.
qprod <- function(p, a, sa, b, sb, c) {
  mu  <- a * b + c
  sig <- sqrt(a^2 * sb^2 + b^2 * sa^2 + 2 * a * b * c + sa^2 * sb^2 + c^2)
  uniroot(function(t) pprod(t, a, sa, b, sb, c) - p, c(mu - 40 * sig, mu + 40 * sig),
          tol = 1e-15 * sig, maxiter = 2000L)$root
}

## Type-7 percentiles of n products of draws (a*, b*), seeded.
mc_interval <- function(n, a, sa, b, sb, c, level) {
  set.seed(mc_seed)
  z1 <- rnorm(n)
  z2 <- rnorm(n)
  ab <- (a + sa * z1) * (b + (c / sa) * z1 + sqrt(sb^2 - c^2 / sa^2) * z2)
  alpha <- 1 - level
  unname(quantile(ab, c(alpha / 2, 1 - alpha / 2), type = 7))
}

## ---------------------------------------------------------------------------
## Datasets: rows of (a, sa, b, sb, cov); yi/vi rows are given as list(yi =, vi =).

datasets <- list(
  rmediation_vignette = list(
    note = "RMediation 1.5.0 vignettes 'getting-started' and 'methods-comparison': (0.5, 0.08, 0.6, 0.04), (0.3, 0.10, 0.4, 0.05), (0.1, 0.05, 0.2, 0.03), rho = 0",
    rows = list(c(0.5, 0.08, 0.6, 0.04, 0), c(0.3, 0.10, 0.4, 0.05, 0), c(0.1, 0.05, 0.2, 0.03, 0))),
  correlated = list(
    note = "covariances of both signs, a and b of both signs",
    rows = list(c(0.4, 0.1, 0.3, 0.08, 0.002), c(0.4, 0.1, 0.3, 0.08, -0.002),
                c(-0.25, 0.12, 0.5, 0.2, 0.01), c(0.6, 0.2, -0.35, 0.15, -0.015))),
  near_zero = list(
    note = "indirect effects near 0: a path that crosses 0 often, a = 0, a tiny product",
    rows = list(c(0.02, 0.1, 0.3, 0.1, 0), c(0, 0.2, 0.5, 0.1, 0),
                c(0.05, 0.3, -0.04, 0.25, 0.01))),
  precise = list(
    note = "paths many SEs from 0, and a large a with a tiny b",
    rows = list(c(2.5, 0.05, -1.2, 0.02, 0.0003), c(10, 0.5, 0.01, 0.05, 0),
                c(1.5, 0.4, 0.8, 0.1, 0))),
  mixed = list(
    note = "rows given by yi and vi between rows given by paths; an empty cov_ab cell is 0",
    rows = list(list(yi = 0.12, vi = 0.004), c(0.35, 0.09, 0.42, 0.11, NA),
                list(yi = -0.03, vi = 0.0025), c(0.2, 0.07, 0.25, 0.06, 0.0011)))
)

## (dataset, level) pairs; the variance rule is rotated over them.
runs <- list(
  list("rmediation_vignette", 0.95), list("rmediation_vignette", 0.90),
  list("rmediation_vignette", 0.99), list("correlated", 0.95), list("correlated", 0.90),
  list("near_zero", 0.95), list("precise", 0.95), list("mixed", 0.95), list("mixed", 0.80)
)

cell <- function(x) if (is.na(x)) "" else num(x)

cases <- list()
for (r in seq_along(runs)) {
  name  <- runs[[r]][[1]]
  level <- runs[[r]][[2]]
  ds    <- datasets[[name]]
  rows  <- ds$rows
  k     <- length(rows)
  has_yi <- any(vapply(rows, is.list, logical(1)))
  cols <- list(study = sprintf("S%d", seq_len(k)))
  get <- function(field, j) vapply(rows, function(x) {
    if (is.list(x)) { if (is.null(x[[field]])) "" else num(x[[field]]) }
    else if (j > 0) cell(x[j]) else ""
  }, character(1))
  if (has_yi) {
    cols$yi <- get("yi", 0)
    cols$vi <- get("vi", 0)
  }
  cols$a      <- get("", 1)
  cols$sa     <- get("", 2)
  cols$b      <- get("", 3)
  cols$sb     <- get("", 4)
  cols$cov_ab <- get("", 5)
  csv <- csv_text(cols)

  expected <- lapply(seq_len(k), function(i) {
    if (is.list(rows[[i]])) {
      return(list(yi = as.numeric(cols$yi[i]), vi_sobel = NULL, vi_aroian = NULL,
                  mc6_lower = NULL, mc6_upper = NULL, mc7_lower = NULL, mc7_upper = NULL,
                  dop_lower = NULL, dop_upper = NULL))
    }
    a  <- as.numeric(cols$a[i]);  sa <- as.numeric(cols$sa[i])
    b  <- as.numeric(cols$b[i]);  sb <- as.numeric(cols$sb[i])
    c  <- if (cols$cov_ab[i] == "") 0 else as.numeric(cols$cov_ab[i])
    vs <- a^2 * sb^2 + b^2 * sa^2 + 2 * a * b * c
    alpha <- 1 - level
    mc6 <- mc_interval(1e6, a, sa, b, sb, c, level)
    mc7 <- mc_interval(1e7, a, sa, b, sb, c, level)
    list(yi = a * b, vi_sobel = vs, vi_aroian = vs + sa^2 * sb^2 + c^2,
         mc6_lower = mc6[1], mc6_upper = mc6[2], mc7_lower = mc7[1], mc7_upper = mc7[2],
         dop_lower = qprod(alpha / 2, a, sa, b, sb, c),
         dop_upper = qprod(1 - alpha / 2, a, sa, b, sb, c))
  })
  cat(sprintf("%s at %.2f: %d studies\n", name, level, k))
  cases[[length(cases) + 1]] <- list(
    name = sprintf("%s_%g", name, level), note = ds$note, data = csv,
    options = list(level = level, ie_se = c("sobel", "aroian")[1 + (r %% 2)],
                   mc_draws = 1000000L, seed = mc_seed),
    expected = expected)
}

header <- fixture_header("tests/reference/make_fixtures_mediation.R",
                         mc_seed = mc_seed, rng_kind = RNGkind(),
                         integrate_rel_tol = 1e-13, uniroot_tol = "1e-15 * sd of the product")
write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases to %s\n", length(cases), out_file))
