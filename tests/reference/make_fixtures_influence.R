## Reference fixtures for leave-one-out, influence diagnostics and cumulative meta-analysis:
## metafor's leave1out(), influence() and cumul() for models without moderators.
##
## Run from the repository root:   Rscript tests/reference/make_fixtures_influence.R
## Writes tests/reference/fixtures_influence.json (committed; the Rust test
## tests/reference_influence.rs only reads it). Same conventions as make_fixtures.R (helpers in
## common.R): tight convergence, data written with 17 significant digits and read back.

source(file.path("tests", "reference", "common.R"))   # methods, ci_types, rma_control, helpers

out_file <- file.path("tests", "reference", "fixtures_influence.json")

datasets <- list()
add_ds <- function(name, source, study, yi, vi, year = NULL) {
  keep <- !is.na(yi) & !is.na(vi)
  datasets[[name]] <<- list(source = source, study = as.character(study)[keep],
                            yi = as.numeric(num(yi[keep])), vi = as.numeric(num(vi[keep])),
                            year = if (is.null(year)) NULL else year[keep])
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add_ds("bcg", "metadat::dat.bcg, escalc(measure='RR')", paste(d$author, d$year), d$yi, d$vi, d$year)
d <- dat.raudenbush1985
add_ds("raudenbush1985", "metadat::dat.raudenbush1985", paste(d$author, d$year), d$yi, d$vi, d$year)
d <- dat.hackshaw1998
add_ds("hackshaw1998", "metadat::dat.hackshaw1998", paste(d$author, d$year), d$yi, d$vi, d$year)
d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
add_ds("molloy2014", "metadat::dat.molloy2014, escalc(measure='ZCOR')", paste(d$authors, d$year), d$yi, d$vi, d$year)
d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i, data = dat.normand1999)
add_ds("normand1999", "metadat::dat.normand1999, escalc(measure='MD')", d$source, d$yi, d$vi)
add_ds("edge_k3", "constructed: k = 3", c("A", "B", "C"), c(0.1, 0.6, 0.3), c(0.02, 0.05, 0.01))

vec <- function(x) { x <- as.numeric(x); x[!is.finite(x)] <- NA; x }

cases <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  k <- length(ds$yi)
  has_year <- !is.null(ds$year)
  ## Without a year, paste() turns the NULL into "" and every data row ends in an empty fourth
  ## cell (a trailing comma) under the three-column header; metapool reads that, and the
  ## committed fixture has it, so it is kept.
  csv <- paste0(c(if (has_year) "study,yi,vi,year" else "study,yi,vi",
                  paste(csv_field(ds$study), num(ds$yi), num(ds$vi),
                        if (has_year) ds$year else NULL, sep = ",")), collapse = "\n")
  for (m in methods) for (ci in names(ci_types)) {
    res <- tryCatch(rma(ds$yi, ds$vi, method = m, test = ci_types[[ci]], control = rma_control,
                        slab = ds$study), error = function(e) e)
    if (inherits(res, "error")) { cat("SKIP", name, m, ci, conditionMessage(res), "\n"); next }
    l1o <- suppressWarnings(leave1out(res))
    inf <- suppressWarnings(influence(res))
    ord <- if (has_year) order(ds$year) else seq_len(k)
    # metafor 3.8's cumul() takes the variable to sort by (stable, ties in data order).
    cu  <- suppressWarnings(if (has_year) cumul(res, order = ds$year) else cumul(res))
    # (metafor makes repeated labels unique with .1, .2: compare without that suffix)
    stopifnot(identical(sub("\\.[0-9]+$", "", as.character(cu$slab)), ds$study[ord]))
    # FE fits carry no tau2; knha fits name the statistic tval.
    zero_if_null <- function(x, n) if (is.null(x)) rep(0, n) else x
    cases[[length(cases) + 1]] <- list(
      name = paste(name, m, ci, sep = "_"), source = ds$source, data = csv,
      options = list(method = m, ci = ci, level = 0.95, leave1out = TRUE,
                     cumulative_by = if (has_year) "year" else NULL,
                     cumulative = if (has_year) NULL else TRUE),
      expected = list(
        leave1out = list(estimate = vec(l1o$estimate), se = vec(l1o$se),
                         stat = vec(if (is.null(l1o$zval)) l1o$tval else l1o$zval),
                         p = vec(l1o$pval), ci_lower = vec(l1o$ci.lb), ci_upper = vec(l1o$ci.ub),
                         Q = vec(l1o$Q), Q_p = vec(l1o$Qp), tau2 = vec(zero_if_null(l1o$tau2, k)),
                         I2 = vec(l1o$I2), H2 = vec(l1o$H2)),
        influence = list(rstudent = vec(inf$inf$rstudent), dffits = vec(inf$inf$dffits),
                         cook_d = vec(inf$inf$cook.d), cov_r = vec(inf$inf$cov.r),
                         hat = vec(inf$inf$hat), weight = vec(inf$inf$weight),
                         dfbetas = vec(inf$dfbs[[1]]), influential = inf$is.infl),
        cumulative = list(study = ds$study[ord], estimate = vec(cu$estimate), se = vec(cu$se),
                          ci_lower = vec(cu$ci.lb), ci_upper = vec(cu$ci.ub), Q = vec(cu$Q),
                          tau2 = vec(zero_if_null(cu$tau2, k)), I2 = vec(cu$I2), H2 = vec(cu$H2))))
  }
}
writeLines(to_json(cases), out_file)
cat(sprintf("wrote %d cases to %s\n", length(cases), out_file))
