//! Plots of the optional analyses rendered to SVG on the host: subgroup forest, bubble,
//! contour-enhanced funnel, leave-one-out, Baujat and summary forest plots. Each test checks structure that can
//! fail (marks per study, headings, diamonds, labels escaped) and writes its SVG to
//! tests/snapshots/ (convert with `rsvg-convert -o x.png x.svg` to look at one).

mod common;

use common::plots::{
    analyze_with, assert_inside, attr, cells, elements, escape, has_run, num, polygons, snapshot,
    texts, BCG,
};
use metapool::plot::{self, PlotKind, PlotStyle};
use metapool::{Columns, Options, Report};

/// BCG with every optional analysis the plots read: subgroups by allocation, meta-regression on
/// absolute latitude, leave-one-out, small-study effects and a summary table by allocation.
fn bcg(method: &str) -> Report {
    analyze_with(BCG, options(method))
}

fn options(method: &str) -> Options {
    Options {
        method: Some(method.into()),
        by: Some("alloc".into()),
        mods: Some(Columns::Text("ablat".into())),
        leave1out: Some(true),
        bias: Some(true),
        table: Some(Columns::Text("alloc".into())),
        ..Default::default()
    }
}

/// Absolute latitude of the BCG trials, in data order.
fn ablat() -> Vec<f64> {
    column(BCG, 3)
}

fn column(csv: &str, j: usize) -> Vec<f64> {
    cells(csv, j)
        .iter()
        .map(|c| c.parse().expect("a number"))
        .collect()
}

/// Four-point polygons with the left and right points on one line: the diamonds.
fn diamonds(svg: &str) -> Vec<Vec<(f64, f64)>> {
    polygons(svg)
        .into_iter()
        .filter(|p| p.len() == 4 && p[0].1 == p[2].1 && p[1].0 == p[3].0)
        .collect()
}

/// The squares of the studies: every `<rect>` but the background and shaded bands, which are
/// far taller than a row.
fn squares(svg: &str) -> usize {
    elements(svg, "<rect")
        .iter()
        .filter(|e| !e.contains("x=\"0\" y=\"0\"") && num(e, "height") < 30.0)
        .count()
}

/// The text of the bold `<text>` elements.
fn bold_texts(svg: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in svg.match_indices("<text") {
        let open_end = i + svg[i..].find('>').unwrap();
        if svg[i..open_end].contains("bold") {
            let close = open_end + svg[open_end..].find("</text>").unwrap();
            out.push(svg[open_end + 1..close].trim().to_string());
        }
    }
    out
}

fn sized(kind: PlotKind, report: &Report) -> (PlotStyle, String) {
    let (width, height) = plot::size(kind, report);
    let style = PlotStyle {
        width,
        height,
        ..Default::default()
    };
    let svg = kind
        .svg(report, &style)
        .unwrap_or_else(|e| panic!("{kind:?} failed: {e}"));
    (style, svg)
}

// ---------------------------------------------------------------------------------------------
// Subgroup forest plot.

