//! Shared helpers for the tests that compare metapool with R's metafor and with published numbers.
//!
//! Each test crate uses only part of this module.
#![allow(dead_code)]

pub mod plots;

use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// Relative tolerance for agreement with metafor (the project's promise: 1e-6 relative).
pub const REL: f64 = 1e-6;

/// Absolute floor under [`REL`]. A purely relative test cannot be used near zero: metafor's
/// iterative τ² estimators stop slightly off the boundary (τ² ≈ 1e-13 where the exact answer is 0,
/// and then I² ≈ 1e-10 %, H² = 1 + 1e-12), confint() returns bounds of 0 computed by root finding
/// with an absolute tolerance, and p-values far in the tail (down to 1e-300 and below) are
/// meaningful only on an absolute scale. 1e-9 is far below any digit a report shows.
pub const ABS: f64 = 1e-9;

/// |ours − theirs| ≤ max(ABS, REL·|theirs|).
pub fn close(ours: f64, theirs: f64) -> bool {
    if ours == theirs {
        return true; // also equal infinities
    }
    (ours - theirs).abs() <= ABS.max(REL * theirs.abs())
}

/// Below this (in percent) an I² counts as zero. At the τ² = 0 boundary metafor's ML/REML
/// step halving stops at τ² ≈ 1e-13 instead of 0 (τ² itself still agrees within [`ABS`] and is
/// compared on its own); divided by a small typical variance ṽ (≈ 0.006 for correlations) that
/// becomes I² ≈ 1e-9 %, above [`ABS`]. Rerunning metafor with threshold 1e-16 drives it to 1e-13.
pub const I2_ZERO: f64 = 1e-6;

/// [`close`] for I² in percent, with both sides below [`I2_ZERO`] counting as equal.
pub fn close_i2(ours: f64, theirs: f64) -> bool {
    close(ours, theirs) || (ours.abs() < I2_ZERO && theirs.abs() < I2_ZERO)
}

/// Number of decimals written in a printed number ("−0.7145" → 4, "152.2330" → 4, "12" → 0).
pub fn decimals(printed: &str) -> i32 {
    printed
        .split_once('.')
        .map_or(0, |(_, frac)| frac.trim().len() as i32)
}

/// Parses a printed number; accepts the Unicode minus sign.
pub fn parse_printed(printed: &str) -> f64 {
    printed
        .trim()
        .replace('\u{2212}', "-")
        .parse()
        .unwrap_or_else(|_| panic!("not a number: {printed:?}"))
}

/// True when `ours` rounds to `printed` at the printed number of decimals:
/// |ours − printed| ≤ 0.5·10^−d (with a hair of slack for binary floating point).
pub fn matches_printed(ours: f64, printed: &str) -> bool {
    let d = decimals(printed);
    let half_unit = 0.5 * 10f64.powi(-d);
    (ours - parse_printed(printed)).abs() <= half_unit * (1.0 + 1e-9)
}

/// Collects comparisons against printed values and fails once with the full list.
#[derive(Default)]
pub struct Printed {
    failures: Vec<String>,
    checked: usize,
}

impl Printed {
    pub fn new() -> Self {
        Self::default()
    }

    /// Compares a JSON field of the report (must be a number) with a printed value.
    pub fn check(&mut self, what: &str, ours: &Value, printed: &str) {
        self.checked += 1;
        match ours.as_f64() {
            Some(x) if matches_printed(x, printed) => {}
            Some(x) => self.failures.push(format!(
                "{what}: ours {x:.10} does not round to printed {printed} (tolerance {})",
                0.5 * 10f64.powi(-decimals(printed))
            )),
            None => self
                .failures
                .push(format!("{what}: ours is {ours}, printed {printed}")),
        }
    }

    /// Compares a computed number with a printed value.
    pub fn check_f64(&mut self, what: &str, ours: f64, printed: &str) {
        self.check(what, &Value::from(ours), printed);
    }

