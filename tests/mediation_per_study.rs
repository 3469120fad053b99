//! Studies given by their mediation paths: the indirect effect a·b, its Sobel or Aroian variance,
//! and each study's Monte Carlo and distribution-of-the-product intervals in the report.
//!
//! Three kinds of reference:
//!
//! * `tests/reference/fixtures_mediation.json`, written by `tests/reference/make_fixtures_mediation.R`
//!   (R is not needed to run this test): the variances by their formulas, R's own Monte Carlo
//!   intervals from 10⁶ and 10⁷ draws, and the quantiles of the product by R's `integrate()` and
//!   `uniroot()` at tight tolerances;
//! * RMediation's printed `medci(type = "dop")` intervals (below, with their source);
//! * invariants: the same seed gives the same interval, another seed a slightly different one,
//!   and the order of the studies changes nothing.

mod common;

use common::{close, reference_cases, Mismatches, Printed};
use metapool::mediation::per_study::Paths;
use metapool::mediation::{dop, montecarlo};
use metapool::{analyze, Document, Error, Options};
use serde_json::Value;

/// The criterion for a Monte Carlo interval: each limit within 1% of the reference
/// interval's width.
const MC_WIDTH_SHARE: f64 = 0.01;
/// The distribution of the product against R's numerical integration of the same CDF: each limit
/// within 10⁻⁹ of the interval's width (both sides compute it to about 10⁻¹² of the product's SD).
const DOP_WIDTH_SHARE: f64 = 1e-9;

fn options(case: &Value, ie_se: &str, mc_draws: usize) -> Options {
    let o = &case["options"];
    Options {
        level: o["level"].as_f64(),
        ie_se: Some(ie_se.into()),
        mc_draws: Some(mc_draws),
        seed: o["seed"].as_u64(),
        ..Default::default()
    }
}

fn report(data: &str, options: Options) -> Value {
    let report = analyze(&Document { data: data.into(), options }).expect("analyze");
    serde_json::to_value(&report).expect("report serializes")
}

/// Checks that the report's `field_lower`/`field_upper` of a study lie within `share` of the
/// reference interval's width from the reference limits `lower`/`upper`.
#[allow(clippy::too_many_arguments)]
fn within_width(
    m: &mut Mismatches,
    case: &str,
    row: &Value,
    field: &str,
    expected: &Value,
    reference: &str,
    share: f64,
) {
    let (lo, hi) = (
        expected[format!("{reference}_lower")].as_f64(),
        expected[format!("{reference}_upper")].as_f64(),
    );
    let (Some(lo), Some(hi)) = (lo, hi) else {
        // A study not given by its paths: the report's fields are null.
        for side in ["lower", "upper"] {
            m.exact(case, &format!("{field}_{side}"), &row[format!("{field}_{side}")], &Value::Null);
        }
        return;
    };
    let width = hi - lo;
    for (side, theirs) in [("lower", lo), ("upper", hi)] {
        let key = format!("{field}_{side}");
        let ours = &row[&key];
        match ours.as_f64() {
            Some(x) if (x - theirs).abs() <= share * width => m.agreed(),
            _ => m.push(
                case,
                &format!("{key} vs R {reference} (±{share}·width {width:.3e})"),
                ours,
                &Value::from(theirs),
            ),
        }
    }
}

