//! The Baujat plot: each study's contribution to the heterogeneity against its influence on the
//! pooled result, as metafor 3.8's `baujat()`.
//!
//! # Formula
//! With the model's estimate μ̂, its τ̂² (0 under a common-effect model) and the leave-one-out fit
//! μ̂₍₋ᵢ₎ with variance Var(μ̂₍₋ᵢ₎) (same method and CI type, so under Knapp–Hartung the adjusted
//! variance), study i sits at
//! - x = (yᵢ − μ̂)² / (vᵢ + τ̂²), its squared Pearson residual; under a common-effect model this
//!   is wᵢ(yᵢ − μ̂_FE)² with wᵢ = 1/vᵢ, its contribution to Cochran's Q (Baujat's original x);
//! - y = (μ̂₍₋ᵢ₎ − μ̂)² / Var(μ̂₍₋ᵢ₎), the standardized squared change of the estimate.
//!
//! Studies at the right contribute much heterogeneity; studies at the top move the result.
//!
//! # Reference
//! Baujat B, Mahé C, Pignon J-P, Hill C (2002). A graphical method for exploring heterogeneity
//! in meta-analyses: application to a meta-analysis of 65 trials. *Statistics in Medicine*
//! 21(18), 2641–2652. doi:10.1002/sim.1221

use super::frame::{Frame, Spec, SMALL};
use super::leave1out::NEEDS_LEAVE1OUT;
use super::paint::{rgb, tint, Font, Painter, Target};
use super::{check_report, finite, painter, PlotError, PlotStyle};
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;

/// One study's place on the Baujat plot.
#[derive(Debug, Clone, PartialEq)]
pub struct BaujatPoint {
    pub study: String,
    /// Data row, from 1.
    pub row: usize,
    /// Contribution to the heterogeneity: the squared Pearson residual.
    pub x: f64,
    /// Influence on the pooled estimate; `None` when the fit without the study has no variance.
    pub y: Option<f64>,
}

/// The Baujat coordinates of every study (see the module docs), in data order.
///
/// # Errors
/// [`PlotError`] when the report has no leave-one-out results.
///
/// # Example
/// ```
/// let doc = metapool::Document {
///     data: "study,yi,vi\nA,0.1,0.01\nB,0.5,0.02\nC,0.9,0.03\n".into(),
///     options: metapool::Options { leave1out: Some(true), ..Default::default() },
/// };
/// let report = metapool::analyze(&doc).unwrap();
/// let points = metapool::plot::baujat_points(&report).unwrap();
/// assert_eq!(points.len(), 3);
/// assert!(points.iter().all(|p| p.x >= 0.0 && p.y.unwrap() >= 0.0));
/// ```
pub fn baujat_points(report: &Report) -> Result<Vec<BaujatPoint>, PlotError> {
    let deleted = match &report.leave1out {
        Some(rows) if !rows.is_empty() => rows,
        _ => return Err(PlotError::new(format!("the Baujat plot {NEEDS_LEAVE1OUT}"))),
    };
    let o = &report.overall;
    let tau2 = if o.model == "common" { 0.0 } else { o.tau2 };
    Ok(report
        .studies
        .iter()
        .map(|s| {
            let x = (s.yi - o.estimate).powi(2) / (s.vi + tau2);
            let y = deleted.iter().find(|d| d.row == s.row).and_then(|d| {
                let se = finite(d.fit.se)?;
                finite(Some((d.fit.estimate - o.estimate).powi(2) / (se * se)))
            });
            BaujatPoint {
                study: s.study.clone(),
                row: s.row,
                x,
                y,
            }
        })
        .collect())
}

/// Draws the Baujat plot of `report` on `area` (any backend whose text size is in pixels; for
/// SVG use [`baujat_svg`]): a dot per study, labelled with its name where there is room.
///
/// # Errors
/// [`PlotError`] when the report has no leave-one-out results, holds non-finite numbers, or the
/// backend fails.
pub fn draw_baujat<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw(area, report, style, style.scale, Target::Pixels)
}

