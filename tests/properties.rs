//! Invariants every fit must satisfy, checked on random data (proptest):
//! order of studies changes nothing; y → a + b·y with v → b²·v moves the estimate to a + b·μ̂ and
//! scales SEs by |b| (τ² by b²); τ² ≥ 0; 0 ≤ I² ≤ 100; random effects equal the common effect
//! when τ² = 0; weights sum to 100.

use metapool::model::{fit, CiType, Fit, Settings};
use metapool::tau2::Method;
use metapool::Studies;
use proptest::prelude::*;

/// |a − b| ≤ abs + rel·|b|.
fn close(a: f64, b: f64, rel: f64, abs: f64) -> bool {
    (a - b).abs() <= abs + rel * b.abs()
}

fn data() -> impl Strategy<Value = (Vec<f64>, Vec<f64>)> {
    (2usize..25).prop_flat_map(|k| {
        (
            prop::collection::vec(-3.0f64..3.0, k),
            prop::collection::vec(0.005f64..1.0, k),
        )
    })
}

fn run(y: &[f64], v: &[f64], method: Method, ci: CiType) -> Fit {
    let studies = Studies::from_effects(y, v).unwrap();
    fit(&studies, &Settings { method, ci, level: 0.95 }).expect("fits on well-behaved data")
}

/// Property tolerance: the iterative estimators stop at a relative change of 1e-13, so results
/// on permuted or rescaled data agree to far better than this.
const PROP: f64 = 1e-8;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn order_of_studies_changes_nothing((y, v) in data(), rot in 0usize..25) {
        for method in Method::ALL {
            for ci in CiType::ALL {
                let a = run(&y, &v, method, ci);
                let r = rot % y.len();
                let (mut y2, mut v2) = (y.clone(), v.clone());
                y2.rotate_left(r);
                v2.rotate_left(r);
                y2.reverse();
                v2.reverse();
                let b = run(&y2, &v2, method, ci);
                prop_assert!(close(a.pooled.estimate, b.pooled.estimate, PROP, 1e-12), "{method:?} estimate");
                prop_assert!(close(a.tau2.value, b.tau2.value, PROP, 1e-12), "{method:?} tau2");
                prop_assert!(close(a.pooled.se.unwrap(), b.pooled.se.unwrap(), PROP, 1e-12));
                prop_assert!(close(a.q.q, b.q.q, PROP, 1e-10));
            }
        }
    }

    #[test]
    fn affine_equivariance((y, v) in data(), shift in -5.0f64..5.0, scale in prop_oneof![0.01f64..100.0, -100.0f64..-0.01]) {
        for method in Method::ALL {
            for ci in CiType::ALL {
                let a = run(&y, &v, method, ci);
                let y2: Vec<f64> = y.iter().map(|x| shift + scale * x).collect();
                let v2: Vec<f64> = v.iter().map(|x| scale * scale * x).collect();
                let b = run(&y2, &v2, method, ci);
                let s = scale.abs();
                prop_assert!(close(b.pooled.estimate, shift + scale * a.pooled.estimate, PROP, 1e-9 * s), "{method:?} {ci:?} estimate");
                prop_assert!(close(b.pooled.se.unwrap(), s * a.pooled.se.unwrap(), PROP, 1e-12 * s), "{method:?} {ci:?} se");
                prop_assert!(close(b.tau2.value, scale * scale * a.tau2.value, PROP, 1e-12 * scale * scale), "{method:?} tau2 {} vs {}", b.tau2.value, a.tau2.value);
                prop_assert!(close(b.q.q, a.q.q, PROP, 1e-10), "{method:?} Q");
                if let (Some(ia), Some(ib)) = (a.i2, b.i2) {
                    prop_assert!(close(ia, ib, PROP, 1e-8), "{method:?} I2");
                }
                if let (Some((la, ua)), Some((lb, ub))) = (a.tau2_ci, b.tau2_ci) {
                    let s2 = scale * scale;
                    prop_assert!(close(lb, s2 * la, PROP, 1e-10 * s2) && close(ub, s2 * ua, PROP, 1e-10 * s2), "{method:?} tau2 CI");
                }
            }
        }
    }

    #[test]
    fn bounds_hold((y, v) in data()) {
        for method in Method::ALL {
            for ci in CiType::ALL {
                let f = run(&y, &v, method, ci);
                prop_assert!(f.tau2.value >= 0.0);
                let i2 = f.i2.unwrap();
                prop_assert!((0.0..=100.0).contains(&i2));
                prop_assert!(f.h2.unwrap() >= 1.0 - 1e-12 || method == Method::FE);
                let total: f64 = f.weights.iter().sum();
                prop_assert!(close(total, 100.0, 1e-12, 1e-10));
                let (lo, hi) = f.pooled.ci.unwrap();
                prop_assert!(lo <= f.pooled.estimate && f.pooled.estimate <= hi);
                if let Some((tl, tu)) = f.tau2_ci {
                    prop_assert!(0.0 <= tl && tl <= tu);
                }
                if let Some((pl, pu)) = f.pooled.pi {
                    prop_assert!(pl <= lo + 1e-12 && hi <= pu + 1e-12);
                }
            }
        }
    }

    #[test]
    fn random_equals_common_when_tau2_is_zero(v in prop::collection::vec(0.005f64..1.0, 2..25), mu in -2.0f64..2.0) {
        // Identical effects: every estimator gives τ² = 0, so every model is the common-effect one.
        let y = vec![mu; v.len()];
        let fe = run(&y, &v, Method::FE, CiType::Z);
        for method in Method::ALL {
            let f = run(&y, &v, method, CiType::Z);
            prop_assert_eq!(f.tau2.value, 0.0, "{:?}", method);
            prop_assert!(close(f.pooled.estimate, fe.pooled.estimate, 1e-12, 1e-14));
            prop_assert!(close(f.pooled.se.unwrap(), fe.pooled.se.unwrap(), 1e-12, 1e-14));
        }
    }
}

#[test]
fn eb_equals_pm() {
    // Empirical Bayes converges to the Paule–Mandel estimate (Viechtbauer et al. 2015).
    let y = [0.1, 0.5, 0.9, -0.2, 0.35, 1.2];
    let v = [0.01, 0.02, 0.03, 0.015, 0.05, 0.04];
    let eb = run(&y, &v, Method::EB, CiType::Z);
    let pm = run(&y, &v, Method::PM, CiType::Z);
    assert!(close(eb.tau2.value, pm.tau2.value, 1e-10, 1e-14));
}

#[test]
fn single_study_gives_its_own_estimate() {
    let f = run(&[0.4], &[0.04], Method::REML, CiType::Z);
    assert_eq!(f.pooled.estimate, 0.4);
    assert!(close(f.pooled.se.unwrap(), 0.2, 1e-15, 0.0));
    assert_eq!(f.tau2.value, 0.0);
    assert!(f.i2.is_none() && f.tau2_ci.is_none() && f.q.p.is_none());
    // Knapp–Hartung has no df with one study: metafor (and metapool) use z, with a warning.
    let f = run(&[0.4], &[0.04], Method::REML, CiType::Hksj);
    let z = run(&[0.4], &[0.04], Method::REML, CiType::Z);
    assert_eq!(f.pooled.ci, z.pooled.ci);
    assert_eq!(f.settings.ci, CiType::Z);
    assert!(f.warnings.iter().any(|w| w.contains("Knapp–Hartung needs at least two studies")));
}