    /// Panics with every failure, if any.
    pub fn finish(self) {
        assert!(self.checked > 0, "no printed values were checked");
        if !self.failures.is_empty() {
            panic!(
                "{} of {} printed values not reproduced:\n  {}",
                self.failures.len(),
                self.checked,
                self.failures.join("\n  ")
            );
        }
    }
}

/// A document with the data and the method, CI type and level (every other option left unset).
pub fn document(csv: &str, method: &str, ci: &str, level: f64) -> metapool::Document {
    metapool::Document {
        data: csv.to_string(),
        options: metapool::Options {
            method: Some(method.into()),
            ci: Some(ci.into()),
            level: Some(level),
            ci_level_in: None,
            ..Default::default()
        },
    }
}

/// Runs metapool on CSV text and returns the report as JSON.
pub fn run(csv: &str, method: &str, ci: &str, level: f64) -> Value {
    let report = metapool::analyze(&document(csv, method, ci, level))
        .unwrap_or_else(|e| panic!("analyze failed for method {method}, ci {ci}: {e}"));
    serde_json::to_value(&report).expect("report serializes to JSON")
}

/// CSV text `study,yi,vi` from labels and values. Rust's `{}` for f64 writes the shortest text
/// that reads back as the same double, so the data reach metapool exactly.
pub fn csv_yi_vi(labels: &[&str], yi: &[f64], vi: &[f64]) -> String {
    assert_eq!(labels.len(), yi.len());
    assert_eq!(labels.len(), vi.len());
    let mut s = String::from("study,yi,vi\n");
    for i in 0..yi.len() {
        let label = if labels[i].contains([',', '"']) {
            format!("\"{}\"", labels[i].replace('"', "\"\""))
        } else {
            labels[i].to_string()
        };
        s.push_str(&format!("{label},{},{}\n", yi[i], vi[i]));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Comparison with the metafor fixtures in tests/reference (written by the R scripts there).

/// The cases of `tests/reference/<file>`: its `cases` array, or the whole file when that is an
/// array. Asserts that there are at least `min_cases`, so that a test cannot pass vacuously.
pub fn reference_cases(file: &str, min_cases: usize) -> Vec<Value> {
    let path = format!("{}/tests/reference/{file}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let mut fixtures: Value =
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file} is not JSON: {e}"));
    let cases = match fixtures.get_mut("cases") {
        Some(cases) => cases.take(),
        None => fixtures,
    };
    let Value::Array(cases) = cases else {
        panic!("{file} has no cases array");
    };
    assert!(
        cases.len() >= min_cases,
        "only {} cases in {path}; expected at least {min_cases}",
        cases.len()
    );
    cases
}

/// Numeric fields of `report.overall` and of each `report.subgroups[i]`; metafor's values stand
/// under the same keys in the fixtures.
pub const FIT_NUMBERS: [&str; 23] = [
    "k",
    "estimate",
    "se",
    "ci_lower",
    "ci_upper",
    "stat",
    "df",
    "p",
    "pi_lower",
    "pi_upper",
    "tau2",
    "tau",
    "tau2_ci_lower",
    "tau2_ci_upper",
    "I2",
    "I2_ci_lower",
    "I2_ci_upper",
    "H2",
    "H2_ci_lower",
    "H2_ci_upper",
    "Q",
    "Q_df",
    "Q_p",
];

/// The fields every fixture case has.
pub struct Case<'a> {
    pub name: &'a str,
    /// The data as CSV text.
    pub data: &'a str,
    pub options: &'a Value,
    pub expected: &'a Value,
    pub method: &'a str,
    pub ci: &'a str,
    pub level: f64,
}

impl<'a> Case<'a> {
    pub fn new(case: &'a Value) -> Self {
        let options = &case["options"];
        Case {
            name: case["name"].as_str().expect("case name"),
            data: case["data"].as_str().expect("case data"),
            options,
            expected: &case["expected"],
            method: options["method"].as_str().expect("options.method"),
            ci: options["ci"].as_str().expect("options.ci"),
            level: options["level"].as_f64().expect("options.level"),
        }
    }
}

/// Collects every mismatch with metafor over all cases and fails once, with a summary by field,
/// the full list (case | field | ours | metafor) and the generator's notes on the failing cases.
///
/// Numbers agree when [`close`]; two rules for metafor's residue at the τ² = 0 boundary are
/// switched on per test, as each test's fields need them.
#[derive(Default)]
pub struct Mismatches {
    list: Vec<String>,
    /// Mismatch counts by field, without array indices: "subgroups[3].tau2" → "subgroups.tau2".
    by_field: BTreeMap<String, usize>,
    cases_failing: BTreeSet<String>,
    /// Notes the generator attached to cases (e.g. a metafor search limit), by case name.
    notes: BTreeMap<String, Vec<String>>,
    /// Values compared by [`Mismatches::number`] and [`Mismatches::exact`].
    compared: usize,
    tau_from_tau2: bool,
    i2_zero: bool,
}

impl Mismatches {
    /// Numbers by [`close`] alone, everything else exactly.
    pub fn new() -> Self {
        Self::default()
    }

    /// Also accepts `tau` (a field named `tau` or ending in `.tau`) when τ² agrees: near 0 the
    /// square root magnifies metafor's boundary residue (τ² = 3e-13 gives τ = 5e-7).
    pub fn tau_from_tau2(mut self) -> Self {
        self.tau_from_tau2 = true;
        self
    }

    /// Compares I² (a field named `I2` or ending in `.I2`) by [`close_i2`]: the same residue,
    /// divided by a small typical variance.
    pub fn i2_zero(mut self) -> Self {
        self.i2_zero = true;
        self
    }

    /// Records a mismatch.
    pub fn push(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.list
            .push(format!("{case} | {field} | ours {ours} | metafor {theirs}"));
        let mut key = String::new();
        let mut skip = false;
        for ch in field.chars() {
            match ch {
                '[' => skip = true,
                ']' => skip = false,
                _ if !skip => key.push(ch),
                _ => {}
            }
        }
        *self.by_field.entry(key).or_default() += 1;
        self.cases_failing.insert(case.to_string());
    }

    /// Keeps the case's `notes` (an array of strings, if any) for the failure message.
    pub fn notes(&mut self, case: &str, notes: &Value) {
        let notes: Vec<String> = notes
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|n| n.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        if !notes.is_empty() {
            self.notes.insert(case.to_string(), notes);
        }
    }

    /// Compares one number: null must meet null, numbers must be [`close`] (or meet a rule
    /// switched on by [`Mismatches::tau_from_tau2`] or [`Mismatches::i2_zero`]).
    pub fn number(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.compared += 1;
        match (ours.as_f64(), theirs.as_f64()) {
            (None, None) if ours.is_null() && theirs.is_null() => {}
            (Some(a), Some(b)) => {
                let is_tau = field == "tau" || field.ends_with(".tau");
                let is_i2 = field == "I2" || field.ends_with(".I2");
                let ok = close(a, b)
                    || (self.tau_from_tau2 && is_tau && close(a * a, b * b))
                    || (self.i2_zero && is_i2 && close_i2(a, b));
                if !ok {
                    self.push(case, field, ours, theirs);
                }
            }
            _ => self.push(case, field, ours, theirs),
        }
    }

    /// Compares a non-numeric value exactly (names, strings, flags, row lists).
    pub fn exact(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.compared += 1;
        if ours != theirs {
            self.push(case, field, ours, theirs);
        }
    }

    /// Counts a value as compared and agreeing, for a test's own rule.
    pub fn agreed(&mut self) {
        self.compared += 1;
    }

    /// Runs metapool on the document and returns the report as JSON, or records the error as a
    /// mismatch of the field `analyze` and returns `None`.
    pub fn analyze(&mut self, case: &str, doc: &metapool::Document) -> Option<Value> {
        match metapool::analyze(doc) {
            Ok(report) => Some(serde_json::to_value(&report).expect("report serializes")),
            Err(e) => {
                self.push(
                    case,
                    "analyze",
                    &Value::from(format!("error: {e}")),
                    &Value::from("a report"),
                );
                None
            }
        }
    }

    /// Panics with everything that disagreed, if anything did.
    pub fn finish(self, cases: usize) {
        if self.list.is_empty() {
            return;
        }
        let summary: Vec<String> = self
            .by_field
            .iter()
            .map(|(f, n)| format!("{f}: {n}"))
            .collect();
        let notes: Vec<String> = self
            .cases_failing
            .iter()
            .filter_map(|c| self.notes.get(c).map(|n| format!("{c}: {}", n.join("; "))))
            .collect();
        let mut rules = String::new();
        if self.tau_from_tau2 {
            rules.push_str("; tau also when tau² agrees");
        }
        if self.i2_zero {
            rules.push_str(&format!("; I² below {I2_ZERO:e} counts as 0"));
        }
        panic!(
            "{} mismatches with metafor (tolerance max({ABS:e}, {REL:e}·|metafor|){rules}) in {} \
             of {cases} cases; {} values compared.\nBy field: {}\n\ncase | field | ours | metafor\n\
             {}\n\nGenerator notes on failing cases:\n{}",
            self.list.len(),
            self.cases_failing.len(),
            self.compared,
            summary.join(", "),
            self.list.join("\n"),
            if notes.is_empty() {
                "(none)".to_string()
            } else {
                notes.join("\n")
            }
        );
    }
}

/// BCG vaccine trials (Colditz et al. 1994, JAMA 271(9), 698–702; metadat::dat.bcg): trial,
/// tpos, tneg, cpos, cneg (vaccinated TB+/TB−, control TB+/TB−).
pub const BCG: [(&str, f64, f64, f64, f64); 13] = [
    ("Aronson 1948", 4.0, 119.0, 11.0, 128.0),
    ("Ferguson & Simes 1949", 6.0, 300.0, 29.0, 274.0),
    ("Rosenthal et al 1960", 3.0, 228.0, 11.0, 209.0),
    ("Hart & Sutherland 1977", 62.0, 13536.0, 248.0, 12619.0),
    ("Frimodt-Moller et al 1973", 33.0, 5036.0, 47.0, 5761.0),
    ("Stein & Aronson 1953", 180.0, 1361.0, 372.0, 1079.0),
    ("Vandiviere et al 1973", 8.0, 2537.0, 10.0, 619.0),
    ("TPT Madras 1980", 505.0, 87886.0, 499.0, 87892.0),
    ("Coetzee & Berjak 1968", 29.0, 7470.0, 45.0, 7232.0),
    ("Rosenthal et al 1961", 17.0, 1699.0, 65.0, 1600.0),
    ("Comstock et al 1974", 186.0, 50448.0, 141.0, 27197.0),
    ("Comstock & Webster 1969", 5.0, 2493.0, 3.0, 2338.0),
    ("Comstock et al 1976", 27.0, 16886.0, 29.0, 17825.0),
];

/// The BCG data as CSV with log risk ratios and their variances, computed as metafor's
/// escalc(measure = "RR") does (no zero cells here, so no continuity correction):
/// yi = ln[(a/(a+b)) / (c/(c+d))], vi = 1/a − 1/(a+b) + 1/c − 1/(c+d).
pub fn bcg_csv() -> String {
    let labels: Vec<&str> = BCG.iter().map(|t| t.0).collect();
    let yi: Vec<f64> = BCG.iter().map(|&(_, a, b, c, d)| ((a / (a + b)) / (c / (c + d))).ln()).collect();
    let vi: Vec<f64> = BCG.iter().map(|&(_, a, b, c, d)| 1.0 / a - 1.0 / (a + b) + 1.0 / c - 1.0 / (c + d)).collect();
    csv_yi_vi(&labels, &yi, &vi)
}

/// The JSON report of `csv` under `options` (panics with the core's message on an error).
pub fn report_json(csv: &str, options: metapool::Options) -> Value {
    let r = metapool::analyze(&metapool::Document { data: csv.into(), options })
        .unwrap_or_else(|e| panic!("{e}"));
    serde_json::to_value(&r).unwrap()
}

/// A JSON number (panics on anything else).
pub fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or_else(|| panic!("not a number: {v}"))
}
