## Helpers shared by the fixture generators in this folder (make_fixtures.R,
## make_fixtures_moderators.R, make_fixtures_bias.R, make_fixtures_influence.R). Each of them
## sources this file; run them from the repository root, e.g.
##
##     Rscript tests/reference/make_fixtures.R
##
## Conventions: the data are written into each case as CSV text with numbers at 17 significant
## digits, the text is parsed back exactly as metapool reads it and metafor is fitted to those
## values; metafor runs with tight convergence; the JSON keeps every digit.

suppressPackageStartupMessages({
  library(metafor)
  library(metadat)
  library(jsonlite)
})

methods  <- c("FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB")
ci_types <- c(z = "z", hksj = "knha")   # metapool's name -> metafor's test=

## Tight convergence so metafor's iterative estimates are accurate far beyond 1e-6.
## threshold: Fisher scoring (ML, REML, EB); tol: uniroot() for PM (and the
## ll0 check for ML/REML); stepadj: half steps for stable Fisher scoring.
rma_control     <- list(threshold = 1e-12, maxiter = 5000, stepadj = 0.5, tol = 1e-12)
confint_control <- list(tol = 1e-12)

z975 <- qnorm(0.975)

## A number as CSV text: 17 significant digits, which read back as the same double (NA -> "NA").
num <- function(x) sprintf("%.17g", x)

## A CSV cell: quoted when it holds a quote, comma or line break, or starts or ends with space.
csv_field <- function(s) {
  s <- as.character(s)
  need <- grepl("[\",\r\n]", s) | grepl("^\\s|\\s$", s)
  s[need] <- paste0("\"", gsub("\"", "\"\"", s[need]), "\"")
  s
}

## CSV text from a named list of columns of cell text (the names are the header).
csv_text <- function(cols) {
  header <- paste(names(cols), collapse = ",")
  body   <- do.call(paste, c(unname(cols), sep = ","))
  paste0(paste(c(header, body), collapse = "\n"), "\n")
}

## The CSV text of the data with the precision in one form (`vi`, `sei` or `lower`/`upper`) and
## any further columns (`extra`: a named list of cell text), with the values metapool reads from
## it: yi, vi and se (from limits SE = (upper - lower) / (2 * qnorm(0.975)), vi = SE^2).
make_input <- function(study, yi, vi, form, extra = list()) {
  yi_txt <- num(yi)
  if (form == "vi") {
    prec  <- list(vi = num(vi))
    vi_in <- as.numeric(prec$vi)
    se_in <- sqrt(vi_in)
  } else if (form == "sei") {
    prec  <- list(sei = num(sqrt(vi)))
    se_in <- as.numeric(prec$sei)
    vi_in <- se_in^2
  } else if (form == "ci") {
    prec  <- list(lower = num(yi - z975 * sqrt(vi)), upper = num(yi + z975 * sqrt(vi)))
    se_in <- (as.numeric(prec$upper) - as.numeric(prec$lower)) / (2 * z975)
    vi_in <- se_in^2
  } else {
    stop("unknown form ", form)
  }
  cols <- c(list(study = csv_field(study), yi = yi_txt), prec, extra)
  list(csv = csv_text(cols), yi = as.numeric(yi_txt), vi = vi_in, se = se_in)
}

or_null <- function(x) if (is.null(x) || length(x) == 0 || is.na(x)) NULL else unname(x)

## confint()'s Q-profile intervals of tau^2, I^2 and H^2 (tight tolerance), or NULL, with a
## message, when confint() gives none. confint() stops at its search limit
## tau2.max = max(100, 10 * tau2) and prints '>tau2.max' for the upper bound; metapool finds the
## real Q-profile root, so the search is widened until the root lies inside it, and
## `widened_from` holds the default limit (NULL when it sufficed).
heterogeneity_ci <- function(res, level, label) {
  cf <- tryCatch(suppressMessages(confint(res, level = level, control = confint_control)),
                 error = function(e) e, warning = function(w) w)
  if (inherits(cf, "condition")) {
    cat(sprintf("%s: confint() gave no interval: %s\n", label, conditionMessage(cf)))
    return(NULL)
  }
  tau2_max <- max(100, res$tau2 * 10)   # confint()'s default search limit
  widened_from <- NULL
  if (isTRUE(cf$random["tau^2", "ci.ub"] >= tau2_max)) {
    widened_from <- tau2_max
    wide <- tau2_max
    while (isTRUE(cf$random["tau^2", "ci.ub"] >= wide)) {
      wide <- wide * 100
      cf <- suppressMessages(confint(res, level = level,
                                     control = c(confint_control, list(tau2.max = wide))))
    }
  }
  r <- cf$random
  list(tau2_lb = r["tau^2", "ci.lb"], tau2_ub = r["tau^2", "ci.ub"],
       i2_lb = r["I^2(%)", "ci.lb"], i2_ub = r["I^2(%)", "ci.ub"],
       h2_lb = r["H^2", "ci.lb"], h2_ub = r["H^2", "ci.ub"],
       widened_from = widened_from)
}

## The fields of metapool's `overall` (and of each subgroup) for the intercept-only fit `res`:
## predict() gives the prediction interval, `hc` (from heterogeneity_ci(), NULL for none) the
## intervals of tau^2, I^2 and H^2. `ci` and `df` follow the test metafor actually used (with
## k = 1 it falls back from knha to z).
overall_expected <- function(res, method, level, hc) {
  k <- res$k
  pi_lb <- pi_ub <- NULL
  if (method != "FE") {
    pr <- predict(res, level = level)
    pi_lb <- pr$pi.lb
    pi_ub <- pr$pi.ub
  }
  list(
    k = k,
    estimate = c(res$b),
    se = res$se,
    ci_lower = res$ci.lb,
    ci_upper = res$ci.ub,
    stat = res$zval,
    df = if (res$test == "knha") k - 1 else NULL,
    p = res$pval,
    pi_lower = or_null(pi_lb),
    pi_upper = or_null(pi_ub),
    tau2 = res$tau2,
    tau = sqrt(res$tau2),
    tau2_ci_lower = or_null(hc$tau2_lb),
    tau2_ci_upper = or_null(hc$tau2_ub),
    I2 = res$I2,
    I2_ci_lower = or_null(hc$i2_lb),
    I2_ci_upper = or_null(hc$i2_ub),
    H2 = res$H2,
    H2_ci_lower = or_null(hc$h2_lb),
    H2_ci_upper = or_null(hc$h2_ub),
    Q = res$QE,
    Q_df = k - 1,
    Q_p = res$QEp,
    method = method,
    ci = names(ci_types)[ci_types == res$test]
  )
}

## The header of a fixture file: the generator, the versions of R, metafor and metadat, then the
## fields given in `...` (the control settings used, notes).
fixture_header <- function(generator, ...) {
  list(generator = generator,
       r_version = R.version.string,
       metafor_version = as.character(packageVersion("metafor")),
       metadat_version = as.character(packageVersion("metadat")),
       ...)
}

to_json <- function(x) toJSON(x, digits = NA, auto_unbox = TRUE, null = "null", na = "null")

## Writes the header fields and the cases to `out_file`, one case per line, so that a
## regenerated file gives a readable diff.
write_fixtures <- function(header, cases, out_file) {
  header_json <- sub("\\}$", "", to_json(header))
  case_json   <- vapply(cases, function(cs) as.character(to_json(cs)), character(1))
  json <- paste0(header_json, ",\"cases\":[\n", paste(case_json, collapse = ",\n"), "\n]}\n")
  writeLines(json, out_file, sep = "", useBytes = TRUE)
}
