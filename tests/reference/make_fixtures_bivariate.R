## Reference fixtures for metapool's bivariate model of the mediation paths
## (`mediation = "bivariate"`, report.paths.bivariate): every number as R's metafor computes it
## with rma.mv(), and the Monte Carlo interval of mu_a * mu_b from base R's random numbers.
##
## Run from the repository root:
##
##     Rscript tests/reference/make_fixtures_bivariate.R
##
## Needs R (>= 4) with metafor, metadat and jsonlite. Writes
## tests/reference/fixtures_bivariate.json (committed; the Rust test tests/mediation_bivariate.rs
## only reads it and never needs R). Conventions as the other generators (helpers in common.R):
## the data are written as CSV text, read back as metapool reads them, full-precision JSON.
##
## The model, in the long format (two rows per study, path = a, b):
##
##   rma.mv(yi, V, mods = ~ path - 1, random = ~ path | study, struct = "UN", method = M)
##
## with V block-diagonal, V_i = [[sa^2, cov_ab], [cov_ab, sb^2]] (cov_ab 0 when not given);
## M = REML or ML; FE is rma.mv() without random effects (Sigma = 0, method = "ML" for the
## log-likelihood). metapool fits the other tau^2 methods by REML (with a warning) and always
## gives z intervals (with a warning under hksj), so a DL/hksj case expects the REML/z numbers.
##
## Convergence. metafor optimizes log tau^2 and atanh rho; its default nlminb stops with
## "did not achieve convergence" at tight tolerances, so the free fits use bobyqa (minqa) with
## rhoend = 1e-12, which reaches the maximum to about 1e-7 in the estimates. On the boundary of
## the parameter space (rho = +-1, or a tau^2 of 0) metafor can only approach the maximum, so
## those cases fix the boundary value (rma.mv(..., rho = -1), tau2 = c(NA, 0), or no random
## effects for Sigma = 0) and the script checks that the free fit's log-likelihood is not above
## the constrained one (the free fit's numbers go into the case's notes). With a tau^2 of 0, rho
## is not identified: expected rho is null (metafor prints an arbitrary value).
##
## ie: estimate = mu_a * mu_b and the 10^6-draw Monte Carlo percentile interval (type 7) of
## a* b* with (a*, b*) bivariate normal with mean (mu_a, mu_b) and covariance vb (set.seed(20240601));
## metapool draws its own numbers, so the test compares the limits within 1% of the width.

source(file.path("tests", "reference", "common.R"))

out_file <- file.path("tests", "reference", "fixtures_bivariate.json")
mc_draws <- 1e6
mc_seed  <- 20240601
free_control <- list(optimizer = "bobyqa", rhoend = 1e-12, maxfun = 1e5)

## ---------------------------------------------------------------------------
## Data sets: CSV text and the values metapool reads from it.

csv_paths <- function(study, a, sa, b, sb, cov_ab = NULL) {
  cols <- list(study = csv_field(study), a = num(a), sa = num(sa), b = num(b), sb = num(sb))
  if (!is.null(cov_ab)) cols$cov_ab <- num(cov_ab)
  csv_text(cols)
}

path_set <- function(source, study, a, sa, b, sb, cov_ab = NULL, boundary = NULL) {
  csv <- csv_paths(study, a, sa, b, sb, cov_ab)
  back <- function(x) as.numeric(num(x))
  list(source = source, csv = csv, a = back(a), sa = back(sa), b = back(b), sb = back(sb),
       cov_ab = if (is.null(cov_ab)) rep(0, length(a)) else back(cov_ab),
       rows = seq_along(a), boundary = boundary)
}

## Studies with a between-study correlation rho and a within-study correlation wrho of a and b.
simulate <- function(seed, k, mu_a, mu_b, tau_a, tau_b, rho, wrho) {
  set.seed(seed)
  z1 <- rnorm(k); z2 <- rnorm(k)
  sa <- round(runif(k, 0.06, 0.16), 3); sb <- round(runif(k, 0.04, 0.12), 3)
  cov_ab <- round(wrho * sa * sb, 5)
  e1 <- rnorm(k); e2 <- rnorm(k)
  a <- round(mu_a + tau_a * z1 + sa * e1, 3)
  b <- round(mu_b + tau_b * (rho * z1 + sqrt(1 - rho^2) * z2) + sb * (wrho * e1 + sqrt(1 - wrho^2) * e2), 3)
  list(a = a, sa = sa, b = b, sb = sb, cov_ab = cov_ab)
}

sets <- list()

ex <- read.csv(file.path("www", "examples", "mediation_paths.csv"), stringsAsFactors = FALSE)
sets$example <- list(
  source = "www/examples/mediation_paths.csv (illustrative data), as typed: both tau^2 are 0",
  csv = paste0(paste(readLines(file.path("www", "examples", "mediation_paths.csv")), collapse = "\n"), "\n"),
  a = ex$a, sa = ex$sa, b = ex$b, sb = ex$sb, cov_ab = rep(0, nrow(ex)), rows = seq_len(nrow(ex)),
  boundary = "zero")

