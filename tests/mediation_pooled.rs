//! Pooled-level mediation analyses: pooled paths (`mediation = "paths"`), the SE rules for
//! asymmetric limits (`ci_rule_sensitivity`), tables of pooled rows (`table`) and rounding ranges
//! (`rounding`, `reported`).
//!
//! The metafor expectations are in `tests/reference/fixtures_mediation_pooled.json`, written by
//! `tests/reference/make_fixtures_mediation_pooled.R` (run `Rscript
//! tests/reference/make_fixtures_mediation_pooled.R` from the repository root; R is not needed
//! to run these tests). The rounding ranges are checked against brute force over the box of
//! typed values, through `analyze` itself.

mod common;

use common::{close, document, num, reference_cases, report_json, Case, Mismatches, FIT_NUMBERS};
use metapool::{analyze, Columns, Document, Options};
use serde_json::Value;
use std::collections::BTreeSet;

const METHODS: [&str; 9] = ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"];

/// Fixture cases: 3 path data sets, 3 tables and 1 rules case per method and CI type.
const MIN_CASES: usize = 126;

/// The Monte Carlo limits agree with R's (10⁶ draws) within this share of the interval's width.
/// With 10⁵ draws (the default) the percentiles' own error is about 0.3% of the width.
const MC_WIDTH_SHARE: f64 = 0.01;

const PATHS_CSV: &str = include_str!("../www/examples/mediation_paths.csv");
const IE_CSV: &str = include_str!("../www/examples/mediation_ie.csv");

fn compare_fit(m: &mut Mismatches, case: &str, prefix: &str, ours: &Value, exp: &Value) {
    for field in FIT_NUMBERS {
        m.number(case, &format!("{prefix}{field}"), &ours[field], &exp[field]);
    }
    for field in ["method", "ci"] {
        m.exact(case, &format!("{prefix}{field}"), &ours[field], &exp[field]);
    }
}

fn compare_paths(m: &mut Mismatches, case: &str, ours: &Value, exp: &Value) {
    m.exact(case, "paths.rows", &ours["rows"], &exp["rows"]);
    compare_fit(m, case, "paths.a.", &ours["a"], &exp["a"]);
    compare_fit(m, case, "paths.b.", &ours["b"], &exp["b"]);
    let (o, e) = (&ours["ie"], &exp["ie"]);
    m.number(case, "paths.ie.estimate", &o["estimate"], &e["estimate"]);
    let width = e["ci_upper"].as_f64().unwrap() - e["ci_lower"].as_f64().unwrap();
    for limit in ["ci_lower", "ci_upper"] {
        match (o[limit].as_f64(), e[limit].as_f64()) {
            (Some(a), Some(b)) if (a - b).abs() <= MC_WIDTH_SHARE * width => m.agreed(),
            _ => m.push(
                case,
                &format!("paths.ie.{limit} (within 1% of the width)"),
                &o[limit],
                &e[limit],
            ),
        }
    }
}

fn compare_rows(m: &mut Mismatches, case: &str, what: &str, ours: &Value, exp: &Value, keys: &[&str]) {
    let (Some(o), Some(e)) = (ours.as_array(), exp.as_array()) else {
        m.exact(case, what, ours, exp);
        return;
    };
    if o.len() != e.len() {
        m.exact(
            case,
            &format!("{what}.len"),
            &Value::from(o.len()),
            &Value::from(e.len()),
        );
        return;
    }
    for (i, (o, e)) in o.iter().zip(e).enumerate() {
        for key in keys {
            m.exact(case, &format!("{what}[{i}].{key}"), &o[key], &e[key]);
        }
        if what == "table" {
            compare_fit(m, case, &format!("table[{i}]."), o, e);
        } else {
            for field in ["estimate", "se", "ci_lower", "ci_upper", "p", "tau2", "I2"] {
                m.number(case, &format!("{what}[{i}].{field}"), &o[field], &e[field]);
            }
        }
    }
}

