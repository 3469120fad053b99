//! Forest and funnel plots rendered to SVG on the host: structure that can fail, escaping, and
//! edge cases. Every SVG is also written to tests/snapshots/ so that changes to the pictures show
//! up in review (convert with `rsvg-convert -o x.png x.svg` to look at one).

mod common;

use common::plots::{
    analyze_with, assert_inside, cells, elements, escape, has_run, num, polygons, snapshot, texts,
    BCG,
};
use metapool::plot::{self, PlotStyle};
use metapool::{Options, Report};

fn report(data: &str, method: &str, ci: Option<&str>) -> Report {
    analyze_with(
        data,
        Options {
            method: Some(method.into()),
            ci: ci.map(Into::into),
            ..Default::default()
        },
    )
}

fn forest(report: &Report) -> String {
    let (width, height) = plot::forest_size(report);
    let style = PlotStyle {
        width,
        height,
        ..Default::default()
    };
    plot::forest_svg(report, &style).unwrap_or_else(|e| panic!("forest plot failed: {e}"))
}

fn funnel(report: &Report) -> String {
    plot::funnel_svg(report, &PlotStyle::default()).unwrap_or_else(|e| panic!("funnel failed: {e}"))
}

/// Squares of the studies: every `<rect>` but the background, which covers the whole picture.
fn squares(svg: &str) -> usize {
    let all = elements(svg, "<rect");
    assert!(
        all[0].contains("x=\"0\" y=\"0\""),
        "the first rect is the background: {}",
        all[0]
    );
    all.len() - 1
}

#[test]
fn bcg_forest_plot() {
    let r = report(BCG, "REML", None);
    let svg = forest(&r);
    snapshot("forest_bcg.svg", &svg);
    let (w, h) = plot::forest_size(&r);
    assert!(svg.contains(&format!("viewBox=\"0 0 {w} {h}\"")));
    assert_inside(&svg, f64::from(w), f64::from(h));

    assert_eq!(squares(&svg), 13, "one square per study");
    let t = texts(&svg);
    for label in cells(BCG, 0) {
        assert!(t.contains(&escape(&label)), "label {label} is drawn");
    }
    assert!(svg.contains("Ferguson &amp; Simes 1949"));
    // Pooled row: metafor's rma(yi, vi, data = dat.bcg) prints -0.7145 [-1.0669, -0.3622].
    assert!(
        has_run(
            &t,
            &["RE model (REML)", "100.00%", "-0.71", "[-1.07,", "-0.36]"]
        ),
        "{t:?}"
    );
    // Prediction interval, metafor's predict(): [-1.8663, 0.4373].
    assert!(
        has_run(&t, &["Prediction interval", "[-1.87,", "0.44]"]),
        "{t:?}"
    );
    // First study, Aronson 1948: yi = -0.8893, vi = 0.3256.
    assert!(
        has_run(&t, &["Aronson 1948", "-0.89", "[-2.01,", "0.23]"]) || t.contains(&"-0.89".into())
    );
    assert!(t
        .iter()
        .any(|s| s.starts_with("Heterogeneity: τ² = 0.31; I² = 92.2%; Q = 152.23, df = 12")));
    assert!(t.contains(&"Effect (yi)".to_string()));
    assert!(t.contains(&"Estimate [95% CI]".to_string()) && t.contains(&"Weight".to_string()));

    // The diamond: four points, widest at the CI, centred on the estimate.
    let diamonds: Vec<_> = polygons(&svg)
        .into_iter()
        .filter(|p| p.len() == 4)
        .collect();
    assert_eq!(diamonds.len(), 1, "one diamond");
    let d = &diamonds[0];
    assert_eq!(d[0].1, d[2].1, "left and right points on one line");
    assert!(d[0].0 < d[1].0 && d[1].0 < d[2].0 && d[1].0 == d[3].0);
}

#[test]
fn study_weights_and_squares() {
    let r = report(BCG, "REML", None);
    let svg = forest(&r);
    let t = texts(&svg);
    for s in &r.studies {
        assert!(
            t.contains(&format!("{:.2}%", s.weight)),
            "weight of {}",
            s.study
        );
    }
    // Square area is proportional to weight: compare the heaviest and the lightest study.
    let sides: Vec<f64> = elements(&svg, "<rect")
        .iter()
        .skip(1)
        .map(|e| num(e, "width"))
        .collect();
    let (wmax, wmin) = r.studies.iter().fold((0f64, f64::MAX), |(a, b), s| {
        (a.max(s.weight), b.min(s.weight))
    });
    let smax = sides.iter().cloned().fold(0.0, f64::max);
    let smin = sides.iter().cloned().fold(f64::MAX, f64::min);
    let want = (wmax / wmin).sqrt();
    assert!(
        ((smax / smin) - want).abs() < 0.35 * want,
        "sides {smin}..{smax}, want ratio {want}"
    );
}

