//! The bubble plot of a meta-regression on one moderator, as metafor's `regplot()`.
//!
//! Each study is a circle at (moderator value, yᵢ) whose area is proportional to its weight
//! wᵢ = 1/(vᵢ + τ̂²) in the model (τ̂² the residual heterogeneity). The fitted line
//! ŷ(x) = β̂₀ + β̂₁x runs over the range of the moderator with its confidence band
//! ŷ(x) ± c·√Var(ŷ(x)), Var(ŷ(x)) = Var(β̂₀) + 2x·Cov(β̂₀, β̂₁) + x²·Var(β̂₁).
//!
//! # Formula
//! The report gives β̂, the standard errors and the intervals, but not Cov(β̂₀, β̂₁). With the
//! moderator values it follows from the fit: Var(β̂) = s²·(XᵀWX)⁻¹ with W = diag(wᵢ), where
//! s² = 1 under `z` and the Knapp–Hartung factor under `hksj`, recovered as
//! SE(β̂₁)² / [(XᵀWX)⁻¹]₁₁. The critical value c is the slope's (upper − estimate)/SE. The
//! coefficients and standard errors recomputed from the values must match the report's, which
//! checks that the values belong to this regression.

use super::frame::{Circles, Frame, Spec};
use super::paint::{rgb, tint, Target};
use super::{check_report, fmt_p, painter, percent, PlotError, PlotStyle};
use crate::report::{CoefficientRow, RegressionReport, Report};
use plotters::coord::Shift;
use plotters::drawing::DrawingArea;
use plotters::prelude::DrawingBackend;
use plotters::style::Color;

/// Relative agreement required between the report's coefficients and those refitted from the
/// moderator values (they agree to rounding when the values are the right ones).
const AGREE: f64 = 1e-6;

/// Draws the bubble plot of `report`'s meta-regression on `area` (any backend whose text size
/// is in pixels; for SVG use [`bubble_svg`]).
///
/// `moderator` holds the moderator's value for each study, in the order of `report.studies`;
/// a non-finite value marks a study the regression left out (an empty moderator cell).
///
/// # Errors
/// [`PlotError`] when the report has no meta-regression, or one on more than one coefficient
/// besides the intercept; when `moderator` has the wrong length or values that do not
/// reproduce the regression's coefficients; when the report holds non-finite numbers; or when
/// the backend fails.
pub fn draw_bubble<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    moderator: &[f64],
    style: &PlotStyle,
) -> Result<(), PlotError> {
    draw(area, report, moderator, style, style.scale, Target::Pixels)
}

/// The bubble plot as an SVG document of `style.width × style.height` pixels.
///
/// # Errors
/// As [`draw_bubble`], or for a zero width or height.
pub fn bubble_svg(
    report: &Report,
    moderator: &[f64],
    style: &PlotStyle,
) -> Result<String, PlotError> {
    super::svg(style, |area| {
        draw(area, report, moderator, style, 1.0, Target::Svg)
    })
}

/// The meta-regression with its intercept and its one slope.
pub(crate) fn check_regression(
    report: &Report,
) -> Result<(&RegressionReport, &CoefficientRow, &CoefficientRow), PlotError> {
    let reg = report.regression.as_ref().ok_or_else(|| {
        PlotError::new(
            "the bubble plot needs a meta-regression: run the analysis with one numeric \
             moderator first (--mods on the command line, \"mods\" in the options)",
        )
    })?;
    match reg.coefficients.as_slice() {
        [b0, b1] if b0.name == "intrcpt" => Ok((reg, b0, b1)),
        coefs => {
            let names: Vec<&str> = coefs
                .iter()
                .filter(|c| c.name != "intrcpt")
                .map(|c| c.name.as_str())
                .collect();
            Err(PlotError::new(format!(
                "the bubble plot shows a meta-regression on one numeric moderator; this one has \
                 {} ({}): run it with a single numeric moderator",
                if names.len() == 1 {
                    "no intercept".to_string()
                } else {
                    format!("{} moderator coefficients", names.len())
                },
                names.join(", ")
            )))
        }
    }
}

/// The fitted line and its covariance, refitted from the moderator values.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    b0: f64,
    b1: f64,
    /// Var(β̂₀), Cov(β̂₀, β̂₁), Var(β̂₁).
    v00: f64,
    v01: f64,
    v11: f64,
    /// Critical value of the intervals.
    crit: f64,
}

impl Line {
    fn at(&self, x: f64) -> (f64, f64) {
        let fit = self.b0 + self.b1 * x;
        let var = self.v00 + 2.0 * x * self.v01 + x * x * self.v11;
        let half = self.crit * var.max(0.0).sqrt();
        (fit - half, fit + half)
    }
}

