//! `reproduce`: reading published results, and finding the settings that reproduce them.
//!
//! Published results: pooled results printed in classic papers must be matched by the settings
//! that produced them and by nothing that rounds differently. Each data set below is the one the
//! paper analysed (as in `metadat`); the printed numbers are those metafor's tests compare with
//! (tests/testthat/test_analysis_example_*.r, at the 4 decimals they use) or the paper's own.
//! Every expected set of matches was checked against R 4 with metafor 3.8.1 (each method and
//! test, tight convergence, rounded to the printed decimals).

mod common;

use metapool::reproduce::{I2Type, PiType, Preset, Published, Quantity, Reproduce, Scale};
use metapool::{analyze, Document, Error, Options};
use std::collections::BTreeSet;

// ---------------------------------------------------------------------------------------------
// Reading published results.

fn read(text: &str) -> Published {
    Published::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"))
}

fn main3(p: &Published) -> (f64, f64, f64) {
    (p.estimate.value, p.ci_lower.value, p.ci_upper.value)
}

#[test]
fn the_forms_papers_print() {
    let want = (-0.07, -0.11, -0.04);
    for text in [
        "-0.07 (-0.11, -0.04)",
        "\u{2212}0.07 [\u{2212}0.11; \u{2212}0.04]",
        "-0.07 (95% CI -0.11 to -0.04)",
        "\u{2212}0.07 (\u{2212}0.11 to \u{2212}0.04)",
        "\u{2212}0.07 (\u{2212}0.11\u{2013}\u{2212}0.04)",
        "-0,07 (-0,11; -0,04)",
        "SMD = -.07, 95% CI [-.11, -.04], p < .001",
        "-0.07 (-0.11, -0.04); Q(12) = 152.23, p < 0.001; z = 3.99; k = 13",
    ] {
        let p = read(text);
        assert_eq!(main3(&p), want, "{text}");
        assert_eq!([p.estimate.decimals, p.ci_lower.decimals, p.ci_upper.decimals], [2, 2, 2], "{text}");
        assert!(p.tau2.is_none() && p.i2.is_none() && p.pi_lower.is_none(), "{text}");
    }
    // Ratios with an en dash or a hyphen between the limits.
    for text in ["0.93 (0.87\u{2013}1.01)", "OR 0.93 (0.87-1.01)", "RR = 0.93, 95% CI: 0.87 to 1.01"] {
        assert_eq!(main3(&read(text)), (0.93, 0.87, 1.01), "{text}");
    }
    assert_eq!(read("0.930 (0.87, 1.0)").ci_upper.decimals, 1);
}

#[test]
fn heterogeneity_and_prediction_intervals() {
    let p = read("\u{2212}0.71 [\u{2212}1.06; \u{2212}0.36], \u{3c4}\u{b2} = 0.31, I\u{b2} = 92%, 95% PI \u{2212}1.87 to 0.44");
    assert_eq!(main3(&p), (-0.71, -1.06, -0.36));
    assert_eq!(p.tau2.unwrap().value, 0.31);
    assert_eq!(p.i2.unwrap().value, 92.0);
    assert_eq!(p.i2.unwrap().decimals, 0);
    assert_eq!((p.pi_lower.unwrap().value, p.pi_upper.unwrap().value), (-1.87, 0.44));
    assert_eq!(p.pi_level, Some(0.95));
    for (text, tau2, i2) in [
        ("-0.71 (-1.06, -0.36), tau^2 = 0.31, I^2 = 92%", Some(0.31), Some(92.0)),
        ("-0.71 (-1.06, -0.36); I2=92.1%; tau2=0.309", Some(0.309), Some(92.1)),
        ("-0.71 (-1.06, -0.36) (I-squared 92 %, tau-squared 0.31)", Some(0.31), Some(92.0)),
        ("-0.71 (-1.06, -0.36), T\u{b2} = 0.31", Some(0.31), None),
        ("-0.71 (-1.06, -0.36), I\u{b2}: 92", None, Some(92.0)),
    ] {
        let p = read(text);
        assert_eq!(main3(&p), (-0.71, -1.06, -0.36), "{text}");
        assert_eq!(p.tau2.map(|t| t.value), tau2, "{text}");
        assert_eq!(p.i2.map(|t| t.value), i2, "{text}");
    }
    for text in [
        "-0.71 (-1.06, -0.36), PI -1.87 to 0.44",
        "-0.71 (-1.06, -0.36); prediction interval: -1.87, 0.44",
        "-0.71 (-1.06, -0.36), PI [\u{2212}1.87; 0.44]",
        "-0.71 (-1.06, -0.36), PI (95%): -1.87 to 0.44",
        "-0.71 (-1.06, -0.36), PI -1.87\u{2013}0.44",
    ] {
        let p = read(text);
        assert_eq!((p.pi_lower.map(|x| x.value), p.pi_upper.map(|x| x.value)), (Some(-1.87), Some(0.44)), "{text}");
    }
    assert_eq!(read("-0.71 (90% CI -1.00 to -0.42)").level, Some(0.9));
    assert_eq!(read("-0.71 (-1.06, -0.36), tau = 0.56").tau.unwrap().value, 0.56);
}

