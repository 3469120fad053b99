//! Leave-one-out fits, influence diagnostics and cumulative meta-analysis against metafor's
//! `leave1out()`, `influence()` and `cumul()`.
//!
//! `tests/reference/fixtures_influence.json` is written by
//! `Rscript tests/reference/make_fixtures_influence.R` (R is not needed to run this test).
//! All mismatches are collected and reported in one failure.

mod common;

use common::{reference_cases, Case, Mismatches};
use serde_json::Value;

/// The fixtures hold 6 datasets × 9 methods × 2 CI types.
const MIN_CASES: usize = 100;

/// Fields where our `null` stands for metafor's value by design: a fit of one study has no
/// heterogeneity (metafor prints I² = 0, H² = 1, Q_p = 1; the report leaves them empty).
fn null_by_design(field: &str, fit_k: Option<u64>) -> bool {
    fit_k == Some(1) && matches!(field, "I2" | "H2" | "Q_p")
}

/// Compares the rows of one part of the report with metafor's columns: numbers by
/// [`common::close`] (I² by [`common::close_i2`]); a missing value (null, or anything but a
/// number) on both sides agrees, and so does our null where [`null_by_design`] says so.
fn compare(
    m: &mut Mismatches,
    case: &str,
    part: &str,
    rows: &[Value],
    expected: &Value,
    fields: &[(&str, &str)],
) {
    for (ours_name, theirs_name) in fields {
        let theirs = expected[*theirs_name]
            .as_array()
            .unwrap_or_else(|| panic!("{case}: {part}.{theirs_name}"));
        if theirs.len() != rows.len() {
            m.push(
                case,
                &format!("{part}.{ours_name}.len"),
                &Value::from(rows.len()),
                &Value::from(theirs.len()),
            );
            continue;
        }
        for (i, (row, t)) in rows.iter().zip(theirs).enumerate() {
            let o = &row[*ours_name];
            let missing_ok = match (o.as_f64(), t.as_f64()) {
                (None, None) => true,
                (None, Some(_)) => null_by_design(ours_name, row["k"].as_u64()),
                _ => false,
            };
            if missing_ok {
                m.agreed();
            } else {
                m.number(case, &format!("{part}[{i}].{ours_name}"), o, t);
            }
        }
    }
}

#[test]
fn leave1out_influence_and_cumulative_agree_with_metafor() {
    let cases = reference_cases("fixtures_influence.json", MIN_CASES);
    // I² by close_i2 (every part); no field named tau here.
    let mut m = Mismatches::new().i2_zero();
    for case in &cases {
        let c = Case::new(case);
        let (name, e) = (c.name, c.expected);
        m.notes(name, &case["notes"]);
        let doc = metapool::Document {
            data: c.data.to_string(),
            options: serde_json::from_value(c.options.clone()).unwrap(),
        };
        let Some(report) = m.analyze(name, &doc) else {
            continue;
        };
        let l1o = report["leave1out"].as_array().expect("leave1out rows");
        compare(
            &mut m,
            name,
            "leave1out",
            l1o,
            &e["leave1out"],
            &[
                ("estimate", "estimate"),
                ("se", "se"),
                ("stat", "stat"),
                ("p", "p"),
                ("ci_lower", "ci_lower"),
                ("ci_upper", "ci_upper"),
                ("Q", "Q"),
                ("Q_p", "Q_p"),
                ("tau2", "tau2"),
                ("I2", "I2"),
                ("H2", "H2"),
            ],
        );
        compare(
            &mut m,
            name,
            "influence",
            l1o,
            &e["influence"],
            &[
                ("rstudent", "rstudent"),
                ("dffits", "dffits"),
                ("cook_d", "cook_d"),
                ("cov_r", "cov_r"),
                ("hat", "hat"),
                ("weight", "weight"),
                ("dfbetas", "dfbetas"),
            ],
        );
        let flags = e["influence"]["influential"].as_array().unwrap();
        for (i, (row, f)) in l1o.iter().zip(flags).enumerate() {
            m.exact(
                name,
                &format!("influence[{i}].influential"),
                &Value::from(row["influential"].as_bool()),
                &Value::from(f.as_bool()),
            );
        }
        let cu = report["cumulative"].as_array().expect("cumulative rows");
        let order: Vec<&str> = cu.iter().map(|r| r["study"].as_str().unwrap()).collect();
        let theirs: Vec<&str> = e["cumulative"]["study"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s.as_str().unwrap())
            .collect();
        m.exact(
            name,
            "cumulative.study (order)",
            &Value::from(order),
            &Value::from(theirs),
        );
        compare(
            &mut m,
            name,
            "cumulative",
            cu,
            &e["cumulative"],
            &[
                ("estimate", "estimate"),
                ("se", "se"),
                ("ci_lower", "ci_lower"),
                ("ci_upper", "ci_upper"),
                ("Q", "Q"),
                ("tau2", "tau2"),
                ("I2", "I2"),
                ("H2", "H2"),
            ],
        );
    }
    m.finish(cases.len());
}
