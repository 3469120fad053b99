//! DerSimonian, R., & Kacker, R. (2007). Random-effects model for meta-analysis of clinical
//! trials: An update. *Contemporary Clinical Trials*, 28(2), 105–114. The CLASP example (six trials
//! of aspirin in pregnancy, log odds ratios): τ̂, μ̂ and SE(μ̂) by several estimators, Tables 3 and 4
//! (pp. 111–112), at the 4 decimals metafor's test_analysis_example_dersimonian2007.r uses
//! (the paper's CA estimator is metafor's HE).
//!
//! Every number was re-checked against R 4 with metafor 3.8.1. Left out: the ML row's τ̂ = 0.0023
//! and μ̂ = −0.1974 come from an unconverged Fisher scoring iteration (metafor's default threshold
//! 10⁻⁵ gives the same); converged, ML τ̂² sits on the boundary 0 (metafor with threshold 10⁻¹²:
//! τ̂ < 10⁻⁶, μ̂ = −0.197347), so only its SE (0.0694) is checked.
//!
//! Comparison at the printed precision: |ours − printed| ≤ 0.5·10^−d for d printed decimals.

mod common;

use common::Printed;

/// Treated events, treated n, control events, control n.
const CLASP: [(f64, f64, f64, f64); 6] = [
    (5.0, 156.0, 8.0, 74.0),
    (5.0, 303.0, 17.0, 303.0),
    (12.0, 565.0, 9.0, 477.0),
    (69.0, 1570.0, 94.0, 1565.0),
    (9.0, 103.0, 11.0, 105.0),
    (313.0, 4659.0, 352.0, 4650.0),
];

/// Log odds ratios as metafor's escalc(measure = "OR") computes them (no zero cells here).
fn csv() -> String {
    let labels: Vec<String> = (1..=CLASP.len()).map(|i| format!("Trial {i}")).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let mut yi = Vec::new();
    let mut vi = Vec::new();
    for &(ai, n1, ci, n2) in &CLASP {
        let (a, b, c, d) = (ai, n1 - ai, ci, n2 - ci);
        yi.push((a * d / (b * c)).ln());
        vi.push(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d);
    }
    common::csv_yi_vi(&labels, &yi, &vi)
}

#[test]
fn tables_3_and_4() {
    let data = csv();
    let mut p = Printed::new();
    // method, tau, mu, se
    let rows = [
        ("PM", "0.3681", "-0.3811", "0.2060"),
        ("HE", "0.4410", "-0.4035", "0.2327"),
        ("DL", "0.2323", "-0.3240", "0.1540"),
        ("EB", "0.3681", "-0.3811", "0.2060"),
        ("REML", "0.1843", "-0.2980", "0.1343"),
        ("HS", "0.1330", "-0.2666", "0.1125"),
        ("SJ", "0.4572", "-0.4079", "0.2386"),
    ];
    for (method, tau, mu, se) in rows {
        let v = common::run(&data, method, "z", 0.95);
        let o = &v["overall"];
        p.check(&format!("{method} tau"), &o["tau"], tau);
        p.check(&format!("{method} mu"), &o["estimate"], mu);
        p.check(&format!("{method} se"), &o["se"], se);
    }
    let ml = common::run(&data, "ML", "z", 0.95);
    p.check("ML se", &ml["overall"]["se"], "0.0694");
    p.finish();
}