/// The Baujat plot of `report` as an SVG document of `style.width × style.height` pixels.
///
/// # Errors
/// As [`draw_baujat`], or for a zero width or height.
pub fn baujat_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| draw(area, report, style, 1.0, Target::Svg))
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
    scale: f64,
    target: Target,
) -> Result<(), PlotError> {
    check_report(report)?;
    let points = baujat_points(report)?;
    let shown: Vec<(&BaujatPoint, f64)> = points
        .iter()
        .filter_map(|pt| Some((pt, pt.y?)))
        .filter(|(pt, _)| pt.x.is_finite())
        .collect();
    let p = painter(area, style, scale, target)?;
    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);
    let x_max = shown.iter().map(|(pt, _)| pt.x).fold(0.0, f64::max);
    let y_max = shown.iter().map(|&(_, y)| y).fold(0.0, f64::max);
    let x_title = if report.overall.model == "common" {
        "Contribution to overall heterogeneity"
    } else {
        "Squared Pearson residual"
    };
    let left_out = points.len() - shown.len();
    let mut notes: Vec<String> = Vec::new();
    if left_out > 0 {
        notes.push(format!(
            "{left_out} of {} studies not shown: the fit without them has no variance",
            points.len()
        ));
    }
    // Lay out, place the labels, and lay out again with a note when some points are too close
    // to others to be labelled.
    let mut frame = Frame::new(&p, style.font_size, &spec(x_max, y_max, x_title, &notes));
    let mut labels = place_labels(&p, &frame, &shown);
    let unlabelled = labels.iter().filter(|l| l.is_none()).count();
    if unlabelled > 0 {
        notes.push(format!(
            "{unlabelled} {} too close to others to be labelled",
            if unlabelled == 1 {
                "point is"
            } else {
                "points are"
            }
        ));
        frame = Frame::new(&p, style.font_size, &spec(x_max, y_max, x_title, &notes));
        labels = place_labels(&p, &frame, &shown);
    }
    let f = frame.f;
    let r = dot_radius(f);
    let small = Font::regular(SMALL * f);
    for &(pt, y) in &shown {
        p.dot((frame.x(pt.x), frame.y(y)), r, ink)?;
    }
    for label in labels.iter().flatten() {
        if let Some((from, to)) = label.leader {
            p.line(from, to, tint(ink, 0.6), 1.0)?;
        }
        p.text(&label.text, label.at, small, grey, HPos::Left, false)?;
    }
    frame.draw_axes(&p, &spec(x_max, y_max, x_title, &notes), ink, grey)
}

/// The frame: both axes from 0, a little beyond the largest value.
fn spec<'s>(x_max: f64, y_max: f64, x_title: &'s str, notes: &'s [String]) -> Spec<'s> {
    Spec {
        x: (0.0, pad(x_max)),
        y: (0.0, pad(y_max)),
        y_down: false,
        x_title,
        y_title: "Influence on overall result",
        legend_width: 0.0,
        notes,
    }
}

fn dot_radius(f: f64) -> f64 {
    (0.3 * f).max(1.5)
}

/// A point's label.
struct Placed {
    text: String,
    /// Left end of its centre line.
    at: (f64, f64),
    /// A thin line from the point to a label set off from it.
    leader: Option<((f64, f64), (f64, f64))>,
}

/// The line from a point (centre `c`, radius `r`) to its label's box when the box is further
/// from the point than a label next to it would be.
fn leader(c: (f64, f64), r: f64, f: f64, b: &Rect) -> Option<((f64, f64), (f64, f64))> {
    let near = (c.0.clamp(b.x0, b.x1), c.1.clamp(b.y0, b.y1));
    let (dx, dy) = (near.0 - c.0, near.1 - c.1);
    let d = dx.hypot(dy);
    (d > r + 0.45 * f).then(|| {
        (
            (c.0 + dx / d * (r + 1.0), c.1 + dy / d * (r + 1.0)),
            (near.0 - dx / d * 1.5, near.1 - dy / d * 1.5),
        )
    })
}

/// Small boxes along a line, to keep labels off it.
fn along((a, b): ((f64, f64), (f64, f64))) -> impl Iterator<Item = Rect> {
    (0..=8).map(move |i| {
        let t = f64::from(i) / 8.0;
        let (x, y) = (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1));
        Rect {
            x0: x - 1.0,
            y0: y - 1.0,
            x1: x + 1.0,
            y1: y + 1.0,
        }
    })
}

