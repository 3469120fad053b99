## Reference fixtures for metapool's subgroup analysis (`by`) and meta-regression (`mods`):
## every number as R's metafor computes it.
##
## Run from the repository root:
##
##     Rscript tests/reference/make_fixtures_moderators.R
##
## Needs R (>= 4) with the packages metafor, metadat and jsonlite. Writes
## tests/reference/fixtures_moderators.json, which is committed; the Rust test
## (tests/reference_moderators.rs) only reads that file and never needs R.
##
## Conventions as in make_fixtures.R (helpers in common.R): full-precision JSON, the data written
## as CSV text with numbers at 17 significant digits, the precision given as `vi`, `sei` or
## `lower`/`upper` (rotated), the CSV parsed back exactly as metapool reads it and metafor fitted
## to those values, tight convergence (rma_control and confint_control in common.R).
##
## For each configuration (dataset, `by` column, `mods` columns, level) x 9 methods x 2 CI types
## (z, knha) the script records
##
##   overall     rma(yi, vi, method = M, test = T)                          + predict + confint
##   regression  rma(yi, vi, mods = ~ m1 + m2 ..., method = M, test = T)    (b, se, zval, pval,
##               ci.lb, ci.ub, QM, QMdf, QMp, QE, QEp, tau2, R2, I2, H2)
##   subgroups   rma(yi, vi, subset = (by == g), method = M, test = T)      + predict + confint,
##               one per group g in sorted (byte-wise) order of the group names
##   subgroup_test  rma(estimates, sei = ses, method = "FE"): QE, k - 1, QEp
##
## Text moderators are factors whose levels are sorted byte-wise (sort(method = "radix"), the
## C-locale order metapool uses), so the first level is the reference and the coefficients are
## named <column><level>, as R's model.matrix names them.
##
## Single-study subgroups: metafor fits them with tau^2 = 0, I^2 = 0, H^2 = 1, QEp = 1, and with
## test = "knha" it warns and falls back to z (test = "z", no df); the fixture follows metafor
## there (ci = "z" for that subgroup, and the subgroup test uses its z SE). metapool's rule
## differs in one respect: I^2, H^2 and the Q p-value are left empty (null) for k = 1. The script
## records metafor's numbers and applies exactly those nulls, with a note on the case.

source(file.path("tests", "reference", "common.R"))   # methods, ci_types, rma_control, helpers

out_file <- file.path("tests", "reference", "fixtures_moderators.json")

forms <- c("vi", "sei", "ci")

sort_bytes <- function(x) sort(unique(x), method = "radix")

## ---------------------------------------------------------------------------
## Datasets: labels, yi, vi and the moderator columns (numeric vectors or character vectors;
## NA is written as "NA", which metapool reads as an empty cell).

datasets <- list()
add_ds <- function(name, source, study, yi, vi, cols) {
  study <- as.character(study)
  if (anyDuplicated(study)) study <- make.unique(study, sep = " #")
  stopifnot(!anyNA(yi), !anyNA(vi))
  datasets[[name]] <<- list(name = name, source = source, study = study,
                            yi = as.numeric(yi), vi = as.numeric(vi), cols = cols)
}

d <- escalc(measure = "RR", ai = tpos, bi = tneg, ci = cpos, di = cneg, data = dat.bcg)
add_ds("bcg", "metadat::dat.bcg, escalc(measure='RR', ai=tpos, bi=tneg, ci=cpos, di=cneg)",
       paste(d$author, d$year), d$yi, d$vi,
       list(ablat = d$ablat, alloc = d$alloc, year = d$year))

d <- dat.raudenbush1985
add_ds("raudenbush1985", paste("metadat::dat.raudenbush1985, yi/vi as given; weeks_c = pmin(weeks, 3)",
                               "(the recoded weeks of metafor's test_analysis_example_raudenbush2009.r)"),
       paste(d$author, d$year), d$yi, d$vi,
       list(weeks = d$weeks, weeks_c = pmin(d$weeks, 3), setting = d$setting, tester = d$tester))

