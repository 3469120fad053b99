//! The bivariate model of the mediation paths (`mediation = "bivariate"`, report
//! `paths.bivariate`) against metafor's `rma.mv(yi, V, mods = ~ path - 1, random = ~ path | study,
//! struct = "UN")`.
//!
//! The expectations are in `tests/reference/fixtures_bivariate.json`, written by
//! `tests/reference/make_fixtures_bivariate.R` (run `Rscript tests/reference/make_fixtures_bivariate.R`
//! from the repository root; R is not needed to run these tests). They cover interior estimates
//! with and without `cov_ab`, ρ on its bound −1, τ_b² = 0 alone and both τ² = 0 (the bundled
//! example), rows left out, REML, ML and FE, and the fallbacks (DL and PM fitted by REML, z
//! intervals under hksj).

mod common;

use common::{document, num, reference_cases, report_json, Case, Mismatches};
use metapool::{analyze, Document, Options};
use serde_json::Value;
use std::collections::BTreeSet;

/// Fixture cases: 6 data sets × REML, ML, FE, and 3 fallback cases.
const MIN_CASES: usize = 21;

/// The Monte Carlo limits agree with R's (10⁶ draws) within this share of the interval's width.
const MC_WIDTH_SHARE: f64 = 0.01;

const PATHS_CSV: &str = include_str!("../www/examples/mediation_paths.csv");

const PATH_NUMBERS: [&str; 6] = ["estimate", "se", "ci_lower", "ci_upper", "stat", "p"];
const MODEL_NUMBERS: [&str; 6] = ["cov_ab", "tau2_a", "tau2_b", "tau_ab", "rho", "loglik"];

fn compare(m: &mut Mismatches, case: &str, ours: &Value, exp: &Value) {
    m.exact(case, "paths.rows", &ours["rows"], &exp["rows"]);
    let (o, e) = (&ours["bivariate"], &exp["bivariate"]);
    for field in ["method", "k", "ci"] {
        m.exact(case, &format!("bivariate.{field}"), &o[field], &e[field]);
    }
    for path in ["a", "b"] {
        for field in PATH_NUMBERS {
            m.number(case, &format!("bivariate.{path}.{field}"), &o[path][field], &e[path][field]);
        }
    }
    for field in MODEL_NUMBERS {
        m.number(case, &format!("bivariate.{field}"), &o[field], &e[field]);
    }
    m.number(case, "bivariate.ie.estimate", &o["ie"]["estimate"], &e["ie"]["estimate"]);
    let width = num(&e["ie"]["ci_upper"]) - num(&e["ie"]["ci_lower"]);
    for limit in ["ci_lower", "ci_upper"] {
        match (o["ie"][limit].as_f64(), e["ie"][limit].as_f64()) {
            (Some(a), Some(b)) if (a - b).abs() <= MC_WIDTH_SHARE * width => m.agreed(),
            _ => m.push(
                case,
                &format!("bivariate.ie.{limit} (within 1% of the width)"),
                &o["ie"][limit],
                &e["ie"][limit],
            ),
        }
    }
}

#[test]
fn bivariate_model_agrees_with_metafor() {
    let cases = reference_cases("fixtures_bivariate.json", MIN_CASES);
    let mut m = Mismatches::new();
    let mut coverage: BTreeSet<(String, String)> = BTreeSet::new();
    for case in &cases {
        let c = Case::new(case);
        m.notes(c.name, &case["notes"]);
        let mut doc = document(c.data, c.method, c.ci, c.level);
        doc.options.mediation = c.options["mediation"].as_str().map(str::to_string);
        let Some(v) = m.analyze(c.name, &doc) else { continue };
        let set = c.name.split('_').skip(1).take_while(|w| !w.chars().all(|ch| ch.is_ascii_uppercase())).collect::<Vec<_>>().join("_");
        coverage.insert((set, c.method.to_string()));
        compare(&mut m, c.name, &v["paths"], &c.expected["paths"]);
        // The separate fits of a and b are still there, and the bivariate part names its
        // fallbacks in the warnings.
        assert!(v["paths"]["a"]["estimate"].is_number(), "{}", c.name);
        let warnings = v["warnings"].to_string();
        if !["FE", "ML", "REML"].contains(&c.method) {
            assert!(warnings.contains("fitted by REML"), "{}: {warnings}", c.name);
        }
        if c.ci == "hksj" {
            assert!(warnings.contains("normal distribution (z)"), "{}: {warnings}", c.name);
        }
    }
    let mut missing = Vec::new();
    for set in ["example", "cov_interior", "cov_negative", "rho_bound", "tau2_b_zero", "left_out"] {
        for method in ["REML", "ML", "FE"] {
            if !coverage.contains(&(set.to_string(), method.to_string())) {
                missing.push(format!("{set} {method}"));
            }
        }
    }
    assert!(missing.is_empty(), "fixtures do not cover: {}", missing.join(", "));
    m.finish(cases.len());
}


