//! The analysis as an R script that uses metafor: the data inline, the same model, and the same
//! numbers printed — by metafor as usual and as machine-readable lines.
//!
//! # The script
//! - `dat`: one row per study used, with its label, yᵢ and vᵢ exactly as metapool read them
//!   (written with enough digits to read back as the same doubles), the subgroup column
//!   (`.by`) and the moderator columns. Text moderators are factors whose levels are in
//!   metapool's order (sorted, the first the reference), so the coefficients are the same.
//! - `res <- rma(yi, vi, data = dat, method, test, level, control)`: `FE`/`DL`/`REML`/… as the
//!   analysis, `test = "knha"` for `hksj`, and a tight convergence control so that the
//!   iterative estimators agree with metapool far beyond 10⁻⁶; `predict(res)` and
//!   `confint(res)` (Q-profile, tight tolerance, the search widened until the root is inside).
//! - With `by`: one `rma()` per subgroup (on its rows of `dat`), and the test for subgroup differences as a
//!   common-effect `rma()` on the subgroup estimates and SEs.
//! - With `mods`: `rma(yi, vi, mods = ~ …)`.
//! - Every number is also printed as `METAPOOL<TAB>key<TAB>value` (17 significant digits, `NA`
//!   where metafor gives none), `key` being its path in metapool's JSON report
//!   (`overall.estimate`, `subgroups.0.tau2`, `subgroup_test.Q`,
//!   `regression.coefficients.1.ci_lower`, …), so a program can compare the two.
//!
//! Leave-one-out, cumulative, small-study and mediation analyses are not written out; the
//! script says so when the analysis has them.

use crate::error::Error;
use crate::input::{parse_number, read_studies, NumberCell};
use crate::model::CiType;
use crate::studies::{Source, Studies};
use crate::{Document, Options};
use std::fmt::Write;