d <- dat.bangertdrowns2004
keep <- !is.na(d$length)
add_ds("bangertdrowns2004", "metadat::dat.bangertdrowns2004, yi/vi (SMD) as given, the 2 rows with missing length dropped",
       paste(d$author, d$year)[keep], d$yi[keep], d$vi[keep],
       list(grade = d$grade[keep], length = d$length[keep]))

add_ds("bangertdrowns2004_na", paste("metadat::dat.bangertdrowns2004, all 48 rows; missing length (2 rows)",
                                     "and feedback (1 row) written as NA: left out of the meta-regression",
                                     "(metafor: rows with NAs omitted) and of the subgroups respectively"),
       paste(d$author, d$year), d$yi, d$vi,
       list(length = d$length, feedback = d$feedback))

d <- escalc(measure = "ZCOR", ri = ri, ni = ni, data = dat.molloy2014)
add_ds("molloy2014", "metadat::dat.molloy2014, escalc(measure='ZCOR', ri=ri, ni=ni)",
       paste(d$authors, d$year), d$yi, d$vi,
       list(meanage = d$meanage, controls = d$controls, design = d$design))

d <- dat.hackshaw1998
add_ds("hackshaw1998", paste("metadat::dat.hackshaw1998, yi/vi (log OR) as given; by country has four",
                             "single-study subgroups (Germany, Russia, Sweden, UK)"),
       paste(d$author, d$year), d$yi, d$vi,
       list(year = d$year, country = d$country, design = d$design))

d <- escalc(measure = "OR", ai = ai, n1i = n1i, ci = ci, n2i = n2i, data = dat.li2007)
keep <- !is.na(d$yi) & !is.na(d$vi)
add_ds("li2007", "metadat::dat.li2007, escalc(measure='OR'), rows with missing values dropped",
       paste(d$study, d$year)[keep], d$yi[keep], d$vi[keep],
       list(year = d$year[keep]))

add_ds("constructed_arm3", paste("constructed: a text moderator with three levels (drug, placebo,",
                                 "'usual care' with a space) and a numeric dose"),
       paste("Trial", 1:12),
       c(0.42, 0.61, 0.18, 0.55, 0.05, -0.12, 0.20, 0.01, 0.31, 0.12, 0.47, 0.24),
       c(0.031, 0.052, 0.024, 0.090, 0.040, 0.028, 0.061, 0.035, 0.045, 0.020, 0.072, 0.050),
       list(arm = c("drug", "drug", "drug", "drug", "placebo", "placebo", "placebo", "placebo",
                    "usual care", "usual care", "usual care", "usual care"),
            dose = c(1.5, 2.25, 0.5, 3, 0, 0.25, 1, 0, 1.75, 0.5, 2.5, 1.25)))

## Configurations: dataset, by (or NA), mods (or character(0)), level.
configs <- list(
  list(ds = "bcg",                  by = "alloc",    mods = "ablat",                   level = 0.95),
  list(ds = "bcg",                  by = NA,         mods = c("ablat", "alloc"),       level = 0.95),
  list(ds = "bcg",                  by = NA,         mods = "year",                    level = 0.95),
  list(ds = "bcg",                  by = "alloc",    mods = c("ablat", "alloc"),       level = 0.90),
  list(ds = "raudenbush1985",       by = "setting",  mods = "weeks_c",                 level = 0.95),
  list(ds = "raudenbush1985",       by = "tester",   mods = c("weeks", "setting"),     level = 0.95),
  list(ds = "bangertdrowns2004",    by = "grade",    mods = "length",                  level = 0.95),
  list(ds = "bangertdrowns2004",    by = NA,         mods = c("grade", "length"),      level = 0.95),
  list(ds = "bangertdrowns2004_na", by = "feedback", mods = "length",                  level = 0.95),
  list(ds = "molloy2014",           by = "design",   mods = c("meanage", "controls"),  level = 0.95),
  list(ds = "hackshaw1998",         by = "country",  mods = "design",                  level = 0.95),
  list(ds = "hackshaw1998",         by = "design",   mods = "year",                    level = 0.95),
  list(ds = "li2007",               by = NA,         mods = "year",                    level = 0.95),
  list(ds = "constructed_arm3",     by = "arm",      mods = "arm",                     level = 0.95),
  list(ds = "constructed_arm3",     by = NA,         mods = c("arm", "dose"),          level = 0.95)
)

