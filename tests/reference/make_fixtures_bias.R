## Reference fixtures for metapool's small-study-effect methods (crate/src/bias.rs).
##
## Run from the repository root:
##
##     Rscript tests/reference/make_fixtures_bias.R
##
## Needs R (>= 4) with the packages metafor (3.8), metadat and jsonlite. Writes
## tests/reference/fixtures_bias.json, which is committed; the Rust test
## (tests/reference_bias.rs) only reads that file and never needs R.
##
## For each dataset x method (FE DL REML ML PM) x CI type (z, knha) the script fits
##
##     res <- rma(yi, vi, method = M, test = T, level = 100 * level, control = CTRL)
##
## and records
##
##   egger     regtest(res, model = "lm")                      (predictor "sei")
##   pet       the intercept of summary(lm(yi ~ sqrt(vi), weights = 1/vi)) with
##             regtest(res, model = "lm")$ci.lb/ci.ub
##   peese     the same with predictor vi (regtest(..., predictor = "vi"))
##   begg      ranktest(res)                                   (cor.test(..., exact = TRUE))
##   trimfill  trimfill(res, control = CTRL, test = T, level = 100 * level)
##   failsafe  fsn(yi, vi)                                     (type "Rosenthal", alpha 0.05)
##
## The expected values are laid out exactly as metapool's JSON (`bias` in the report), so the
## test compares the two trees field by field. As in make_fixtures.R (helpers in common.R) the
## data are written into each case as CSV text with 17 significant digits (precision as `vi` or
## `sei`) and metafor is fitted to the values parsed back from that text.

source(file.path("tests", "reference", "common.R"))   # ci_types, rma_control, helpers

out_file <- file.path("tests", "reference", "fixtures_bias.json")

methods <- c("FE", "DL", "REML", "ML", "PM")   # of the 9 in common.R, those bias.rs supports
## How the precision is given in the CSV; not as limits, which would be turned back into
## variances through qnorm(0.975) and could break exact ties in vi that Begg's test depends on.
forms <- c("vi", "sei")

## metapool uses the exact distribution of Kendall's statistic up to this k (R's pkendall
## overflows beyond it: metafor 3.8 then returns NaN or 0).
exact_kendall_max <- 170

## ---------------------------------------------------------------------------
## Datasets.

datasets <- list()
add_ds <- function(name, source, study, yi, vi, note = character(0)) {
  keep <- !is.na(yi) & !is.na(vi)
  if (any(!keep)) cat(sprintf("%s: dropping %d row(s) with missing yi/vi\n", name, sum(!keep)))
  study <- as.character(study)[keep]
  if (anyDuplicated(study)) study <- make.unique(study, sep = " #")
  datasets[[name]] <<- list(name = name, source = source, study = study,
                            yi = as.numeric(yi[keep]), vi = as.numeric(vi[keep]), note = note)
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add_ds("bcg", "metadat::dat.bcg, escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg)",
       paste(d$author, d$year), d$yi, d$vi)

d <- dat.hackshaw1998
add_ds("hackshaw1998", "metadat::dat.hackshaw1998, yi/vi (log OR) as given",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
add_ds("egger2001", "metadat::dat.egger2001, escalc(measure='OR')",
       paste(d$study, d$year), d$yi, d$vi)

d <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat.pritz1997)
add_ds("pritz1997", "metadat::dat.pritz1997, escalc(measure='PLO', xi=xi, ni=ni)",
       d$authors, d$yi, d$vi)

d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
add_ds("molloy2014", "metadat::dat.molloy2014, escalc(measure='ZCOR'); ties in vi (normal approximation in Begg's test)",
       paste(d$authors, d$year), d$yi, d$vi)

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
add_ds("li2007", "metadat::dat.li2007, escalc(measure='OR'), rows with missing values dropped",
       paste(d$study, d$year), d$yi, d$vi)

d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add_ds("normand1999", "metadat::dat.normand1999, escalc(measure='MD')", d$source, d$yi, d$vi)

d <- dat.bangertdrowns2004
add_ds("bangertdrowns2004", "metadat::dat.bangertdrowns2004, yi/vi (SMD) as given, rows with missing values dropped; ties",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "ROM", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.curtis1998)
add_ds("curtis1998", "metadat::dat.curtis1998, escalc(measure='ROM'); k = 102 without ties (exact Kendall distribution)",
       paste(d$paper, d$id), d$yi, d$vi)

d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.mcdaniel1994)
add_ds("mcdaniel1994", "metadat::dat.mcdaniel1994, escalc(measure='ZCOR'); k = 160 with ties",
       paste("Study", d$study), d$yi, d$vi)

