//! Teacher expectancy (Raudenbush, 1984/1985; 19 studies, standardized mean differences as in
//! `metadat::dat.raudenbush1985`): the mixed-effects model with the weeks of prior teacher–student
//! contact as moderator, analysed in Raudenbush, S. W. (2009). Analyzing effect sizes:
//! Random-effects models. In H. Cooper, L. V. Hedges & J. C. Valentine (Eds.), *The Handbook of
//! Research Synthesis and Meta-Analysis* (2nd ed., pp. 295–315). Russell Sage Foundation.
//!
//! As metafor's test_analysis_example_raudenbush2009.r checks it ("results are correct for the
//! mixed-effects model", compared there with Table 16.2, p. 301): weeks recoded as
//! weeks_c = min(weeks, 3) (0, 1, 2 and "3 or more"), REML, conventional (z) tests:
//! τ̂² = 0.0000, intercept 0.4072 (z = 4.6782), slope −0.1572 (z = −4.3884), QE = 16.5708 on
//! 17 df. (The BLUP range the test file also checks is not part of metapool's report.)
//!
//! The 4-decimal values are metafor's output at its default convergence threshold (10⁻⁵), where
//! REML stops at τ̂² = 6.6·10⁻⁷ instead of the boundary 0. Converged (metapool: τ̂² = 0, as metafor
//! with threshold 10⁻¹² up to a residue of 3·10⁻¹⁴), the two z values are 4.678254 and
//! −4.388475, one unit off in the fourth decimal; they are checked at one decimal fewer, with the
//! printed value in a comment.
//!
//! Comparison at the printed precision: |ours − printed| ≤ 0.5·10^−d for d printed decimals.

mod common;

use common::Printed;

/// Study, yi, vi, weeks exactly as in the chapter (and metadat).
const TEACHER: [(&str, f64, f64, u32); 19] = [
    ("Rosenthal et al. 1974", 0.03, 0.0156, 2),
    ("Conn et al. 1968", 0.12, 0.0216, 21),
    ("Jose & Cody 1971", -0.14, 0.0279, 19),
    ("Pellegrini & Hicks 1972a", 1.18, 0.1391, 0),
    ("Pellegrini & Hicks 1972b", 0.26, 0.1362, 0),
    ("Evans & Rosenthal 1969", -0.06, 0.0106, 3),
    ("Fielder et al. 1971", -0.02, 0.0106, 17),
    ("Claiborn 1969", -0.32, 0.0484, 24),
    ("Kester 1969", 0.27, 0.0269, 0),
    ("Maxwell 1970", 0.80, 0.0630, 1),
    ("Carter 1970", 0.54, 0.0912, 0),
    ("Flowers 1966", 0.18, 0.0497, 0),
    ("Keshock 1970", -0.02, 0.0835, 1),
    ("Henrikson 1970", 0.23, 0.0841, 2),
    ("Fine 1972", -0.18, 0.0253, 17),
    ("Grieger 1970", -0.06, 0.0279, 5),
    ("Rosenthal & Jacobson 1968", 0.30, 0.0193, 1),
    ("Fleming & Anttonen 1971", 0.07, 0.0088, 2),
    ("Ginsburg 1970", -0.07, 0.0303, 7),
];

/// CSV with the raw weeks and the recoded weeks_c = min(weeks, 3).
fn csv() -> String {
    let mut s = String::from("study,yi,vi,weeks,weeks_c\n");
    for (label, yi, vi, weeks) in TEACHER {
        s.push_str(&format!("{label},{yi},{vi},{weeks},{}\n", weeks.min(3)));
    }
    s
}

fn run(mods: &str) -> serde_json::Value {
    let doc = metapool::Document {
        data: csv(),
        options: metapool::Options {
            method: Some("REML".into()),
            ci: Some("z".into()),
            level: Some(0.95),
            mods: Some(metapool::Columns::Text(mods.into())),
            ..Default::default()
        },
    };
    let report = metapool::analyze(&doc).unwrap_or_else(|e| panic!("analyze failed: {e}"));
    serde_json::to_value(&report).expect("report serializes to JSON")
}

/// Table 16.2 (p. 301): mixed-effects model with weeks (recoded 0, 1, 2, 3+) as moderator.
#[test]
fn mixed_effects_model_weeks() {
    let v = run("weeks_c");
    let r = &v["regression"];
    assert_eq!(r["k"], 19);
    assert_eq!(r["QE_df"], 17, "QE has k - p = 17 df");
    assert_eq!(r["QM_df"], 1);
    let coef = r["coefficients"].as_array().expect("coefficients");
    assert_eq!(coef.len(), 2);
    assert_eq!(coef[0]["name"], "intrcpt");
    assert_eq!(coef[1]["name"], "weeks_c");

    let mut p = Printed::new();
    p.check("tau^2", &r["tau2"], "0.0000");
    p.check("intercept", &coef[0]["estimate"], "0.4072");
    p.check("weeks slope", &coef[1]["estimate"], "-0.1572");
    p.check("QE", &r["QE"], "16.5708");
    p.check("intercept z", &coef[0]["stat"], "4.678"); // printed 4.6782
    p.check("weeks slope z", &coef[1]["stat"], "-4.388"); // printed -4.3884
    p.finish();
}