#[test]
fn text_that_is_not_a_pooled_result() {
    for (text, problem) in [
        ("", "no numbers"),
        ("pooled effect", "no numbers"),
        ("-0.07", "one number"),
        ("-0.07 (-0.11)", "two numbers"),
        ("1, 2, 3, 4", "4 unlabelled numbers"),
        ("0.1 (0.3, 0.2)", "above the upper limit"),
        ("0.5 (0.1, 0.3)", "outside its limits"),
        ("-0.07 (-0.11, -0.04), I\u{b2} =", "needs a number"),
        ("-0.07 (-0.11, -0.04), PI 0.2", "two limits"),
        ("-0.07 (-0.11, -0.04), PI 0.3 to 0.2", "prediction interval's lower limit"),
        ("-0.07 (-0.11, -0.04), I\u{b2} = 120%", "from 0 to 100"),
        ("-0.07 (-0.11, -0.04), \u{3c4}\u{b2} = -0.1", "negative"),
        ("1e400 (1e399, 1e401)", "too large or too small"),
        ("-", "no numbers"),
        ("-.", "a sign stands before"),
        ("%%% 95% (", "no numbers"),
    ] {
        let e = Published::parse(text).unwrap_err();
        assert!(matches!(e, Error::BadResult { .. }), "{text}: {e:?}");
        let message = e.to_string();
        assert!(message.contains(&format!("'{text}'")), "{message}");
        assert!(message.contains(problem), "{text}: {message}");
        assert!(message.starts_with("reproduce: cannot read"), "{message}");
    }
}

// ---------------------------------------------------------------------------------------------
// Solving.

fn solve(csv: &str, text: &str, options: Options) -> Reproduce {
    let doc = Document {
        data: csv.into(),
        options: Options { reproduce: Some(text.into()), ..options },
    };
    analyze(&doc).unwrap_or_else(|e| panic!("{text}: {e}")).reproduce.expect("a reproduce section")
}

/// (method, ci, scale) of every match.
fn matched(r: &Reproduce) -> BTreeSet<(String, String, Scale)> {
    r.matches.iter().map(|m| (m.method.clone(), m.ci.clone(), m.scale)).collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String, Scale)> {
    items.iter().map(|(m, c)| (m.to_string(), c.to_string(), Scale::Identity)).collect()
}