d <- dat.raudenbush1985
add_ds("raudenbush1985", "metadat::dat.raudenbush1985, yi/vi as given; ties in vi",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.linde2005)
add_ds("linde2005", "metadat::dat.linde2005, escalc(measure='RR'), rows with missing values dropped",
       paste(d$study, d$year), d$yi, d$vi)

d <- escalc(measure = "OR", ai = pre.xti, n1i = pre.nti, ci = pre.xci, n2i = pre.nci,
            data = dat.collins1985b)
add_ds("collins1985b", "metadat::dat.collins1985b, escalc(measure='OR', ai=pre.xti, n1i=pre.nti, ci=pre.xci, n2i=pre.nci)",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
add_ds("hine1989", "metadat::dat.hine1989, escalc(measure='RD'); k = 6", d$source, d$yi, d$vi)

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
            data = dat.yusuf1985[dat.yusuf1985$table == "6", ])
add_ds("yusuf1985", "metadat::dat.yusuf1985 (table 6), escalc(measure='OR')",
       d$trial, d$yi, d$vi)

## Constructed cases.
add_ds("edge_k3", "constructed: k = 3 (one residual df in the regressions)",
       c("A", "B", "C"), c(-0.3, 0.1, 0.6), c(0.05, 0.02, 0.1))

set.seed(20240601)
n_big <- 180
vi_big <- round(runif(n_big, 0.005, 0.25), 6)
yi_big <- round(0.2 + 0.8 * sqrt(vi_big) + rnorm(n_big, sd = sqrt(vi_big + 0.02)), 6)
add_ds("edge_k180", paste(
  "constructed: k = 180 without ties (set.seed(20240601); vi = runif(0.005, 0.25), yi = 0.2 + 0.8*sei + N(0, vi + 0.02), both rounded to 6 decimals).",
  "metafor 3.8's ranktest() asks for the exact p-value, which R's pkendall cannot compute for k > 170 (NaN or 0);",
  "the expected Begg p is cor.test(exact = FALSE), the normal approximation, as newer metafor versions fall back to"),
  paste("S", seq_len(n_big)), yi_big, vi_big,
  note = "Begg p: normal approximation (metafor 3.8 gives NaN or 0 for k > 170 without ties)")

add_ds("edge_equal_vi", paste(
  "constructed: every study has the same variance: regtest() stops ('Model matrix no longer of full rank'),",
  "ranktest() gives NA and trimfill() stops, so egger, pet, peese, begg and trimfill are null"),
  paste("S", 1:5), c(0.1, 0.25, 0.4, 0.3, 0.15), rep(0.02, 5),
  note = "egger, pet, peese, begg and trimfill are undefined (null)")

## ---------------------------------------------------------------------------

quiet <- function(expr) suppressWarnings(suppressMessages(expr))

## The intercept of the weighted lm on the predictor, with regtest()'s interval.
limit_of <- function(res, yi, vi, predictor) {
  rt <- tryCatch(quiet(regtest(res, model = "lm", predictor = predictor)), error = function(e) NULL)
  if (is.null(rt)) return(NULL)
  x <- if (predictor == "sei") sqrt(vi) else vi
  cf <- coef(summary(lm(yi ~ x, weights = 1 / vi)))
  stopifnot(isTRUE(all.equal(unname(cf[1, 1]), unname(rt$est), tolerance = 1e-12)))
  list(rt = rt,
       limit = list(estimate = unname(cf[1, 1]), se = unname(cf[1, 2]),
                    ci_lower = unname(rt$ci.lb), ci_upper = unname(rt$ci.ub),
                    p = unname(cf[1, 4])))
}