#[test]
fn common_effect_has_no_prediction_interval() {
    let r = report(BCG, "FE", None);
    assert!(r.overall.pi_lower.is_none());
    let svg = forest(&r);
    snapshot("forest_bcg_fe.svg", &svg);
    let t = texts(&svg);
    assert!(t.contains(&"FE model".to_string()));
    assert!(!t.contains(&"Prediction interval".to_string()));
    assert!(
        !t.iter().any(|s| s.contains("τ²")),
        "no τ² under a common-effect model"
    );
    assert_eq!(squares(&svg), 13);
    assert_eq!(polygons(&svg).iter().filter(|p| p.len() == 4).count(), 1);
}

#[test]
fn one_study() {
    let r = report("study,yi,vi\nOnly one,0.4,0.04\n", "REML", None);
    let svg = forest(&r);
    snapshot("forest_k1.svg", &svg);
    let t = texts(&svg);
    assert_eq!(squares(&svg), 1);
    assert!(t.contains(&"Only one".to_string()));
    assert!(has_run(&t, &["0.40", "[0.01,", "0.79]"]), "{t:?}");
    assert!(
        !t.iter().any(|s| s.starts_with("Heterogeneity")),
        "nothing to say with one study"
    );
    let svg = funnel(&r);
    assert_eq!(elements(&svg, "<circle").len(), 1);
}

#[test]
fn missing_pooled_interval_is_drawn_as_na() {
    // analyze() always gives a pooled CI today (with k = 1 Knapp–Hartung falls back to z, as in
    // metafor), but the report's contract allows null fields: the plot must cope.
    let mut r = report("study,yi,vi\nOnly one,-0.4,0.04\n", "REML", Some("hksj"));
    r.overall.ci_lower = None;
    r.overall.ci_upper = None;
    r.overall.se = None;
    let svg = forest(&r);
    snapshot("forest_k1_hksj.svg", &svg);
    let t = texts(&svg);
    assert!(has_run(&t, &["-0.40", "[NA,", "NA]"]), "{t:?}");
    assert!(
        polygons(&svg).iter().all(|p| p.len() != 4),
        "no diamond without a CI"
    );
}

fn synthetic(k: usize) -> String {
    let mut csv = String::from("study,yi,vi\n");
    for i in 0..k {
        let yi = 0.3 + 0.6 * ((i as f64) * 1.7).sin() - 0.2 * ((i * 13 % 7) as f64 / 7.0);
        let vi = 0.01 + 0.12 * ((i * 37 % 101) as f64 / 101.0).powi(2);
        csv.push_str(&format!(
            "Study {:03} ({}),{yi:.4},{vi:.4}\n",
            i + 1,
            1990 + i % 30
        ));
    }
    csv
}

#[test]
fn many_studies_grow_the_height() {
    let r = report(&synthetic(150), "DL", None);
    let (_, h150) = plot::forest_size(&r);
    let (_, h13) = plot::forest_size(&report(BCG, "DL", None));
    assert!(
        f64::from(h150 - h13) > 137.0 * 18.0,
        "height grows by a row per study: {h13} → {h150}"
    );
    let svg = forest(&r);
    snapshot("forest_k150.svg", &svg);
    assert_eq!(squares(&svg), 150);
    let t = texts(&svg);
    assert!(t.contains(&"Study 150 (2019)".to_string()));
    assert_eq!(
        t.iter().filter(|s| s.ends_with('%')).count(),
        151,
        "a weight per study and 100%"
    );
    let svg = funnel(&r);
    snapshot("funnel_k150.svg", &svg);
    assert_eq!(elements(&svg, "<circle").len(), 150);
}