/// Refits the line from (x, y, v) with the regression's τ², checks it against the report's
/// coefficients and returns it with the covariance of the coefficients.
fn line(
    reg: &RegressionReport,
    b0: &CoefficientRow,
    b1: &CoefficientRow,
    data: &[(f64, f64, f64)],
) -> Result<Line, PlotError> {
    let (mut sw, mut swx, mut swxx, mut swy, mut swxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &(x, y, v) in data {
        let w = 1.0 / (v + reg.tau2);
        sw += w;
        swx += w * x;
        swxx += w * x * x;
        swy += w * y;
        swxy += w * x * y;
    }
    let det = sw * swxx - swx * swx;
    let mismatch = || {
        PlotError::new(format!(
            "the moderator values given do not reproduce the meta-regression on {} (its \
             coefficients were fitted to other values)",
            b1.name
        ))
    };
    if !(det.is_finite() && det > 0.0) {
        return Err(mismatch());
    }
    let (a00, a01, a11) = (swxx / det, -swx / det, sw / det);
    let fit0 = a00 * swy + a01 * swxy;
    let fit1 = a01 * swy + a11 * swxy;
    let s2 = b1.se * b1.se / a11;
    let close = |a: f64, b: f64, scale: f64| (a - b).abs() <= AGREE * scale.max(b.abs());
    let scale = b0.estimate.abs().max(b1.estimate.abs()) * 1e-3;
    if !(close(fit0, b0.estimate, scale)
        && close(fit1, b1.estimate, scale)
        && close((a00 * s2).sqrt(), b0.se, 0.0))
    {
        return Err(mismatch());
    }
    let crit = if b1.se > 0.0 {
        (b1.ci_upper - b1.estimate) / b1.se
    } else {
        0.0
    };
    Ok(Line {
        b0: b0.estimate,
        b1: b1.estimate,
        v00: a00 * s2,
        v01: a01 * s2,
        v11: a11 * s2,
        crit: if crit.is_finite() { crit } else { 0.0 },
    })
}

/// A number with three significant digits (at least two decimals), never "-0.00".
fn sig3(x: f64) -> String {
    let decimals = if x == 0.0 || !x.is_finite() {
        2
    } else {
        (2 - x.abs().log10().floor() as i32).clamp(2, 8) as usize
    };
    let s = format!("{x:.decimals$}");
    if s.starts_with('-') && s[1..].chars().all(|c| c == '0' || c == '.') {
        s[1..].to_string()
    } else {
        s
    }
}

fn draw<DB: DrawingBackend>(
    area: &DrawingArea<DB, Shift>,
    report: &Report,
    moderator: &[f64],
    style: &PlotStyle,
    scale: f64,
    target: Target,
) -> Result<(), PlotError> {
    check_report(report)?;
    let (reg, b0, b1) = check_regression(report)?;
    if moderator.len() != report.studies.len() {
        return Err(PlotError::new(format!(
            "the bubble plot needs one moderator value per study: there are {} studies and {} \
             values",
            report.studies.len(),
            moderator.len()
        )));
    }
    // (x, y, v, weight) of the studies in the regression.
    let data: Vec<(f64, f64, f64)> = report
        .studies
        .iter()
        .zip(moderator)
        .filter(|(_, x)| x.is_finite())
        .map(|(s, &x)| (x, s.yi, s.vi))
        .collect();
    if data.len() != reg.k {
        return Err(PlotError::new(format!(
            "the meta-regression used {} studies but {} moderator values were given",
            reg.k,
            data.len()
        )));
    }
    let line = line(reg, b0, b1, &data)?;

    let p = painter(area, style, scale, target)?;
    let ink = rgb(style.ink);
    let grey = tint(ink, 0.35);

    let (x_lo, x_hi) = data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| {
            (a.min(d.0), b.max(d.0))
        });
    let (mut y_lo, mut y_hi) = data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), d| {
            (a.min(d.1), b.max(d.1))
        });
    for x in [x_lo, x_hi] {
        let (l, u) = line.at(x);
        y_lo = y_lo.min(l);
        y_hi = y_hi.max(u);
    }
    // Room for the bubbles at the ends of each axis.
    let (px, py) = (0.06 * (x_hi - x_lo), 0.06 * (y_hi - y_lo));
    let notes = vec![
        format!(
            "Slope {} [{}, {}], {}; {}",
            sig3(b1.estimate),
            sig3(b1.ci_lower),
            sig3(b1.ci_upper),
            fmt_p(b1.p),
            residual(reg)
        ),
        format!(
            "Shaded: {} confidence band of the fitted line; point areas proportional to the \
             weights 1/(vi + τ²)",
            percent(report.overall.level)
        ),
    ];
    let y_title = style.effect_label(report);
    let spec = Spec {
        x: (x_lo - px, x_hi + px),
        y: (y_lo - py, y_hi + py),
        y_down: false,
        x_title: &b1.name,
        y_title: &y_title,
        legend_width: 0.0,
        notes: &notes,
    };
    let frame = Frame::new(&p, style.font_size, &spec);
    let f = frame.f;

    // Confidence band, its edges dashed, and the line, over the range of the moderator.
    let steps = 60;
    let xs: Vec<f64> = (0..=steps)
        .map(|i| x_lo + (x_hi - x_lo) * i as f64 / steps as f64)
        .collect();
    if line.crit > 0.0 && x_hi > x_lo {
        let upper: Vec<(f64, f64)> = xs
            .iter()
            .map(|&x| (frame.x(x), frame.y(line.at(x).1)))
            .collect();
        let lower: Vec<(f64, f64)> = xs
            .iter()
            .map(|&x| (frame.x(x), frame.y(line.at(x).0)))
            .collect();
        let band: Vec<(f64, f64)> = upper.iter().chain(lower.iter().rev()).copied().collect();
        p.polygon(&band, tint(ink, 0.9))?;
        for edge in [&upper, &lower] {
            for pair in edge.windows(2).step_by(2) {
                p.line(pair[0], pair[1], grey, 1.0)?;
            }
        }
    }
    let fitted = |x: f64| (frame.x(x), frame.y(line.b0 + line.b1 * x));
    p.line(fitted(x_lo), fitted(x_hi), ink, 1.5)?;

    // Bubbles, largest first so that small ones stay visible on top.
    let circles = Circles::new(area, scale);
    let weights: Vec<f64> = data.iter().map(|d| 1.0 / (d.2 + reg.tau2)).collect();
    let w_max = weights.iter().copied().fold(0.0, f64::max);
    let r_max = 1.5 * f;
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&a, &b| weights[b].total_cmp(&weights[a]));
    for i in order {
        let (x, y, _) = data[i];
        let r = (r_max * (weights[i] / w_max).sqrt()).max(2.0);
        let c = (frame.x(x), frame.y(y));
        circles.disc(c, r, tint(ink, 0.55).mix(0.55))?;
        circles.ring(c, r, ink, 1.0)?;
    }
    frame.draw_axes(&p, &spec, ink, grey)
}

