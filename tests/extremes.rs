//! Numerical extremes: each case gives the right answer or a clear error, never a NaN.
//!
//! - Exact references (tests/reference/fixtures_extremes.json, from
//!   tests/reference/make_fixtures_extremes.py in 150-digit arithmetic): one study 10^10 and
//!   10^88 times more precise than the rest, effects that differ in the 12th digit, τ² = 0 at the
//!   boundary for REML/ML/PM/DL with both or one Q-profile limit at 0, the BCG data scaled to
//!   variances near 1e-99 and 1e96, shifted by 10^6, and with effects near 1e99.
//! - The accepted range (docs/reliability.md): variances from 1e-100 to 1e100, effects up to
//!   1e100, paths up to 1e50 with SEs from 1e-50 to 1e50; beyond it a clear error naming the row.
//! - k = 100,000 under every method and CI type, against sums computed here.
//! - Every optional analysis on scaled data gives the scaled results.

// Only the report walker (non_finite) is used here.
#[allow(dead_code)]
#[path = "fuzz/check.rs"]
mod check;

use metapool::{analyze, Columns, Document, Error, Options, Report};
use serde_json::Value;

const METHODS: [&str; 9] = ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"];

/// Relative tolerance against the exact references. The iterative estimators stop at a relative
/// change of 1e-13 and the roots at about 1e-15; 1e-9 leaves room for the conditioning of the
/// dominant-study cases and is far below any digit a report shows.
const REL: f64 = 1e-9;

/// Absolute floors under [`REL`], relative to the data's scale: for quantities in units of the
/// effect (estimate, SE) a fraction of √(max vᵢ), for τ² and its limits a fraction of max vᵢ,
/// and for I² (percent), H² and Q plain numbers. They matter only where the exact value is 0
/// or vanishingly small (τ² = 0, Q ≈ 1e-21).
const FLOOR_SCALE: f64 = 1e-13;
const FLOOR_PLAIN: f64 = 1e-10;

fn doc(data: &str, options: Options) -> Document {
    Document { data: data.into(), options }
}

fn with(method: &str, ci: &str) -> Options {
    Options { method: Some(method.into()), ci: Some(ci.into()), ..Default::default() }
}

fn close(ours: f64, exact: f64, floor: f64) -> bool {
    ours == exact || (ours - exact).abs() <= floor.max(REL * exact.abs())
}

fn finite(report: &Report) {
    let bad = check::non_finite(report);
    assert!(bad.is_empty(), "non-finite numbers: {bad:?}");
}

#[test]
fn exact_references() {
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/reference/fixtures_extremes.json"))
        .expect("tests/reference/fixtures_extremes.json");
    let fixtures: Value = serde_json::from_str(&text).unwrap();
    let mut failures = Vec::new();
    let mut compared = 0;
    for case in fixtures["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let data = case["data"].as_str().unwrap();
        for method in METHODS {
            let want = &case["expected"][method];
            let z = analyze(&doc(data, with(method, "z"))).unwrap_or_else(|e| panic!("{name} {method}: {e}"));
            let kh = analyze(&doc(data, with(method, "hksj"))).unwrap_or_else(|e| panic!("{name} {method} hksj: {e}"));
            finite(&z);
            finite(&kh);
            let max_v = z.studies.iter().map(|s| s.vi).fold(0.0, f64::max);
            let (unit, unit2) = (FLOOR_SCALE * max_v.sqrt(), FLOOR_SCALE * max_v);
            let o = &z.overall;
            let mut compare = |field: &str, ours: Option<f64>, exact: &Value, floor: f64| {
                compared += 1;
                let exact = exact.as_f64();
                let ok = match (ours, exact) {
                    (Some(a), Some(b)) => close(a, b, floor),
                    (a, b) => a == b,
                };
                if !ok {
                    failures.push(format!("{name} {method} {field}: ours {ours:?}, exact {exact:?}"));
                }
            };
            compare("estimate", Some(o.estimate), &want["estimate"], unit);
            compare("se", o.se, &want["se"], unit);
            compare("se (hksj)", kh.overall.se, &want["se_hksj"], unit);
            compare("tau2", Some(o.tau2), &want["tau2"], unit2);
            compare("Q", Some(o.q), &want["Q"], FLOOR_PLAIN * 1e-15);
            compare("I2", o.i2, &want["I2"], FLOOR_PLAIN);
            compare("H2", o.h2, &want["H2"], FLOOR_PLAIN);
            compare("tau2_ci_lower", o.tau2_ci_lower, &want["tau2_ci"][0], unit2);
            compare("tau2_ci_upper", o.tau2_ci_upper, &want["tau2_ci"][1], unit2);
        }
    }
    assert!(failures.is_empty(), "{} of {compared} numbers differ:\n{}", failures.len(), failures.join("\n"));
}