fn bivariate(method: &str) -> Options {
    Options {
        mediation: Some("bivariate".into()),
        method: Some(method.into()),
        ..Default::default()
    }
}

/// With 10⁶ draws the Monte Carlo interval of μ̂_a·μ̂_b (correlated draws) is R's within 1% of
/// its width, and so is the distribution-of-the-product interval of the same pair (R:
/// set.seed(20240601), 10⁶ draws; fixtures_bivariate.json, case bivariate_cov_negative_REML_z,
/// where the covariance of μ̂_a and μ̂_b is far from 0).
#[test]
fn a_million_correlated_draws_agree_with_r() {
    let cases = reference_cases("fixtures_bivariate.json", MIN_CASES);
    let case = cases
        .iter()
        .find(|c| c["name"] == "bivariate_cov_negative_REML_z")
        .expect("the case");
    let exp = &case["expected"]["paths"]["bivariate"];
    assert!(num(&exp["cov_ab"]).abs() > 1e-5, "a case with correlated estimates");
    let options = Options {
        mc_draws: Some(1_000_000),
        ..bivariate("REML")
    };
    let v = report_json(case["data"].as_str().unwrap(), options.clone());
    let ie = &v["paths"]["bivariate"]["ie"];
    assert_eq!(ie["draws"], 1_000_000);
    assert_eq!(ie["seed"], 20_240_601);
    let width = num(&exp["ie"]["ci_upper"]) - num(&exp["ie"]["ci_lower"]);
    for (limit, dop) in [("ci_lower", "dop_lower"), ("ci_upper", "dop_upper")] {
        let r = num(&exp["ie"][limit]);
        assert!((num(&ie[limit]) - r).abs() < MC_WIDTH_SHARE * width, "{limit}: {ie} vs {exp}");
        assert!((num(&ie[dop]) - r).abs() < MC_WIDTH_SHARE * width, "{dop}: {ie} vs {exp}");
    }
    // The same seed gives the same interval.
    let again = report_json(case["data"].as_str().unwrap(), options);
    assert_eq!(again["paths"]["bivariate"]["ie"], *ie);
}

/// `paths` without the option has no `bivariate` key and is otherwise the same report; with
/// it, the separate fits, their product and the comparison are unchanged.
#[test]
fn the_bivariate_part_sits_beside_the_separate_paths() {
    let paths = report_json(
        PATHS_CSV,
        Options {
            mediation: Some("paths".into()),
            ..Default::default()
        },
    );
    assert!(paths["paths"].get("bivariate").is_none());
    let both = report_json(PATHS_CSV, bivariate("REML"));
    let mut without = both["paths"].clone();
    without.as_object_mut().unwrap().remove("bivariate");
    assert_eq!(without, paths["paths"]);
    let b = &both["paths"]["bivariate"];
    assert_eq!(b["level"], 0.95);
    assert_eq!(b["ie"]["draws"], 100_000);
    // The illustrative studies are homogeneous: ρ is not identified, and the warning says so.
    assert_eq!(b["rho"], Value::Null);
    assert!(both["warnings"].to_string().contains("both 0"), "{}", both["warnings"]);
    // Its comparison with the pooled IE is computed as the separate paths' is.
    let c = &b["comparison"];
    assert_eq!(c["k_paths"], b["k"]);
    assert_eq!(num(&c["ie_estimate"]), num(&both["overall"]["estimate"]));
    assert_eq!(num(&c["estimate_difference"]), num(&b["ie"]["estimate"]) - num(&both["overall"]["estimate"]));
    assert_eq!(num(&c["ci_lower_difference"]), num(&b["ie"]["ci_lower"]) - num(&both["overall"]["ci_lower"]));
    let width = |x: &Value| num(&x["ci_upper"]) - num(&x["ci_lower"]);
    assert!((num(&c["width_ratio"]) - width(&b["ie"]) / width(&both["overall"])).abs() < 1e-12);
    // The report survives a round trip through its JSON.
    let r = analyze(&Document {
        data: PATHS_CSV.into(),
        options: bivariate("ML"),
    })
    .unwrap();
    let back: metapool::Report = serde_json::from_value(serde_json::to_value(&r).unwrap()).unwrap();
    assert_eq!(back, r);
}