#[test]
fn bcg_dersimonian_laird_is_dl_with_z_and_not_reml() {
    // The DerSimonian–Laird result for the BCG trials: −0.71 (−1.06 to −0.36), log risk ratio
    // (metafor: rma(yi, vi, method = "DL") gives −0.7141 [−1.0644, −0.3638]; REML gives
    // −0.7145 [−1.0669, −0.3622], whose lower limit rounds to −1.07).
    let r = solve(&common::bcg_csv(), "\u{2212}0.71 (\u{2212}1.06 to \u{2212}0.36)", Options::default());
    assert_eq!(matched(&r), set(&[("DL", "z")]));
    let dl = &r.matches[0];
    assert!(dl.presets.contains(&"revman5".to_string()) && dl.presets.contains(&"metan".to_string()));
    assert!(!dl.presets.contains(&"metafor".to_string()));
    assert!(dl.distance <= 0.5);
    let reml = r.nearest.iter().find(|m| m.method == "REML" && m.ci == "z").expect("REML is a near miss");
    assert!(reml.distance > 0.5);
    assert_eq!(reml.furthest, Quantity::CiLower);
    assert!((reml.ci_lower - -1.0669).abs() < 5e-5);
    // The match is the analysis metapool gives with those settings.
    let main = common::run(&common::bcg_csv(), "DL", "z", 0.95);
    assert_eq!(dl.estimate, main["overall"]["estimate"].as_f64().unwrap());
    assert_eq!(dl.ci_lower, main["overall"]["ci_lower"].as_f64().unwrap());
    // τ² and I² narrow nothing further here (DL's I² from τ² and from Q agree).
    let r = solve(&common::bcg_csv(), "-0.71 (-1.06, -0.36), \u{3c4}\u{b2} = 0.31, I\u{b2} = 92%", Options::default());
    assert_eq!(matched(&r), set(&[("DL", "z")]));
    let types: BTreeSet<Option<I2Type>> = r.matches.iter().map(|m| m.i2_type).collect();
    assert_eq!(types, [Some(I2Type::Tau2), Some(I2Type::Q)].into_iter().collect());
}

#[test]
fn bcg_risk_ratio_on_the_exponentiated_scale() {
    // Colditz et al. print the random-effects risk ratio 0.49 (0.34 to 0.70). At two decimals on
    // the ratio scale several estimators round alike (metafor, exp of each fit): DL 0.4896
    // (0.3449, 0.6950), REML 0.4894 (0.3441, 0.6962), PM = EB 0.4892 (0.3432, 0.6974),
    // HE 0.4888 (0.3413, 0.7000), SJ 0.4881 (0.3383, 0.7043); not ML 0.4911 (0.3506, 0.6878).
    let r = solve(&common::bcg_csv(), "RR 0.49 (0.34\u{2013}0.70)", Options::default());
    let expected: BTreeSet<_> = ["DL", "REML", "PM", "EB", "HE", "SJ"]
        .iter()
        .map(|m| (m.to_string(), "z".to_string(), Scale::Exp))
        .collect();
    assert_eq!(matched(&r), expected);
    let dl = r.matches.iter().find(|m| m.method == "DL").unwrap();
    assert!((dl.estimate - (-0.7141_f64).exp()).abs() < 1e-4);
}

/// Lee & Done (2004), acupoint stimulation and postoperative nausea (metadat::dat.lee2004):
/// study, treated events, treated n, control events, control n.
const LEE: [(&str, f64, f64, f64, f64); 16] = [
    ("Agarwal 2000", 18.0, 100.0, 20.0, 100.0),
    ("Agarwal 2002", 5.0, 50.0, 18.0, 50.0),
    ("Alkaissi 1999", 9.0, 20.0, 7.0, 20.0),
    ("Alkaissi 2002", 32.0, 135.0, 31.0, 139.0),
    ("Allen 1994", 9.0, 23.0, 10.0, 23.0),
    ("Andrzejowski 1996", 11.0, 18.0, 12.0, 18.0),
    ("Duggal 1998", 69.0, 122.0, 80.0, 122.0),
    ("Dundee 1986", 3.0, 25.0, 12.0, 25.0),
    ("Ferrera-Love 1996", 1.0, 30.0, 1.0, 30.0),
    ("Gieron 1993", 11.0, 30.0, 19.0, 30.0),
    ("Harmon 1999", 7.0, 44.0, 16.0, 39.0),
    ("Harmon 2000", 4.0, 47.0, 6.0, 47.0),
    ("Ho 1996", 1.0, 30.0, 13.0, 30.0),
    ("Rusy 2002", 24.0, 40.0, 71.0, 80.0),
    ("Wang 2002", 16.0, 50.0, 53.0, 88.0),
    ("Zarate 2001", 28.0, 110.0, 25.0, 111.0),
];