/// Places the study's name next to each point, the points furthest out first, each in the
/// nearest place where it overlaps no point and no other label and stays on the picture; a point
/// in a crowd where no place is free stays unlabelled.
fn place_labels<DB: DrawingBackend>(
    p: &Painter<'_, DB>,
    frame: &Frame,
    shown: &[(&BaujatPoint, f64)],
) -> Vec<Option<Placed>> {
    let f = frame.f;
    let r = dot_radius(f);
    let small = Font::regular(SMALL * f);
    let xy: Vec<(f64, f64)> = shown
        .iter()
        .map(|&(pt, y)| (frame.x(pt.x), frame.y(y)))
        .collect();
    let mut order: Vec<usize> = (0..xy.len()).collect();
    let far = |i: usize| {
        let (x, y) = xy[i];
        (x - frame.left) / (frame.right - frame.left)
            + (frame.bottom - y) / (frame.bottom - frame.top)
    };
    order.sort_by(|&a, &b| far(b).total_cmp(&far(a)));
    let (width, _) = p.size();
    // Labels may reach into the gap between the plotting region and the axes.
    let bounds = Rect {
        x0: frame.left - 0.4 * f,
        y0: 0.2 * f,
        x1: width - 0.3 * f,
        y1: frame.bottom + 0.4 * f,
    };
    let mut taken: Vec<Rect> = xy
        .iter()
        .map(|&(x, y)| Rect {
            x0: x - r,
            y0: y - r,
            x1: x + r,
            y1: y + r,
        })
        .collect();
    let h = SMALL * f * 1.15;
    let gap = r + 0.3 * f;
    let mut out: Vec<Option<Placed>> = (0..xy.len()).map(|_| None).collect();
    for i in order {
        let (x, y) = xy[i];
        let text = p.fit(&shown[i].0.study, small, 0.4 * (frame.right - frame.left));
        let w = p.measure(&text, small);
        let rect = |(lx, cy): (f64, f64)| Rect {
            x0: lx,
            y0: cy - h / 2.0,
            x1: lx + w,
            y1: cy + h / 2.0,
        };
        // Left end and centre line of each candidate place: right, left, above and below
        // the point (centred, or starting or ending at it), then the same one and two line
        // heights further out.
        let mut candidates = (0..3).flat_map(|level| {
            let dy = f64::from(level) * h;
            let (above, below) = (y - gap - h / 2.0 - dy, y + gap + h / 2.0 + dy);
            [
                (x + gap, y - dy),
                (x - gap - w, y - dy),
                (x - w / 2.0, above),
                (x - w / 2.0, below),
                (x + gap, y + dy),
                (x - gap - w, y + dy),
                (x - r, above),
                (x + r - w, above),
                (x - r, below),
                (x + r - w, below),
            ]
        });
        let free = |b: &Rect| taken.iter().all(|t| t.overlap(b) == 0.0);
        let clear = |&at: &(f64, f64)| {
            let b = rect(at);
            free(&b)
                && b.overlap(&bounds) >= b.area() - 1e-6
                && leader((x, y), r, f, &b).map_or(true, |l| along(l).all(|s| free(&s)))
        };
        if let Some(at) = candidates.find(clear) {
            // Keep a little space around each label (and its leader) for the next ones.
            let b = rect(at);
            let leader = leader((x, y), r, f, &b);
            taken.push(Rect {
                x0: b.x0 - 0.3 * f,
                y0: b.y0 - 0.05 * f,
                x1: b.x1 + 0.3 * f,
                y1: b.y1 + 0.05 * f,
            });
            taken.extend(leader.into_iter().flat_map(along));
            out[i] = Some(Placed { text, at, leader });
        }
    }
    out
}

/// A little room above the largest value so that its point and label stay off the frame.
fn pad(max: f64) -> f64 {
    if max > 0.0 {
        max * 1.06
    } else {
        1.0
    }
}