#[test]
fn hostile_and_long_labels_are_drawn_as_text() {
    let long =
        "A remarkably long study label that names every author of the trial and its acronym \
                and the year";
    let data = format!(
        "study,yi,vi\n\"<script>alert(1)</script>\",0.2,0.05\n\"A & B \"\"quoted\"\" 'x'\",-0.3,0.02\n\
         \"{long}\",0.1,0.03\nMüller–Łukasz 中文,0.5,0.08\n"
    );
    let r = report(&data, "REML", None);
    let svg = forest(&r);
    snapshot("forest_labels.svg", &svg);
    assert!(svg.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(
        !svg.contains("<script"),
        "markup in a label must not reach the SVG as markup"
    );
    assert!(svg.contains("A &amp; B &quot;quoted&quot; &apos;x&apos;"));
    assert!(svg.contains("Müller–Łukasz 中文"));
    let t = texts(&svg);
    let shortened = t
        .iter()
        .find(|s| s.starts_with("A remarkably long"))
        .expect("long label drawn");
    assert!(
        shortened.ends_with('…') && shortened.len() < long.len(),
        "{shortened}"
    );
    assert_eq!(squares(&svg), 4);
}

#[test]
fn wide_intervals_end_in_arrows() {
    // One study with a huge interval would squash the others: it is clipped with arrows.
    let data = "study,yi,vi\nA,0.1,0.01\nB,0.3,0.02\nC,-0.2,0.015\nD,0.4,9\n";
    let r = report(data, "REML", None);
    let svg = forest(&r);
    snapshot("forest_arrows.svg", &svg);
    let arrows = polygons(&svg).into_iter().filter(|p| p.len() == 3).count();
    assert_eq!(arrows, 2, "both ends of D's interval leave the axis");
    assert_eq!(squares(&svg), 4);
}

#[test]
fn negative_and_positive_effects_share_one_axis() {
    let data = "study,yi,vi\nNeg,-2.5,0.1\nPos,3.1,0.2\nZero,0,0.05\n";
    let r = report(data, "DL", None);
    let svg = forest(&r);
    snapshot("forest_mixed.svg", &svg);
    let t = texts(&svg);
    assert!(
        t.contains(&"0".to_string()) || t.contains(&"0.0".to_string()),
        "0 is a tick: {t:?}"
    );
    assert!(has_run(&t, &["-2.50", "[-3.12,", "-1.88]"]), "{t:?}");
}

#[test]
fn bcg_funnel_plot() {
    let r = report(BCG, "REML", None);
    let svg = funnel(&r);
    snapshot("funnel_bcg.svg", &svg);
    assert_eq!(elements(&svg, "<circle").len(), 13, "one dot per study");
    let triangles: Vec<_> = polygons(&svg)
        .into_iter()
        .filter(|p| p.len() == 3)
        .collect();
    assert_eq!(triangles.len(), 1, "the pseudo confidence region");
    let tri = &triangles[0];
    assert!(
        tri[0].1 < tri[1].1 && tri[1].1 == tri[2].1,
        "apex at the top, base at the bottom"
    );
    // Precise studies sit higher: the dot of the smallest se is the topmost.
    let cy: Vec<f64> = elements(&svg, "<circle")
        .iter()
        .map(|e| num(e, "cy"))
        .collect();
    let top = cy.iter().cloned().fold(f64::MAX, f64::min);
    let i_min_se = (0..r.k)
        .min_by(|&a, &b| r.studies[a].se.total_cmp(&r.studies[b].se))
        .unwrap();
    assert_eq!(cy[i_min_se], top);
    let t = texts(&svg);
    assert!(t.contains(&"Standard error".to_string()) && t.contains(&"Effect (yi)".to_string()));
    assert!(
        t.contains(&"0.00".to_string()) || t.contains(&"0.0".to_string()),
        "se axis starts at 0"
    );
    assert_inside(&svg, 760.0, 480.0);
}

#[test]
fn a_zero_size_is_an_error() {
    let r = report(BCG, "REML", None);
    let style = PlotStyle {
        width: 0,
        ..Default::default()
    };
    let e = plot::forest_svg(&r, &style).unwrap_err();
    assert!(e.to_string().contains("positive width"), "{e}");
    assert!(plot::funnel_svg(&r, &style).is_err());
}

#[test]
fn a_short_area_scales_the_plot_down() {
    let r = report(&synthetic(60), "REML", None);
    let style = PlotStyle {
        width: 600,
        height: 300,
        ..Default::default()
    };
    let svg = plot::forest_svg(&r, &style).unwrap();
    assert_eq!(squares(&svg), 60);
    assert_inside(&svg, 600.0, 300.0);
}