#[test]
fn henmi_copas_2010_dersimonian_laird() {
    // Henmi & Copas (2010), Statistics in Medicine 29, 2969–2983, p. 2978: DL random-effects
    // log odds ratio −0.6787 (−1.0664, −0.2911), τ² = 0.3325 (metafor's analyses:henmi2010).
    let labels: Vec<&str> = LEE.iter().map(|t| t.0).collect();
    let (mut yi, mut vi) = (Vec::new(), Vec::new());
    for &(_, a, n1, c, n2) in &LEE {
        let (b, d) = (n1 - a, n2 - c);
        yi.push((a * d / (b * c)).ln());
        vi.push(1.0 / a + 1.0 / b + 1.0 / c + 1.0 / d);
    }
    let csv = common::csv_yi_vi(&labels, &yi, &vi);
    let r = solve(&csv, "\u{2212}0.6787 (\u{2212}1.0664, \u{2212}0.2911), \u{3c4}\u{b2} = 0.3325", Options::default());
    assert_eq!(matched(&r), set(&[("DL", "z")]));
}

/// Normand (1999), length of hospital stay, specialist vs routine care (metadat::dat.normand1999):
/// source, n1, mean1, sd1, n2, mean2, sd2.
const NORMAND: [(&str, f64, f64, f64, f64, f64, f64); 9] = [
    ("Edinburgh", 155.0, 55.0, 47.0, 156.0, 75.0, 64.0),
    ("Orpington-Mild", 31.0, 27.0, 7.0, 32.0, 29.0, 4.0),
    ("Orpington-Moderate", 75.0, 64.0, 17.0, 71.0, 119.0, 29.0),
    ("Orpington-Severe", 18.0, 66.0, 20.0, 18.0, 137.0, 48.0),
    ("Montreal-Home", 8.0, 14.0, 8.0, 13.0, 18.0, 11.0),
    ("Montreal-Transfer", 57.0, 19.0, 7.0, 52.0, 18.0, 4.0),
    ("Newcastle", 34.0, 52.0, 45.0, 33.0, 41.0, 34.0),
    ("Umea", 110.0, 21.0, 16.0, 183.0, 31.0, 27.0),
    ("Uppsala", 60.0, 30.0, 27.0, 52.0, 23.0, 20.0),
];

#[test]
fn normand_1999_each_model_is_matched_by_itself() {
    // Normand (1999), Statistics in Medicine 18, 321–359, Table IX (p. 352): mean differences
    // with the pooled SD; the common-effect, DL and REML results (metafor's analyses:normand1999).
    let labels: Vec<&str> = NORMAND.iter().map(|t| t.0).collect();
    let (mut yi, mut vi) = (Vec::new(), Vec::new());
    for &(_, n1, m1, s1, n2, m2, s2) in &NORMAND {
        let sp2 = ((n1 - 1.0) * s1 * s1 + (n2 - 1.0) * s2 * s2) / (n1 + n2 - 2.0);
        yi.push(m1 - m2);
        vi.push(sp2 / n1 + sp2 / n2);
    }
    let csv = common::csv_yi_vi(&labels, &yi, &vi);
    for (text, expected) in [
        ("\u{2212}3.4939 (\u{2212}5.0265, \u{2212}1.9613)", ("FE", "z")),
        ("\u{2212}14.0972 (\u{2212}24.4454, \u{2212}3.7490), \u{3c4}\u{b2} = 218.7216", ("DL", "z")),
        ("\u{2212}15.1217 (\u{2212}32.6716, 2.4282), \u{3c4}\u{b2} = 685.1965", ("REML", "z")),
    ] {
        let r = solve(&csv, text, Options::default());
        assert_eq!(matched(&r), set(&[expected]), "{text}");
    }
}

/// Lipsey & Wilson (2001), Practical Meta-Analysis, Exhibit 7.3 (p. 133): study id, d, v.
const LIPSEY: [(&str, f64, f64); 10] = [
    ("100", -0.33, 0.084),
    ("308", 0.32, 0.035),
    ("1596", 0.39, 0.017),
    ("2479", 0.31, 0.034),
    ("9021", 0.17, 0.072),
    ("9028", 0.64, 0.117),
    ("161", -0.33, 0.102),
    ("172", 0.15, 0.093),
    ("537", -0.02, 0.012),
    ("7049", 0.00, 0.067),
];