#[test]
fn per_study_intervals_and_variances_agree_with_r() {
    let cases = reference_cases("fixtures_mediation.json", 9);
    let mut m = Mismatches::new();
    let mut intervals = 0;
    for case in &cases {
        let name = case["name"].as_str().unwrap();
        let data = case["data"].as_str().unwrap();
        let ie_se = case["options"]["ie_se"].as_str().unwrap();
        let draws = case["options"]["mc_draws"].as_u64().unwrap() as usize;
        m.notes(name, &Value::from(vec![case["note"].clone()]));
        let main = report(data, options(case, ie_se, draws));
        let rows = main["studies"].as_array().unwrap();
        let expected = case["expected"].as_array().unwrap();
        m.exact(name, "k", &Value::from(rows.len()), &Value::from(expected.len()));
        for (i, (row, exp)) in rows.iter().zip(expected).enumerate() {
            let case_i = format!("{name} study {}", i + 1);
            m.number(&case_i, "yi", &row["yi"], &exp["yi"]);
            if !exp["vi_sobel"].is_null() {
                m.number(&case_i, "vi", &row["vi"], &exp[format!("vi_{ie_se}")]);
                intervals += 1;
            }
            within_width(&mut m, &case_i, row, "mc", exp, "mc6", MC_WIDTH_SHARE);
            within_width(&mut m, &case_i, row, "dop", exp, "mc7", MC_WIDTH_SHARE);
            within_width(&mut m, &case_i, row, "dop", exp, "dop", DOP_WIDTH_SHARE);
        }
        // The other variance rule: only vi changes.
        let other = if ie_se == "sobel" { "aroian" } else { "sobel" };
        let again = report(data, options(case, other, 0));
        for (i, (row, exp)) in again["studies"].as_array().unwrap().iter().zip(expected).enumerate() {
            if !exp["vi_sobel"].is_null() {
                let case_i = format!("{name} study {} ({other})", i + 1);
                m.number(&case_i, "vi", &row["vi"], &exp[format!("vi_{other}")]);
                m.exact(&case_i, "mc_lower", &row["mc_lower"], &Value::Null);
                m.number(&case_i, "dop_lower", &row["dop_lower"], &exp["dop_lower"]);
            }
        }
    }
    assert!(intervals >= 25, "only {intervals} studies given by paths in the fixtures");
    m.finish(cases.len());
}

/// RMediation's printed `medci(type = "dop")` intervals (Tofighi & MacKinnon 2011; the package's
/// vignettes, as built by CRAN for RMediation 1.5.0, 2026-06-20):
///
/// * vignette "getting-started", section "Basic Usage":
///   `medci(mu.x = 0.5, mu.y = 0.6, se.x = 0.08, se.y = 0.04, rho = 0, type = "dop")` prints
///   `$ 95% CI  : num [1:2] 0.201 0.405` and then `Confidence Interval: 0.2010806 0.4053619`;
/// * vignette "methods-comparison", section "Performance and Accuracy Comparison", with
///   `sprintf("%.3f")`: (0.5, 0.6, 0.08, 0.04) → [0.201, 0.405]; (0.3, 0.4, 0.10, 0.05) →
///   [0.040, 0.209]; (0.1, 0.2, 0.05, 0.03) → [0.000, 0.042].
///
/// All to their printed three decimals. The seven-digit pair: the lower limit agrees to its
/// printed digits; RMediation's upper limit 0.4053619 is 1.0·10⁻⁷ below the quantile (0.40536200,
/// which R's `integrate()` at `rel.tol = 1e-13` also gives, see the fixtures), because
/// RMediation's `uniroot()` runs at its default tolerance, 1.2·10⁻⁴ on the scale of
/// se.x·se.y = 0.0032, i.e. 3.9·10⁻⁷ here. That limit is checked to RMediation's own tolerance.
#[test]
fn rmediation_printed_dop_intervals() {
    let mut printed = Printed::new();
    let examples = [
        ((0.5, 0.08, 0.6, 0.04), ("0.201", "0.405")),
        ((0.3, 0.10, 0.4, 0.05), ("0.040", "0.209")),
        ((0.1, 0.05, 0.2, 0.03), ("0.000", "0.042")),
    ];
    for ((a, sa, b, sb), (lower, upper)) in examples {
        let paths = Paths { a, sa, b, sb, cov_ab: 0.0 };
        let (lo, hi) = dop::interval(&paths, 0.95).unwrap();
        printed.check_f64(&format!("dop lower {paths:?}"), lo, lower);
        printed.check_f64(&format!("dop upper {paths:?}"), hi, upper);
    }
    let paths = Paths { a: 0.5, sa: 0.08, b: 0.6, sb: 0.04, cov_ab: 0.0 };
    let (lo, hi) = dop::interval(&paths, 0.95).unwrap();
    printed.check_f64("dop lower, seven digits", lo, "0.2010806");
    printed.finish();
    let uniroot_tol = 1.220_703_125e-4 * 0.08 * 0.04; // .Machine$double.eps^0.25 · se.x · se.y
    assert!((hi - 0.405_361_9).abs() <= uniroot_tol + 0.5e-7, "{hi}");
}