/// "τ² = 0.08 (residual); R² = 75.6%".
fn residual(reg: &RegressionReport) -> String {
    let mut s = format!("residual τ² = {}", sig3(reg.tau2));
    if let Some(r2) = reg.r2.filter(|v| v.is_finite()) {
        s.push_str(&format!("; R² = {r2:.1}%"));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{analyze, Columns, Document, Options};

    const BCG: &str = include_str!("../../../www/examples/bcg.csv");
    const ABLAT: [f64; 13] = [
        44.0, 55.0, 42.0, 52.0, 13.0, 44.0, 19.0, 13.0, 27.0, 42.0, 18.0, 33.0, 33.0,
    ];

    fn regression(ci: &str) -> Report {
        analyze(&Document {
            data: BCG.into(),
            options: Options {
                ci: Some(ci.into()),
                mods: Some(Columns::Text("ablat".into())),
                ..Default::default()
            },
        })
        .unwrap()
    }

    /// metafor 3.8-1: res <- rma(yi, vi, mods = ~ ablat, data = read.csv("www/examples/bcg.csv"),
    /// test = t, control = list(threshold = 1e-12, maxiter = 5000, stepadj = 0.5));
    /// predict(res, newmods = c(13, 55)) and vcov(res), for t = "z" and "knha".
    #[test]
    fn band_as_metafor_predict() {
        let cases = [
            (
                "z",
                [
                    (13.0, -0.458738061348, 0.205028866292),
                    (55.0, -1.743271544994, -0.954982616625),
                ],
                [0.06204826381146, -1.62018065761e-03, 5.17725413394e-05],
            ),
            (
                "hksj",
                [
                    (13.0, -0.551663200839, 0.297954005783),
                    (55.0, -1.853629346170, -0.844624815449),
                ],
                [0.08061334942142, -2.10494510974e-03, 6.72630901988e-05],
            ),
        ];
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-8 * b.abs().max(1e-3);
        for (ci, rows, vb) in cases {
            let r = regression(ci);
            let (reg, b0, b1) = check_regression(&r).unwrap();
            let data: Vec<_> = r
                .studies
                .iter()
                .zip(ABLAT)
                .map(|(s, x)| (x, s.yi, s.vi))
                .collect();
            let l = line(reg, b0, b1, &data).unwrap();
            assert!(
                close(l.v00, vb[0]) && close(l.v01, vb[1]) && close(l.v11, vb[2]),
                "{l:?}"
            );
            for (x, lo, hi) in rows {
                let (a, b) = l.at(x);
                assert!(close(a, lo) && close(b, hi), "{ci} x={x}: {a} {b}");
            }
        }
    }

    #[test]
    fn values_of_another_column_are_refused() {
        let r = regression("z");
        let (reg, b0, b1) = check_regression(&r).unwrap();
        let data: Vec<_> = r
            .studies
            .iter()
            .enumerate()
            .map(|(i, s)| (1948.0 + i as f64, s.yi, s.vi))
            .collect();
        let e = line(reg, b0, b1, &data).unwrap_err();
        assert!(e.message().contains("do not reproduce"), "{e}");
    }

    #[test]
    fn three_significant_digits() {
        assert_eq!(sig3(-0.029151), "-0.0292");
        assert_eq!(sig3(0.34358), "0.344");
        assert_eq!(sig3(12.345), "12.35");
        assert_eq!(sig3(-0.0000001), "-0.00000010");
        assert_eq!(sig3(-0.0001), "-0.000100");
        assert_eq!(sig3(0.0), "0.00");
    }
}