## ---------------------------------------------------------------------------
## CSV text and the values metapool reads from it.

## The CSV text (study, yi, the precision, the moderator columns) with the values metapool reads
## from it in a data frame, and the cell text of each moderator column as written (group names
## are the cells as metapool reads them).
moderator_input <- function(ds, form, col_names) {
  col_txt <- list()
  col_val <- list()
  for (cn in col_names) {
    x <- ds$cols[[cn]]
    if (is.numeric(x)) {
      txt <- num(x)
      col_txt[[cn]] <- txt
      col_val[[cn]] <- suppressWarnings(as.numeric(txt))   # "NA" -> NA
    } else {
      txt <- ifelse(is.na(x), "NA", csv_field(x))
      col_txt[[cn]] <- txt
      col_val[[cn]] <- factor(x, levels = sort_bytes(x[!is.na(x)]))
    }
  }
  inp <- make_input(ds$study, ds$yi, ds$vi, form, extra = col_txt)
  df <- data.frame(yi = inp$yi, vi = inp$vi, stringsAsFactors = FALSE)
  for (cn in col_names) df[[cn]] <- col_val[[cn]]
  list(csv = inp$csv, df = df, text = col_txt)
}

## ---------------------------------------------------------------------------
## Fitting with the expected warnings muffled and any other warning printed.

expected_warning <- function(msg) {
  grepl("Knapp (and|&) Hartung method is not meant", msg) ||
    grepl("(Rows|Studies) with NAs omitted", msg) ||
    grepl("Setting argument test=\"z\" since k=1", msg)
}

## `fit` is a function of no arguments that calls rma() (a closure, so that rma()'s
## non-standard evaluation sees the variables directly).
quiet_rma <- function(label, fit) {
  tryCatch(
    withCallingHandlers(
      fit(),
      warning = function(w) {
        if (!expected_warning(conditionMessage(w)))
          cat(sprintf("%s: rma warning: %s\n", label, conditionMessage(w)))
        invokeRestart("muffleWarning")
      }),
    error = function(e) e)
}

## The fields of metapool's `overall` (and of each subgroup) for an intercept-only fit.
## Returns list(expected, notes) or an error condition.
overall_fields <- function(label, yi, vi, method, ci_name, level) {
  test <- ci_types[[ci_name]]
  res <- quiet_rma(label, function()
    rma(yi = yi, vi = vi, method = method, test = test, level = 100 * level, control = rma_control))
  if (inherits(res, "error")) return(res)
  k <- res$k
  random <- method != "FE"
  notes <- character(0)
  if (random && res$tau2 > 0 && res$tau2 < 1e-9)
    notes <- c(notes, sprintf("%s: tau2 = %.3g is a boundary estimate that metafor's iteration left slightly above 0",
                              label, res$tau2))
  hc <- NULL
  if (random && k >= 2) {
    hc <- heterogeneity_ci(res, level, label)
    if (!is.null(hc$widened_from))
      notes <- c(notes, sprintf(paste(
        "%s: with its default search limit tau2.max = %.17g confint() prints '>%.4g' for the",
        "upper bound; the expected values come from a wider tau2.max"),
        label, hc$widened_from, hc$widened_from))
  }
  e <- overall_expected(res, method, level, hc)
  if (k == 1) {
    ## metapool's rule for a single study (see the header of this script).
    notes <- c(notes, sprintf(paste(
      "%s: k = 1; metafor reports I2 = %s, H2 = %s, QEp = %s; metapool leaves I2, H2 and Q_p",
      "empty%s"), label, format(res$I2), format(res$H2), format(res$QEp),
      if (test == "knha") "; metafor falls back from knha to z (ci = 'z', df null)" else ""))
    e["I2"] <- list(NULL)
    e["H2"] <- list(NULL)
    e["Q_p"] <- list(NULL)
  }
  list(expected = e, notes = notes)
}

