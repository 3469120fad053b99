//! The GOSH plot rendered to SVG on the host: shaded cells of subsets, the circle of the fit to
//! all studies, the axes and the note. It is drawn from the fits' density only (as the page draws
//! what its worker fitted). The SVG goes to tests/snapshots/ (convert with
//! `rsvg-convert -o x.png x.svg` to look at one).

mod common;

use common::plots::{analyze_with, elements, num, snapshot, texts, BCG};
use metapool::gosh::{run, Settings, DENSITY_BINS};
use metapool::plot::{self, PlotKind, PlotStyle, ReportGosh};
use metapool::tau2::Method;
use metapool::{Options, Studies};

fn bcg(method: &str) -> metapool::Report {
    analyze_with(
        BCG,
        Options {
            method: Some(method.into()),
            ..Default::default()
        },
    )
}

/// The BCG trials (k = 13: 8191 subsets) by DL, fitted from the report at once.
#[test]
fn gosh_bcg_draws_every_subset_as_shaded_cells() {
    let report = bcg("DL");
    let density = plot::gosh_density(&report).unwrap();
    let svg = plot::gosh_svg(&density, &PlotStyle::default()).unwrap();
    snapshot("gosh_bcg.svg", &svg);
    let t = texts(&svg);
    assert!(
        t.iter()
            .any(|s| s.contains("DL fits of all 8191 subsets of the 13 studies")),
        "{t:?}"
    );
    assert!(t.iter().any(|s| s == "I² (%)"), "{t:?}");
    assert!(t.iter().any(|s| s.starts_with("Effect")), "{t:?}");
    // Cells: rectangles besides the background; the darkest is the ink.
    let rects = elements(&svg, "<rect");
    assert!(rects.len() > 50, "{} cells", rects.len());
    assert!(
        svg.contains("#1A1A1A") || svg.contains("#1a1a1a"),
        "the fullest cell in ink"
    );
    // The circle of the fit to all studies sits where its estimate and I² put it.
    let circles = elements(&svg, "<circle");
    assert_eq!(circles.len(), 2, "a white disc and its ring");
    let cx = num(circles[0], "cx");
    assert!(cx > 0.0 && cx < 760.0);
}

/// The density from a run in steps (as a worker makes it) draws the same picture as the fits made
/// at once, and no plot kind draws GOSH from a report (that would fit on the drawing thread).
#[test]
fn gosh_from_steps_matches_the_fits_at_once() {
    let report = bcg("REML");
    let yi: Vec<f64> = report.studies.iter().map(|s| s.yi).collect();
    let vi: Vec<f64> = report.studies.iter().map(|s| s.vi).collect();
    let studies = Studies::from_effects(&yi, &vi).unwrap();
    let mut calls = 0;
    let g = run(&studies, &Settings::new(Method::REML), |_| calls += 1).unwrap();
    assert!(calls >= 1);
    let full = report.overall.i2.map(|i2| (report.overall.estimate, i2));
    let d = g.density(DENSITY_BINS.0, DENSITY_BINS.1, full);
    assert_eq!(
        d.counts.iter().map(|&c| u64::from(c)).sum::<u64>() + d.failed,
        8191
    );
    let style = PlotStyle {
        x_label: Some("Effect (yi)".into()),
        ..Default::default()
    };
    let svg = plot::gosh_svg(&d, &style).unwrap();
    snapshot("gosh_bcg_reml.svg", &svg);
    let at_once = plot::gosh_density(&report).unwrap();
    assert_eq!(at_once.x_label.as_deref(), Some("Effect (yi)"));
    assert_eq!(svg, plot::gosh_svg(&at_once, &PlotStyle::default()).unwrap());
    // The report's run in small steps, as the page's worker makes it: the same density.
    let mut steps = ReportGosh::new(&report).unwrap();
    while !steps.step(1000).finished() {}
    assert_eq!(steps.density(DENSITY_BINS.0, DENSITY_BINS.1), at_once);
    assert!(PlotKind::ALL.iter().all(|k| k.name() != "gosh"));
    assert!("gosh".parse::<PlotKind>().is_err());
    // A small area still draws; a zero-size one is an error.
    assert!(plot::gosh_svg(
        &d,
        &PlotStyle {
            width: 120,
            height: 90,
            ..Default::default()
        }
    )
    .is_ok());
    assert!(plot::gosh_svg(
        &d,
        &PlotStyle {
            width: 0,
            ..Default::default()
        }
    )
    .is_err());
}

#[test]
fn gosh_needs_two_studies() {
    let report = analyze_with("study,yi,vi\nA,0.1,0.01\n", Options::default());
    let e = plot::gosh_density(&report).unwrap_err();
    assert!(e.message().contains("at least 2 studies"), "{e}");
}
