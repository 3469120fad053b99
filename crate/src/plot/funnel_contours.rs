//! The contour-enhanced funnel plot: the funnel around 0 with the regions where a study's
//! two-sided p-value is above 0.10, between 0.10 and 0.05, between 0.05 and 0.01 and below 0.01
//! shaded (metafor's `funnel(res, level = c(90, 95, 99), shade = …, refline = 0)`), and, when
//! trim and fill added studies, those drawn as open circles.
//!
//! # Formula
//! A study with effect yᵢ and standard error sᵢ has two-sided p < α exactly when
//! |yᵢ| > z₁₋α/₂ · sᵢ, so each contour is the pair of lines y = ±z₁₋α/₂ · s through the apex
//! (0, 0), for α = 0.10, 0.05, 0.01 (z = 1.645, 1.960, 2.576). Studies missing in a region of
//! non-significance hint at publication bias; asymmetry inside the significance regions points
//! to other causes.
//!
//! # Reference
//! Peters JL, Sutton AJ, Jones DR, Abrams KR, Rushton L (2008). Contour-enhanced meta-analysis
//! funnel plots help distinguish publication bias from other causes of asymmetry. *Journal of
//! Clinical Epidemiology* 61(10), 991–996. doi:10.1016/j.jclinepi.2007.11.010

use super::frame::{Circles, Frame, Spec, SMALL};
use super::paint::{rgb, tint, Font, Target};
use super::{check_report, fmt2, painter, PlotError, PlotStyle};
use crate::bias::{Side, TrimFill};
use crate::dist::qnorm_upper;
use crate::report::Report;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::text_anchor::HPos;
use plotters::style::{Color, RGBColor};

/// The significance levels of the contours, from the outermost in.
const ALPHAS: [f64; 3] = [0.01, 0.05, 0.10];

/// Draws the contour-enhanced funnel plot of `report` on `area` (any backend whose text size is
/// in pixels; for SVG use [`funnel_contours_svg`]). Trim-and-fill studies are drawn when the
/// report holds small-study effects (`bias`) and trim and fill added any.
///
/// # Errors
/// [`PlotError`] when the report holds a non-finite estimate or standard error, or the backend
/// fails.
pub fn draw_funnel_contours<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw(area, report, style, style.scale, Target::Pixels)
}

/// The contour-enhanced funnel plot of `report` as an SVG document of
/// `style.width × style.height` pixels.
///
/// # Errors
/// As [`draw_funnel_contours`], or for a zero width or height.
pub fn funnel_contours_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| draw(area, report, style, 1.0, Target::Svg))
}