#[test]
fn bcg_subgroup_forest() {
    let r = bcg("REML");
    let (style, svg) = sized(PlotKind::SubgroupForest, &r);
    snapshot("subgroup_forest_bcg.svg", &svg);
    assert_inside(&svg, f64::from(style.width), f64::from(style.height));
    let t = texts(&svg);
    assert_eq!(squares(&svg), 13, "one square per study");
    for s in &r.studies {
        assert!(t.contains(&escape(&s.study)), "label {} is drawn", s.study);
    }
    assert!(svg.contains("Ferguson &amp; Simes 1949"));
    let groups = r.subgroups.as_ref().unwrap();
    assert_eq!(
        diamonds(&svg).len(),
        groups.len() + 1,
        "a diamond per subgroup and overall"
    );
    // Headings in the report's order, each followed by its studies in data order.
    let names: Vec<&str> = groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(names, ["alternate", "random", "systematic"]);
    let at = |s: &str| {
        t.iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s} drawn"))
    };
    assert!(at("alternate") < at("Frimodt-Moller et al 1973"));
    assert!(at("Frimodt-Moller et al 1973") < at("Stein &amp; Aronson 1953"));
    assert!(at("Stein &amp; Aronson 1953") < at("random"));
    assert!(at("random") < at("Aronson 1948") && at("Aronson 1948") < at("systematic"));
    assert!(at("systematic") < at("Comstock et al 1976"));
    // Headings are bold.
    for name in names {
        assert!(
            bold_texts(&svg).contains(&name.to_string()),
            "{name} is bold"
        );
    }
    // metafor: rma(yi, vi, data = dat, subset = alloc == g) gives alternate (k = 2) -0.5408
    // [-1.0927, 0.0111], random (k = 7) -0.9710 [-1.5118, -0.4301], systematic (k = 4) -0.4242
    // [-1.1293, 0.2809]; the weights are the sums of the studies' weights in the overall model.
    let sub = |k: usize, w: &str, e: &str, l: &str, u: &str| {
        let label = format!("RE model for subgroup (k = {k})");
        assert!(has_run(&t, &[&label, w, e, l, u]), "{label} {e} in {t:?}");
    };
    sub(2, "18.96%", "-0.54", "[-1.09,", "0.01]");
    sub(7, "50.52%", "-0.97", "[-1.51,", "-0.43]");
    sub(4, "30.52%", "-0.42", "[-1.13,", "0.28]");
    assert!(t.contains(
        &"Heterogeneity: τ² = 0.39; I² = 89.9%; Q = 110.21, df = 6, p &lt; 0.001".into()
    ));
    assert!(
        has_run(
            &t,
            &["RE model (REML)", "100.00%", "-0.71", "[-1.07,", "-0.36]"]
        ),
        "{t:?}"
    );
    let test = r.subgroup_test.as_ref().unwrap();
    let line = format!(
        "Test for subgroup differences: Q = {:.2}, df = 2, p = {:.3}",
        test.q,
        test.p.unwrap()
    );
    assert!(t.contains(&line), "{line} in {t:?}");
    assert!(
        t.iter()
            .filter(|s| s.starts_with("Heterogeneity: τ²"))
            .count()
            == 4
    );
}

#[test]
fn subgroup_forest_needs_subgroups() {
    let r = analyze_with(BCG, Options::default());
    let e = plot::subgroup_forest_svg(&r, &PlotStyle::default()).unwrap_err();
    assert!(e.to_string().contains("--by"), "{e}");
    assert_eq!(plot::size(PlotKind::SubgroupForest, &r), (760, 480));
}

#[test]
fn one_subgroup() {
    // Every study in one group: one heading, its diamond and the overall one; no test for
    // subgroup differences (it needs two subgroups).
    let data = "study,yi,vi,g\nA,0.1,0.01,x\nB,0.5,0.02,x\nC,0.9,0.03,x\n";
    let r = analyze_with(
        data,
        Options {
            by: Some("g".into()),
            ..Default::default()
        },
    );
    assert!(r.subgroup_test.is_none());
    let (_, svg) = sized(PlotKind::SubgroupForest, &r);
    snapshot("subgroup_forest_one.svg", &svg);
    let t = texts(&svg);
    assert_eq!(squares(&svg), 3);
    assert_eq!(diamonds(&svg).len(), 2);
    assert!(bold_texts(&svg).contains(&"x".to_string()));
    assert!(t.contains(&"RE model for subgroup (k = 3)".into()));
    assert!(!t
        .iter()
        .any(|s| s.starts_with("Test for subgroup differences")));
}