d <- simulate(2, 15, 0.4, 0.3, 0.15, 0.10, 0.5, 0.3)
sets$cov_interior <- path_set(
  "simulated: k = 15, seed 2, tau = (0.15, 0.10), rho = 0.5, within-study correlation 0.3 (cov_ab given)",
  paste("Trial", 1:15), d$a, d$sa, d$b, d$sb, d$cov_ab)

d <- simulate(6, 15, 0.4, 0.3, 0.15, 0.10, -0.5, 0.3)
sets$cov_negative <- path_set(
  "simulated: k = 15, seed 6, tau = (0.15, 0.10), rho = -0.5, within-study correlation 0.3 (cov_ab given)",
  paste("Trial", 1:15), d$a, d$sa, d$b, d$sb, d$cov_ab)

d <- simulate(3, 8, 0.4, -0.3, 0.20, 0.12, -0.9, 0)
sets$rho_bound <- path_set(
  "simulated: k = 8, seed 3, tau = (0.20, 0.12), rho = -0.9: the estimate of rho is on its bound -1",
  paste("Trial", 1:8), d$a, d$sa, d$b, d$sb, boundary = "rho")

set.seed(11)
k <- 10
sa <- round(runif(k, 0.06, 0.16), 3); sb <- round(runif(k, 0.04, 0.12), 3)
a <- round(0.4 + 0.2 * rnorm(k) + sa * rnorm(k), 3)
sets$tau2_b_zero <- path_set(
  paste("constructed: k = 10, set.seed(11), a heterogeneous, every study's b = 0.25 (with its own sb):",
        "tau_b^2 = 0 with tau_a^2 > 0"),
  paste("Trial", 1:k), a, sa, rep(0.25, k), sb, boundary = "tau2_b")

## The constructed set of make_fixtures_mediation_pooled.R: rows 5 (no sb) and 9 (yi/vi only)
## are left out.
set.seed(7)
k <- 12
a  <- rnorm(k, 0.35, 0.12); sa <- runif(k, 0.05, 0.15)
b  <- rnorm(k, -0.25, 0.10); sb <- runif(k, 0.04, 0.12)
study <- paste("Trial", 1:k)
sb_txt <- num(sb); sb_txt[5] <- "NA"
a_txt <- num(a); sa_txt <- num(sa); b_txt <- num(b)
yi_txt <- rep("NA", k); vi_txt <- rep("NA", k)
yi_txt[5] <- num(a[5] * b[5]); vi_txt[5] <- num(0.004)
yi_txt[9] <- num(-0.08); vi_txt[9] <- num(0.0016)
a_txt[9] <- "NA"; sa_txt[9] <- "NA"; b_txt[9] <- "NA"; sb_txt[9] <- "NA"
keep <- setdiff(1:k, c(5, 9))
sets$left_out <- list(
  source = paste("constructed as in make_fixtures_mediation_pooled.R: k = 12, set.seed(7);",
                 "row 5 without sb and row 9 with yi/vi only (left out)"),
  csv = csv_text(list(study = study, yi = yi_txt, vi = vi_txt, a = a_txt, sa = sa_txt, b = b_txt, sb = sb_txt)),
  a = as.numeric(a_txt[keep]), sa = as.numeric(sa_txt[keep]), b = as.numeric(b_txt[keep]),
  sb = as.numeric(sb_txt[keep]), cov_ab = rep(0, length(keep)), rows = keep)

## ---------------------------------------------------------------------------
## Fitting.

long_data <- function(s) {
  k <- length(s$a)
  list(dat = data.frame(study = rep(seq_len(k), each = 2), path = factor(rep(c("a", "b"), k)),
                        yi = c(rbind(s$a, s$b))),
       V = bldiag(lapply(seq_len(k), function(i) matrix(c(s$sa[i]^2, s$cov_ab[i], s$cov_ab[i], s$sb[i]^2), 2))))
}

fit_mv <- function(s, method, random = TRUE, ...) {
  l <- long_data(s)
  dat <- l$dat
  V <- l$V
  if (random) {
    rma.mv(yi, V, mods = ~ path - 1, random = ~ path | study, struct = "UN", method = method,
           data = dat, control = free_control, ...)
  } else {
    rma.mv(yi, V, mods = ~ path - 1, method = method, data = dat)
  }
}

mc_interval <- function(mu, vb, level = 0.95) {
  set.seed(mc_seed)
  z1 <- rnorm(mc_draws)
  z2 <- rnorm(mc_draws)
  sa <- sqrt(vb[1, 1])
  slope <- vb[1, 2] / sa
  a <- mu[1] + sa * z1
  b <- mu[2] + slope * z1 + sqrt(vb[2, 2] - slope^2) * z2
  alpha <- 1 - level
  unname(quantile(a * b, c(alpha / 2, 1 - alpha / 2), type = 7))
}

