## Reference fixtures for metapool's pooled-level mediation analyses: every number as R's metafor
## (and base R's random numbers, for the Monte Carlo interval) computes it.
##
## Run from the repository root:
##
##     Rscript tests/reference/make_fixtures_mediation_pooled.R
##
## Needs R (>= 4) with metafor, metadat and jsonlite. Writes
## tests/reference/fixtures_mediation_pooled.json (committed; the Rust test
## tests/mediation_pooled.rs only reads it and never needs R). Conventions as make_fixtures.R
## (helpers in common.R): data written as CSV text (17 significant digits where R makes the
## numbers), parsed back exactly as metapool reads it, tight convergence, full-precision JSON.
##
## Three kinds of case, each for the 9 methods x 2 CI types (z, knha):
##
##   paths  (mediation = "paths") the rows giving all of a, sa, b, sb;
##          a: rma(a, sa^2, method = M, test = T) + predict + confint, as `overall`;
##          b: rma(b, sb^2, ...) likewise;
##          ie: estimate = a_hat * b_hat and the Monte Carlo percentile interval of
##              a* b* with a* ~ N(a_hat, se_a^2), b* ~ N(b_hat, se_b^2) independent, 10^6 draws
##              (set.seed(20240601); quantile type 7). metapool draws its own numbers, so the test
##              compares the limits within 1% of the interval's width.
##   table  (table = columns) one rma() per combination of the columns' cells, sorted by the
##          cells (byte-wise, in column order); rows with an NA cell are left out.
##   rules  (data given by yi, lower, upper) rma() with the SE of every study by each rule:
##          width (U - L)/(2z), wider max(yi - L, U - yi)/z, zero_side the half towards 0 / z.
##
## Single-study groups of a table: metafor's numbers, except that metapool leaves I2, H2 and Q_p
## empty for k = 1 (and metafor falls back from knha to z), as in make_fixtures_moderators.R.

source(file.path("tests", "reference", "common.R"))   # methods, ci_types, rma_control, helpers

out_file <- file.path("tests", "reference", "fixtures_mediation_pooled.json")
mc_draws <- 1e6
mc_seed  <- 20240601

sort_bytes <- function(x) sort(unique(x), method = "radix")

read_example <- function(file) {
  read.csv(file.path("www", "examples", file), stringsAsFactors = FALSE, check.names = FALSE)
}

## ---------------------------------------------------------------------------
## Fitting.

quiet_rma <- function(fit) {
  withCallingHandlers(fit(), warning = function(w) {
    msg <- conditionMessage(w)
    if (!grepl("Knapp (and|&) Hartung method is not meant|Setting argument test=\"z\" since k=1", msg))
      cat("rma warning:", msg, "\n")
    invokeRestart("muffleWarning")
  })
}

## The fields of `overall` for rma(yi, vi), with metapool's nulls for k = 1.
fit_fields <- function(yi, vi, method, ci_name, level = 0.95) {
  res <- quiet_rma(function() rma(yi = yi, vi = vi, method = method, test = ci_types[[ci_name]],
                                  level = 100 * level, control = rma_control))
  hc <- if (method != "FE" && res$k >= 2) heterogeneity_ci(res, level, "fixture") else NULL
  e <- overall_expected(res, method, level, hc)
  if (res$k == 1) {
    e["I2"] <- list(NULL)
    e["H2"] <- list(NULL)
    e["Q_p"] <- list(NULL)
  }
  list(res = res, expected = e)
}

## ---------------------------------------------------------------------------
## Paths.

path_sets <- list()
ex <- read_example("mediation_paths.csv")
path_sets$example <- list(
  source = "www/examples/mediation_paths.csv (illustrative data), as typed",
  csv = paste0(paste(readLines(file.path("www", "examples", "mediation_paths.csv")), collapse = "\n"), "\n"),
  study = ex$study, a = ex$a, sa = ex$sa, b = ex$b, sb = ex$sb)