#[test]
fn boundary_tau2_is_exactly_zero() {
    // REML at the boundary: Q(0) < df, so REML, ML, PM, EB, DL, HS and HE all give τ² = 0
    // exactly (not 1e-13), I² = 0 and H² = 1; Q(0) is below the 2.5% quantile, so both
    // Q-profile limits are 0 too.
    let data = "yi,vi\n0.10,0.01\n0.101,0.02\n0.099,0.015\n0.1005,0.012\n0.1,0.03\n";
    for method in ["REML", "ML", "PM", "EB", "DL", "HS", "HE"] {
        let o = analyze(&doc(data, with(method, "z"))).unwrap().overall;
        assert_eq!((o.tau2, o.i2, o.h2), (0.0, Some(0.0), Some(1.0)), "{method}");
        assert_eq!((o.tau2_ci_lower, o.tau2_ci_upper), (Some(0.0), Some(0.0)), "{method}");
        assert_eq!((o.i2_ci_lower, o.i2_ci_upper), (Some(0.0), Some(0.0)), "{method}");
    }
}

#[test]
fn identical_effects() {
    // Every effect the same: Q = 0 exactly, the estimate is that effect to the last bit, τ² = 0,
    // and under Knapp–Hartung the SE is 0 with a warning (the statistic is left empty).
    for y in ["0.5", "-1e99", "1e-300", "0"] {
        let data = format!("yi,vi\n{y},0.01\n{y},0.02\n{y},0.5\n{y},1e-50\n");
        let value: f64 = y.parse().unwrap();
        for method in METHODS {
            let r = analyze(&doc(&data, with(method, "z"))).unwrap();
            finite(&r);
            assert_eq!((r.overall.estimate, r.overall.q, r.overall.tau2), (value, 0.0, 0.0), "{y} {method}");
            let kh = analyze(&doc(&data, with(method, "hksj"))).unwrap();
            finite(&kh);
            assert_eq!(kh.overall.se, Some(0.0), "{y} {method}");
            assert_eq!(kh.overall.stat, None);
            assert!(kh.warnings.iter().any(|w| w.contains("agree exactly")), "{:?}", kh.warnings);
        }
    }
}

#[test]
fn the_accepted_range() {
    // At the edges of the range every method and every analysis gives a finite report. Leave-one-
    // out computes its k fits from running sums on the data's own scale (crate::influence): where
    // those lose their digits (one variance 10^200 times another, or τ² near 1e200) it stops with
    // a clear error instead.
    let ok = |data: &str| {
        for method in METHODS {
            let options = Options {
                method: Some(method.into()),
                by: Some("g".into()),
                cumulative: Some(true),
                bias: Some(true),
                rounding: Some(true),
                ..Default::default()
            };
            let r = analyze(&doc(data, options)).unwrap_or_else(|e| panic!("{method} {data}: {e}"));
            finite(&r);
            let options = Options { method: Some(method.into()), leave1out: Some(true), ..Default::default() };
            match analyze(&doc(data, options)) {
                Ok(r) => finite(&r),
                Err(e) => assert!(matches!(e, Error::Numerical { .. }), "{method} {data}: {e}"),
            }
        }
    };
    ok("yi,vi,g\n0.1,1e-100,a\n0.3,2e-100,a\n0.2,3e-100,b\n0.25,1.5e-100,b\n");
    ok("yi,vi,g\n0.1,1e100,a\n0.3,5e99,a\n0.2,2e99,b\n-1e50,8e99,b\n");
    ok("a,sa,b,sb,g\n1e50,1e-50,1e-50,1e-50,a\n0.3,0.1,0.2,0.1,a\n0.1,0.2,0.3,0.1,b\n0.2,0.1,0.1,0.2,b\n");
    ok("yi,sei,g\n0.1,1e-50,a\n0.2,3e-50,a\n0.3,2e-50,b\n0.3,1e-49,b\n");
    ok("yi,sei,g\n0.1,1e50,a\n0.2,3e49,a\n0.3,2e49,b\n0.3,5e49,b\n");
    ok("yi,vi,g\n1e100,1,a\n-1e100,2,a\n5e99,1,b\n0,3,b\n");
    // One variance 10^200 times another, both at the edges: the common-effect and closed-form
    // fits stand; with only these two in a subgroup or a cumulative step, every term of the
    // Fisher-scoring step underflows (the smaller weight squared is below 1e-308 of the larger)
    // and REML, ML and EB stop with a clear error.
    let data = "yi,sei,g\n0.1,1e-50,a\n0.2,1e50,a\n0.3,1,b\n0.3,2,b\n";
    for method in METHODS {
        let options = Options { method: Some(method.into()), by: Some("g".into()), cumulative: Some(true), ..Default::default() };
        match analyze(&doc(data, options)) {
            Ok(r) => finite(&r),
            Err(e) => {
                assert!(["REML", "ML", "EB"].contains(&method), "{method}: {e}");
                assert!(matches!(e, Error::Numerical { .. }), "{method}: {e}");
            }
        }
        let r = analyze(&doc(data, Options { method: Some(method.into()), ..Default::default() })).unwrap();
        finite(&r);
    }
}