regression_fields <- function(label, df, mods, method, ci_name, level) {
  test <- ci_types[[ci_name]]
  f <- as.formula(paste("~", paste(mods, collapse = " + ")))
  res <- quiet_rma(label, function()
    rma(yi = yi, vi = vi, mods = f, data = df, method = method, test = test, level = 100 * level,
        control = rma_control))
  if (inherits(res, "error")) return(res)
  notes <- character(0)
  if (method != "FE") {
    if (res$tau2 > 0 && res$tau2 < 1e-9)
      notes <- c(notes, sprintf("%s: residual tau2 = %.3g is a boundary estimate metafor left slightly above 0",
                                label, res$tau2))
    ## metafor's R2 refits the model without moderators on the same rows (rma.uni, r2def "1").
    used <- complete.cases(df[, mods, drop = FALSE])
    re <- quiet_rma(paste(label, "(no mods)"), function()
      rma(yi = df$yi[used], vi = df$vi[used], method = method, control = rma_control))
    if (!inherits(re, "error") && re$tau2 > 0 && re$tau2 < 1e-9)
      notes <- c(notes, sprintf(paste("%s: tau2 without moderators = %.3g is a boundary residue, so metafor's",
                                      "R2 = 100*(tau2_RE - tau2)/tau2_RE is not 0"), label, re$tau2))
  }
  knha <- test == "knha"
  coefs <- lapply(seq_along(res$beta), function(j) list(
    name = rownames(res$beta)[j],
    estimate = res$beta[j, 1],
    se = res$se[j],
    stat = res$zval[j],
    p = res$pval[j],
    ci_lower = res$ci.lb[j],
    ci_upper = res$ci.ub[j]))
  e <- list(
    k = res$k,
    coefficients = coefs,
    QM = res$QM,
    QM_df = res$QMdf[1],
    QM_df2 = if (knha) res$QMdf[2] else NULL,
    QM_p = res$QMp,
    qm_test = if (knha) "F" else "chisq",
    QE = res$QE,
    QE_df = res$k - res$p,
    QE_p = res$QEp,
    tau2 = res$tau2,
    tau = sqrt(res$tau2),
    R2 = or_null(res$R2),
    I2 = res$I2,
    H2 = res$H2
  )
  if (is.null(e$QM_df2)) e["QM_df2"] <- list(NULL)
  if (is.null(e$R2)) e["R2"] <- list(NULL)
  list(expected = e, notes = notes)
}

## ---------------------------------------------------------------------------