set.seed(7)
k <- 12
a  <- rnorm(k, 0.35, 0.12); sa <- runif(k, 0.05, 0.15)
b  <- rnorm(k, -0.25, 0.10); sb <- runif(k, 0.04, 0.12)
study <- paste("Trial", 1:k)
## Row 5 lacks sb, row 9 gives yi/vi only: both are left out of the pooled paths.
sb_txt <- num(sb); sb_txt[5] <- "NA"
a_txt <- num(a); sa_txt <- num(sa); b_txt <- num(b)
yi_txt <- rep("NA", k); vi_txt <- rep("NA", k)
yi_txt[5] <- num(a[5] * b[5]); vi_txt[5] <- num(0.004)
yi_txt[9] <- num(-0.08); vi_txt[9] <- num(0.0016)
a_txt[9] <- "NA"; sa_txt[9] <- "NA"; b_txt[9] <- "NA"; sb_txt[9] <- "NA"
path_sets$constructed <- list(
  source = paste("constructed: k = 12, set.seed(7); a ~ N(0.35, 0.12), b ~ N(-0.25, 0.10),",
                 "SEs uniform; row 5 without sb and row 9 with yi/vi only (left out of the paths)"),
  csv = csv_text(list(study = study, yi = yi_txt, vi = vi_txt, a = a_txt, sa = sa_txt, b = b_txt, sb = sb_txt)),
  study = study[-c(5, 9)], a = as.numeric(a_txt[-c(5, 9)]), sa = as.numeric(sa_txt[-c(5, 9)]),
  b = as.numeric(b_txt[-c(5, 9)]), sb = as.numeric(sb_txt[-c(5, 9)]), rows = setdiff(1:k, c(5, 9)))

path_sets$two <- list(
  source = "constructed: k = 2",
  csv = "study,a,sa,b,sb\nX,0.61,0.09,0.33,0.11\nY,0.18,0.12,0.52,0.08\n",
  study = c("X", "Y"), a = c(0.61, 0.18), sa = c(0.09, 0.12), b = c(0.33, 0.52), sb = c(0.11, 0.08))

mc_interval <- function(a_hat, se_a, b_hat, se_b, level = 0.95) {
  set.seed(mc_seed)
  x <- rnorm(mc_draws, a_hat, se_a) * rnorm(mc_draws, b_hat, se_b)
  alpha <- 1 - level
  unname(quantile(x, c(alpha / 2, 1 - alpha / 2), type = 7))
}

## ---------------------------------------------------------------------------
## Tables.

table_sets <- list()
ex <- read_example("mediation_ie.csv")
table_sets$example <- list(
  source = "www/examples/mediation_ie.csv (illustrative data), as typed; vi from the limits' full width",
  csv = paste0(paste(readLines(file.path("www", "examples", "mediation_ie.csv")), collapse = "\n"), "\n"),
  yi = ex$yi, vi = ((ex$upper - ex$lower) / (2 * z975))^2,
  cols = list(mediator = ex$mediator, outcome = ex$outcome), by = c("mediator", "outcome"))

d <- dat.raudenbush1985
table_sets$raudenbush1985 <- list(
  source = "metadat::dat.raudenbush1985, yi/vi as given, by setting x tester",
  csv = csv_text(list(study = csv_field(paste(d$author, d$year)), yi = num(d$yi), vi = num(d$vi),
                      setting = d$setting, tester = d$tester)),
  yi = as.numeric(num(d$yi)), vi = as.numeric(num(d$vi)),
  cols = list(setting = d$setting, tester = d$tester), by = c("setting", "tester"))

d <- dat.bangertdrowns2004
table_sets$bangertdrowns2004 <- list(
  source = paste("metadat::dat.bangertdrowns2004, yi/vi as given, by grade x feedback;",
                 "one row with feedback NA is left out"),
  csv = csv_text(list(study = csv_field(make.unique(paste(d$author, d$year), sep = " #")),
                      yi = num(d$yi), vi = num(d$vi), grade = d$grade,
                      feedback = ifelse(is.na(d$feedback), "NA", d$feedback))),
  yi = as.numeric(num(d$yi)), vi = as.numeric(num(d$vi)),
  cols = list(grade = as.character(d$grade), feedback = ifelse(is.na(d$feedback), NA, as.character(d$feedback))),
  by = c("grade", "feedback"))

