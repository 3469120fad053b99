## Reference fixtures for metapool: every pooled number as R's metafor computes it.
##
## Run from the repository root:
##
##     Rscript tests/reference/make_fixtures.R
##
## Needs R (>= 4) with the packages metafor, metadat and jsonlite. Writes
## tests/reference/fixtures.json, which is committed; the Rust tests
## (tests/reference_metafor.rs) only read that file and never need R.
##
## For each dataset x each of the 9 tau^2 methods x both CI types (z, knha)
## the script fits
##
##     rma(yi, vi, method = M, test = T, level = 100 * level, control = CTRL)
##
## and records the overall results, predict() (prediction interval),
## confint() (Q-profile CI of tau^2 and I^2) and weights(). The data are
## written into the case as CSV text in one of three forms (`vi`, `sei` or
## `lower`/`upper`). The CSV text is then parsed back exactly as metapool
## reads it (SE = (upper - lower) / (2 * qnorm(0.975)), vi = SE^2), and the
## model is fitted to those parsed values, so the expected numbers belong to
## exactly the input metapool sees.

source(file.path("tests", "reference", "common.R"))   # methods, ci_types, rma_control, helpers

out_file <- file.path("tests", "reference", "fixtures.json")

forms <- c("vi", "sei", "ci")   # how the precision is given in the CSV

## ---------------------------------------------------------------------------
## Datasets: label, yi, vi, and a description of where they come from.

