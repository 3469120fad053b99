//! Viechtbauer, W. (2007). Confidence intervals for the amount of heterogeneity in meta-analysis.
//! *Statistics in Medicine*, 26(1), 37–52. Example: nine trials of diuretics in pregnancy and
//! pre-eclampsia (Collins, Yusuf & Peto, 1985; `metadat::dat.collins1985b`), log odds ratios.
//!
//! Printed values: Table II (p. 44): τ̂² by DL, ML, REML and SJ, and the Q-profile 95% CI for τ²
//! (0.0723 to 2.2027), at the 4 decimals metafor's test_analysis_example_viechtbauer2007a.r uses.
//! Every number was re-checked against R 4 with metafor 3.8.1 (converged and at default settings;
//! both agree at 4 decimals here).
//!
//! Comparison at the printed precision: |ours − printed| ≤ 0.5·10^−d for d printed decimals.

mod common;

use common::Printed;

/// Trial, treated n, control n, treated events, control events (pre-eclampsia).
const COLLINS: [(&str, f64, f64, f64, f64); 9] = [
    ("Weseley & Douglas 1962", 131.0, 136.0, 14.0, 14.0),
    ("Flowers et al. 1962", 385.0, 134.0, 21.0, 17.0),
    ("Menzies 1964", 57.0, 48.0, 14.0, 24.0),
    ("Fallis et al. 1964", 38.0, 40.0, 6.0, 18.0),
    ("Cuadros & Tatum 1964", 1011.0, 760.0, 12.0, 35.0),
    ("Landesman et al. 1965", 1370.0, 1336.0, 138.0, 175.0),
    ("Kraus et al. 1966", 506.0, 524.0, 15.0, 20.0),
    ("Tervila & Vartiainen 1971", 108.0, 103.0, 6.0, 2.0),
    ("Campbell & MacGillivray 1975", 153.0, 102.0, 65.0, 40.0),
];

/// Log odds ratios as metafor's escalc(measure = "OR") computes them (no zero cells here):
/// yi = ln(a·d / (b·c)), vi = 1/a + 1/b + 1/c + 1/d.
fn csv() -> String {
    let mut labels = Vec::new();
    let mut yi = Vec::new();
    let mut vi = Vec::new();
    for &(label, nt, nc, xt, xc) in &COLLINS {
        let (a, b, c, d) = (xt, nt - xt, xc, nc - xc);
        labels.push(label);
        yi.push((a * d / (b * c)).ln());
        vi.push(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d);
    }
    common::csv_yi_vi(&labels, &yi, &vi)
}

#[test]
fn table_2_tau2_estimates() {
    let data = csv();
    let mut p = Printed::new();
    for (method, tau2) in [
        ("DL", "0.2297"),
        ("ML", "0.2386"),
        ("REML", "0.3008"),
        ("SJ", "0.4563"),
    ] {
        let v = common::run(&data, method, "z", 0.95);
        p.check(&format!("{method} tau^2"), &v["overall"]["tau2"], tau2);
    }
    p.finish();
}

#[test]
fn table_2_q_profile_interval() {
    let data = csv();
    let mut p = Printed::new();
    // The Q-profile interval does not depend on the estimator of τ².
    for method in ["DL", "REML", "ML", "SJ"] {
        let v = common::run(&data, method, "z", 0.95);
        p.check(
            &format!("Q-profile lower ({method})"),
            &v["overall"]["tau2_ci_lower"],
            "0.0723",
        );
        p.check(
            &format!("Q-profile upper ({method})"),
            &v["overall"]["tau2_ci_upper"],
            "2.2027",
        );
    }
    p.finish();
}