table_rows <- function(ts, method, ci_name) {
  cells <- as.data.frame(ts$cols[ts$by], stringsAsFactors = FALSE)
  keep <- complete.cases(cells)
  combos <- unique(cells[keep, , drop = FALSE])
  combos <- combos[do.call(order, c(unname(as.list(combos)), method = "radix")), , drop = FALSE]
  lapply(seq_len(nrow(combos)), function(r) {
    hit <- keep & Reduce(`&`, lapply(ts$by, function(cn) cells[[cn]] == combos[[cn]][r]))
    hit[is.na(hit)] <- FALSE
    idx <- which(hit)
    f <- fit_fields(ts$yi[idx], ts$vi[idx], method, ci_name)
    c(list(groups = as.list(setNames(vapply(ts$by, function(cn) as.character(combos[[cn]][r]), ""), ts$by)),
           rows = I(idx)), f$expected)
  })
}

## ---------------------------------------------------------------------------
## Rules for asymmetric limits.

rule_se <- function(rule, yi, lower, upper, z) {
  switch(rule,
         width = (upper - lower) / (2 * z),
         wider = pmax(yi - lower, upper - yi) / z,
         zero_side = ifelse(yi < 0, (upper - yi) / z, ifelse(yi > 0, (yi - lower) / z, (upper - lower) / (2 * z))))
}

rule_rows <- function(yi, lower, upper, method, ci_name) {
  lapply(c("width", "wider", "zero_side"), function(rule) {
    se <- rule_se(rule, yi, lower, upper, z975)
    res <- quiet_rma(function() rma(yi = yi, vi = se^2, method = method, test = ci_types[[ci_name]],
                                    control = rma_control))
    list(rule = rule, estimate = c(res$b), se = res$se, ci_lower = res$ci.lb, ci_upper = res$ci.ub,
         p = res$pval, tau2 = res$tau2, I2 = res$I2)
  })
}

## ---------------------------------------------------------------------------

cases <- list()
for (m in methods) for (ci in names(ci_types)) {
  for (nm in names(path_sets)) {
    ps <- path_sets[[nm]]
    fa <- fit_fields(ps$a, ps$sa^2, m, ci)
    fb <- fit_fields(ps$b, ps$sb^2, m, ci)
    mc <- mc_interval(c(fa$res$b), fa$res$se, c(fb$res$b), fb$res$se)
    cases[[length(cases) + 1]] <- list(
      name = paste("paths", nm, m, ci, sep = "_"), source = ps$source, data = ps$csv,
      options = list(method = m, ci = ci, level = 0.95, mediation = "paths"),
      expected = list(paths = list(
        rows = I(if (is.null(ps$rows)) seq_along(ps$a) else ps$rows),
        a = fa$expected, b = fb$expected,
        ie = list(estimate = c(fa$res$b) * c(fb$res$b), ci_lower = mc[1], ci_upper = mc[2],
                  draws = mc_draws, seed = mc_seed))))
  }
  for (nm in names(table_sets)) {
    ts <- table_sets[[nm]]
    cases[[length(cases) + 1]] <- list(
      name = paste("table", nm, m, ci, sep = "_"), source = ts$source, data = ts$csv,
      options = list(method = m, ci = ci, level = 0.95, table = I(ts$by)),
      expected = list(table = table_rows(ts, m, ci)))
  }
  ex <- read_example("mediation_ie.csv")
  cases[[length(cases) + 1]] <- list(
    name = paste("rules_example", m, ci, sep = "_"),
    source = "www/examples/mediation_ie.csv (illustrative data), as typed",
    data = table_sets$example$csv,
    options = list(method = m, ci = ci, level = 0.95),
    expected = list(ci_rule_sensitivity = rule_rows(ex$yi, ex$lower, ex$upper, m, ci)))
}

header <- fixture_header(
  "tests/reference/make_fixtures_mediation_pooled.R",
  rma_control = rma_control,
  confint_control = confint_control,
  mc_draws = mc_draws,
  mc_seed = mc_seed,
  notes = paste(
    "expected.paths: a and b as report.paths.a/b (fields of overall) and ie with R's Monte Carlo",
    "interval from 10^6 draws (compare within 1% of its width); expected.table: report.table rows",
    "(groups, rows, fields of overall); expected.ci_rule_sensitivity: report.ci_rule_sensitivity."))

write_fixtures(header, cases, out_file)
cat(sprintf("wrote %d cases to %s (%.0f kB)\n", length(cases), out_file, file.size(out_file) / 1024))