datasets <- list()
add_ds <- function(name, source, study, yi, vi) {
  keep <- !is.na(yi) & !is.na(vi)
  if (any(!keep)) cat(sprintf("%s: dropping %d row(s) with missing yi/vi\n", name, sum(!keep)))
  study <- as.character(study)[keep]
  if (anyDuplicated(study)) study <- make.unique(study, sep = " #")
  datasets[[name]] <<- list(name = name, source = source, study = study,
                            yi = as.numeric(yi[keep]), vi = as.numeric(vi[keep]))
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add_ds("bcg", "metadat::dat.bcg, escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg)",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "MD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add_ds("normand1999", "metadat::dat.normand1999, escalc(measure='MD')", d$source, d$yi, d$vi)

d <- dat.raudenbush1985
add_ds("raudenbush1985", "metadat::dat.raudenbush1985, yi/vi as given",
       paste(d$author, d$year), d$yi, d$vi)

d <- dat.hackshaw1998
add_ds("hackshaw1998", "metadat::dat.hackshaw1998, yi/vi (log OR) as given",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
add_ds("molloy2014", "metadat::dat.molloy2014, escalc(measure='ZCOR', ri=ri, ni=ni)",
       paste(d$authors, d$year), d$yi, d$vi)

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
add_ds("li2007", "metadat::dat.li2007, escalc(measure='OR'), rows with missing values dropped",
       paste(d$study, d$year), d$yi, d$vi)

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i,
            data = dat.yusuf1985[dat.yusuf1985$table == "6", ])
add_ds("yusuf1985", "metadat::dat.yusuf1985 (table 6), escalc(measure='OR')",
       d$trial, d$yi, d$vi)

d <- escalc(measure = "PLO", xi = xi, ni = ni, data = dat.pritz1997)
add_ds("pritz1997", "metadat::dat.pritz1997, escalc(measure='PLO', xi=xi, ni=ni)",
       d$authors, d$yi, d$vi)

d <- escalc(measure = "ROM", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.curtis1998)
add_ds("curtis1998", "metadat::dat.curtis1998, escalc(measure='ROM')",
       paste(d$paper, d$id), d$yi, d$vi)

d <- dat.bangertdrowns2004
add_ds("bangertdrowns2004", "metadat::dat.bangertdrowns2004, yi/vi (SMD) as given, rows with missing values dropped",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "RR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.linde2005)
add_ds("linde2005", "metadat::dat.linde2005, escalc(measure='RR'), rows with missing values dropped",
       paste(d$study, d$year), d$yi, d$vi)

d <- escalc(measure = "OR", ai = pre.xti, n1i = pre.nti, ci = pre.xci, n2i = pre.nci,
            data = dat.collins1985b)
add_ds("collins1985b", "metadat::dat.collins1985b, escalc(measure='OR', ai=pre.xti, n1i=pre.nti, ci=pre.xci, n2i=pre.nci)",
       paste(d$author, d$year), d$yi, d$vi)

d <- escalc(measure = "RD", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.hine1989)
add_ds("hine1989", "metadat::dat.hine1989, escalc(measure='RD')", d$source, d$yi, d$vi)

d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.mcdaniel1994)
add_ds("mcdaniel1994", "metadat::dat.mcdaniel1994, escalc(measure='ZCOR', ri=ri, ni=ni)",
       paste("Study", d$study), d$yi, d$vi)

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.egger2001)
add_ds("egger2001", "metadat::dat.egger2001, escalc(measure='OR')",
       paste(d$study, d$year), d$yi, d$vi)

d <- escalc(measure = "SMD", m1i = m1i, sd1i = sd1i, n1i = n1i, m2i = m2i, sd2i = sd2i, n2i = n2i,
            data = dat.normand1999)
add_ds("normand1999_smd", "metadat::dat.normand1999, escalc(measure='SMD')", d$source, d$yi, d$vi)

## Published small examples (data as printed in the papers).
add_ds("viechtbauer2005_ex1", "Viechtbauer (2005), J Educ Behav Stat 30(3), example 1 (p. 271), yi/vi as printed",
       paste("Study", 1:10),
       c(-0.581, 0.530, 0.771, 1.031, 0.553, 0.295, 0.078, 0.573, -0.176, -0.232),
       c(0.023, 0.052, 0.060, 0.115, 0.095, 0.203, 0.200, 0.211, 0.051, 0.040))

add_ds("viechtbauer2005_ex2", "Viechtbauer (2005), J Educ Behav Stat 30(3), example 2 (p. 272), yi/vi as printed",
       paste("Study", 1:18),
       c(0.100, -0.162, -0.090, -0.049, -0.046, -0.010, -0.431, -0.261, 0.134, 0.019, 0.175, 0.056,
         0.045, 0.103, 0.121, -0.482, 0.290, 0.342),
       c(0.016, 0.015, 0.050, 0.050, 0.032, 0.052, 0.036, 0.024, 0.034, 0.033, 0.031, 0.034, 0.039,
         0.167, 0.134, 0.096, 0.016, 0.035))

d <- escalc(measure = "OR", ai = c(5, 5, 12, 69, 9, 313), n1i = c(156, 303, 565, 1570, 103, 4659),
            ci = c(8, 17, 9, 94, 11, 352), n2i = c(74, 303, 477, 1565, 105, 4650))
add_ds("clasp_dersimonian2007", "DerSimonian & Kacker (2007), CLASP example (Table 1), escalc(measure='OR')",
       paste("Trial", 1:6), d$yi, d$vi)

## Constructed edge cases.
add_ds("edge_k2", paste("constructed: k = 2; the Q-profile upper bound of tau^2 lies above metafor's",
                         "default search limit tau2.max = 100 (confint() prints '>100'; the fixture holds the true root)"),
       c("A", "B"), c(0.2, 0.9), c(0.04, 0.09))
add_ds("edge_k2_small", "constructed: k = 2 with a Q-profile upper bound below 100",
       c("A", "B"), c(0.25, 0.55), c(0.05, 0.03))
add_ds("edge_k3", "constructed: k = 3",
       c("A", "B", "C"), c(-0.3, 0.1, 0.6), c(0.05, 0.02, 0.1))
add_ds("edge_identical", "constructed: identical effects (Q = 0, tau^2 = 0 for every method)",
       paste("S", 1:5), rep(0.4, 5), c(0.01, 0.04, 0.09, 0.02, 0.05))
add_ds("edge_homogeneous", "constructed: homogeneous effects (Q < k - 1, REML/ML tau^2 = 0)",
       paste("S", 1:6), c(0.10, 0.12, 0.09, 0.11, 0.13, 0.08), c(0.01, 0.02, 0.03, 0.015, 0.05, 0.025))
add_ds("edge_heterogeneous", "constructed: strongly heterogeneous (I^2 > 99%)",
       paste("S", 1:7), c(-1.5, 0.2, 1.8, 3.0, -0.7, 2.2, 0.9),
       c(0.010, 0.020, 0.015, 0.030, 0.012, 0.008, 0.025))
add_ds("edge_quoted_labels", "constructed: labels that need CSV quoting; effects on a large scale",
       c("Smith, 2001", "O\"Brien 2003", "M\u00fcller & Co 2005", "Lee et al., 2010"),
       c(120.5, 98.25, 143.0, 110.75), c(64, 100, 225, 81))

## ---------------------------------------------------------------------------
## One case: fit, predict, confint, weights.

fit_case <- function(ds, method, ci_name, form, level) {
  test <- ci_types[[ci_name]]
  inp  <- make_input(ds$study, ds$yi, ds$vi, form)
  name <- paste(ds$name, method, ci_name, form, sep = "_")
  if (level != 0.95) name <- paste0(name, "_L", round(100 * level))

  res <- tryCatch(
    withCallingHandlers(
      rma(yi = inp$yi, vi = inp$vi, method = method, test = test, level = 100 * level,
          control = rma_control),
      warning = function(w) {
        ## FE with knha always warns ("not meant to be used ..."); show others.
        if (!grepl("Knapp (and|&) Hartung method is not meant", conditionMessage(w)))
          cat(sprintf("%s: rma warning: %s\n", name, conditionMessage(w)))
        invokeRestart("muffleWarning")
      }),
    error = function(e) e)
  if (inherits(res, "error")) {
    cat(sprintf("SKIP %s: rma() failed: %s\n", name, conditionMessage(res)))
    return(NULL)
  }

  random <- method != "FE"
  notes <- character(0)
  if (random && res$tau2 > 0 && res$tau2 < 1e-9) {
    notes <- c(notes, "tau2 is a boundary estimate that metafor's iteration left slightly above 0")
  }

  hc <- NULL
  if (random && res$k >= 2) {
    hc <- heterogeneity_ci(res, level, name)
    if (!is.null(hc$widened_from)) {
      notes <- c(notes, sprintf(paste(
        "with its default search limit tau2.max = max(100, 10*tau2) = %.17g confint() prints",
        "'>%.4g' for the upper bound; the expected values come from a wider tau2.max"),
        hc$widened_from, hc$widened_from))
    }
  }

  crit <- qnorm((1 + level) / 2)
  expected <- c(overall_expected(res, method, level, hc), list(
    study = ds$study,
    weights = unname(weights(res)),
    yi = inp$yi,
    study_se = inp$se,
    study_vi = inp$vi,
    study_ci_lower = inp$yi - crit * inp$se,
    study_ci_upper = inp$yi + crit * inp$se
  ))
  list(name = name,
       source = ds$source,
       data = inp$csv,
       options = list(method = method, ci = ci_name, level = level),
       notes = I(notes),
       expected = expected)
}

## ---------------------------------------------------------------------------

cases <- list()
for (di in seq_along(datasets)) {
  ds <- datasets[[di]]
  for (mi in seq_along(methods)) {
    for (ci_name in names(ci_types)) {
      if (ds$name == "bcg") {
        use_forms <- forms                                   # all three forms for dat.bcg
      } else {
        use_forms <- forms[(di + mi + (ci_name == "hksj")) %% 3 + 1]   # rotate the form
      }
      for (form in use_forms) {
        cs <- fit_case(ds, methods[mi], ci_name, form, 0.95)
        if (!is.null(cs)) cases[[length(cases) + 1]] <- cs
      }
    }
  }
}

## A second level (90%) for a few datasets.
for (dn in c("bcg", "raudenbush1985", "edge_k3", "hine1989")) {
  ds <- datasets[[dn]]
  for (mi in seq_along(methods)) {
    for (ci_name in names(ci_types)) {
      form <- forms[(mi + (ci_name == "hksj")) %% 3 + 1]
      cs <- fit_case(ds, methods[mi], ci_name, form, 0.90)
      if (!is.null(cs)) cases[[length(cases) + 1]] <- cs
    }
  }
}

header <- fixture_header(
  "tests/reference/make_fixtures.R",
  rma_control = rma_control,
  confint_control = confint_control,
  notes = paste(
    "expected.se is the pooled SE; per-study values are expected.yi, expected.study_se, expected.study_vi,",
    "expected.study_ci_lower/upper (yi -/+ qnorm((1+level)/2)*se), expected.weights (percent)",
    "and expected.study (labels). df is null under ci='z' and k-1 under ci='hksj' (metafor test='knha').",
    "pi_*, tau2_ci_*, I2_ci_* and H2_ci_* are null for FE.")
)

write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases from %d datasets to %s (%.0f kB)\n",
            length(cases), length(datasets), out_file, file.size(out_file) / 1024))