#[test]
fn subgroups_of_one_study_and_rows_without_a_group() {
    // k = 2 overall in groups of one, and a study with an empty group cell (in the overall fit
    // only, listed under its own heading without a diamond).
    let data = "study,yi,vi,g\n\"<A&B>\",0.1,0.01,one\nB,0.5,0.02,two\nC,0.3,0.05,\n";
    let r = analyze_with(
        data,
        Options {
            by: Some("g".into()),
            ..Default::default()
        },
    );
    let (style, svg) = sized(PlotKind::SubgroupForest, &r);
    snapshot("subgroup_forest_k1_groups.svg", &svg);
    assert_inside(&svg, f64::from(style.width), f64::from(style.height));
    let t = texts(&svg);
    assert!(svg.contains("&lt;A&amp;B&gt;") && !svg.contains("<A&B>"));
    assert_eq!(squares(&svg), 3);
    assert_eq!(diamonds(&svg).len(), 3, "two subgroups and overall");
    assert!(t.contains(&"Not in a subgroup".into()));
    assert_eq!(
        t.iter()
            .filter(|s| s.starts_with("RE model for subgroup (k = 1)"))
            .count(),
        2
    );
    // A subgroup of one study has no heterogeneity line.
    assert_eq!(
        t.iter().filter(|s| s.starts_with("Heterogeneity")).count(),
        1
    );
    assert!(t
        .iter()
        .any(|s| s.starts_with("Test for subgroup differences: Q = ")));
}

// ---------------------------------------------------------------------------------------------
// Bubble plot.

#[test]
fn bcg_bubble_plot() {
    let r = bcg("REML");
    let svg = plot::bubble_svg(&r, &ablat(), &PlotStyle::default()).unwrap();
    snapshot("bubble_bcg.svg", &svg);
    assert_inside(&svg, 760.0, 480.0);
    let circles = elements(&svg, "<circle");
    let filled: Vec<_> = circles
        .iter()
        .filter(|e| attr(e, "fill") != "none")
        .collect();
    let rings: Vec<_> = circles
        .iter()
        .filter(|e| attr(e, "fill") == "none")
        .collect();
    assert_eq!(
        (filled.len(), rings.len()),
        (13, 13),
        "a bubble per study, outlined"
    );
    // Area ∝ weight 1/(vi + τ²): the radii of the heaviest and lightest study.
    let tau2 = r.regression.as_ref().unwrap().tau2;
    let w: Vec<f64> = r.studies.iter().map(|s| 1.0 / (s.vi + tau2)).collect();
    let radii: Vec<f64> = filled.iter().map(|e| num(e, "r")).collect();
    let (wmax, wmin) = w
        .iter()
        .fold((0f64, f64::MAX), |(a, b), &x| (a.max(x), b.min(x)));
    let (rmax, rmin) = radii
        .iter()
        .fold((0f64, f64::MAX), |(a, b), &x| (a.max(x), b.min(x)));
    let want = (wmax / wmin).sqrt();
    assert!(
        ((rmax / rmin) - want).abs() < 0.15 * want,
        "radii {rmin}..{rmax}, want {want}"
    );
    let t = texts(&svg);
    assert!(t.contains(&"ablat".into()) && t.contains(&"Effect (yi)".into()));
    // metafor: slope -0.0291 [-0.0432, -0.0150], p < 0.001; τ² = 0.0763; R² = 75.6%.
    assert!(
        t.iter()
            .any(|s| s.starts_with("Slope -0.0291 [-0.0432, -0.0150], p &lt; 0.001")),
        "{t:?}"
    );
    // The fitted line (the one 2-pixel line) falls with latitude: its left end is higher.
    let lines: Vec<Vec<(f64, f64)>> = elements(&svg, "<polyline")
        .into_iter()
        .filter(|e| attr(e, "stroke-width") == "2")
        .map(|e| {
            attr(e, "points")
                .split_whitespace()
                .map(|p| {
                    let (x, y) = p.split_once(',').unwrap();
                    (x.parse().unwrap(), y.parse().unwrap())
                })
                .collect()
        })
        .collect();
    assert_eq!(lines.len(), 1);
    let (a, b) = (lines[0][0], lines[0][1]);
    assert!(a.0 < b.0 && a.1 < b.1, "{a:?} → {b:?}");
    let band: Vec<_> = polygons(&svg)
        .into_iter()
        .filter(|p| p.len() > 100)
        .collect();
    assert_eq!(band.len(), 1, "the confidence band");
}