/// The R script for a document (see the module docs).
///
/// # Errors
/// Whatever [`crate::analyze`] reports for the document: the script is written only for an
/// analysis that runs.
pub fn script(doc: &Document) -> Result<String, Error> {
    // The same checks as the analysis itself (the parts the script does not write are left out).
    let core = Document {
        data: doc.data.clone(),
        options: Options {
            leave1out: None,
            bias: None,
            cumulative: None,
            cumulative_by: None,
            rounding: None,
            reported: None,
            reproduce: None,
            table: None,
            mediation: None,
            mc_draws: Some(0),
            ..doc.options.clone()
        },
    };
    let report = crate::analyze(&core)?;
    let settings = doc.options.validate()?;
    let studies = read_studies(&doc.data, &settings.read)?.studies;
    let m = settings.model;
    let method = m.method.code();
    let test = match m.ci {
        CiType::Z => "z",
        CiType::Hksj => "knha",
    };
    // metafor reads a level above 0.5 as a confidence level and one at or below 0.5 as α, so
    // small levels are given in percent.
    let level = if m.level > 0.5 { r_number(m.level) } else { format!("100 * {}", r_number(m.level)) };
    let fit_args = format!("method = \"{method}\", test = \"{test}\", level = {level}, control = ctrl");

    let mut s = String::new();
    let _ = writeln!(s, "# metapool's analysis as an R script using metafor ({}).", env!("CARGO_PKG_VERSION"));
    let _ = writeln!(s, "# Run it with Rscript; it needs the metafor package (install.packages(\"metafor\")).");
    let _ = writeln!(
        s,
        "# Model: method = \"{method}\" ({}), CI: {} (test = \"{test}\"), level = {}.",
        ascii(m.method.name()),
        ascii(m.ci.name()),
        m.level
    );
    for line in sources(&studies, &settings) {
        let _ = writeln!(s, "# {}", ascii(&line));
    }
    let skipped: Vec<&str> = [
        ("leave-one-out", settings.leave1out),
        ("small-study effects", settings.bias),
        ("cumulative meta-analysis", settings.cumulative.is_some()),
        ("rounding ranges", settings.rounding.is_some()),
        ("summary table", !settings.table.is_empty()),
        ("pooled paths", settings.mediation == crate::mediation::pooled::Mediation::Paths),
    ]
    .into_iter()
    .filter(|(_, on)| *on)
    .map(|(name, _)| name)
    .collect();
    if !skipped.is_empty() {
        let _ = writeln!(s, "# Not written out here: {} (see metapool's report).", skipped.join(", "));
    }
    let _ = writeln!(s);
    let _ = writeln!(s, "suppressPackageStartupMessages(library(metafor))");
    let _ = writeln!(s);

    // The data.
    let k = studies.k();
    let _ = writeln!(s, "dat <- data.frame(");
    let _ = writeln!(s, "  study = {},", r_vector(studies.labels().iter().map(|l| r_string(l))));
    let _ = writeln!(s, "  yi = {},", r_vector(studies.yi().iter().map(|x| r_number(*x))));
    let _ = write!(s, "  vi = {}", r_vector(studies.vi().iter().map(|x| r_number(*x))));
    if let Some(by) = &settings.by {
        let col = column(&studies, by);
        let cells = (0..k).map(|i| match col {
            Some(c) if parse_number(&c.cells[i], true) != NumberCell::Empty => r_string(&c.cells[i]),
            _ => "NA".to_string(),
        });
        let _ = write!(s, ",\n  .by = {}", r_vector(cells));
    }
    let mut formula = Vec::new();
    for name in &settings.mods {
        let Some(col) = column(&studies, name) else { continue };
        let numbers: Vec<NumberCell> = col.cells.iter().map(|c| parse_number(c, true)).collect();
        let used = |i: usize| numbers[i] != NumberCell::Empty;
        let numeric = (0..k).filter(|&i| used(i)).all(|i| matches!(numbers[i], NumberCell::Number(_)));
        let r_name = r_name(&col.name);
        let values = if numeric {
            r_vector(numbers.iter().map(|n| match n {
                NumberCell::Number(x) => r_number(*x),
                _ => "NA".into(),
            }))
        } else {
            let mut levels: Vec<&str> = (0..k).filter(|&i| used(i)).map(|i| col.cells[i].as_str()).collect();
            levels.sort_unstable();
            levels.dedup();
            let cells = (0..k).map(|i| if used(i) { r_string(&col.cells[i]) } else { "NA".into() });
            format!("factor({}, levels = {})", r_vector(cells), r_vector(levels.iter().map(|l| r_string(l))))
        };
        let _ = write!(s, ",\n  {r_name} = {values}");
        formula.push(r_name);
    }
    let _ = writeln!(s, ",\n  check.names = FALSE, stringsAsFactors = FALSE\n)");
    let _ = writeln!(s);
    let _ = writeln!(s, "{}", HELPERS.trim_start());

    // The overall fit.
    let _ = writeln!(s, "res <- rma(yi, vi, data = dat, slab = study, {fit_args})");
    let _ = writeln!(s, "print(res)");
    let _ = writeln!(s, "if (res$method != \"FE\") print(predict(res))");
    let _ = writeln!(s, "cf <- qprofile(res)");
    let _ = writeln!(s, "if (!is.null(cf)) print(cf)");
    let _ = writeln!(s, "fit_out(\"overall\", res, cf)");

    if let (Some(groups), Some(_)) = (&report.subgroups, &settings.by) {
        let names = r_vector(groups.iter().map(|g| r_string(&g.name)));
        let _ = writeln!(s);
        let _ = writeln!(s, "# Subgroups: each fitted on its own (its own tau^2).");
        let _ = writeln!(s, "groups <- {names}");
        let _ = writeln!(
            s,
            "sub <- lapply(groups, function(g) rma(yi, vi, data = dat[which(dat$.by == g), ], slab = study, {fit_args}))"
        );
        let _ = writeln!(s, "for (i in seq_along(sub)) {{");
        let _ = writeln!(s, "  cat(\"\\nSubgroup\", groups[i], \"\\n\")");
        let _ = writeln!(s, "  print(sub[[i]])");
        let _ = writeln!(s, "  cf_i <- qprofile(sub[[i]])");
        let _ = writeln!(s, "  fit_out(paste0(\"subgroups.\", i - 1), sub[[i]], cf_i)");
        let _ = writeln!(s, "}}");
        let _ = writeln!(s, "if (length(sub) >= 2) {{");
        let _ = writeln!(s, "  # Test for subgroup differences: a common-effect model of the subgroup estimates.");
        let _ = writeln!(
            s,
            "  between <- rma(sapply(sub, function(r) r$beta[1]), sei = sapply(sub, function(r) r$se[1]), method = \"FE\")"
        );
        let _ = writeln!(
            s,
            "  cat(sprintf(\"\\nTest for subgroup differences: Q(%d) = %.4f, p = %.4g\\n\", between$k - 1, between$QE, between$QEp))"
        );
        let _ = writeln!(s, "  out(\"subgroup_test.Q\", between$QE)");
        let _ = writeln!(s, "  out(\"subgroup_test.p\", between$QEp)");
        let _ = writeln!(s, "}}");
    }

    if report.regression.is_some() && !formula.is_empty() {
        let _ = writeln!(s);
        let _ = writeln!(s, "# Meta-regression (rows with an empty moderator are left out).");
        let _ = writeln!(
            s,
            "reg <- rma(yi, vi, mods = ~ {}, data = dat, slab = study, {fit_args})",
            formula.join(" + ")
        );
        let _ = writeln!(s, "print(reg)");
        let _ = writeln!(s, "for (j in seq_along(reg$beta)) {{");
        let _ = writeln!(s, "  key <- paste0(\"regression.coefficients.\", j - 1)");
        let _ = writeln!(s, "  out(paste0(key, \".estimate\"), reg$beta[j])");
        let _ = writeln!(s, "  out(paste0(key, \".se\"), reg$se[j])");
        let _ = writeln!(s, "  out(paste0(key, \".stat\"), reg$zval[j])");
        let _ = writeln!(s, "  out(paste0(key, \".p\"), reg$pval[j])");
        let _ = writeln!(s, "  out(paste0(key, \".ci_lower\"), reg$ci.lb[j])");
        let _ = writeln!(s, "  out(paste0(key, \".ci_upper\"), reg$ci.ub[j])");
        let _ = writeln!(s, "}}");
        for (key, value) in [
            ("QM", "reg$QM"),
            ("QM_p", "reg$QMp"),
            ("QE", "reg$QE"),
            ("QE_p", "reg$QEp"),
            ("tau2", "reg$tau2"),
            ("R2", "reg$R2"),
            ("I2", "reg$I2"),
            ("H2", "reg$H2"),
        ] {
            let _ = writeln!(s, "out(\"regression.{key}\", {value})");
        }
    }
    Ok(s)
}