/// The report through `analyze` gives the same intervals as the module functions, and the
/// same seed the same Monte Carlo interval on every run; another seed gives a slightly
/// different one (within the Monte Carlo error, far below 1% of the width).
#[test]
fn seeds() {
    let data = "study,a,sa,b,sb\nA,0.3,0.1,0.4,0.05\nB,0.5,0.08,0.6,0.04\n";
    let run = |seed: Option<u64>| {
        let r = report(data, Options { seed, mc_draws: Some(20_000), ..Default::default() });
        let s = &r["studies"][1];
        (s["mc_lower"].as_f64().unwrap(), s["mc_upper"].as_f64().unwrap())
    };
    let first = run(None);
    assert_eq!(first, run(None));
    assert_eq!(first, run(Some(montecarlo::DEFAULT_SEED)));
    let paths = Paths { a: 0.5, sa: 0.08, b: 0.6, sb: 0.04, cov_ab: 0.0 };
    assert_eq!(first, montecarlo::interval(&paths, 0.95, 20_000, montecarlo::DEFAULT_SEED));
    let other = run(Some(7));
    assert_ne!(first, other);
    let width = first.1 - first.0;
    assert!((first.0 - other.0).abs() < 0.02 * width && (first.1 - other.1).abs() < 0.02 * width);
}

/// A study's intervals depend on its own paths only: reversing the order of the studies, or
/// adding others, changes none of them.
#[test]
fn order_of_studies_changes_nothing() {
    let rows = [
        "A,0.3,0.1,0.4,0.05,0",
        "B,0.5,0.08,0.6,0.04,0.0002",
        "C,-0.2,0.1,0.3,0.2,-0.004",
    ];
    let header = "study,a,sa,b,sb,cov_ab\n";
    let forward = report(&format!("{header}{}\n", rows.join("\n")), Options::default());
    let mut reversed_rows = rows;
    reversed_rows.reverse();
    let reversed = report(&format!("{header}{}\n", reversed_rows.join("\n")), Options::default());
    let alone = report(&format!("{header}{}\n", rows[1]), Options::default());
    let fields = ["yi", "vi", "mc_lower", "mc_upper", "dop_lower", "dop_upper"];
    for field in fields {
        for i in 0..3 {
            assert_eq!(forward["studies"][i][field], reversed["studies"][2 - i][field], "{field}");
        }
        assert_eq!(forward["studies"][1][field], alone["studies"][0][field], "{field}");
    }
}

#[test]
fn fields_are_null_without_paths_and_settings_are_reported() {
    let plain = report("study,yi,vi\nA,0.1,0.01\nB,0.3,0.02\n", Options::default());
    for field in ["mc_lower", "mc_upper", "dop_lower", "dop_upper"] {
        assert_eq!(plain["studies"][0][field], Value::Null, "{field}");
    }
    assert!(plain.get("ie_settings").is_none());
    let paths = report(
        "study,a,sa,b,sb\nA,0.3,0.1,0.4,0.05\n",
        Options { ie_se: Some("Aroian".into()), mc_draws: Some(0), seed: Some(3), ..Default::default() },
    );
    assert_eq!(
        paths["ie_settings"],
        serde_json::json!({ "k": 1, "ie_se": "aroian", "ie_se_name": "second-order (Aroian)",
                            "mc_draws": 0, "seed": 3 })
    );
    assert_eq!(paths["studies"][0]["mc_lower"], Value::Null);
    assert!(paths["studies"][0]["dop_lower"].is_number());
    // yi = 0.12; Aroian: 0.09·0.0025 + 0.16·0.01 + 0.01·0.0025.
    assert!(close(paths["studies"][0]["vi"].as_f64().unwrap(), 0.000225 + 0.0016 + 0.000025));
}

