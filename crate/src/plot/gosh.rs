//! The GOSH plot: I² against the pooled estimate of every subset of the studies (Olkin,
//! Dahabreh & Trikalinos 2012; metafor's `plot(gosh(...))`, its I² – estimate panel).
//!
//! With up to 2^20 points a scatter is a solid blot, so the fits are binned on a grid
//! ([`crate::gosh::Density`]) and each cell is shaded by the number of subsets in it on a log
//! scale, darker for more, like a hexbin plot. The fit to all studies is an open circle. Distinct
//! clouds point to studies whose presence changes both the estimate and the heterogeneity.
//!
//! The fits come from [`crate::gosh`]. The plot is drawn from their [`Density`] only
//! ([`draw_gosh`], [`gosh_svg`]), never from a report, so that whoever draws it never fits:
//! the page steps a [`ReportGosh`] in a worker and hands the small density to the page's main
//! thread to draw; [`gosh_density`] fits a report's subsets at once (for the command line and tests).

use super::frame::{Circles, Frame, Spec};
use super::paint::{rgb, tint, Target};
use super::{check_report, painter, PlotError, PlotStyle};
use crate::gosh::{Density, Gosh, Progress, Settings, DENSITY_BINS};
use crate::report::Report;
use crate::studies::Studies;
use crate::tau2::Method;
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::{Color, WHITE};

/// Draws the GOSH plot of binned fits on `area` (any backend whose text size is in pixels). The
/// axis title is `style.x_label`, else the density's own, else "Estimate".
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

/// The GOSH run of a report's studies (their effects and variances) with the report's method,
/// fitted in steps: the page's worker makes one from the report it shows, calls
/// [`step`](ReportGosh::step) in chunks for its progress bar, and sends the page only the
/// [`density`](ReportGosh::density), which knows the fit to all studies (circled) and the axis
/// title. Every subset up to 20 studies, else 10⁶ seeded random subsets, as
/// [`Settings::new`].
///
/// ```
/// use metapool::{analyze, Document, Options, plot::ReportGosh};
/// let doc = Document {
///     data: "study,yi,vi\nA,0.1,0.01\nB,0.5,0.02\nC,0.9,0.03\n".into(),
///     options: Options { method: Some("DL".into()), ..Default::default() },
/// };
/// let mut g = ReportGosh::new(&analyze(&doc).unwrap()).unwrap();
/// assert_eq!(g.progress().total, 7); // 2^3 − 1 subsets
/// while !g.step(2).finished() {}
/// let d = g.density(30, 10);
/// assert_eq!(d.counts.iter().sum::<u32>(), 7);
/// assert_eq!(d.x_label.as_deref(), Some("Effect (yi)"));
/// ```
#[derive(Debug, Clone)]
pub struct ReportGosh {
    gosh: Gosh,
    full: Option<(f64, f64)>,
    x_label: String,
}

impl ReportGosh {
    /// Plans the run; fits nothing yet.
    ///
    /// # Errors
    /// [`PlotError`] with fewer than two studies, numbers that are not finite, or a method the
    /// core does not know.
    pub fn new(report: &Report) -> Result<ReportGosh, PlotError> {
        check_report(report)?;
        let problem = |e: crate::Error| PlotError::new(format!("the GOSH plot: {e}"));
        let method = Method::parse(&report.overall.method).map_err(problem)?;
        let yi: Vec<f64> = report.studies.iter().map(|s| s.yi).collect();
        let vi: Vec<f64> = report.studies.iter().map(|s| s.vi).collect();
        let studies = Studies::from_effects(&yi, &vi).map_err(problem)?;
        let gosh = Gosh::new(&studies, &Settings::new(method)).map_err(problem)?;
        Ok(ReportGosh {
            gosh,
            full: report.overall.i2.map(|i2| (report.overall.estimate, i2)),
            x_label: PlotStyle::default().effect_label(report),
        })
    }

    /// Fits the next `n` subsets (fewer at the end); see [`Gosh::step`].
    pub fn step(&mut self, n: u64) -> Progress {
        self.gosh.step(n)
    }

    pub fn progress(&self) -> Progress {
        self.gosh.progress()
    }

    /// The run itself (its fits so far, its plan).
    pub fn gosh(&self) -> &Gosh {
        &self.gosh
    }

    /// The fits so far binned on an `nx × ny` grid, with the fit to all studies and the axis
    /// title ([`DENSITY_BINS`] is the plot's grid).
    pub fn density(&self, nx: usize, ny: usize) -> Density {
        Density {
            x_label: Some(self.x_label.clone()),
            ..self.gosh.density(nx, ny, self.full)
        }
    }
}

/// The GOSH fits of the report's studies with its method (every subset up to 20 studies, else
/// 10⁶ seeded random subsets), fitted at once and binned for the plot. Slow for an iterative
/// method and many studies (about a second per 10⁵ subsets): the page steps a [`ReportGosh`] in
/// a worker instead.
///
/// # Errors
/// As [`ReportGosh::new`].
pub fn gosh_density(report: &Report) -> Result<Density, PlotError> {
    let mut g = ReportGosh::new(report)?;
    while !g.step(1 << 16).finished() {}
    Ok(g.density(DENSITY_BINS.0, DENSITY_BINS.1))
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
    let x_title = style
        .x_label
        .clone()
        .or_else(|| d.x_label.clone())
        .unwrap_or_else(|| "Estimate".into());
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