#[test]
fn bubble_plot_refuses_what_it_cannot_show() {
    let r = bcg("REML");
    // Wrong length, values of another column, a regression on a text moderator, none at all.
    let e = plot::bubble_svg(&r, &ablat()[..12], &PlotStyle::default()).unwrap_err();
    assert!(e.to_string().contains("13 studies and 12 values"), "{e}");
    let year = column(BCG, 5);
    let e = plot::bubble_svg(&r, &year, &PlotStyle::default()).unwrap_err();
    assert!(e.to_string().contains("do not reproduce"), "{e}");
    let text = analyze_with(
        BCG,
        Options {
            mods: Some(Columns::Text("alloc".into())),
            ..Default::default()
        },
    );
    let e = plot::bubble_svg(&text, &ablat(), &PlotStyle::default()).unwrap_err();
    assert!(
        e.to_string().contains("allocrandom, allocsystematic"),
        "{e}"
    );
    let none = analyze_with(BCG, Options::default());
    let e = plot::bubble_svg(&none, &ablat(), &PlotStyle::default()).unwrap_err();
    assert!(e.to_string().contains("--mods"), "{e}");
    // Through the dispatcher the moderator values come from the report's design matrix.
    let via_report = PlotKind::Bubble.svg(&r, &PlotStyle::default()).unwrap();
    assert_eq!(
        via_report,
        plot::bubble_svg(&r, &ablat(), &PlotStyle::default()).unwrap()
    );
    let e = PlotKind::Bubble
        .svg(&none, &PlotStyle::default())
        .unwrap_err();
    assert!(e.to_string().contains("--mods"), "{e}");
}

#[test]
fn bubble_plot_leaves_out_studies_without_a_value() {
    let data =
        "study,yi,vi,x\nA,0.1,0.01,1\nB,0.5,0.02,2\nC,0.9,0.03,3\nD,0.4,0.02,\nE,1.1,0.05,4\n";
    let r = analyze_with(
        data,
        Options {
            mods: Some(Columns::Text("x".into())),
            ci: Some("hksj".into()),
            ..Default::default()
        },
    );
    let x = [1.0, 2.0, 3.0, f64::NAN, 4.0];
    let svg = plot::bubble_svg(&r, &x, &PlotStyle::default()).unwrap();
    snapshot("bubble_missing_value.svg", &svg);
    assert_eq!(
        elements(&svg, "<circle").len(),
        8,
        "four bubbles, each outlined"
    );
}

// ---------------------------------------------------------------------------------------------
// Contour-enhanced funnel plot.

#[test]
fn bcg_contour_funnel() {
    let r = bcg("REML");
    let tf = r.bias.as_ref().unwrap().trimfill.as_ref().unwrap();
    let (_, svg) = sized(PlotKind::FunnelContours, &r);
    snapshot("funnel_contours_bcg.svg", &svg);
    assert_inside(&svg, 760.0, 480.0);
    let circles = elements(&svg, "<circle");
    let open = circles.iter().filter(|e| attr(e, "fill") == "none").count();
    // One dot per study and one in the legend; the filled studies as white discs with a ring.
    assert_eq!(circles.len() - 2 * open, r.k + 1);
    assert_eq!(
        open,
        tf.k0 + usize::from(tf.k0 > 0),
        "an open circle per filled study"
    );
    let t = texts(&svg);
    for label in [
        "p &gt; 0.10",
        "0.05 &lt; p ≤ 0.10",
        "0.01 &lt; p ≤ 0.05",
        "p ≤ 0.01",
    ] {
        assert!(t.contains(&label.to_string()), "legend {label}: {t:?}");
    }
    assert!(t.contains(&"Standard error".into()) && t.contains(&"Effect (yi)".into()));
    // Three funnels (90, 95, 99 %) with their apex at 0 on top, nested.
    let funnels: Vec<_> = polygons(&svg)
        .into_iter()
        .filter(|p| p.len() >= 3)
        .collect();
    assert_eq!(funnels.len(), 3);
    let apex_x: Vec<f64> = funnels.iter().map(|p| p[0].0).collect();
    assert!(apex_x.iter().all(|&x| x == apex_x[0]), "{apex_x:?}");
    let width = |p: &Vec<(f64, f64)>| p.iter().map(|q| q.0).fold(f64::MIN, f64::max) - p[0].0;
    assert!(width(&funnels[0]) > width(&funnels[1]) && width(&funnels[1]) > width(&funnels[2]));
}