/// Reordering the studies changes nothing; rescaling a by c scales μ̂_a and its SE by |c|, τ_a²
/// by c², and turns the sign of ρ with the sign of c; b is untouched.
#[test]
fn invariance_to_order_and_scale() {
    let cases = reference_cases("fixtures_bivariate.json", MIN_CASES);
    let case = cases
        .iter()
        .find(|c| c["name"] == "bivariate_cov_interior_REML_z")
        .expect("the case");
    let data = case["data"].as_str().unwrap();
    let base = report_json(data, bivariate("REML"))["paths"]["bivariate"].clone();
    let mut lines: Vec<&str> = data.lines().collect();
    let header = lines.remove(0);
    lines.reverse();
    let reversed = format!("{header}\n{}\n", lines.join("\n"));
    let r = report_json(&reversed, bivariate("REML"))["paths"]["bivariate"].clone();
    let close = |a: f64, b: f64| (a - b).abs() <= 1e-8 * b.abs().max(1e-3);
    for field in ["tau2_a", "tau2_b", "rho", "loglik"] {
        assert!(close(num(&r[field]), num(&base[field])), "{field}: {} vs {}", r[field], base[field]);
    }
    assert!(close(num(&r["a"]["estimate"]), num(&base["a"]["estimate"])));
    // a → −2a (sa → 2sa, cov_ab → −2cov_ab).
    let mut scaled = String::from(header);
    scaled.push('\n');
    for line in &lines {
        let cells: Vec<&str> = line.split(',').collect();
        let x = |j: usize| cells[j].parse::<f64>().unwrap();
        scaled.push_str(&format!(
            "{},{},{},{},{},{}\n",
            cells[0],
            -2.0 * x(1),
            2.0 * x(2),
            cells[3],
            cells[4],
            -2.0 * x(5)
        ));
    }
    assert!(header.ends_with("a,sa,b,sb,cov_ab"), "{header}");
    let s = report_json(&scaled, bivariate("REML"))["paths"]["bivariate"].clone();
    assert!(close(num(&s["a"]["estimate"]), -2.0 * num(&base["a"]["estimate"])));
    assert!(close(num(&s["a"]["se"]), 2.0 * num(&base["a"]["se"])));
    assert!(close(num(&s["tau2_a"]), 4.0 * num(&base["tau2_a"])));
    assert!(close(num(&s["rho"]), -num(&base["rho"])));
    assert!(close(num(&s["b"]["estimate"]), num(&base["b"]["estimate"])));
    assert!(close(num(&s["tau2_b"]), num(&base["tau2_b"])));
}

#[test]
fn too_few_studies_and_bad_covariances() {
    let two = "study,a,sa,b,sb\nX,0.61,0.09,0.33,0.11\nY,0.18,0.12,0.52,0.08\n";
    let v = report_json(two, bivariate("REML"));
    assert!(v["paths"]["a"].is_object());
    assert!(v["paths"].get("bivariate").is_none());
    assert!(
        v["warnings"]
            .to_string()
            .contains("the bivariate model of a and b needs at least 3 studies, but 2 have all the cells it uses"),
        "{}",
        v["warnings"]
    );
    // FE needs one study.
    assert!(report_json(two, bivariate("FE"))["paths"]["bivariate"].is_object());
    // A row given by yi and vi whose cov_ab is beyond sa·sb is named when the bivariate model
    // needs it.
    let bad = "study,yi,vi,a,sa,b,sb,cov_ab\nX,0.2,0.01,0.61,0.09,0.33,0.11,0.5\nY,,,0.18,0.12,0.52,0.08,\nZ,,,0.3,0.1,0.4,0.1,\n";
    let err = analyze(&Document {
        data: bad.into(),
        options: bivariate("REML"),
    })
    .unwrap_err();
    assert_eq!(err.row(), Some(1));
    assert!(err.to_string().contains("cov_ab"), "{err}");
    assert!(report_json(
        bad,
        Options {
            mediation: Some("paths".into()),
            ..Default::default()
        }
    )["paths"]
        .is_object());
}
