//! The GOSH plot: I² against the pooled estimate of every subset of the studies (Olkin,
//! Dahabreh & Trikalinos 2012; metafor's `plot(gosh(...))`, its I² – estimate panel).
//!
//! With up to 2^20 points a scatter is a solid blot, so the fits are binned on a grid
//! ([`crate::gosh::Density`]) and each cell is shaded by the number of subsets in it on a log
//! scale, darker for more, like a hexbin plot. The fit to all studies is an open circle. Distinct
//! clouds point to studies whose presence changes both the estimate and the heterogeneity.
//!
//! The fits come from [`crate::gosh`]: the page runs them in a worker and draws the density with
//! [`draw_gosh`]; [`PlotKind::Gosh`](super::PlotKind) fits them from the report's studies at once.

use super::frame::{Circles, Frame, Spec};
use super::paint::{rgb, tint, Target};
use super::{check_report, painter, PlotError, PlotStyle};
use crate::gosh::{self, Density, Settings, DENSITY_BINS};
use crate::report::Report;
use crate::studies::Studies;
use crate::tau2::Method;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::{Color, WHITE};

/// Draws the GOSH plot of binned fits on `area` (any backend whose text size is in pixels).
///
/// # Errors
/// [`PlotError`] when the density has no cells or a range that is not finite, or the backend
/// fails.
pub fn draw_gosh<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    density: &Density,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw(area, density, style, style.scale, Target::Pixels)
}

/// The GOSH plot of binned fits as an SVG document of `style.width × style.height` pixels.
///
/// # Errors
/// As [`draw_gosh`], or for a zero width or height.
pub fn gosh_svg(density: &Density, style: &PlotStyle) -> Result<String, PlotError> {
    super::svg(style, |area| draw(area, density, style, 1.0, Target::Svg))
}

/// The GOSH fits of the report's studies with its method (every subset up to 20 studies, else
/// 10⁶ seeded random subsets), binned for the plot. Slow for an iterative method and many
/// studies (about a second per 10⁵ subsets): the page runs [`crate::gosh::Gosh`] in a worker.
///
/// # Errors
/// [`PlotError`] with fewer than two studies or numbers that are not finite.
pub fn gosh_density(report: &Report) -> Result<Density, PlotError> {
    check_report(report)?;
    let method = Method::parse(&report.overall.method)
        .map_err(|e| PlotError::new(format!("the GOSH plot: {e}")))?;
    let yi: Vec<f64> = report.studies.iter().map(|s| s.yi).collect();
    let vi: Vec<f64> = report.studies.iter().map(|s| s.vi).collect();
    let studies = Studies::from_effects(&yi, &vi)
        .map_err(|e| PlotError::new(format!("the GOSH plot: {e}")))?;
    let g = gosh::run(&studies, &Settings::new(method), |_| {})
        .map_err(|e| PlotError::new(format!("the GOSH plot: {e}")))?;
    let full = report.overall.i2.map(|i2| (report.overall.estimate, i2));
    Ok(g.density(DENSITY_BINS.0, DENSITY_BINS.1, full))
}

/// The GOSH plot of `report` (fitted at once by [`gosh_density`]) on `area`.
pub(crate) fn draw_gosh_report<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    style: &PlotStyle,
) -> Result<(), PlotError> {
    let density = gosh_density(report)?;
    draw(
        area,
        &density,
        &with_label(style, report),
        style.scale,
        Target::Pixels,
    )
}

/// The GOSH plot of `report` as SVG.
pub(crate) fn gosh_report_svg(report: &Report, style: &PlotStyle) -> Result<String, PlotError> {
    let density = gosh_density(report)?;
    gosh_svg(&density, &with_label(style, report))
}

/// The style with the report's effect axis title.
fn with_label(style: &PlotStyle, report: &Report) -> PlotStyle {
    PlotStyle {
        x_label: Some(style.effect_label(report)),
        ..style.clone()
    }
}

/// The note under the axis: what was fitted and how to read the shades.
fn note(d: &Density) -> String {
    let what = if d.exhaustive {
        format!("all {} subsets of the {} studies", d.subsets, d.k)
    } else {
        format!("{} random subsets of the {} studies", d.subsets, d.k)
    };
    let failed = if d.failed > 0 {
        format!(" ({} fits failed)", d.failed)
    } else {
        String::new()
    };
    let circle = if d.full.is_some() {
        "; circle: all studies"
    } else {
        ""
    };
    format!(
        "{} fits of {what}{failed}; shade: subsets per cell, log scale{circle}",
        d.method
    )
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    d: &Density,
    style: &PlotStyle,
    scale: f64,
    target: Target,
) -> Result<(), PlotError> {
    if d.nx == 0 || d.ny == 0 || d.counts.len() != d.nx * d.ny {
        return Err(PlotError::new("the GOSH density has no cells to draw"));
    }
    if !(d.x_min.is_finite() && d.x_max.is_finite() && d.x_max > d.x_min) {
        return Err(PlotError::new(
            "the GOSH estimates do not span a finite range",
        ));
    }
    let p = painter(area, style, scale, target)?;
    let ink = rgb(style.ink);
    let notes = [note(d)];
    let x_title = style.x_label.clone().unwrap_or_else(|| "Estimate".into());
    let spec = Spec {
        x: (d.x_min, d.x_max),
        y: (0.0, 100.0),
        y_down: false,
        x_title: &x_title,
        y_title: "I² (%)",
        legend_width: 0.0,
        notes: &notes,
    };
    let frame = Frame::new(&p, style.font_size, &spec);
    let max = d.counts.iter().copied().max().unwrap_or(0);
    let log_max = (1.0 + f64::from(max)).ln();
    let (cw, ch) = ((d.x_max - d.x_min) / d.nx as f64, 100.0 / d.ny as f64);
    for iy in 0..d.ny {
        for ix in 0..d.nx {
            let c = d.counts[iy * d.nx + ix];
            if c == 0 {
                continue;
            }
            let t = (1.0 + f64::from(c)).ln() / log_max;
            let x0 = d.x_min + ix as f64 * cw;
            let y0 = iy as f64 * ch;
            p.rect(
                (frame.x(x0), frame.y(y0 + ch)),
                (frame.x(x0 + cw), frame.y(y0)),
                tint(ink, 0.85 * (1.0 - t)),
            )?;
        }
    }
    if let Some((x, i2)) = d.full.filter(|(x, i2)| x.is_finite() && i2.is_finite()) {
        let circles = Circles::new(area, scale);
        let r = (0.45 * frame.f).max(3.0);
        let c = (frame.x(x), frame.y(i2.clamp(0.0, 100.0)));
        circles.disc(c, r, WHITE.to_rgba())?;
        circles.ring(c, r, ink, 1.5)?;
    }
    frame.draw_axes(&p, &spec, ink, tint(ink, 0.35))?;
    Ok(())
}