#[test]
fn contour_funnel_with_filled_studies() {
    // Small studies only on the right: trim and fill adds studies on the left.
    let data = "study,yi,vi\nA,0.10,0.005\nB,0.15,0.01\nC,0.30,0.03\nD,0.45,0.05\nE,0.60,0.08\n\
                F,0.70,0.10\nG,0.80,0.12\nH,0.20,0.02\n";
    let r = analyze_with(
        data,
        Options {
            bias: Some(true),
            ..Default::default()
        },
    );
    let tf = r.bias.as_ref().unwrap().trimfill.as_ref().unwrap();
    assert!(tf.k0 > 0, "this funnel is asymmetric");
    let svg = plot::funnel_contours_svg(&r, &PlotStyle::default()).unwrap();
    snapshot("funnel_contours_filled.svg", &svg);
    let circles = elements(&svg, "<circle");
    let open = circles.iter().filter(|e| attr(e, "fill") == "none").count();
    assert_eq!(open, tf.k0 + 1, "k0 filled studies and the legend's");
    let t = texts(&svg);
    assert!(t.contains(&"Filled by trim and fill".into()));
    let note = format!("Trim and fill: {} studies filled on the left side", tf.k0);
    assert!(t.iter().any(|s| s.starts_with(&note)), "{note}: {t:?}");
}

#[test]
fn contour_funnel_without_bias_analysis() {
    let r = analyze_with(BCG, Options::default());
    let svg = plot::funnel_contours_svg(&r, &PlotStyle::default()).unwrap();
    let circles = elements(&svg, "<circle");
    assert!(circles.iter().all(|e| attr(e, "fill") != "none"));
    assert_eq!(circles.len(), r.k + 1);
    assert!(!texts(&svg).iter().any(|s| s.contains("trim and fill")));
}

// ---------------------------------------------------------------------------------------------
// Leave-one-out plot.

#[test]
fn bcg_leave_one_out() {
    let r = bcg("REML");
    let (style, svg) = sized(PlotKind::LeaveOneOut, &r);
    snapshot("leave1out_bcg.svg", &svg);
    assert_inside(&svg, f64::from(style.width), f64::from(style.height));
    let t = texts(&svg);
    let l1o = r.leave1out.as_ref().unwrap();
    assert_eq!(
        elements(&svg, "<circle").len(),
        r.k,
        "a dot per omitted study"
    );
    assert_eq!(diamonds(&svg).len(), 1, "the estimate with all studies");
    for row in l1o {
        let mark = if row.influence.influential { " *" } else { "" };
        let label = escape(&format!("Omitting {}{mark}", row.study));
        assert!(t.contains(&label), "{label}");
        if row.influence.influential {
            assert!(bold_texts(&svg).contains(&label), "{label} is bold");
        }
    }
    // metafor: leave1out(rma(yi, vi, data = dat)) without Aronson 1948: -0.7071
    // [-1.0794, -0.3348], τ² = 0.3362, I² = 93.2257%.
    assert!(
        has_run(
            &t,
            &[
                "Omitting Aronson 1948",
                "0.34",
                "93.2%",
                "-0.71",
                "[-1.08,",
                "-0.33]"
            ]
        ),
        "{t:?}"
    );
    assert!(
        has_run(
            &t,
            &["All studies, RE model (REML)", "0.31", "92.2%", "-0.71"]
        ),
        "{t:?}"
    );
    assert!(t.contains(&"τ²".into()) && t.contains(&"I²".into()));
    // The confidence band of the full estimate.
    let tall = elements(&svg, "<rect")
        .into_iter()
        .filter(|e| num(e, "height") > 100.0 && !e.contains("x=\"0\" y=\"0\""))
        .count();
    assert_eq!(tall, 1);
    if l1o.iter().any(|r| r.influence.influential) {
        assert!(t.iter().any(|s| s.starts_with("* Influential")));
    }
}