/// R helpers the script defines: tight control, the Q-profile CI and the machine-readable lines.
const HELPERS: &str = r#"
# Tight convergence, so that the iterative tau^2 estimators agree with metapool beyond 1e-6.
ctrl <- list(threshold = 1e-12, maxiter = 5000, stepadj = 0.5, tol = 1e-12)

# Q-profile CI of tau^2, I^2 and H^2 (confint() at a tight tolerance; its search limit is widened
# until the upper root lies inside it, as metapool finds the root itself). NULL without one.
qprofile <- function(r) {
  if (r$method == "FE" || r$k < 2) return(NULL)
  limit <- max(100, 10 * r$tau2)
  for (i in 1:30) {
    cf <- tryCatch(suppressMessages(suppressWarnings(confint(r, control = list(tol = 1e-12, tau2.max = limit)))),
                   error = function(e) NULL)
    if (is.null(cf)) return(NULL)
    if (is.na(cf$random["tau^2", "ci.ub"]) || cf$random["tau^2", "ci.ub"] < limit * (1 - 1e-6)) return(cf)
    limit <- limit * 10
  }
  cf
}

# One machine-readable line: METAPOOL <tab> path in metapool's JSON report <tab> value.
out <- function(key, value) {
  v <- if (is.null(value) || length(value) != 1 || is.na(value)) "NA" else sprintf("%.17g", value)
  cat("METAPOOL\t", key, "\t", v, "\n", sep = "")
}

# The numbers of one fit, under the names of metapool's report.
fit_out <- function(prefix, r, cf) {
  key <- function(name) paste0(prefix, ".", name)
  out(key("estimate"), r$beta[1])
  out(key("se"), r$se[1])
  out(key("ci_lower"), r$ci.lb[1])
  out(key("ci_upper"), r$ci.ub[1])
  out(key("stat"), r$zval[1])
  out(key("p"), r$pval[1])
  out(key("tau2"), r$tau2)
  out(key("Q"), r$QE)
  if (r$k > 1) {
    out(key("Q_p"), r$QEp)
    out(key("I2"), r$I2)
    out(key("H2"), r$H2)
  }
  if (r$method != "FE") {
    p <- predict(r)
    out(key("pi_lower"), p$pi.lb)
    out(key("pi_upper"), p$pi.ub)
  }
  if (!is.null(cf)) {
    out(key("tau2_ci_lower"), cf$random["tau^2", "ci.lb"])
    out(key("tau2_ci_upper"), cf$random["tau^2", "ci.ub"])
    out(key("I2_ci_lower"), cf$random["I^2(%)", "ci.lb"])
    out(key("I2_ci_upper"), cf$random["I^2(%)", "ci.ub"])
    out(key("H2_ci_lower"), cf$random["H^2", "ci.lb"])
    out(key("H2_ci_upper"), cf$random["H^2", "ci.ub"])
  }
}
"#;

