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

use common::{document, reference_cases, Case, Mismatches, FIT_NUMBERS};
use serde_json::Value;
use std::collections::BTreeSet;

/// The fixtures must hold at least this many cases, so the test cannot pass vacuously.
const MIN_CASES: usize = 250;

/// Numeric fields of `report.regression`.
const REGRESSION_NUMBERS: [&str; 13] = [
    "k", "QM", "QM_df", "QM_df2", "QM_p", "QE", "QE_df", "QE_p", "tau2", "tau", "R2", "I2", "H2",
];

/// Numeric fields of each `report.regression.coefficients[j]`.
const COEFFICIENT_NUMBERS: [&str; 6] = ["estimate", "se", "stat", "p", "ci_lower", "ci_upper"];

/// Numeric fields of `report.subgroup_test`.
const TEST_NUMBERS: [&str; 3] = ["Q", "df", "p"];

const METHODS: [&str; 9] = ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"];

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
    let cases = reference_cases("fixtures_moderators.json", MIN_CASES);
    let mut m = Mismatches::new().tau_from_tau2().i2_zero();
    // (what, method, ci) seen, to check coverage.
    let mut coverage: BTreeSet<(&str, String, String)> = BTreeSet::new();

    for (index, case) in cases.iter().enumerate() {
        let c = Case::new(case);
        let (name, opts, exp, method, ci) = (c.name, c.options, c.expected, c.method, c.ci);
        let by = opts["by"].as_str().map(str::to_string);
        let mods: Vec<String> = opts["mods"]
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|x| x.as_str().expect("mods are strings").to_string())
                    .collect()
            })
            .unwrap_or_default();
        m.notes(name, &case["notes"]);
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
        let mut doc = document(c.data, method, ci, c.level);
        doc.options.by = by.clone();
        doc.options.mods = mods_option;
        let Some(v) = m.analyze(name, &doc) else {
            continue;
        };

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

    m.finish(cases.len());
}
