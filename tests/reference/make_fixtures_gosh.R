## Reference fixtures for GOSH: metafor's gosh() for intercept-only models, every subset.
##
## Run from the repository root:   Rscript tests/reference/make_fixtures_gosh.R
## Writes tests/reference/fixtures_gosh.json (committed; the Rust test tests/reference_gosh.rs
## only reads it). Same conventions as make_fixtures.R (helpers in common.R): tight convergence,
## data written with 17 significant digits and read back.
##
## Each case holds gosh()'s columns (k, estimate, QE, I2, H2, tau2) for every subset, ordered by
## the subset's bit mask (study j, counted from 1, is bit j - 1): entry m - 1 is the subset m.
## metafor orders its rows by k instead; its `incl` matrix gives each row's mask.

source(file.path("tests", "reference", "common.R"))   # methods, rma_control, helpers

out_file <- file.path("tests", "reference", "fixtures_gosh.json")

datasets <- list()
add_ds <- function(name, source, study, yi, vi) {
  datasets[[name]] <<- list(source = source, study = as.character(study),
                            yi = as.numeric(num(yi)), vi = as.numeric(num(vi)))
}
d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)[1:8, ]
add_ds("bcg8", "metadat::dat.bcg[1:8], escalc(measure='RR')", paste(d$author, d$year), d$yi, d$vi)
d <- dat.raudenbush1985[1:7, ]
add_ds("raudenbush1985_7", "metadat::dat.raudenbush1985[1:7]", paste(d$author, d$year), d$yi, d$vi)

vec <- function(x) { x <- as.numeric(x); x[!is.finite(x)] <- NA; x }

cases <- list()
for (name in names(datasets)) {
  ds <- datasets[[name]]
  csv <- paste0(c("study,yi,vi", paste(csv_field(ds$study), num(ds$yi), num(ds$vi), sep = ",")),
                collapse = "\n")
  for (m in methods) {
    res <- rma(ds$yi, ds$vi, method = m, control = rma_control)
    g <- gosh(res, progbar = FALSE)
    mask <- as.vector(g$incl %*% 2^(seq_len(ncol(g$incl)) - 1))
    ord <- order(mask)
    stopifnot(identical(mask[ord], as.numeric(seq_len(2^length(ds$yi) - 1))))
    r <- g$res[ord, ]
    cases[[length(cases) + 1]] <- list(
      name = paste(name, m, sep = "_"), source = ds$source, data = csv,
      options = list(method = m),
      expected = list(k = r$k, estimate = vec(r$estimate), Q = vec(r$QE), I2 = vec(r$I2),
                      H2 = vec(r$H2), tau2 = vec(r$tau2)))
  }
}
header <- fixture_header("tests/reference/make_fixtures_gosh.R", rma_control = rma_control)
write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases to %s\n", length(cases), out_file))