#[test]
fn leave_one_out_marks_an_influential_study() {
    // One study far from the rest is the only one influence() flags.
    let data = "study,yi,vi\nA,0.1,0.01\nB,0.12,0.012\nC,0.08,0.011\nD,0.11,0.009\nE,0.2,0.02\n\
                F,0.05,0.015\nOutlier,1.5,0.01\n";
    let options = |method: &str| Options {
        method: Some(method.into()),
        leave1out: Some(true),
        ..Default::default()
    };
    let r = analyze_with(data, options("REML"));
    let flagged: Vec<_> = r
        .leave1out
        .as_ref()
        .unwrap()
        .iter()
        .filter(|r| r.influence.influential)
        .map(|r| r.study.as_str())
        .collect();
    assert_eq!(flagged, ["Outlier"]);
    let (_, svg) = sized(PlotKind::LeaveOneOut, &r);
    snapshot("leave1out_influential.svg", &svg);
    let t = texts(&svg);
    let bold = bold_texts(&svg);
    assert!(bold.contains(&"Omitting Outlier *".to_string()));
    assert!(!bold.contains(&"Omitting A".to_string()) && t.contains(&"Omitting A".into()));
    assert!(t.iter().any(|s| s.starts_with("* Influential")));
    // Under a common-effect model there is no τ² column.
    let (_, svg) = sized(PlotKind::LeaveOneOut, &analyze_with(data, options("FE")));
    let t = texts(&svg);
    assert!(!t.contains(&"τ²".into()) && t.contains(&"I²".into()));
}

#[test]
fn leave_one_out_with_two_studies() {
    let r = analyze_with(
        "study,yi,vi\nA,0.1,0.01\nB,0.5,0.02\n",
        Options {
            leave1out: Some(true),
            ..Default::default()
        },
    );
    let (_, svg) = sized(PlotKind::LeaveOneOut, &r);
    snapshot("leave1out_k2.svg", &svg);
    assert_eq!(elements(&svg, "<circle").len(), 2);
    let t = texts(&svg);
    // With two studies, each one's hat value (1/2 or more) passes metafor's cut-off 3p/k... or
    // not, depending on the weights: the label carries the mark when the report says so.
    for row in r.leave1out.as_ref().unwrap() {
        let mark = if row.influence.influential { " *" } else { "" };
        assert!(
            t.contains(&format!("Omitting {}{mark}", row.study)),
            "{t:?}"
        );
    }
    let (_, svg) = sized(PlotKind::Baujat, &r);
    snapshot("baujat_k2.svg", &svg);
    assert_eq!(elements(&svg, "<circle").len(), 2);
}