/// A seeded stream of k studies: effects around 0.3 with τ = 0.2, variances from 0.001 to 1.
fn many(k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut state = 0x2545_F491_4F6C_DD1Du64;
    let mut unit = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let (mut y, mut v) = (Vec::with_capacity(k), Vec::with_capacity(k));
    for _ in 0..k {
        let vi = 0.001 * 1000f64.powf(unit());
        // A sum of uniforms for a bell shape: mean 0, variance 1.
        let z = (0..12).map(|_| unit()).sum::<f64>() - 6.0;
        let w = (0..12).map(|_| unit()).sum::<f64>() - 6.0;
        y.push(0.3 + 0.2 * z + vi.sqrt() * w);
        v.push(vi);
    }
    (y, v)
}

/// Σ with Neumaier's compensation: the sums the test checks against.
fn sum(xs: impl Iterator<Item = f64>) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for x in xs {
        let t = s + x;
        c += if s.abs() >= x.abs() { (s - t) + x } else { (x - t) + s };
        s = t;
    }
    s + c
}

#[test]
fn k_100000() {
    let k = 100_000;
    let (y, v) = many(k);
    let data: String =
        std::iter::once("yi,vi\n".to_string()).chain(y.iter().zip(&v).map(|(a, b)| format!("{a:?},{b:?}\n"))).collect();
    // The common-effect estimate, Q and DerSimonian–Laird's τ² from compensated sums.
    let w: Vec<f64> = v.iter().map(|x| 1.0 / x).collect();
    let sw = sum(w.iter().copied());
    let mu = sum(w.iter().zip(&y).map(|(w, y)| w * y)) / sw;
    let q = sum(w.iter().zip(&y).map(|(w, y)| w * (y - mu) * (y - mu)));
    let trace = sw - sum(w.iter().map(|w| w * w)) / sw;
    let dl = (q - (k - 1) as f64) / trace;
    let mut reversed = data.lines().skip(1).collect::<Vec<_>>();
    reversed.reverse();
    let reversed = format!("yi,vi\n{}\n", reversed.join("\n"));
    for method in METHODS {
        for ci in ["z", "hksj"] {
            let r = analyze(&doc(&data, with(method, ci))).unwrap_or_else(|e| panic!("{method} {ci}: {e}"));
            finite(&r);
            let o = &r.overall;
            assert_eq!(r.k, k);
            assert!(close(o.q, q, 0.0), "{method}: Q {} vs {q}", o.q);
            match method {
                "FE" => assert!(close(o.estimate, mu, 0.0), "{} vs {mu}", o.estimate),
                "DL" => assert!(close(o.tau2, dl, 0.0), "{} vs {dl}", o.tau2),
                // τ = 0.2: the consistent estimators land near 0.04 with this many studies (SJ
                // and HS are biased with variances this unequal, so they are only checked above).
                "REML" | "ML" | "PM" | "EB" | "HE" => {
                    assert!((o.tau2 - 0.04).abs() < 0.004, "{method}: tau2 {}", o.tau2)
                }
                _ => assert!(o.tau2 >= 0.0),
            }
            let (lo, hi) = (o.tau2_ci_lower.unwrap_or(0.0), o.tau2_ci_upper.unwrap_or(0.0));
            assert!(lo <= hi && o.i2.unwrap() >= 0.0 && o.i2.unwrap() <= 100.0);
            // Order changes nothing.
            let b = analyze(&doc(&reversed, with(method, ci))).unwrap().overall;
            assert!(close(b.estimate, o.estimate, 1e-12) && close(b.tau2, o.tau2, 1e-14), "{method} {ci}");
        }
    }
}

