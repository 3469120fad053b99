//! GOSH fits of every subset against metafor's `gosh()`.
//!
//! `tests/reference/fixtures_gosh.json` is written by
//! `Rscript tests/reference/make_fixtures_gosh.R` (R is not needed to run this test): for each
//! data set and method, metafor's k, estimate, QE, I², H² and τ² of every subset, ordered by the
//! subset's bit mask, which is also the order of metapool's exhaustive run. Numbers agree by
//! [`common::close`] (I² by [`common::close_i2`]); all mismatches are reported in one failure.

mod common;

use common::{reference_cases, Mismatches};
use metapool::gosh::{run, Settings};
use metapool::tau2::Method;
use serde_json::Value;

/// 2 data sets × 9 methods.
const MIN_CASES: usize = 18;

#[test]
fn every_subset_agrees_with_metafor_gosh() {
    let cases = reference_cases("fixtures_gosh.json", MIN_CASES);
    let mut m = Mismatches::new().i2_zero();
    for case in &cases {
        let name = case["name"].as_str().expect("case name");
        let data = case["data"].as_str().expect("case data");
        let method = Method::parse(case["options"]["method"].as_str().expect("method")).unwrap();
        let studies = metapool::input::read_studies(data, &Default::default())
            .unwrap()
            .studies;
        let g = run(&studies, &Settings::new(method), |_| {}).unwrap();
        assert!(g.exhaustive(), "{name}: every subset");
        let fits = serde_json::to_value(g.fits()).unwrap();
        for field in ["k", "estimate", "Q", "I2", "H2", "tau2"] {
            let ours = fits[field].as_array().unwrap();
            let theirs = case["expected"][field].as_array().unwrap();
            if ours.len() != theirs.len() {
                m.push(
                    name,
                    &format!("{field}.len"),
                    &Value::from(ours.len()),
                    &Value::from(theirs.len()),
                );
                continue;
            }
            for (i, (o, t)) in ours.iter().zip(theirs).enumerate() {
                m.number(&format!("{name} subset {}", i + 1), field, o, t);
            }
        }
    }
    m.finish(cases.len());
}