#[test]
fn pooled_paths_tables_and_rules_agree_with_metafor() {
    let cases = reference_cases("fixtures_mediation_pooled.json", MIN_CASES);
    let mut m = Mismatches::new().tau_from_tau2().i2_zero();
    let mut coverage: BTreeSet<(String, String, String)> = BTreeSet::new();
    for case in &cases {
        let c = Case::new(case);
        let mut doc = document(c.data, c.method, c.ci, c.level);
        doc.options.mediation = c.options["mediation"].as_str().map(str::to_string);
        doc.options.table = c.options["table"]
            .as_array()
            .map(|a| Columns::List(a.iter().map(|x| x.as_str().unwrap().to_string()).collect()));
        let Some(v) = m.analyze(c.name, &doc) else { continue };
        let kind = c.name.split('_').next().unwrap().to_string();
        coverage.insert((kind.clone(), c.method.to_string(), c.ci.to_string()));
        match kind.as_str() {
            "paths" => compare_paths(&mut m, c.name, &v["paths"], &c.expected["paths"]),
            "table" => compare_rows(
                &mut m,
                c.name,
                "table",
                &v["table"],
                &c.expected["table"],
                &["groups", "rows"],
            ),
            "rules" => compare_rows(
                &mut m,
                c.name,
                "ci_rule_sensitivity",
                &v["ci_rule_sensitivity"],
                &c.expected["ci_rule_sensitivity"],
                &["rule"],
            ),
            other => panic!("unknown kind of case {other}"),
        }
    }
    let mut missing = Vec::new();
    for kind in ["paths", "table", "rules"] {
        for method in METHODS {
            for ci in ["z", "hksj"] {
                if !coverage.contains(&(kind.to_string(), method.to_string(), ci.to_string())) {
                    missing.push(format!("{kind} {method}/{ci}"));
                }
            }
        }
    }
    assert!(missing.is_empty(), "fixtures do not cover: {}", missing.join(", "));
    m.finish(cases.len());
}


/// With 10⁶ draws the Monte Carlo interval of the example's pooled IE is R's within 1% of its
/// width (R: set.seed(20240601), 10⁶ draws; tests/reference/fixtures_mediation_pooled.json,
/// case paths_example_REML_z).
#[test]
fn a_million_draws_agree_with_r() {
    let cases = reference_cases("fixtures_mediation_pooled.json", MIN_CASES);
    let case = cases
        .iter()
        .find(|c| c["name"] == "paths_example_REML_z")
        .expect("the case");
    let exp = &case["expected"]["paths"]["ie"];
    let v = report_json(
        PATHS_CSV,
        Options {
            mediation: Some("paths".into()),
            mc_draws: Some(1_000_000),
            ..Default::default()
        },
    );
    let ie = &v["paths"]["ie"];
    assert_eq!(ie["draws"], 1_000_000);
    assert_eq!(ie["seed"], 20_240_601);
    let width = num(&exp["ci_upper"]) - num(&exp["ci_lower"]);
    for limit in ["ci_lower", "ci_upper"] {
        assert!(
            (num(&ie[limit]) - num(&exp[limit])).abs() < MC_WIDTH_SHARE * width,
            "{limit}: {ie} vs {exp}"
        );
    }
    // The exact distribution of the product of the same normal pair lies as close.
    assert!((num(&ie["dop_lower"]) - num(&exp["ci_lower"])).abs() < MC_WIDTH_SHARE * width);
    assert!((num(&ie["dop_upper"]) - num(&exp["ci_upper"])).abs() < MC_WIDTH_SHARE * width);
    // The same seed gives the same interval; another seed another one.
    let again = report_json(
        PATHS_CSV,
        Options {
            mediation: Some("paths".into()),
            mc_draws: Some(1_000_000),
            ..Default::default()
        },
    );
    assert_eq!(again["paths"]["ie"], *ie);
}