#[test]
fn every_analysis_scales_with_the_data() {
    // The BCG data with effects times 2^-150 and variances times 2^-300 (near 1e-92), and times
    // 2^150 and 2^300: every analysis gives the same numbers scaled (estimates by c, τ² by c²,
    // statistics, p-values, I² and weights unchanged). Powers of two scale exactly, so the
    // agreement is to rounding.
    let bcg = include_str!("../www/examples/bcg.csv");
    let mut lines = bcg.lines();
    let header = lines.next().unwrap();
    let rows: Vec<Vec<String>> = lines.map(parse_row).collect();
    let options = Options {
        by: Some("alloc".into()),
        mods: Some(Columns::Text("ablat".into())),
        leave1out: Some(true),
        cumulative: Some(true),
        bias: Some(true),
        ..Default::default()
    };
    for power in [-150, 150] {
        let c = 2f64.powi(power);
        let scaled: String = std::iter::once(format!("{header}\n"))
            .chain(rows.iter().map(|r| {
                let y: f64 = r[1].parse().unwrap();
                let v: f64 = r[2].parse().unwrap();
                format!("\"{}\",{:?},{:?},{},{},{}\n", r[0], y * c, v * c * c, r[3], r[4], r[5])
            }))
            .collect();
        for method in ["REML", "DL", "FE", "PM"] {
            let o = Options { method: Some(method.into()), ..options.clone() };
            let a = analyze(&doc(bcg, o.clone())).unwrap();
            let b = analyze(&doc(&scaled, o)).unwrap_or_else(|e| panic!("2^{power} {method}: {e}"));
            finite(&b);
            let same = |x: f64, y: f64, what: &str| {
                assert!((x - y).abs() <= 1e-10 * x.abs().max(1e-300), "2^{power} {method} {what}: {x} vs {y}")
            };
            same(a.overall.estimate * c, b.overall.estimate, "estimate");
            same(a.overall.tau2 * c * c, b.overall.tau2, "tau2");
            same(a.overall.q, b.overall.q, "Q");
            same(a.overall.p.unwrap(), b.overall.p.unwrap(), "p");
            let (ra, rb) = (a.regression.as_ref().unwrap(), b.regression.as_ref().unwrap());
            same(ra.coefficients[1].estimate * c, rb.coefficients[1].estimate, "slope");
            same(ra.qm, rb.qm, "QM");
            // (Studentized residuals are not compared: like metafor, a residual below 100ε in
            // absolute terms is taken as 0, so at 2^-150 they all are.)
            for (x, y) in a.leave1out.as_ref().unwrap().iter().zip(b.leave1out.as_ref().unwrap()) {
                same(x.fit.estimate * c, y.fit.estimate, "leave-one-out estimate");
                same(x.fit.tau2 * c * c, y.fit.tau2, "leave-one-out tau2");
                if let (Some(p), Some(q)) = (x.influence.dffits, y.influence.dffits) {
                    same(p, q, "dffits");
                }
            }
            for (x, y) in a.cumulative.as_ref().unwrap().iter().zip(b.cumulative.as_ref().unwrap()) {
                same(x.fit.estimate * c, y.fit.estimate, "cumulative estimate");
            }
            for (x, y) in a.subgroups.as_ref().unwrap().iter().zip(b.subgroups.as_ref().unwrap()) {
                same(x.fit.estimate * c, y.fit.estimate, "subgroup estimate");
            }
            let (ba, bb) = (a.bias.as_ref().unwrap(), b.bias.as_ref().unwrap());
            same(ba.egger.as_ref().unwrap().stat, bb.egger.as_ref().unwrap().stat, "Egger");
            same(ba.trimfill.as_ref().unwrap().estimate * c, bb.trimfill.as_ref().unwrap().estimate, "trim and fill");
            assert_eq!(ba.failsafe.n, bb.failsafe.n);
        }
    }
}

/// One CSV row of the BCG example (its only quoted cell is the first).
fn parse_row(line: &str) -> Vec<String> {
    let (label, rest) = line[1..].split_once("\",").unwrap();
    std::iter::once(label.to_string()).chain(rest.split(',').map(|c| c.trim_matches('"').to_string())).collect()
}
