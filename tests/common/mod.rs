//! Shared helpers for the tests that compare metapool with R's metafor and with published numbers.
//!
//! Each test crate uses only part of this module.
#![allow(dead_code)]

use serde_json::Value;

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

/// Runs metapool on CSV text and returns the report as JSON.
pub fn run(csv: &str, method: &str, ci: &str, level: f64) -> Value {
    let doc = metapool::Document {
        data: csv.to_string(),
        options: metapool::Options {
            method: Some(method.into()),
            ci: Some(ci.into()),
            level: Some(level),
            ci_level_in: None,
            ..Default::default()
        },
    };
    let report = metapool::analyze(&doc)
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