describe <- function(res) {
  sprintf("logLik %.12g, tau2 (%.6g, %.6g), rho %.8g", c(logLik(res)), res$tau2[1], res$tau2[2], res$rho)
}

## The fit metapool should reproduce (boundary values fixed where the free fit runs into them),
## with notes.
reference_fit <- function(s, method) {
  if (method == "FE") {
    return(list(res = fit_mv(s, "ML", random = FALSE), sigma = matrix(0, 2, 2), rho = NULL,
                notes = list("FE: rma.mv() without random effects; logLik is ML's")))
  }
  free <- fit_mv(s, method)
  near_boundary <- abs(free$rho) > 0.9999 || min(free$tau2) < 1e-6 * min(mean(s$sa^2), mean(s$sb^2))
  if (is.null(s$boundary) == near_boundary) {
    stop(sprintf("%s, %s: the free fit (%s) is %s the boundary, but the set says otherwise",
                 s$source, method, describe(free), if (near_boundary) "at" else "away from"))
  }
  if (is.null(s$boundary)) {
    t2 <- free$tau2
    return(list(res = free, sigma = matrix(c(t2[1], rep(free$rho * sqrt(t2[1] * t2[2]), 2), t2[2]), 2),
                rho = free$rho, notes = list()))
  }
  res <- switch(s$boundary,
                zero = fit_mv(s, method, random = FALSE),
                rho = fit_mv(s, method, rho = sign(free$rho)),
                tau2_b = fit_mv(s, method, tau2 = c(NA, 0), rho = 0))
  slack <- c(logLik(free)) - c(logLik(res))
  if (slack > 1e-8) stop(sprintf("%s: the free fit (%s) is above the boundary fit by %g", s$source, describe(free), slack))
  sigma <- switch(s$boundary,
                  zero = matrix(0, 2, 2),
                  rho = matrix(c(res$tau2[1], rep(res$rho * sqrt(res$tau2[1] * res$tau2[2]), 2), res$tau2[2]), 2),
                  tau2_b = diag(c(res$tau2[1], 0)))
  list(res = res, sigma = sigma, rho = if (s$boundary == "rho") res$rho else NULL,
       notes = list(sprintf("boundary (%s) fixed in rma.mv(); the free fit gives %s", s$boundary, describe(free))))
}

path_row <- function(res, j) {
  list(estimate = res$b[j, 1], se = res$se[j], ci_lower = res$ci.lb[j], ci_upper = res$ci.ub[j],
       stat = res$zval[j], p = res$pval[j])
}

expected_bivariate <- function(s, method) {
  f <- reference_fit(s, method)
  res <- f$res
  mu <- c(res$b)
  mc <- mc_interval(mu, res$vb)
  list(
    expected = list(
      method = method,
      k = length(s$a),
      a = path_row(res, 1),
      b = path_row(res, 2),
      cov_ab = res$vb[1, 2],
      tau2_a = f$sigma[1, 1],
      tau2_b = f$sigma[2, 2],
      tau_ab = f$sigma[1, 2],
      rho = f$rho,
      loglik = c(logLik(res)),
      ci = "z",
      ie = list(estimate = mu[1] * mu[2], ci_lower = mc[1], ci_upper = mc[2])),
    notes = f$notes)
}

## ---------------------------------------------------------------------------

cases <- list()
add_case <- function(set_name, method, ci, fitted_as = method, extra_note = NULL) {
  s <- sets[[set_name]]
  e <- expected_bivariate(s, fitted_as)
  cases[[length(cases) + 1]] <<- list(
    name = paste("bivariate", set_name, method, ci, sep = "_"), source = s$source, data = s$csv,
    options = list(method = method, ci = ci, level = 0.95, mediation = "bivariate"),
    notes = c(e$notes, extra_note),
    expected = list(paths = list(rows = I(s$rows), bivariate = e$expected)))
}

for (nm in names(sets)) for (m in c("REML", "ML", "FE")) add_case(nm, m, "z")
## Other methods are fitted by REML and every interval is z.
add_case("cov_interior", "DL", "hksj", "REML", "metapool fits DL by REML and gives z intervals under hksj")
add_case("rho_bound", "PM", "z", "REML", "metapool fits PM by REML")
add_case("example", "REML", "hksj", "REML", "z intervals under hksj")

header <- fixture_header(
  "tests/reference/make_fixtures_bivariate.R",
  free_control = free_control,
  mc_draws = mc_draws,
  mc_seed = mc_seed,
  notes = paste(
    "expected.paths.bivariate: report.paths.bivariate (a and b with z intervals, cov_ab = vb[1,2],",
    "tau2_a, tau2_b, tau_ab, rho (null when a tau^2 is 0), loglik = logLik(rma.mv)); ie with R's",
    "Monte Carlo interval from 10^6 correlated draws (compare within 1% of its width)."))

write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases to %s (%.0f kB)\n", length(cases), out_file, file.size(out_file) / 1024))