/// Comment lines saying how each study's yᵢ and vᵢ were obtained.
fn sources(studies: &Studies, settings: &crate::Validated) -> Vec<String> {
    let mut lines =
        vec!["yi and vi are the effects and sampling variances as metapool read them from your data:".to_string()];
    let Some(given) = studies.given() else { return lines };
    let count = |s: Source| given.iter().filter(|g| g.source == s).count();
    let n = |c: usize| if c == 1 { "1 study".to_string() } else { format!("{c} studies") };
    let (v, se, lim, paths) = (count(Source::Variance), count(Source::StdError), count(Source::Limits), count(Source::Paths));
    if v > 0 {
        lines.push(format!("  {}: yi and vi as given", n(v)));
    }
    if se > 0 {
        lines.push(format!("  {}: vi = sei^2", n(se)));
    }
    if lim > 0 {
        lines.push(format!(
            "  {}: vi = SE^2 with the SE from {}-level limits by the rule '{}' ({})",
            n(lim),
            settings.read.ci_level_in,
            settings.read.ci_se_rule.code(),
            settings.read.ci_se_rule.describe()
        ));
    }
    if paths > 0 {
        lines.push(format!(
            "  {}: yi = a*b with vi by {} ({})",
            n(paths),
            settings.read.ie_se.code(),
            settings.read.ie_se.name()
        ));
    }
    lines
}

fn column<'a>(studies: &'a Studies, name: &str) -> Option<&'a crate::studies::ExtraColumn> {
    studies
        .extra()
        .iter()
        .find(|c| c.name == name || c.name.eq_ignore_ascii_case(name))
}

/// A double as R reads it back exactly: the shortest round-trip form, in exponent form for very
/// small or large numbers.
fn r_number(x: f64) -> String {
    if !x.is_finite() {
        return "NA".into();
    }
    let a = x.abs();
    if a == 0.0 || (1e-4..1e15).contains(&a) {
        format!("{x}")
    } else {
        format!("{x:e}")
    }
}

/// An R string literal: double quotes, with backslashes, quotes, control and non-ASCII
/// characters escaped (so the script is plain ASCII and reads the same in every locale).
fn r_string(text: &str) -> String {
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if c.is_ascii() => out.push(c),
            c => {
                let _ = write!(out, "\\U{{{:x}}}", c as u32);
            }
        }
    }
    out.push('"');
    out
}

/// A column name for a data frame and a formula: as it is when R reads it as a name, else in
/// backticks (with `\` and `` ` `` escaped, and non-ASCII characters as `\U{…}`).
fn r_name(name: &str) -> String {
    const RESERVED: [&str; 20] = [
        "if", "else", "repeat", "while", "function", "for", "next", "break", "TRUE", "FALSE", "NULL", "Inf",
        "NaN", "NA", "in", "study", "yi", "vi", "dat", ".by",
    ];
    let syntactic = name.chars().next().is_some_and(|c| c.is_ascii_alphabetic() || c == '.')
        && !name.starts_with(".0")
        && !name.chars().nth(1).is_some_and(|c| name.starts_with('.') && c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_')
        && !RESERVED.contains(&name);
    if syntactic {
        return name.to_string();
    }
    // A moderator that shares a name with a column the script defines gets a prefix.
    let name = if ["study", "yi", "vi", "dat", ".by"].contains(&name) { format!("mod_{name}") } else { name.to_string() };
    let mut out = String::from("`");
    for c in name.chars() {
        match c {
            '`' => out.push_str("\\`"),
            '\\' => out.push_str("\\\\"),
            c if c.is_ascii() && !c.is_ascii_control() => out.push(c),
            c => {
                let _ = write!(out, "\\U{{{:x}}}", c as u32);
            }
        }
    }
    out.push('`');
    out
}

/// Text for a comment in plain ASCII (dashes as `-`, other characters as `?`).
fn ascii(text: &str) -> String {
    text.chars()
        .map(|c| match c {
            c if c.is_ascii() => c,
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            _ => '?',
        })
        .collect()
}

/// `c(a, b, …)`.
fn r_vector(items: impl Iterator<Item = String>) -> String {
    let items: Vec<String> = items.collect();
    format!("c({})", items.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_back_exactly() {
        for x in [0.1, -1.5854, 1e-300, 123456789.123, 2.5e15, -0.0, 1.0 / 3.0] {
            let text = r_number(x);
            assert_eq!(text.parse::<f64>().unwrap(), x, "{text}");
        }
    }

    #[test]
    fn strings_and_names_are_escaped() {
        assert_eq!(r_string("Smith \"A\" 2001\\b"), "\"Smith \\\"A\\\" 2001\\\\b\"");
        assert_eq!(r_string("Müller"), "\"M\\U{fc}ller\"");
        assert_eq!(r_name("ablat"), "ablat");
        assert_eq!(r_name("ab lat"), "`ab lat`");
        assert_eq!(r_name("2nd"), "`2nd`");
        assert_eq!(r_name("if"), "`if`");
        assert_eq!(r_name("yi"), "`mod_yi`");
    }
}
