//! Subgroup analysis (`by`) and meta-regression (`mods`) against R's metafor, case by case.
//!
//! The expected values in `tests/reference/fixtures_moderators.json` were computed by metafor
//! (rma with `mods = ~ …`, rma per subgroup with predict and confint, and the common-effect Q of
//! the subgroup estimates) with tight convergence; `tests/reference/make_fixtures_moderators.R`
//! writes them (run `Rscript tests/reference/make_fixtures_moderators.R` from the repository root;
//! R is not needed to run this test). Each case holds the data as CSV text with the moderator
//! columns, the options (method, ci, level, by, mods) and the expected `overall`, `regression`,
//! `subgroups` and `subgroup_test`.
//!
//! All mismatches of all cases are collected and reported in one failure.

mod common;

use common::{close, close_i2, ABS, REL};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};

/// The fixtures must hold at least this many cases, so the test cannot pass vacuously.
const MIN_CASES: usize = 250;

/// Numeric fields of `report.overall` and of each `report.subgroups[i]`.
const FIT_NUMBERS: [&str; 23] = [
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

/// Numeric fields of `report.regression`.
const REGRESSION_NUMBERS: [&str; 13] = [
    "k", "QM", "QM_df", "QM_df2", "QM_p", "QE", "QE_df", "QE_p", "tau2", "tau", "R2", "I2", "H2",
];

/// Numeric fields of each `report.regression.coefficients[j]`.
const COEFFICIENT_NUMBERS: [&str; 6] = ["estimate", "se", "stat", "p", "ci_lower", "ci_upper"];

/// Numeric fields of `report.subgroup_test`.
const TEST_NUMBERS: [&str; 3] = ["Q", "df", "p"];

const METHODS: [&str; 9] = ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"];

struct Mismatches {
    list: Vec<String>,
    notes: BTreeMap<String, Vec<String>>,
    by_field: BTreeMap<String, usize>,
    cases_failing: BTreeSet<String>,
    compared: usize,
}

impl Mismatches {
    fn push(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.list
            .push(format!("{case} | {field} | ours {ours} | metafor {theirs}"));
        // Group by field without indices: "subgroups[3].tau2" → "subgroups.tau2".
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

    /// Compares one number: null must meet null, numbers must be [`close`]. `tau` is also
    /// accepted when τ² agrees (near 0 the square root magnifies metafor's boundary residue), and
    /// I² by [`close_i2`] (the same residue, divided by a small typical variance).
    fn number(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.compared += 1;
        match (ours.as_f64(), theirs.as_f64()) {
            (None, None) if ours.is_null() && theirs.is_null() => {}
            (Some(a), Some(b)) => {
                let is_tau = field == "tau" || field.ends_with(".tau");
                let is_i2 = field == "I2" || field.ends_with(".I2");
                if !(close(a, b) || (is_tau && close(a * a, b * b)) || (is_i2 && close_i2(a, b))) {
                    self.push(case, field, ours, theirs);
                }
            }
            _ => self.push(case, field, ours, theirs),
        }
    }

    /// Compares a non-numeric value exactly (names, strings, row lists).
    fn exact(&mut self, case: &str, field: &str, ours: &Value, theirs: &Value) {
        self.compared += 1;
        if ours != theirs {
            self.push(case, field, ours, theirs);
        }
    }
}

fn compare_fit(m: &mut Mismatches, case: &str, prefix: &str, ours: &Value, exp: &Value) {
    for field in FIT_NUMBERS {
        m.number(case, &format!("{prefix}{field}"), &ours[field], &exp[field]);
    }
    for field in ["method", "ci"] {
        m.exact(case, &format!("{prefix}{field}"), &ours[field], &exp[field]);
    }
}

fn compare_regression(m: &mut Mismatches, case: &str, ours: &Value, exp: &Value) {
    if ours.is_null() || exp.is_null() {
        m.exact(case, "regression", ours, exp);
        return;
    }
    for field in REGRESSION_NUMBERS {
        m.number(
            case,
            &format!("regression.{field}"),
            &ours[field],
            &exp[field],
        );
    }
    m.exact(
        case,
        "regression.qm_test",
        &ours["qm_test"],
        &exp["qm_test"],
    );
    let ours_c = ours["coefficients"].as_array().cloned().unwrap_or_default();
    let exp_c = exp["coefficients"]
        .as_array()
        .expect("expected.regression.coefficients");
    let names = |c: &[Value]| Value::from(c.iter().map(|x| x["name"].clone()).collect::<Vec<_>>());
    if ours_c.len() != exp_c.len() {
        m.exact(
            case,
            "regression.coefficients.name",
            &names(&ours_c),
            &names(exp_c),
        );
        return;
    }
    for (j, (o, e)) in ours_c.iter().zip(exp_c).enumerate() {
        m.exact(
            case,
            &format!("regression.coefficients[{j}].name"),
            &o["name"],
            &e["name"],
        );
        for field in COEFFICIENT_NUMBERS {
            m.number(
                case,
                &format!("regression.coefficients[{j}].{field}"),
                &o[field],
                &e[field],
            );
        }
    }
}

fn compare_subgroups(m: &mut Mismatches, case: &str, v: &Value, exp: &Value) {
    let ours = &v["subgroups"];
    let theirs = &exp["subgroups"];
    if ours.is_null() || theirs.is_null() {
        m.exact(case, "subgroups", ours, theirs);
    } else {
        let ours_g = ours.as_array().cloned().unwrap_or_default();
        let exp_g = theirs.as_array().expect("expected.subgroups");
        let names =
            |g: &[Value]| Value::from(g.iter().map(|x| x["name"].clone()).collect::<Vec<_>>());
        if ours_g.len() != exp_g.len() {
            m.exact(case, "subgroups.name", &names(&ours_g), &names(exp_g));
        } else {
            for (i, (o, e)) in ours_g.iter().zip(exp_g).enumerate() {
                m.exact(
                    case,
                    &format!("subgroups[{i}].name"),
                    &o["name"],
                    &e["name"],
                );
                m.exact(
                    case,
                    &format!("subgroups[{i}].rows"),
                    &o["rows"],
                    &e["rows"],
                );
                compare_fit(m, case, &format!("subgroups[{i}]."), o, e);
            }
        }
    }
    let ours_t = &v["subgroup_test"];
    let exp_t = &exp["subgroup_test"];
    if ours_t.is_null() || exp_t.is_null() {
        // With `by` the report always has the key; null means no test.
        m.exact(case, "subgroup_test", ours_t, exp_t);
    } else {
        for field in TEST_NUMBERS {
            m.number(
                case,
                &format!("subgroup_test.{field}"),
                &ours_t[field],
                &exp_t[field],
            );
        }
    }
}

#[test]
fn subgroups_and_meta_regression_agree_with_metafor() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/reference/fixtures_moderators.json"
    );
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    let fixtures: Value = serde_json::from_str(&text).expect("fixtures_moderators.json is JSON");
    let cases = fixtures["cases"]
        .as_array()
        .expect("fixtures_moderators.json has a cases array");
    assert!(
        cases.len() >= MIN_CASES,
        "only {} cases in {path}; expected at least {MIN_CASES}",
        cases.len()
    );

    let mut m = Mismatches {
        list: Vec::new(),
        notes: BTreeMap::new(),
        by_field: BTreeMap::new(),
        cases_failing: BTreeSet::new(),
        compared: 0,
    };
    // (what, method, ci) seen, to check coverage.
    let mut coverage: BTreeSet<(&str, String, String)> = BTreeSet::new();

    for (index, case) in cases.iter().enumerate() {
        let name = case["name"].as_str().expect("case name");
        let data = case["data"].as_str().expect("case data");
        let opts = &case["options"];
        let exp = &case["expected"];
        let method = opts["method"].as_str().expect("options.method");
        let ci = opts["ci"].as_str().expect("options.ci");
        let level = opts["level"].as_f64().expect("options.level");
        let by = opts["by"].as_str().map(str::to_string);
        let mods: Vec<String> = opts["mods"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().expect("mods are strings").to_string())
                    .collect()
            })
            .unwrap_or_default();
        if let Some(notes) = case["notes"].as_array() {
            let notes: Vec<String> = notes
                .iter()
                .filter_map(|n| n.as_str().map(str::to_string))
                .collect();
            if !notes.is_empty() {
                m.notes.insert(name.to_string(), notes);
            }
        }
        if by.is_some() {
            coverage.insert(("subgroups", method.to_string(), ci.to_string()));
        }
        if !mods.is_empty() {
            coverage.insert(("regression", method.to_string(), ci.to_string()));
        }

        // Both forms of `mods`: the comma-separated text of the command line and a list.
        let mods_option = if mods.is_empty() {
            None
        } else if index % 2 == 0 {
            Some(metapool::Columns::Text(mods.join(",")))
        } else {
            Some(metapool::Columns::List(mods.clone()))
        };
        let doc = metapool::Document {
            data: data.to_string(),
            options: metapool::Options {
                method: Some(method.into()),
                ci: Some(ci.into()),
                level: Some(level),
                by: by.clone(),
                mods: mods_option,
                ..Default::default()
            },
        };
        let report = match metapool::analyze(&doc) {
            Ok(r) => r,
            Err(e) => {
                m.push(
                    name,
                    "analyze",
                    &Value::from(format!("error: {e}")),
                    &Value::from("a report"),
                );
                continue;
            }
        };
        let v = serde_json::to_value(&report).expect("report serializes");

        m.number(name, "report.k", &v["k"], &exp["overall"]["k"]);
        compare_fit(&mut m, name, "overall.", &v["overall"], &exp["overall"]);
        compare_regression(&mut m, name, &v["regression"], &exp["regression"]);
        if by.is_some() {
            compare_subgroups(&mut m, name, &v, exp);
        } else if !v["subgroups"].is_null() {
            m.exact(name, "subgroups (no by)", &v["subgroups"], &Value::Null);
        }
    }

    let mut missing = Vec::new();
    for what in ["regression", "subgroups"] {
        for method in METHODS {
            for ci in ["z", "hksj"] {
                if !coverage.contains(&(what, method.to_string(), ci.to_string())) {
                    missing.push(format!("{what} {method}/{ci}"));
                }
            }
        }
    }
    assert!(
        missing.is_empty(),
        "fixtures do not cover: {}",
        missing.join(", ")
    );

    if !m.list.is_empty() {
        let summary: Vec<String> = m
            .by_field
            .iter()
            .map(|(f, n)| format!("{f}: {n}"))
            .collect();
        let notes: Vec<String> = m
            .cases_failing
            .iter()
            .filter_map(|c| m.notes.get(c).map(|n| format!("{c}: {}", n.join("; "))))
            .collect();
        panic!(
            "{} mismatches with metafor (tolerance max({ABS:e}, {REL:e}·|metafor|)) in {} of {} \
             cases; {} values compared.\nBy field: {}\n\ncase | field | ours | metafor\n{}\n\n\
             Generator notes on failing cases:\n{}",
            m.list.len(),
            m.cases_failing.len(),
            cases.len(),
            m.compared,
            summary.join(", "),
            m.list.join("\n"),
            if notes.is_empty() {
                "(none)".to_string()
            } else {
                notes.join("\n")
            }
        );
    }
}