#[test]
fn lipsey_wilson_2001_common_and_random_effects() {
    let labels: Vec<&str> = LIPSEY.iter().map(|t| t.0).collect();
    let yi: Vec<f64> = LIPSEY.iter().map(|t| t.1).collect();
    let vi: Vec<f64> = LIPSEY.iter().map(|t| t.2).collect();
    let csv = common::csv_yi_vi(&labels, &yi, &vi);
    let r = solve(&csv, "0.1549 (0.0356, 0.2742)", Options::default());
    assert_eq!(matched(&r), set(&[("FE", "z")]));
    let r = solve(&csv, "0.1534 (\u{2212}0.0146, 0.3215)", Options::default());
    assert_eq!(matched(&r), set(&[("DL", "z")]));
}

/// Raudenbush (2009), teacher expectancy (metadat::dat.raudenbush1985): yi, vi.
const TEACHER: [(f64, f64); 19] = [
    (0.03, 0.0156),
    (0.12, 0.0216),
    (-0.14, 0.0279),
    (1.18, 0.1391),
    (0.26, 0.1362),
    (-0.06, 0.0106),
    (-0.02, 0.0106),
    (-0.32, 0.0484),
    (0.27, 0.0269),
    (0.80, 0.0630),
    (0.54, 0.0912),
    (0.18, 0.0497),
    (-0.02, 0.0835),
    (0.23, 0.0841),
    (-0.18, 0.0253),
    (-0.06, 0.0279),
    (0.30, 0.0193),
    (0.07, 0.0088),
    (-0.07, 0.0303),
];

#[test]
fn raudenbush_2009_reml_with_z_and_with_knapp_hartung() {
    // Table 16.3 (p. 309): REML, conventional and Knapp–Hartung inference.
    let labels: Vec<String> = (1..=TEACHER.len()).map(|i| format!("Study {i}")).collect();
    let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
    let yi: Vec<f64> = TEACHER.iter().map(|t| t.0).collect();
    let vi: Vec<f64> = TEACHER.iter().map(|t| t.1).collect();
    let csv = common::csv_yi_vi(&labels, &yi, &vi);
    let r = solve(&csv, "0.0837 (\u{2212}0.0175, 0.1849), \u{3c4}\u{b2} = 0.0188", Options::default());
    assert_eq!(matched(&r), set(&[("REML", "z")]));
    assert!(r.matches[0].presets.contains(&"metafor".to_string()));
    let r = solve(&csv, "0.0837 (\u{2212}0.0457, 0.2131), \u{3c4}\u{b2} = 0.0188", Options::default());
    assert_eq!(matched(&r), set(&[("REML", "hksj")]));
    assert_eq!(r.matches[0].presets, ["jasp"]);
    let r = solve(&csv, "0.0893 (\u{2212}0.0200, 0.1987)", Options::default());
    assert_eq!(matched(&r), set(&[("DL", "z")]));
}

// ---------------------------------------------------------------------------------------------
// The variants: prediction intervals, I², SE rules and levels of input limits.

/// R: qt(0.975, 11), the t quantile of a 95% interval with k − 2 = 11 df for the 13 BCG trials.
const T_975_11: f64 = 2.200_985_160_091_639;

/// A result printed from a fit, at `d` decimals, with the given extras.
fn printed(estimate: f64, lo: f64, hi: f64, d: usize) -> String {
    format!("{estimate:.d$} ({lo:.d$}, {hi:.d$})")
}