fit_case <- function(cfg, ds, method, ci_name, form) {
  level <- cfg$level
  col_names <- unique(c(if (!is.na(cfg$by)) cfg$by, cfg$mods))
  col_names <- names(ds$cols)[names(ds$cols) %in% col_names]   # dataset order
  inp <- moderator_input(ds, form, col_names)
  name <- paste(c(ds$name,
                  if (!is.na(cfg$by)) paste0("by-", cfg$by),
                  if (length(cfg$mods)) paste0("mods-", paste(cfg$mods, collapse = "+")),
                  method, ci_name, form), collapse = "_")
  if (level != 0.95) name <- paste0(name, "_L", round(100 * level))
  notes <- character(0)

  ov <- overall_fields(paste(name, "overall"), inp$df$yi, inp$df$vi, method, ci_name, level)
  if (inherits(ov, "error")) {
    cat(sprintf("SKIP %s: overall rma() failed: %s\n", name, conditionMessage(ov)))
    return(NULL)
  }
  notes <- c(notes, ov$notes)

  regression <- NULL
  if (length(cfg$mods)) {
    rg <- regression_fields(paste(name, "regression"), inp$df, cfg$mods, method, ci_name, level)
    if (inherits(rg, "error")) {
      cat(sprintf("SKIP %s: regression rma() failed: %s\n", name, conditionMessage(rg)))
      return(NULL)
    }
    regression <- rg$expected
    notes <- c(notes, rg$notes)
  }

  subgroups <- NULL
  subgroup_test <- NULL
  if (!is.na(cfg$by)) {
    cells <- inp$text[[cfg$by]]
    present <- cells != "NA"
    groups <- sort_bytes(cells[present])
    subgroups <- list()
    est <- se <- numeric(0)
    for (g in groups) {
      idx <- which(cells == g)
      sg <- overall_fields(paste(name, "subgroup", g), inp$df$yi[idx], inp$df$vi[idx],
                           method, ci_name, level)
      if (inherits(sg, "error")) {
        cat(sprintf("SKIP %s: subgroup %s rma() failed: %s\n", name, g, conditionMessage(sg)))
        return(NULL)
      }
      notes <- c(notes, sg$notes)
      subgroups[[length(subgroups) + 1]] <- c(list(name = g, rows = I(idx)), sg$expected)
      est <- c(est, sg$expected$estimate)
      se <- c(se, if (is.null(sg$expected$se)) NA else sg$expected$se)
    }
    if (length(groups) >= 2 && !anyNA(se)) {
      bt <- rma(est, sei = se, method = "FE")
      subgroup_test <- list(Q = bt$QE, df = length(groups) - 1, p = bt$QEp)
    }
  }

  options <- list(method = method, ci = ci_name, level = level)
  options["by"] <- list(if (is.na(cfg$by)) NULL else cfg$by)
  options$mods <- I(cfg$mods)
  expected <- list(overall = ov$expected)
  expected["regression"] <- list(regression)
  expected["subgroups"] <- list(subgroups)
  expected["subgroup_test"] <- list(subgroup_test)
  list(name = name,
       source = ds$source,
       data = inp$csv,
       options = options,
       notes = I(notes),
       expected = expected)
}

cases <- list()
for (ci_idx in seq_along(configs)) {
  cfg <- configs[[ci_idx]]
  ds <- datasets[[cfg$ds]]
  for (mi in seq_along(methods)) {
    for (ci_name in names(ci_types)) {
      form <- forms[(ci_idx + mi + (ci_name == "hksj")) %% 3 + 1]   # rotate the form
      cs <- fit_case(cfg, ds, methods[mi], ci_name, form)
      if (!is.null(cs)) cases[[length(cases) + 1]] <- cs
    }
  }
}

header <- fixture_header(
  "tests/reference/make_fixtures_moderators.R",
  rma_control = rma_control,
  confint_control = confint_control,
  notes = paste(
    "expected.overall: the intercept-only fit of all rows (fields of report.overall);",
    "expected.regression: rma(mods = ~ ...) (fields of report.regression; QM is F = QM/m under hksj,",
    "QM_df2 = k - p under hksj and null under z); expected.subgroups: one intercept-only fit per group",
    "in byte-wise sorted order of the group names (rows are data rows from 1); expected.subgroup_test:",
    "rma(estimates, sei = ses, method = 'FE') QE, df, QEp. Single-study subgroups: metafor's numbers",
    "(under knha metafor falls back to z: ci 'z', df null) except I2, H2 and Q_p, null by metapool's rule.")
)

write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases from %d configurations to %s (%.0f kB)\n",
            length(cases), length(configs), out_file, file.size(out_file) / 1024))