#[test]
fn paths_compared_with_the_pooled_indirect_effect() {
    let v = report_json(
        PATHS_CSV,
        Options {
            mediation: Some("paths".into()),
            ..Default::default()
        },
    );
    let (o, p) = (&v["overall"], &v["paths"]);
    let cmp = &p["comparison"];
    assert_eq!(cmp["k_ie"], 6);
    assert_eq!(cmp["k_paths"], 6);
    assert_eq!(cmp["ie_estimate"], o["estimate"]);
    assert!(close(
        num(&cmp["estimate_difference"]),
        num(&p["ie"]["estimate"]) - num(&o["estimate"])
    ));
    assert!(close(
        num(&cmp["ci_lower_difference"]),
        num(&p["ie"]["ci_lower"]) - num(&o["ci_lower"])
    ));
    assert!(close(
        num(&cmp["relative_difference"]),
        num(&cmp["estimate_difference"]) / num(&o["estimate"]).abs()
    ));
    let w = (num(&p["ie"]["ci_upper"]) - num(&p["ie"]["ci_lower"])) / (num(&o["ci_upper"]) - num(&o["ci_lower"]));
    assert!(close(num(&cmp["width_ratio"]), w));
    // The illustrative studies: both routes give an IE near −0.07, a few thousandths apart.
    assert!(num(&cmp["estimate_difference"]).abs() < 0.02, "{cmp}");
    // Without the option there is no `paths`; with it and no path columns, a warning.
    assert!(report_json(PATHS_CSV, Options::default()).get("paths").is_none());
    let v = report_json(
        IE_CSV,
        Options {
            mediation: Some("paths".into()),
            ..Default::default()
        },
    );
    assert!(v.get("paths").is_none());
    assert!(
        v["warnings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|w| w.as_str().unwrap().contains("pooling the paths a and b")),
        "{}",
        v["warnings"]
    );
    let err = analyze(&Document {
        data: PATHS_CSV.into(),
        options: Options {
            mediation: Some("both".into()),
            ..Default::default()
        },
    })
    .unwrap_err();
    assert_eq!(err.to_string(), "unknown mediation 'both': choose one of ie, paths, bivariate");
}

/// The three rules for asymmetric limits differ as expected on the example and coincide on
/// symmetric limits; the main analysis follows `ci_se_rule`.
#[test]
fn rules_for_asymmetric_limits() {
    let v = report_json(IE_CSV, Options::default());
    let rows = v["ci_rule_sensitivity"].as_array().unwrap();
    let rules: Vec<&str> = rows.iter().map(|r| r["rule"].as_str().unwrap()).collect();
    assert_eq!(rules, ["width", "wider", "zero_side"]);
    let se: Vec<f64> = rows.iter().map(|r| num(&r["se"])).collect();
    // wider half ≥ mean half ≥ the zero-side half here (negative IEs with long lower tails).
    assert!(se[1] > se[0] && se[0] > se[2], "{se:?}");
    assert_eq!(rows[0]["estimate"], v["overall"]["estimate"]);
    for (i, rule) in rules.iter().enumerate() {
        let main = report_json(
            IE_CSV,
            Options {
                ci_se_rule: Some(rule.to_string()),
                ..Default::default()
            },
        );
        assert_eq!(main["overall"]["estimate"], rows[i]["estimate"], "{rule}");
        assert_eq!(main["overall"]["ci_lower"], rows[i]["ci_lower"], "{rule}");
        assert_eq!(main["ci_rule_sensitivity"], v["ci_rule_sensitivity"]);
    }
    let symmetric = "study,yi,lower,upper\nA,-0.1,-0.2,0\nB,0.3,0.1,0.5\nC,0.05,-0.25,0.35\nD,-0.4,-0.9,0.1\n";
    let v = report_json(symmetric, Options::default());
    let rows = v["ci_rule_sensitivity"].as_array().unwrap();
    for r in rows {
        for field in ["estimate", "se", "ci_lower", "ci_upper", "p", "tau2", "I2"] {
            assert!((num(&r[field]) - num(&rows[0][field])).abs() < 1e-12, "{field}: {r}");
        }
    }
    // No limits: no table.
    assert!(report_json(PATHS_CSV, Options::default())
        .get("ci_rule_sensitivity")
        .is_none());
}

#[test]
fn a_table_by_mediator_from_the_examples() {
    let v = report_json(
        PATHS_CSV,
        Options {
            table: Some(Columns::Text("mediator".into())),
            ..Default::default()
        },
    );
    let rows = v["table"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["groups"]["mediator"].as_str().unwrap()).collect();
    assert_eq!(names, ["catastrophizing", "fear", "self-efficacy"]);
    assert_eq!(rows[1]["rows"], serde_json::json!([1, 2, 4]));
    assert_eq!(rows[1]["k"], 3);
    // Each row is the fit of its studies alone.
    let fear = "study,a,sa,b,sb\nA,-0.42,0.11,0.21,0.06\nB,-0.30,0.14,0.18,0.08\nD,-0.18,0.12,0.15,0.09\n";
    assert_eq!(
        report_json(fear, Options::default())["overall"]["estimate"],
        rows[1]["estimate"]
    );
    // By two columns, one of them with an empty cell.
    let csv = format!("{IE_CSV}Study H,-0.07,-0.13,-0.02,fear,\n");
    let v = report_json(
        &csv,
        Options {
            table: Some(Columns::List(vec!["mediator".into(), "outcome".into()])),
            ..Default::default()
        },
    );
    assert_eq!(v["table"].as_array().unwrap().len(), 3);
    assert_eq!(
        v["table"][0]["groups"],
        serde_json::json!({"mediator": "catastrophizing", "outcome": "disability"})
    );
    assert!(v["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|w| w == "row 8 (Study H) left out of the table: empty cell in outcome"));
    let err = analyze(&Document {
        data: IE_CSV.into(),
        options: Options {
            table: Some(Columns::Text("moderator".into())),
            ..Default::default()
        },
    })
    .unwrap_err();
    assert!(
        err.to_string().starts_with("table: there is no column 'moderator'"),
        "{err}"
    );
}

/// CSV text `yi,sei` with the values written in full, for brute force.
fn yi_sei_csv(y: &[f64], s: &[f64]) -> String {
    let mut csv = String::from("yi,sei\n");
    for (y, s) in y.iter().zip(s) {
        csv.push_str(&format!("{y},{s}\n"));
    }
    csv
}

/// The rounding ranges reach at least as far as brute force over a grid of the box of typed
/// values (each refitted by `analyze` from CSV text), and no further than a hair beyond it: the
/// grid holds every corner, and over boxes this small the extremes sit at corners or next to them.
#[test]
fn rounding_ranges_against_brute_force() {
    let typed_y = ["0.12", "0.45", "-0.08"];
    let typed_s = ["0.10", "0.17", "0.14"];
    let csv: String = std::iter::once("yi,sei\n".to_string())
        .chain(typed_y.iter().zip(&typed_s).map(|(y, s)| format!("{y},{s}\n")))
        .collect();
    let n: usize = 4; // grid points per typed number: 4⁶ = 4096 fits
    for (method, ci) in [("FE", "z"), ("DL", "z"), ("REML", "hksj"), ("PM", "z")] {
        let mut doc = document(&csv, method, ci, 0.95);
        doc.options.rounding = Some(true);
        let v = serde_json::to_value(analyze(&doc).unwrap()).unwrap();
        let r = &v["rounding"];
        assert_eq!(r["inputs"], 6);
        let mut grid = [[f64::INFINITY, f64::NEG_INFINITY]; 3];
        for index in 0..n.pow(6) {
            let mut at = index;
            let mut point = [0.0; 6];
            for (j, p) in point.iter_mut().enumerate() {
                let typed: f64 = if j < 3 { typed_y[j] } else { typed_s[j - 3] }.parse().unwrap();
                *p = typed - 0.005 + 0.01 * (at % n) as f64 / (n - 1) as f64;
                at /= n;
            }
            let data = yi_sei_csv(&point[..3], &point[3..]);
            let o = serde_json::to_value(analyze(&document(&data, method, ci, 0.95)).unwrap()).unwrap();
            for (t, field) in ["estimate", "ci_lower", "ci_upper"].iter().enumerate() {
                let x = num(&o["overall"][field]);
                grid[t][0] = grid[t][0].min(x);
                grid[t][1] = grid[t][1].max(x);
            }
        }
        for (t, field) in ["estimate", "ci_lower", "ci_upper"].iter().enumerate() {
            let (lo, hi) = (num(&r[field][0]), num(&r[field][1]));
            let width = grid[t][1] - grid[t][0];
            assert!(
                lo <= grid[t][0] + 1e-12 && hi >= grid[t][1] - 1e-12,
                "{method}/{ci} {field}: [{lo}, {hi}] vs grid {:?}",
                grid[t]
            );
            assert!(
                grid[t][0] - lo < 0.02 * width && hi - grid[t][1] < 0.02 * width,
                "{method}/{ci} {field}: [{lo}, {hi}] vs grid {:?}",
                grid[t]
            );
            if method == "FE" && t == 0 {
                // Exact at a vertex.
                assert!((lo - grid[0][0]).abs() < 1e-15 && (hi - grid[0][1]).abs() < 1e-15);
            }
        }
    }
}

#[test]
fn a_reported_result_checked_against_the_ranges() {
    let options = |reported: &str| Options {
        reported: Some(reported.into()),
        ..Default::default()
    };
    let v = report_json(IE_CSV, options("\u{2212}0.07 (\u{2212}0.09, \u{2212}0.04)"));
    let r = &v["rounding"];
    let (lo, hi) = (num(&r["estimate"][0]), num(&r["estimate"][1]));
    assert!(
        lo < num(&v["overall"]["estimate"]) && num(&v["overall"]["estimate"]) < hi,
        "{r}"
    );
    assert_eq!(r["reported"]["estimate"], -0.07);
    assert_eq!(r["reported"]["inside"], true, "{r}");
    // A CI that no rounding of the data gives.
    let v = report_json(IE_CSV, options("-0.07 [-0.15; -0.04]"));
    assert_eq!(v["rounding"]["reported"]["inside"], false);
    assert_eq!(v["rounding"]["reported"]["ci_lower_inside"], false);
    assert_eq!(v["rounding"]["reported"]["estimate_inside"], true);
    // `rounding` alone: the ranges without a check.
    let v = report_json(
        IE_CSV,
        Options {
            rounding: Some(true),
            ..Default::default()
        },
    );
    assert!(v["rounding"].get("reported").is_none());
    let err = analyze(&Document {
        data: IE_CSV.into(),
        options: options("about -0.07"),
    })
    .unwrap_err();
    assert!(err.to_string().starts_with("unknown reported 'about -0.07'"), "{err}");
}

/// The page hands the report back to the plot calls: the new parts survive a round trip.
#[test]
fn reports_with_the_mediation_parts_survive_a_round_trip() {
    let options = Options {
        mediation: Some("paths".into()),
        table: Some(Columns::Text("mediator".into())),
        reported: Some("-0.06 (-0.09, -0.04)".into()),
        ..Default::default()
    };
    for csv in [PATHS_CSV, IE_CSV] {
        let r = analyze(&Document {
            data: csv.into(),
            options: options.clone(),
        })
        .unwrap();
        let value = serde_json::to_value(&r).unwrap();
        let back: metapool::Report = serde_json::from_value(value.clone()).unwrap();
        assert_eq!(serde_json::to_value(&back).unwrap(), value);
    }
}

#[test]
fn command_line_flags() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_metapool"))
        .args([
            concat!(env!("CARGO_MANIFEST_DIR"), "/www/examples/mediation_ie.csv"),
            "--mediation",
            "ie",
            "--ci-se-rule",
            "zero_side",
            "--table",
            "mediator,outcome",
            "--reported",
            "-0.07 (-0.09, -0.05)",
            "--json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["table"].as_array().unwrap().len(), 3);
    assert!(v["rounding"]["reported"]["inside"].is_boolean());
    let zero_side = v["ci_rule_sensitivity"][2]["estimate"].clone();
    assert_eq!(v["overall"]["estimate"], zero_side);
}

/// What each row gave is kept with the studies: the source and the cells as typed.
#[test]
fn studies_keep_what_each_row_gave() {
    use metapool::input::{read_studies, ReadSettings, Role};
    use metapool::studies::Source;
    let input = read_studies(
        "study;yi;sei;lower;upper;a;sa;b;sb\nA;\u{2212}0,10;0,05;;;;;;\nB;0,2;;0,1;0,35;;;;\nC;;;;;0,5;0,1;0,40;0,2\n",
        &ReadSettings::default(),
    )
    .unwrap();
    let given = input.studies.given().unwrap();
    let sources: Vec<Source> = given.iter().map(|g| g.source).collect();
    assert_eq!(sources, [Source::StdError, Source::Limits, Source::Paths]);
    assert_eq!(given[0].cells[&Role::Yi].text, "\u{2212}0,10");
    assert_eq!(given[0].cells[&Role::Yi].value, -0.1);
    assert_eq!(given[1].value(Role::Upper), Some(0.35));
    assert_eq!(given[2].paths(), Some([0.5, 0.1, 0.4, 0.2]));
    assert_eq!(given[0].paths(), None);
    assert_eq!(metapool::mediation::rounding::half_unit(&given[2].cells[&Role::B].text), 0.005);
    // A subset keeps them.
    assert_eq!(input.studies.subset(&[2]).given().unwrap()[0], given[2]);
}