#[test]
fn prediction_interval_types_are_told_apart() {
    let v = common::run(&common::bcg_csv(), "DL", "z", 0.95);
    let o = &v["overall"];
    let (est, se, tau2) = (o["estimate"].as_f64().unwrap(), o["se"].as_f64().unwrap(), o["tau2"].as_f64().unwrap());
    let base = printed(est, o["ci_lower"].as_f64().unwrap(), o["ci_upper"].as_f64().unwrap(), 4);
    // Higgins–Thompson–Spiegelhalter: t with k − 2 = 11 df.
    let half = T_975_11 * (se * se + tau2).sqrt();
    let text = format!("{base}, PI {:.4} to {:.4}", est - half, est + half);
    let r = solve(&common::bcg_csv(), &text, Options::default());
    assert!(!r.matches.is_empty(), "{text}");
    for m in &r.matches {
        assert_eq!((m.method.as_str(), m.ci.as_str(), m.pi_type), ("DL", "z", Some(PiType::Hts)), "{text}");
        assert!(m.presets.contains(&"meta4".to_string()));
    }
    // metafor's own (normal quantile) is the report's prediction interval.
    let text = format!("{base}, PI {:.4} to {:.4}", o["pi_lower"].as_f64().unwrap(), o["pi_upper"].as_f64().unwrap());
    let r = solve(&common::bcg_csv(), &text, Options::default());
    let types: BTreeSet<_> = r.matches.iter().map(|m| (m.method.clone(), m.ci.clone(), m.pi_type)).collect();
    assert_eq!(types, [("DL".to_string(), "z".to_string(), Some(PiType::Z))].into_iter().collect());
    // Knapp–Hartung: metafor's predict() under test = "knha".
    let h = common::run(&common::bcg_csv(), "REML", "hksj", 0.95);
    let o = &h["overall"];
    let text = format!(
        "{}, PI {:.4} to {:.4}",
        printed(o["estimate"].as_f64().unwrap(), o["ci_lower"].as_f64().unwrap(), o["ci_upper"].as_f64().unwrap(), 4),
        o["pi_lower"].as_f64().unwrap(),
        o["pi_upper"].as_f64().unwrap()
    );
    let r = solve(&common::bcg_csv(), &text, Options::default());
    assert_eq!(r.matches.len(), 1, "{text}: {:?}", r.matches);
    assert_eq!((r.matches[0].method.as_str(), r.matches[0].pi_type), ("REML", Some(PiType::Hksj)));
    assert!(r.matches[0].presets.contains(&"jasp".to_string()));
}

#[test]
fn i2_from_q_and_from_tau2_are_told_apart() {
    // REML: metafor's I² (from τ²) is 92.22%, Higgins' (Q − df)/Q is 92.12%.
    let v = common::run(&common::bcg_csv(), "REML", "z", 0.95);
    let o = &v["overall"];
    let base = printed(o["estimate"].as_f64().unwrap(), o["ci_lower"].as_f64().unwrap(), o["ci_upper"].as_f64().unwrap(), 4);
    let q = o["Q"].as_f64().unwrap();
    let higgins = 100.0 * (q - 12.0) / q;
    let r = solve(&common::bcg_csv(), &format!("{base}, I\u{b2} = {higgins:.2}%"), Options::default());
    assert_eq!(r.matches.len(), 1);
    assert_eq!(r.matches[0].i2_type, Some(I2Type::Q));
    let presets: BTreeSet<&str> = r.matches[0].presets.iter().map(String::as_str).collect();
    assert!(presets.contains("meta5") && presets.contains("meta8") && !presets.contains("metafor"), "{presets:?}");
    let r = solve(&common::bcg_csv(), &format!("{base}, I\u{b2} = {:.2}%", o["I2"].as_f64().unwrap()), Options::default());
    assert_eq!(r.matches.len(), 1);
    assert_eq!(r.matches[0].i2_type, Some(I2Type::Tau2));
}

#[test]
fn se_rules_and_levels_of_input_limits() {
    let ie = include_str!("../www/examples/mediation_ie.csv");
    // A result computed with the wider half of 90% limits, by PM.
    let doc = Document {
        data: ie.into(),
        options: Options {
            method: Some("PM".into()),
            ci_se_rule: Some("wider".into()),
            ci_level_in: Some(0.9),
            ..Default::default()
        },
    };
    let o = analyze(&doc).unwrap().overall;
    let text = printed(o.estimate, o.ci_lower.unwrap(), o.ci_upper.unwrap(), 4);
    let r = solve(ie, &text, Options::default());
    assert!(
        r.matches.iter().any(|m| m.method == "PM"
            && m.ci == "z"
            && m.ci_se_rule == Some(metapool::mediation::sensitivity::CiSeRule::Wider)
            && m.ci_level_in == Some(0.9)),
        "{text}: {:?}",
        r.matches
    );
    // Every setting names its rule and level; the data's own first.
    assert!(r.matches.iter().chain(&r.nearest).all(|m| m.ci_se_rule.is_some() && m.ci_level_in.is_some()));
    // Studies given by variances have neither.
    let r = solve(&common::bcg_csv(), "-0.71 (-1.06, -0.36)", Options::default());
    assert!(r.matches.iter().chain(&r.nearest).all(|m| m.ci_se_rule.is_none() && m.ci_level_in.is_none()));
}