/// The trim-and-fill result, if the report has one.
fn trimfill(report: &Report) -> Option<&TrimFill> {
    report.bias.as_ref()?.trimfill.as_ref()
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
    scale: f64,
    target: Target,
) -> Result<(), PlotError> {
    check_report(report)?;
    let tf = trimfill(report);
    let filled: Vec<(f64, f64)> = tf
        .map(|t| {
            t.filled
                .iter()
                .map(|s| (s.yi, s.vi.sqrt()))
                .filter(|(y, se)| y.is_finite() && se.is_finite())
                .collect()
        })
        .unwrap_or_default();
    let p = painter(area, style, scale, target)?;
    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);
    let white = RGBColor(255, 255, 255);
    // From the outermost region (p ≤ 0.01) in: darker where a study is more significant.
    let shades = [tint(ink, 0.78), tint(ink, 0.87), tint(ink, 0.94), white];
    let z: Vec<f64> = ALPHAS.iter().map(|a| qnorm_upper(a / 2.0)).collect();

    let points = report
        .studies
        .iter()
        .map(|s| (s.yi, s.se))
        .chain(filled.iter().copied());
    let se_max = points.clone().map(|(_, se)| se).fold(0.0, f64::max);
    let se_max = if se_max > 0.0 { se_max } else { 1.0 };
    // As metafor: the widest contour at the largest standard error and every study, plus 10 %.
    let (mut lo, mut hi) = points.fold((-z[0] * se_max, z[0] * se_max), |(a, b), (y, _)| {
        (a.min(y), b.max(y))
    });
    let pad = 0.1 * (hi - lo);
    (lo, hi) = (lo - pad, hi + pad);

    // Legend entries.
    let f0 = Frame::font_size(&p, style.font_size);
    let small = Font::regular(SMALL * f0);
    let regions = [
        "p ≤ 0.01".to_string(),
        "0.01 < p ≤ 0.05".to_string(),
        "0.05 < p ≤ 0.10".to_string(),
        "p > 0.10".to_string(),
    ];
    let mut marks = vec!["Studies".to_string()];
    if !filled.is_empty() {
        marks.push("Filled by trim and fill".to_string());
    }
    let legend_text_w = regions
        .iter()
        .chain(&marks)
        .map(|s| p.measure(s, small))
        .fold(p.measure("Two-sided p", Font::bold(SMALL * f0)), f64::max);
    let swatch = 1.1 * f0;
    let legend_width = 1.5 * f0 + swatch + 0.6 * f0 + legend_text_w;

    let notes: Vec<String> = match tf {
        Some(t) if t.k0 > 0 => vec![format!(
            "Trim and fill: {} {} filled on the {} side; adjusted estimate {} [{}, {}]",
            t.k0,
            if t.k0 == 1 { "study" } else { "studies" },
            match t.side {
                Side::Left => "left",
                Side::Right => "right",
            },
            fmt2(t.estimate),
            fmt2(t.ci_lower),
            fmt2(t.ci_upper)
        )],
        Some(_) => vec!["Trim and fill: no studies filled".to_string()],
        None => Vec::new(),
    };
    let x_title = style.effect_label(report);
    let spec = Spec {
        x: (lo, hi),
        y: (0.0, se_max),
        y_down: true,
        x_title: &x_title,
        y_title: "Standard error",
        legend_width,
        notes: &notes,
    };
    let frame = Frame::new(&p, style.font_size, &spec);
    let f = frame.f;
    let (xt, yt) = (&frame.x_ticks, &frame.y_ticks);

    // Regions: the whole plotting region, then each funnel inside the previous one.
    let corner = |x: f64, se: f64| (frame.x(x), frame.y(se));
    p.rect(corner(xt.lo, yt.lo), corner(xt.hi, yt.hi), shades[0])?;
    for (zi, shade) in z.iter().zip(&shades[1..]) {
        let triangle = [
            (0.0, yt.lo.max(0.0)),
            (-zi * yt.hi, yt.hi),
            (zi * yt.hi, yt.hi),
        ];
        let clipped = clip_x(&triangle, xt.lo, xt.hi);
        if clipped.len() >= 3 {
            let pts: Vec<(f64, f64)> = clipped.iter().map(|&(x, se)| corner(x, se)).collect();
            p.polygon(&pts, *shade)?;
        }
    }
    if (xt.lo..=xt.hi).contains(&0.0) {
        p.line(corner(0.0, yt.lo), corner(0.0, yt.hi), ink, 1.0)?;
    }

    // Studies, then the filled ones as open circles.
    let circles = Circles::new(area, scale);
    let r = (0.3 * f).max(1.5);
    for s in &report.studies {
        p.dot(corner(s.yi, s.se), r, ink)?;
    }
    for &(y, se) in &filled {
        let c = corner(y, se);
        circles.disc(c, r, white.to_rgba())?;
        circles.ring(c, r, ink, 1.0)?;
    }

    // Legend, at the right of the plotting region, from its top.
    let small = Font::regular(SMALL * f);
    let lx = frame.right + 1.5 * f;
    let row = 1.5 * f;
    let mut y = frame.top + 0.5 * f;
    p.text(
        "Two-sided p",
        (lx, y),
        Font::bold(SMALL * f),
        ink,
        HPos::Left,
        false,
    )?;
    // Least significant first, as the funnel reads from its centre outwards.
    for (label, shade) in regions.iter().zip(&shades).rev() {
        y += row;
        let (a, b) = ((lx, y - swatch / 2.0), (lx + swatch, y + swatch / 2.0));
        p.rect(a, b, *shade)?;
        p.path(&[a, (b.0, a.1), b, (a.0, b.1), a], tint(ink, 0.55), 1.0)?;
        p.text(
            label,
            (lx + swatch + 0.6 * f, y),
            small,
            ink,
            HPos::Left,
            false,
        )?;
    }
    y += 0.6 * f;
    for (i, label) in marks.iter().enumerate() {
        y += row;
        let c = (lx + swatch / 2.0, y);
        if i == 0 {
            p.dot(c, r, ink)?;
        } else {
            circles.disc(c, r, white.to_rgba())?;
            circles.ring(c, r, ink, 1.0)?;
        }
        p.text(
            label,
            (lx + swatch + 0.6 * f, y),
            small,
            ink,
            HPos::Left,
            false,
        )?;
    }

    frame.draw_axes(&p, &spec, ink, grey)
}

/// The part of a convex polygon with `lo ≤ x ≤ hi` (Sutherland–Hodgman against two lines).
fn clip_x(poly: &[(f64, f64)], lo: f64, hi: f64) -> Vec<(f64, f64)> {
    let keep_above = |pts: &[(f64, f64)], edge: f64, sign: f64| {
        let inside = |p: (f64, f64)| sign * (p.0 - edge) >= 0.0;
        let mut out = Vec::new();
        for (i, &a) in pts.iter().enumerate() {
            let b = pts[(i + 1) % pts.len()];
            if inside(a) {
                out.push(a);
            }
            if inside(a) != inside(b) {
                let t = (edge - a.0) / (b.0 - a.0);
                out.push((edge, a.1 + t * (b.1 - a.1)));
            }
        }
        out
    };
    let left = keep_above(poly, lo, 1.0);
    if left.is_empty() {
        return left;
    }
    keep_above(&left, hi, -1.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clipping_a_triangle_to_a_strip() {
        let tri = [(0.0, 0.0), (-2.0, 1.0), (2.0, 1.0)];
        assert_eq!(clip_x(&tri, -3.0, 3.0), tri.to_vec());
        let c = clip_x(&tri, -1.0, 1.0);
        assert_eq!(c.len(), 5, "{c:?}");
        assert!(c.iter().all(|p| (-1.0..=1.0).contains(&p.0)));
        assert!(c.contains(&(-1.0, 0.5)) && c.contains(&(1.0, 1.0)));
        assert!(clip_x(&tri, 5.0, 6.0).is_empty());
    }
}