/// An axis-aligned box in CSS pixels.
struct Rect {
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Rect {
    fn area(&self) -> f64 {
        (self.x1 - self.x0).max(0.0) * (self.y1 - self.y0).max(0.0)
    }

    fn overlap(&self, o: &Rect) -> f64 {
        let w = self.x1.min(o.x1) - self.x0.max(o.x0);
        let h = self.y1.min(o.y1) - self.y0.max(o.y0);
        w.max(0.0) * h.max(0.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Document, Options};

    const BCG: &str = include_str!("../../../www/examples/bcg.csv");

    /// Relative tolerance against metafor (the project's promise).
    const REL: f64 = 1e-6;

    fn points(method: &str, ci: &str) -> Vec<BaujatPoint> {
        baujat_points(&report(method, ci)).unwrap()
    }

    fn report(method: &str, ci: &str) -> crate::Report {
        analyze(&Document {
            data: BCG.into(),
            options: Options {
                method: Some(method.into()),
                ci: Some(ci.into()),
                leave1out: Some(true),
                ..Default::default()
            },
        })
        .unwrap()
    }

    fn check(points: &[BaujatPoint], x: &[f64], y: &[f64]) {
        for (i, pt) in points.iter().enumerate() {
            let py = pt.y.unwrap();
            assert!(
                (pt.x - x[i]).abs() <= REL * x[i],
                "x of {}: {} vs {}",
                pt.study,
                pt.x,
                x[i]
            );
            assert!(
                (py - y[i]).abs() <= REL * y[i],
                "y of {}: {py} vs {}",
                pt.study,
                y[i]
            );
        }
    }

    // metafor 3.8-1: dat <- read.csv("www/examples/bcg.csv"); res <- rma(yi, vi, data = dat,
    // method = m, test = t, control = list(threshold = 1e-12, maxiter = 5000, stepadj = 0.5));
    // b <- baujat(res); b$x, b$y (printed with %.15g). The tight threshold is the one of
    // tests/reference/common.R: metafor's default (1e-5) stops REML 1e-5 short of metapool.

    #[test]
    fn bcg_reml_as_metafor() {
        check(
            &points("REML", "z"),
            &[
                0.0478180566693608,
                1.49341293705448,
                0.550874896116071,
                1.58604960649076,
                0.677713116805783,
                0.0160056514898756,
                1.53190300196291,
                1.66384415158539,
                0.162523289261544,
                1.1168478257345,
                0.4322216835118,
                1.5922380491194,
                1.26378821605735,
            ],
            &[
                0.0015374902248886,
                0.112107232093935,
                0.0243490242985099,
                0.237773646142357,
                0.0669860670833566,
                0.000333278203943653,
                0.107909527335789,
                0.198964153839429,
                0.0183816208605698,
                0.11138955490126,
                0.0489707308148719,
                0.0618345290809572,
                0.115312797130454,
            ],
        );
    }

    #[test]
    fn bcg_fe_as_metafor() {
        // Under FE, x is each study's contribution to Q: wᵢ(yᵢ − μ̂_FE)², and Σx = Q.
        let r = report("FE", "z");
        let pts = baujat_points(&r).unwrap();
        check(
            &pts,
            &[
                0.647115233185334,
                6.85694073013864,
                2.02785748956673,
                51.1058669616908,
                0.883887490172027,
                18.3326035366883,
                6.35612252574635,
                49.3657025057263,
                0.0271150492000242,
                12.1268814504165,
                0.666313431078403,
                1.4417666345213,
                2.38859341229621,
            ],
            &[
                0.00327655648790321,
                0.0582925971188956,
                0.00803951343618449,
                4.56324976035011,
                0.0292473926440539,
                5.71044506647765,
                0.0470941787852538,
                34.8750397545037,
                0.000811682680773461,
                0.278644590845469,
                0.101460929267236,
                0.00445468759256934,
                0.0561581915590982,
            ],
        );
        let q: f64 = pts.iter().map(|p| p.x).sum();
        assert!(
            (q - r.overall.q).abs() < 1e-9 * q,
            "Σx = {q}, Q = {}",
            r.overall.q
        );
    }

    #[test]
    fn bcg_dl_knapp_hartung_as_metafor() {
        check(
            &points("DL", "hksj"),
            &[
                0.0483853401860224,
                1.50815915665126,
                0.555014266582778,
                1.6095263057364,
                0.685011602800828,
                0.0164220172401481,
                1.54624081970063,
                1.68578036762942,
                0.163962410201875,
                1.13139914735693,
                0.437288326572751,
                1.5995819972382,
                1.27717652906834,
            ],
            &[
                0.00216249615202479,
                0.107755643209773,
                0.024144033310053,
                0.281738747126614,
                0.0676565336943691,
                4.82575637124581e-05,
                0.104223834661856,
                0.177997921487617,
                0.016378593189663,
                0.108772256420051,
                0.0563577148803547,
                0.0658096612863731,
                0.121604074906542,
            ],
        );
    }

    #[test]
    fn needs_leave_one_out() {
        let report = analyze(&Document {
            data: BCG.into(),
            ..Default::default()
        })
        .unwrap();
        let e = baujat_points(&report).unwrap_err();
        assert!(e.message().contains("--leave1out"), "{e}");
    }
}