#[test]
fn covariance_column_names_and_checks() {
    for name in ["cov_ab", "covab", "cov", "sab", "Cov(a,b)"] {
        let csv = format!("study,a,sa,b,sb,\"{name}\"\nA,0.3,0.1,0.4,0.05,0.002\n");
        let r = report(&csv, Options { mc_draws: Some(0), ..Default::default() });
        let vi = 0.09 * 0.0025 + 0.16 * 0.01 + 2.0 * 0.3 * 0.4 * 0.002;
        assert!(close(r["studies"][0]["vi"].as_f64().unwrap(), vi), "{name}");
        assert_eq!(r["columns"][5]["role"], "cov_ab", "{name}");
    }
    let err = analyze(&Document {
        data: "study,a,sa,b,sb,cov_ab\nA,0.3,0.1,0.4,0.05,-0.006\n".into(),
        options: Options::default(),
    })
    .unwrap_err();
    assert_eq!(
        err,
        Error::BadCovariance { row: 1, column: "cov_ab".into(), value: "-0.006".into(), limit: 0.1 * 0.05 }
    );
    assert_eq!((err.row(), err.column()), (Some(1), Some("cov_ab")));
    assert!(err.to_string().starts_with("row 1, column cov_ab: the covariance '-0.006' of a and b"));
}

#[test]
fn bad_options_are_refused_at_the_door() {
    let bad = |options: Options| {
        analyze(&Document { data: "a,sa,b,sb\n0.3,0.1,0.4,0.05\n".into(), options }).unwrap_err()
    };
    assert_eq!(
        bad(Options { ie_se: Some("goodman".into()), ..Default::default() }).to_string(),
        "unknown ie-se 'goodman': choose one of sobel, aroian"
    );
    assert!(matches!(bad(Options { mc_draws: Some(10), ..Default::default() }), Error::BadOption { .. }));
}

/// The command line's flags reach the options.
#[test]
fn cli_flags() {
    let exe = env!("CARGO_BIN_EXE_metapool");
    let file = std::env::temp_dir().join(format!("metapool-paths-{}.csv", std::process::id()));
    std::fs::write(&file, "study,a,sa,b,sb\nA,0.3,0.1,0.4,0.05\nB,0.5,0.08,0.6,0.04\n").unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(exe).arg(&file).args(args).output().expect("runs")
    };
    let out = run(&["--ie-se", "aroian", "--mc-draws", "5000", "--seed", "11", "--json"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let json: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["ie_settings"]["ie_se"], "aroian");
    assert_eq!(json["ie_settings"]["mc_draws"], 5000);
    assert_eq!(json["ie_settings"]["seed"], 11);
    let paths = Paths { a: 0.3, sa: 0.1, b: 0.4, sb: 0.05, cov_ab: 0.0 };
    let (lo, hi) = montecarlo::interval(&paths, 0.95, 5000, 11);
    assert_eq!(json["studies"][0]["mc_lower"].as_f64(), Some(lo));
    assert_eq!(json["studies"][0]["mc_upper"].as_f64(), Some(hi));
    for (args, message) in [
        (["--ie-se", "x"], "unknown ie-se 'x'"),
        (["--mc-draws", "many"], "unknown mc-draws 'many'"),
        (["--seed", "-1"], "unknown seed '-1'"),
        (["--mc-draws", "20"], "unknown mc-draws '20'"),
    ] {
        let out = run(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{args:?}: {stderr}");
    }
    std::fs::remove_file(&file).ok();
}