fit_case <- function(ds, method, ci_name, form, level) {
  test <- ci_types[[ci_name]]
  inp  <- make_input(ds$study, ds$yi, ds$vi, form)
  name <- paste(ds$name, method, ci_name, form, sep = "_")
  if (level != 0.95) name <- paste0(name, "_L", round(100 * level))
  yi <- inp$yi
  vi <- inp$vi
  k  <- length(yi)
  notes <- ds$note

  res <- tryCatch(quiet(rma(yi = yi, vi = vi, method = method, test = test, level = 100 * level,
                            control = rma_control)),
                  error = function(e) e)
  if (inherits(res, "error")) {
    cat(sprintf("SKIP %s: rma() failed: %s\n", name, conditionMessage(res)))
    return(NULL)
  }

  ## Egger, PET, PEESE.
  sei_fit <- limit_of(res, yi, vi, "sei")
  vi_fit  <- limit_of(res, yi, vi, "vi")
  egger <- NULL
  if (!is.null(sei_fit)) {
    rt <- sei_fit$rt
    egger <- list(stat = unname(rt$zval), df = rt$dfs, p = unname(rt$pval),
                  limit_estimate = unname(rt$est), limit_ci_lower = unname(rt$ci.lb),
                  limit_ci_upper = unname(rt$ci.ub))
  }

  ## Begg.
  rk <- quiet(ranktest(res))
  wi <- 1 / vi
  ystar <- (yi - weighted.mean(yi, wi)) / sqrt(vi - 1 / sum(wi))
  ties <- min(length(unique(ystar)), length(unique(vi))) < k
  exact <- !ties && k <= exact_kendall_max
  begg <- NULL
  if (is.finite(rk$tau)) {
    p <- rk$pval
    if (!ties && !exact) {
      p <- quiet(cor.test(ystar, vi, method = "kendall", exact = FALSE))$p.value
    }
    begg <- list(tau = unname(rk$tau), p = p, exact = exact)
  }

  ## Trim and fill (trimfill() passes `control` on to every rma.uni() fit).
  tf <- tryCatch(quiet(trimfill(res, control = rma_control, test = test, level = 100 * level)),
                 error = function(e) e)
  trimfill_out <- NULL
  if (inherits(tf, "error")) {
    cat(sprintf("%s: trimfill() stopped: %s\n", name, conditionMessage(tf)))
  } else {
    filled <- which(tf$fill)
    trimfill_out <- list(k0 = tf$k0, side = tf$side, estimate = c(tf$b), se = tf$se,
                         ci_lower = tf$ci.lb, ci_upper = tf$ci.ub, tau2 = tf$tau2,
                         filled = I(lapply(filled, function(i) list(yi = tf$yi[i], vi = tf$vi[i]))))
  }

  ## Fail-safe N. fsn() does not return Stouffer's z; it is recomputed with fsn()'s formula.
  fs <- fsn(yi, vi)
  failsafe <- list(n = fs$fsnum, z = abs(sum(yi / sqrt(vi)) / sqrt(k)), p = fs$pval,
                   alpha = fs$alpha, target_k = 5 * k + 10)

  expected <- list(egger = egger, begg = begg, trimfill = trimfill_out, failsafe = failsafe,
                   pet = if (is.null(sei_fit)) NULL else sei_fit$limit,
                   peese = if (is.null(vi_fit)) NULL else vi_fit$limit)
  list(name = name, source = ds$source, data = inp$csv,
       options = list(method = method, ci = ci_name, level = level),
       notes = I(notes), expected = expected)
}

cases <- list()
for (di in seq_along(datasets)) {
  ds <- datasets[[di]]
  for (mi in seq_along(methods)) {
    for (ci_name in names(ci_types)) {
      form <- forms[(di + mi + (ci_name == "hksj")) %% 2 + 1]
      cs <- fit_case(ds, methods[mi], ci_name, form, 0.95)
      if (!is.null(cs)) cases[[length(cases) + 1]] <- cs
    }
  }
}
## A second level (90%) for a few datasets.
for (dn in c("bcg", "hackshaw1998", "edge_k3")) {
  for (method in c("FE", "REML")) {
    for (ci_name in names(ci_types)) {
      cs <- fit_case(datasets[[dn]], method, ci_name, "vi", 0.90)
      if (!is.null(cs)) cases[[length(cases) + 1]] <- cs
    }
  }
}

header <- fixture_header(
  "tests/reference/make_fixtures_bias.R",
  rma_control = rma_control,
  notes = paste(
    "expected mirrors metapool's bias JSON. egger: regtest(model='lm'); pet/peese: intercept of",
    "lm(yi ~ sei or vi, weights = 1/vi) with regtest()'s CI; begg: ranktest() (exact = no ties and",
    "k <= 170); trimfill: trimfill(res, control, test, level); failsafe: fsn(yi, vi) with z =",
    "|sum(yi/sei)|/sqrt(k) and target_k = 5k + 10. null where metafor stops or gives NA.")
)

write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases from %d datasets to %s (%.0f kB)\n",
            length(cases), length(datasets), out_file, file.size(out_file) / 1024))