#[test]
fn leave_one_out_needs_the_option() {
    let r = analyze_with(BCG, Options::default());
    for kind in [PlotKind::LeaveOneOut, PlotKind::Baujat] {
        let e = kind.svg(&r, &PlotStyle::default()).unwrap_err();
        assert!(e.to_string().contains("--leave1out"), "{kind}: {e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Baujat plot.

#[test]
fn bcg_baujat_plot() {
    let r = bcg("REML");
    let (_, svg) = sized(PlotKind::Baujat, &r);
    snapshot("baujat_bcg.svg", &svg);
    assert_inside(&svg, 760.0, 480.0);
    assert_eq!(elements(&svg, "<circle").len(), r.k, "a dot per study");
    let t = texts(&svg);
    for s in &r.studies {
        assert!(t.contains(&escape(&s.study)), "label {}", s.study);
    }
    assert!(t.contains(&"Squared Pearson residual".into()));
    assert!(t.contains(&"Influence on overall result".into()));
    // The study with the largest influence is the topmost dot.
    let pts = plot::baujat_points(&r).unwrap();
    let top = (0..r.k)
        .max_by(|&a, &b| pts[a].y.unwrap().total_cmp(&pts[b].y.unwrap()))
        .unwrap();
    let cy: Vec<f64> = elements(&svg, "<circle")
        .iter()
        .map(|e| num(e, "cy"))
        .collect();
    assert_eq!(cy[top], cy.iter().cloned().fold(f64::MAX, f64::min));
    // Under a common-effect model the x axis is the contribution to Q.
    let fe = bcg("FE");
    let (_, svg) = sized(PlotKind::Baujat, &fe);
    snapshot("baujat_bcg_fe.svg", &svg);
    assert!(texts(&svg).contains(&"Contribution to overall heterogeneity".into()));
}

// ---------------------------------------------------------------------------------------------
// Summary forest plot.

const MEDIATION_IE: &str = include_str!("../www/examples/mediation_ie.csv");
const MEDIATION_PATHS: &str = include_str!("../www/examples/mediation_paths.csv");

#[test]
fn mediation_summary_forest() {
    // The IE example with a row per mediator × outcome.
    let r = analyze_with(
        MEDIATION_IE,
        Options {
            table: Some(Columns::Text("mediator,outcome".into())),
            ..Default::default()
        },
    );
    let rows = r.table.as_ref().unwrap();
    assert_eq!(rows.len(), 3);
    let (style, svg) = sized(PlotKind::SummaryForest, &r);
    snapshot("summary_forest_mediation_ie.svg", &svg);
    assert_inside(&svg, f64::from(style.width), f64::from(style.height));
    assert_eq!(diamonds(&svg).len(), 3, "a diamond per row, no overall one");
    assert_eq!(squares(&svg), 0, "no studies");
    let t = texts(&svg);
    assert!(t.contains(&"mediator · outcome".into()), "{t:?}");
    // Each row: its combination, k, I² and the estimate with its CI, as the report has them.
    for row in rows {
        let label = format!("{} · {}", row.groups["mediator"], row.groups["outcome"]);
        let f = &row.fit;
        let i2 = f.i2.map_or("—".to_string(), |v| format!("{v:.1}%"));
        let (est, lo, hi) = (
            format!("{:.2}", f.estimate),
            format!("[{:.2},", f.ci_lower.unwrap()),
            format!("{:.2}]", f.ci_upper.unwrap()),
        );
        let k = f.k.to_string();
        assert!(
            has_run(&t, &[&label, &k, &i2, &est, &lo, &hi]),
            "{label} {k} {i2} {est} {lo} {hi} in {t:?}"
        );
    }
    // Rows in the report's order: catastrophizing, fear, self-efficacy.
    let at = |s: &str| t.iter().position(|x| x.starts_with(s)).unwrap();
    assert!(at("catastrophizing") < at("fear") && at("fear") < at("self-efficacy"));
    // Prediction intervals (dashed lines through the diamonds) for the rows of two or more
    // studies only: short ink segments at the height of each diamond.
    let dashes_at = |y: f64| {
        elements(&svg, "<polyline")
            .iter()
            .filter(|e| attr(e, "stroke") == "#1A1A1A")
            .filter(|e| {
                let p: Vec<(f64, f64)> = attr(e, "points")
                    .split_whitespace()
                    .map(|q| {
                        let (x, y) = q.split_once(',').unwrap();
                        (x.parse().unwrap(), y.parse().unwrap())
                    })
                    .collect();
                p.len() == 2 && p[0].1 == y && p[1].1 == y && p[1].0 - p[0].0 <= 4.0
            })
            .count()
    };
    let pis: Vec<bool> = diamonds(&svg)
        .iter()
        .map(|d| dashes_at(d[0].1) > 2)
        .collect();
    let want: Vec<bool> = rows.iter().map(|r| r.fit.k > 1).collect();
    assert_eq!(pis, want, "dashed prediction intervals where k > 1");
    assert!(t
        .iter()
        .any(|s| s.starts_with("Each row is its own analysis") && s.contains("REML")));
}

#[test]
fn summary_forest_of_pooled_paths_data() {
    // Studies given by their paths (a·b with Sobel variances), a row per mediator.
    let r = analyze_with(
        MEDIATION_PATHS,
        Options {
            table: Some(Columns::Text("mediator".into())),
            mediation: Some("paths".into()),
            method: Some("DL".into()),
            ci: Some("hksj".into()),
            ..Default::default()
        },
    );
    let (style, svg) = sized(PlotKind::SummaryForest, &r);
    snapshot("summary_forest_mediation_paths.svg", &svg);
    assert_inside(&svg, f64::from(style.width), f64::from(style.height));
    let t = texts(&svg);
    assert_eq!(diamonds(&svg).len(), 3);
    for name in ["catastrophizing", "fear", "self-efficacy"] {
        assert!(t.contains(&name.to_string()), "{name} in {t:?}");
    }
    assert!(t.contains(&"mediator".into()));
    assert!(t
        .iter()
        .any(|s| s.contains("τ² by DL") && s.contains("Knapp–Hartung")));
    // Self-efficacy has one study: no I² ("—").
    assert!(has_run(&t, &["self-efficacy", "1", "—"]), "{t:?}");
}

#[test]
fn summary_forest_labels_are_text_and_need_a_table() {
    let data = "study,yi,vi,g\nA,0.1,0.01,<b>&\nB,0.5,0.02,<b>&\nC,0.3,0.05,\"x\"\n";
    let r = analyze_with(
        data,
        Options {
            table: Some(Columns::Text("g".into())),
            method: Some("FE".into()),
            ..Default::default()
        },
    );
    let (_, svg) = sized(PlotKind::SummaryForest, &r);
    assert!(svg.contains("&lt;b&gt;&amp;") && !svg.contains("<b>&"));
    // A common-effect model has no prediction intervals and says so in its note.
    let t = texts(&svg);
    assert!(t.iter().any(|s| s.contains("a common-effect model")));
    assert!(!t.iter().any(|s| s.starts_with("Dashed lines")));
    let none = analyze_with(BCG, Options::default());
    let e = PlotKind::SummaryForest
        .svg(&none, &PlotStyle::default())
        .unwrap_err();
    assert!(e.to_string().contains("--table"), "{e}");
    assert_eq!(plot::size(PlotKind::SummaryForest, &none), (760, 480));
}

// ---------------------------------------------------------------------------------------------
// Every kind through the dispatcher.

#[test]
fn every_kind_draws_on_bcg() {
    let r = bcg("DL");
    for kind in PlotKind::ALL {
        let (w, h) = plot::size(kind, &r);
        let style = PlotStyle {
            width: w,
            height: h,
            ..Default::default()
        };
        match kind.svg(&r, &style) {
            Ok(svg) => assert!(svg.starts_with("<svg"), "{kind}"),
            Err(e) => assert_eq!(kind, PlotKind::Bubble, "{kind}: {e}"),
        }
    }
}

#[test]
fn small_areas_scale_down() {
    let r = bcg("REML");
    for kind in PlotKind::ALL.into_iter().filter(|&k| k != PlotKind::Bubble) {
        let style = PlotStyle {
            width: 420,
            height: 260,
            ..Default::default()
        };
        let svg = kind.svg(&r, &style).unwrap();
        assert_inside(&svg, 420.0, 260.0);
    }
    let style = PlotStyle {
        width: 420,
        height: 260,
        ..Default::default()
    };
    let svg = plot::bubble_svg(&r, &ablat(), &style).unwrap();
    assert_inside(&svg, 420.0, 260.0);
    let e = PlotKind::Baujat
        .svg(
            &r,
            &PlotStyle {
                width: 0,
                ..Default::default()
            },
        )
        .unwrap_err();
    assert!(e.to_string().contains("positive width"), "{e}");
}