#[test]
fn a_stated_level_is_used() {
    let v = common::run(&common::bcg_csv(), "DL", "z", 0.9);
    let o = &v["overall"];
    let text = format!(
        "{:.2} (90% CI {:.2} to {:.2})",
        o["estimate"].as_f64().unwrap(),
        o["ci_lower"].as_f64().unwrap(),
        o["ci_upper"].as_f64().unwrap()
    );
    let r = solve(&common::bcg_csv(), &text, Options::default());
    assert_eq!(r.level, 0.9);
    assert!(matched(&r).contains(&("DL".to_string(), "z".to_string(), Scale::Identity)), "{text}");
}

#[test]
fn nearest_misses_are_the_best_of_each_model_and_sorted() {
    let r = solve(&common::bcg_csv(), "-0.50 (-0.60, -0.40)", Options::default());
    assert!(r.matches.is_empty());
    assert_eq!(r.nearest.len(), metapool::reproduce::solver::NEAREST);
    assert!(r.nearest.windows(2).all(|w| w[0].distance <= w[1].distance));
    let keys: BTreeSet<_> = r.nearest.iter().map(|m| (m.method.clone(), m.ci.clone(), m.scale)).collect();
    assert_eq!(keys.len(), r.nearest.len());
    assert!(r.tried >= 18);
}

// ---------------------------------------------------------------------------------------------
// Presets.

#[test]
fn presets_set_method_and_ci_unless_given() {
    let run = |options: Options| analyze(&Document { data: common::bcg_csv(), options }).unwrap();
    let r = run(Options { preset: Some("RevMan 5".into()), ..Default::default() });
    assert_eq!((r.overall.method.as_str(), r.overall.ci.as_str()), ("DL", "z"));
    let p = r.preset.unwrap();
    assert_eq!(p.code, "revman5");
    assert!(p.source.contains("Cochrane Handbook"));
    assert!(p.overridden.is_empty());
    assert_eq!(p.i2, r.overall.i2); // DL: (Q − df)/Q is metafor's I² too
    let r = run(Options { preset: Some("jasp".into()), ..Default::default() });
    assert_eq!((r.overall.method.as_str(), r.overall.ci.as_str()), ("REML", "hksj"));
    let p = r.preset.unwrap();
    assert_eq!((p.pi_lower, p.pi_upper), (r.overall.pi_lower, r.overall.pi_upper));
    // An explicit method wins, and the report says so.
    let r = run(Options { preset: Some("metafor".into()), method: Some("PM".into()), ..Default::default() });
    assert_eq!((r.overall.method.as_str(), r.overall.ci.as_str()), ("PM", "z"));
    assert_eq!(r.preset.unwrap().overridden, ["method"]);
    // meta 5–7: the HTS prediction interval, t with k − 2 df.
    let r = run(Options { preset: Some("meta5".into()), ..Default::default() });
    let p = r.preset.unwrap();
    let o = &r.overall;
    let half = T_975_11 * (o.se.unwrap().powi(2) + o.tau2).sqrt();
    assert!((p.pi_upper.unwrap() - (o.estimate + half)).abs() < 1e-12);
    let q = o.q;
    assert!((p.i2.unwrap() - 100.0 * (q - 12.0) / q).abs() < 1e-12);
}

#[test]
fn every_preset_has_a_source_and_a_unique_code() {
    let codes: BTreeSet<&str> = Preset::ALL.iter().map(|p| p.code).collect();
    assert_eq!(codes.len(), Preset::ALL.len());
    for p in Preset::ALL {
        assert!(p.source.len() > 40, "{}", p.code);
        assert_eq!(Preset::parse(p.code).unwrap().code, p.code);
    }
    let e = Preset::parse("CMA").unwrap_err();
    assert_eq!(
        e.to_string(),
        "unknown preset 'CMA': choose one of revman5, metafor, meta8, meta5, meta4, jasp, stata, metan"
    );
}
