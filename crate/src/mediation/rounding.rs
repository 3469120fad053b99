//! Rounding: the range of pooled results consistent with the rounding of the input, and whether
//! a published pooled result lies in it (`rounding`, `reported`).
//!
//! # What is computed
//! Every number of the input was typed with some number of decimals; the true value it stands
//! for lies anywhere in x ± h, h half a unit in the last written digit ([`half_unit`]: `0.10` →
//! ±0.005, `12` → ±0.5, `1.5e-3` → ±0.00005). Each study's yᵢ and vᵢ follow from its typed
//! cells exactly as the input reads them — yi with vi, sei (vᵢ = sei²), lower and upper (by the
//! `ci_se_rule`), or a, sa, b, sb and cov_ab (yᵢ = ab, vᵢ by `ie_se`) — so the box of all typed
//! numbers ± h maps to a set of possible data sets. For the pooled estimate and each CI limit,
//! the smallest and largest value over that box is reported, with the same method, CI type and
//! level as the main analysis.
//!
//! # How the extremes are found
//! The pooled estimate is increasing in each yᵢ under a common-effect model (positive weights),
//! but under random effects τ̂² also moves with yᵢ, and in the variances nothing is monotone
//! (a study's weight pulls μ̂ towards its own yᵢ, whichever side that is). So each of the six
//! extremes is found by a bounded local search over the typed numbers:
//!
//! 1. For each typed number, the fit with it at the low and at the high end of its interval
//!    (all others as typed) says which end raises the target (2 fits per number, shared by
//!    the six searches).
//! 2. The search starts at the corner of the box those ends make.
//! 3. Sweeps of coordinate-wise maximisation follow: each number in turn is moved to the best
//!    point of its interval with the others held, trying both ends and the midpoint, and a
//!    golden-section search when the best point lies inside (the midpoint beats both ends, or a
//!    step in from the best end improves), until a whole sweep improves nothing (at most 50
//!    sweeps).
//!
//! The result is a point of the box where no single number can be moved to a better value: a
//! lower bound on the true maximum (an upper bound on the minimum) that is attained by real data.
//! For the common-effect estimate it is the exact extreme: with the yᵢ at their ends the
//! estimate is a ratio of two linear functions of the weights wᵢ = 1/vᵢ, μ̂ = Σwᵢyᵢ/Σwᵢ, whose
//! maximum over a box lies at a vertex, and a vertex where no single flip helps is the maximum
//! (μ̂ ≥ t is the linear condition Σwᵢ(yᵢ − t) ≥ 0). For random-effects methods and the CI limits
//! the search is local; the tests compare it with brute force over a grid of the box for small k.
//!
//! Two constraints of the data are not imposed: that an estimate lies inside its own rounded
//! limits, and (`zero_side`) that it keeps its sign. Points where a variance would not be positive
//! are excluded.

use crate::dist;
use crate::error::Error;
use crate::input::{ci_z, ReadSettings, Role};
use crate::mediation::per_study::Paths;
use crate::mediation::sensitivity::CiSeRule;
use crate::model::{self, CiType};
use crate::studies::{Source, Studies};
use crate::tau2::{self, Problem};
use crate::wls::Design;
use serde::{Deserialize, Serialize};

/// A published pooled result: the estimate and its CI limits as printed, with the number of
/// decimals each was printed with.
#[derive(Debug, Clone, PartialEq)]
pub struct Reported {
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// Half a unit in the last printed decimal of each: estimate, lower, upper.
    pub half_units: [f64; 3],
}

/// Minus signs and dashes that may stand for `-` in printed numbers.
const MINUS: [char; 5] = ['-', '\u{2212}', '\u{2013}', '\u{2012}', '\u{fe63}'];

/// Half a unit in the last written digit of a number as typed: `0.10` → 0.005, `12` → 0.5,
/// `1.5e-3` → 0.00005, `0,25` (decimal comma) → 0.005.
///
/// ```
/// use metapool::mediation::rounding::half_unit;
/// assert_eq!(half_unit("0.10"), 0.005);
/// assert_eq!(half_unit("\u{2212}12"), 0.5);
/// assert!((half_unit("1.5e-3") - 0.00005).abs() < 1e-18);
/// ```
pub fn half_unit(text: &str) -> f64 {
    let t = text.trim();
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (
            &t[..i],
            t[i + 1..]
                .replace(MINUS, "-")
                .trim_start_matches('+')
                .parse::<i32>()
                .unwrap_or(0),
        ),
        None => (t, 0),
    };
    let decimals = mantissa.rfind(['.', ',']).map_or(0, |i| {
        mantissa[i + 1..].chars().filter(char::is_ascii_digit).count() as i32
    });
    0.5 * 10f64.powi(exponent - decimals)
}

impl Reported {
    /// Reads an estimate and its two CI limits as a paper prints them: `−0.07 (−0.11, −0.04)`,
    /// `-0.07 [-0.11; -0.04]`, `-0.07 (95% CI -0.11 to -0.04)`, `0.21 (0.10–0.32)`.
    ///
    /// Minus signs may be `-`, U+2212 or a dash; a dash right after a digit separates a range
    /// (`0.10-0.32`). Numbers followed by `%` (the level) are ignored. A comma between digits is
    /// a decimal comma when the text has no point and its limits are separated by `;` or "to"
    /// (`0,21 (0,10; 0,32)`).
    ///
    /// # Errors
    /// [`Error::BadOption`] unless exactly three numbers remain, with lower ≤ upper.
    ///
    /// ```
    /// use metapool::mediation::rounding::Reported;
    /// let r = Reported::parse("\u{2212}0.07 (\u{2212}0.11, \u{2212}0.04)").unwrap();
    /// assert_eq!((r.estimate, r.ci_lower, r.ci_upper), (-0.07, -0.11, -0.04));
    /// ```
    pub fn parse(text: &str) -> Result<Reported, Error> {
        let bad = || Error::BadOption {
            option: "reported".into(),
            value: text.into(),
            allowed: "an estimate and its confidence limits, for example \u{2212}0.07 (\u{2212}0.11, \u{2212}0.04)"
                .into(),
        };
        let numbers = printed_numbers(text).ok_or_else(bad)?;
        let values: Vec<&PrintedNumber> = numbers.iter().filter(|n| !n.percent).collect();
        let [e, l, u] = values[..] else {
            return Err(bad());
        };
        if l.value > u.value || !(e.value.is_finite() && l.value.is_finite() && u.value.is_finite()) {
            return Err(bad());
        }
        Ok(Reported {
            estimate: e.value,
            ci_lower: l.value,
            ci_upper: u.value,
            half_units: [e.half_unit, l.half_unit, u.half_unit],
        })
    }
}

/// A number as printed in a text: its value, half a unit in its last printed digit, whether a
/// `%` follows it, and where it stands (character indices into the text).
#[derive(Debug, Clone, PartialEq)]
pub struct PrintedNumber {
    pub value: f64,
    pub half_unit: f64,
    /// Followed by `%` (a level such as "95%", or a percentage such as "I² = 92%").
    pub percent: bool,
    /// Character positions (not bytes) of the number in the text, sign included.
    pub span: std::ops::Range<usize>,
}

/// Every number in a printed result, in order, as [`Reported::parse`] reads them: minus signs may
/// be `-`, U+2212 or a dash, and a dash right after a digit separates a range (`0.10-0.32`); a
/// comma between digits is a decimal comma when the text has no point and its limits are
/// separated by `;` or "to". `None` when a sign stands before a point without digits.
///
/// ```
/// use metapool::mediation::rounding::printed_numbers;
/// let n = printed_numbers("0.93 (95% CI 0.87\u{2013}1.01)").unwrap();
/// let values: Vec<f64> = n.iter().map(|n| n.value).collect();
/// assert_eq!(values, [0.93, 95.0, 0.87, 1.01]);
/// assert!(n[1].percent && !n[2].percent);
/// ```
pub fn printed_numbers(text: &str) -> Option<Vec<PrintedNumber>> {
    let lower_text = text.to_lowercase();
    let decimal_comma = !text.contains('.') && (text.contains(';') || lower_text.contains(" to "));
    let chars: Vec<char> = text.chars().collect();
    let mut numbers = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let starts_number = c.is_ascii_digit()
            || (c == '.' && chars.get(i + 1).is_some_and(char::is_ascii_digit))
            || (c == '+' || MINUS.contains(&c))
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit() || *n == '.')
                && !(i > 0 && chars[i - 1].is_ascii_digit() && MINUS.contains(&c));
        if !starts_number {
            i += 1;
            continue;
        }
        let start = i;
        let mut s = String::new();
        if c == '+' || MINUS.contains(&c) {
            if c != '+' {
                s.push('-');
            }
            i += 1;
        }
        let mut seen_point = false;
        while i < chars.len() {
            let d = chars[i];
            if d.is_ascii_digit() {
                s.push(d);
            } else if !seen_point
                && (d == '.' || (d == ',' && decimal_comma))
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            {
                s.push('.');
                seen_point = true;
            } else if (d == 'e' || d == 'E')
                && chars
                    .get(i + 1)
                    .is_some_and(|n| n.is_ascii_digit() || MINUS.contains(n) || *n == '+')
            {
                s.push('e');
                i += 1;
                if MINUS.contains(&chars[i]) || chars[i] == '+' {
                    s.push(if chars[i] == '+' { '+' } else { '-' });
                    i += 1;
                }
                while i < chars.len() && chars[i].is_ascii_digit() {
                    s.push(chars[i]);
                    i += 1;
                }
                break;
            } else {
                break;
            }
            i += 1;
        }
        let value: f64 = s.parse().ok()?;
        let percent = chars.get(i) == Some(&'%');
        numbers.push(PrintedNumber {
            value,
            half_unit: half_unit(&s),
            percent,
            span: start..i,
        });
    }
    Some(numbers)
}

/// The range of the pooled estimate and CI limits consistent with the rounding of the input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Rounding {
    /// [smallest, largest] pooled estimate.
    pub estimate: [f64; 2],
    pub ci_lower: [f64; 2],
    pub ci_upper: [f64; 2],
    /// Typed numbers allowed to move within their rounding.
    pub inputs: usize,
    /// Model fits the search used.
    pub evaluations: usize,
    /// With `reported`: the published numbers and whether they fit the ranges.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reported: Option<ReportedCheck>,
}

/// A published result checked against the ranges. A printed number fits when some value in its
/// own rounding interval (± half a unit in its last printed digit) lies in the range.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportedCheck {
    pub estimate: f64,
    pub ci_lower: f64,
    pub ci_upper: f64,
    /// All three fit.
    pub inside: bool,
    pub estimate_inside: bool,
    pub ci_lower_inside: bool,
    pub ci_upper_inside: bool,
}

impl ReportedCheck {
    fn new(r: &Reported, ranges: [[f64; 2]; 3]) -> ReportedCheck {
        let fits = |x: f64, h: f64, [lo, hi]: [f64; 2]| {
            let slack = 1e-12 * (x.abs() + hi.abs()).max(1e-300);
            x + h >= lo - slack && x - h <= hi + slack
        };
        let e = fits(r.estimate, r.half_units[0], ranges[0]);
        let l = fits(r.ci_lower, r.half_units[1], ranges[1]);
        let u = fits(r.ci_upper, r.half_units[2], ranges[2]);
        ReportedCheck {
            estimate: r.estimate,
            ci_lower: r.ci_lower,
            ci_upper: r.ci_upper,
            inside: e && l && u,
            estimate_inside: e,
            ci_lower_inside: l,
            ci_upper_inside: u,
        }
    }
}

/// How one study's effect and variance follow from its typed numbers (in the order of
/// [`Form::roles`]).
#[derive(Debug, Clone, Copy, PartialEq)]
enum Form {
    /// yi, vi.
    Variance,
    /// yi, sei.
    StdError,
    /// yi, lower, upper, with z and the rule.
    Limits(f64, CiSeRule),
    /// a, sa, b, sb (and cov_ab when given), with the variance rule.
    Paths(crate::mediation::per_study::IeSe, bool),
}

impl Form {
    fn roles(self) -> &'static [Role] {
        match self {
            Form::Variance => &[Role::Yi, Role::Vi],
            Form::StdError => &[Role::Yi, Role::Sei],
            Form::Limits(..) => &[Role::Yi, Role::Lower, Role::Upper],
            Form::Paths(_, false) => &[Role::A, Role::Sa, Role::B, Role::Sb],
            Form::Paths(_, true) => &[Role::A, Role::Sa, Role::B, Role::Sb, Role::CovAb],
        }
    }

    /// (yᵢ, vᵢ), or `None` where the numbers are not valid data (a non-positive SE, a covariance
    /// beyond ±sa·sb).
    fn effect(self, x: &[f64]) -> Option<(f64, f64)> {
        let (y, v) = match self {
            Form::Variance => (x[0], x[1]),
            Form::StdError => (x[0], x[1] * x[1]),
            Form::Limits(z, rule) => {
                let se = rule.se(x[0], x[1], x[2], z);
                (x[0], se * se)
            }
            Form::Paths(ie_se, cov) => {
                let cov_ab = if cov { x[4] } else { 0.0 };
                if x[1] <= 0.0 || x[3] <= 0.0 || cov_ab.abs() >= x[1] * x[3] {
                    return None;
                }
                let p = Paths {
                    a: x[0],
                    sa: x[1],
                    b: x[2],
                    sb: x[3],
                    cov_ab,
                };
                (p.effect(), p.variance(ie_se))
            }
        };
        (y.is_finite() && v.is_finite() && v > 0.0).then_some((y, v))
    }
}

/// The search space: the typed numbers with their half units, and how they make the data.
struct Space {
    /// For each study, its form and the range of its numbers in `center`; `None`: fixed.
    forms: Vec<Option<(Form, std::ops::Range<usize>)>>,
    center: Vec<f64>,
    half: Vec<f64>,
    yi: Vec<f64>,
    vi: Vec<f64>,
    design: Design,
    settings: model::Settings,
    /// Critical value and whether the SE gets the Knapp–Hartung factor.
    crit: f64,
    hksj: bool,
    evaluations: std::cell::Cell<usize>,
}

impl Space {
    fn new(
        studies: &Studies,
        settings: &model::Settings,
        read: &ReadSettings,
        warnings: &mut Vec<String>,
    ) -> Result<Space, Error> {
        let k = studies.k();
        let mut forms = Vec::with_capacity(k);
        let (mut center, mut half) = (Vec::new(), Vec::new());
        let z = ci_z(read.ci_level_in);
        for i in 0..k {
            let Some(g) = studies.given().map(|g| &g[i]) else {
                forms.push(None);
                continue;
            };
            let form = match g.source {
                Source::Variance => Form::Variance,
                Source::StdError => Form::StdError,
                Source::Limits => Form::Limits(z.clone()?, read.ci_se_rule),
                Source::Paths => Form::Paths(read.ie_se, g.cells.contains_key(&Role::CovAb)),
            };
            let typed: Option<Vec<(f64, f64)>> = form
                .roles()
                .iter()
                .map(|r| g.cells.get(r).map(|t| (t.value, half_unit(&t.text))))
                .collect();
            let reproduced = typed.as_ref().and_then(|t| {
                let x: Vec<f64> = t.iter().map(|p| p.0).collect();
                form.effect(&x)
            });
            let same = |a: f64, b: f64| (a - b).abs() <= 1e-12 * a.abs().max(b.abs());
            match (typed, reproduced) {
                (Some(t), Some((y, v))) if same(y, studies.yi()[i]) && same(v, studies.vi()[i]) => {
                    let start = center.len();
                    center.extend(t.iter().map(|p| p.0));
                    half.extend(t.iter().map(|p| p.1));
                    forms.push(Some((form, start..center.len())));
                }
                _ => {
                    warnings.push(format!(
                        "rounding: row {} is taken as exact (its effect and variance could not be recomputed from its cells)",
                        studies.rows()[i]
                    ));
                    forms.push(None);
                }
            }
        }
        let df = k - 1;
        let alpha = 1.0 - settings.level;
        let hksj = settings.ci == CiType::Hksj && df > 0;
        let crit = if hksj {
            dist::qt_upper(alpha / 2.0, df as f64)
        } else {
            dist::qnorm_upper(alpha / 2.0)
        };
        Ok(Space {
            forms,
            center,
            half,
            yi: studies.yi().to_vec(),
            vi: studies.vi().to_vec(),
            design: Design::intercept(k),
            settings: *settings,
            crit,
            hksj,
            evaluations: std::cell::Cell::new(0),
        })
    }

    fn bounds(&self, j: usize) -> (f64, f64) {
        (self.center[j] - self.half[j], self.center[j] + self.half[j])
    }

    /// The data at the typed numbers `x`, or `None` where they are not valid data.
    fn data(&self, x: &[f64]) -> Option<(Vec<f64>, Vec<f64>)> {
        let (mut y, mut v) = (self.yi.clone(), self.vi.clone());
        for (i, f) in self.forms.iter().enumerate() {
            if let Some((form, r)) = f {
                (y[i], v[i]) = form.effect(&x[r.clone()])?;
            }
        }
        Some((y, v))
    }

    /// Pooled estimate, CI lower and upper limit at `x` (as [`model::fit`] computes them).
    fn eval(&self, x: &[f64]) -> Option<[f64; 3]> {
        self.evaluations.set(self.evaluations.get() + 1);
        let (y, v) = self.data(x)?;
        let problem = Problem {
            y: &y,
            v: &v,
            design: &self.design,
        };
        let tau2 = tau2::estimate(self.settings.method, &problem).ok()?;
        let (at, _) = model::pooled_at(&problem, tau2.value, false).ok()?;
        let estimate = at.estimate;
        let mut var = at.var;
        if self.hksj {
            let rss = at.rss;
            var *= if rss <= f64::EPSILON {
                0.0
            } else {
                rss / problem.df() as f64
            };
        }
        let se = var.sqrt();
        let out = [estimate, estimate - self.crit * se, estimate + self.crit * se];
        out.iter().all(|t| t.is_finite()).then_some(out)
    }
}

/// One extreme: the value of the objective and the typed numbers where it is attained.
#[derive(Debug, Clone, PartialEq)]
struct Extreme {
    value: f64,
    point: Vec<f64>,
}

/// Golden-section search for the maximum of `f` on [a, b] (`None` counts as −∞).
fn golden(f: &mut dyn FnMut(f64) -> Option<f64>, mut a: f64, mut b: f64) -> (f64, f64) {
    const R: f64 = 0.618_033_988_749_894_9;
    let value = |f: &mut dyn FnMut(f64) -> Option<f64>, x: f64| f(x).unwrap_or(f64::NEG_INFINITY);
    let (mut c, mut d) = (b - R * (b - a), a + R * (b - a));
    let (mut fc, mut fd) = (value(f, c), value(f, d));
    for _ in 0..30 {
        if fc >= fd {
            b = d;
            (d, fd) = (c, fc);
            c = b - R * (b - a);
            fc = value(f, c);
        } else {
            a = c;
            (c, fc) = (d, fd);
            d = a + R * (b - a);
            fd = value(f, d);
        }
    }
    if fc >= fd {
        (c, fc)
    } else {
        (d, fd)
    }
}

/// Maximises `sign · target` by coordinate-wise search from `start` (see the module docs).
fn search(space: &Space, target: usize, sign: f64, start: Vec<f64>, start_value: f64) -> Extreme {
    let (mut x, mut g) = (start, start_value);
    let active: Vec<usize> = (0..x.len()).filter(|&j| space.half[j] > 0.0).collect();
    for _ in 0..50 {
        let mut improved = false;
        for &j in &active {
            let (lo, hi) = space.bounds(j);
            let mid = space.center[j];
            let current = x[j];
            let mut f = |xj: f64| -> Option<f64> {
                let mut y = x.clone();
                y[j] = xj;
                space.eval(&y).map(|t| sign * t[target])
            };
            let mut tried: Vec<(f64, f64)> = vec![(current, g)];
            for p in [lo, hi, mid] {
                if p != current {
                    tried.push((p, f(p).unwrap_or(f64::NEG_INFINITY)));
                }
            }
            let (mut best_x, mut best_g) = tried
                .iter()
                .copied()
                .fold((current, g), |b, t| if t.1 > b.1 { t } else { b });
            let inside = best_x != lo && best_x != hi;
            let bracket = if inside {
                Some((lo, hi))
            } else {
                // A step in from the best end: an interior maximum near that end?
                let probe = best_x + 0.02 * (mid - best_x);
                let fp = f(probe).unwrap_or(f64::NEG_INFINITY);
                (fp > best_g).then_some(if best_x == lo { (lo, mid) } else { (mid, hi) })
            };
            if let Some((a, b)) = bracket {
                let (gx, gg) = golden(&mut f, a, b);
                if gg > best_g {
                    (best_x, best_g) = (gx, gg);
                }
            }
            if best_g > g + 1e-13 * (1.0 + g.abs()) {
                x[j] = best_x;
                g = best_g;
                improved = true;
            }
        }
        if !improved {
            break;
        }
    }
    Extreme {
        value: sign * g,
        point: x,
    }
}

/// The six extremes: for estimate, CI lower and upper limit, the minimum and the maximum.
fn extremes(space: &Space) -> Result<[[Extreme; 2]; 3], Error> {
    let at_center = space.eval(&space.center).ok_or_else(|| Error::Numerical {
        what: "the pooled result at the typed values".into(),
    })?;
    let n = space.center.len();
    // The fit with each number at either end of its interval, the others as typed.
    let ends: Vec<[Option<[f64; 3]>; 2]> = (0..n)
        .map(|j| {
            if space.half[j] == 0.0 {
                return [Some(at_center), Some(at_center)];
            }
            let (lo, hi) = space.bounds(j);
            let mut x = space.center.clone();
            x[j] = lo;
            let at_lo = space.eval(&x);
            x[j] = hi;
            [at_lo, space.eval(&x)]
        })
        .collect();
    let one = |target: usize, sign: f64| -> Extreme {
        let start: Vec<f64> = (0..n)
            .map(|j| {
                let v = |e: Option<[f64; 3]>| e.map_or(f64::NEG_INFINITY, |t| sign * t[target]);
                let (lo, hi) = space.bounds(j);
                let (a, b) = (v(ends[j][0]), v(ends[j][1]));
                if b > a {
                    hi
                } else if a > b {
                    lo
                } else {
                    space.center[j]
                }
            })
            .collect();
        let from_center = Extreme {
            value: sign * at_center[target],
            point: space.center.clone(),
        };
        let begin = match space.eval(&start) {
            Some(t) => Extreme {
                value: sign * t[target],
                point: start,
            },
            None => from_center,
        };
        let found = search(space, target, sign, begin.point, begin.value);
        if sign * found.value >= sign * at_center[target] {
            found
        } else {
            search(space, target, sign, space.center.clone(), sign * at_center[target])
        }
    };
    Ok([0, 1, 2].map(|t| [one(t, -1.0), one(t, 1.0)]))
}

/// The rounding ranges of the main analysis, and the check of a reported result.
///
/// # Errors
/// [`Error::Numerical`] when the model cannot be fitted at the typed values (the main fit
/// would have failed first) and [`Error::BadLevel`] for a bad level of the input limits.
pub fn ranges(
    studies: &Studies,
    settings: &model::Settings,
    read: &ReadSettings,
    reported: Option<&Reported>,
) -> Result<(Rounding, Vec<String>), Error> {
    let mut warnings = Vec::new();
    let space = Space::new(studies, settings, read, &mut warnings)?;
    let ex = extremes(&space)?;
    let range = |t: usize| [ex[t][0].value, ex[t][1].value];
    let ranges = [range(0), range(1), range(2)];
    Ok((
        Rounding {
            estimate: ranges[0],
            ci_lower: ranges[1],
            ci_upper: ranges[2],
            inputs: space.half.iter().filter(|h| **h > 0.0).count(),
            evaluations: space.evaluations.get(),
            reported: reported.map(|r| ReportedCheck::new(r, ranges)),
        },
        warnings,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::read_studies;
    use crate::tau2::Method;

    fn space(csv: &str, settings: &model::Settings) -> Space {
        let read = ReadSettings::default();
        let studies = read_studies(csv, &read).unwrap().studies;
        Space::new(&studies, settings, &read, &mut Vec::new()).unwrap()
    }

    fn settings(method: Method, ci: CiType) -> model::Settings {
        model::Settings {
            method,
            ci,
            level: 0.95,
        }
    }

    const SMALL: &str = "yi,vi\n0.12,0.010\n0.45,0.03\n-0.08,0.02\n";

    #[test]
    fn the_light_fit_is_the_fit() {
        for method in [Method::FE, Method::DL, Method::REML, Method::PM, Method::SJ] {
            for ci in CiType::ALL {
                for csv in [
                    SMALL,
                    include_str!("../../../www/examples/mediation_ie.csv"),
                    include_str!("../../../www/examples/mediation_paths.csv"),
                ] {
                    let s = settings(method, ci);
                    let sp = space(csv, &s);
                    let studies = read_studies(csv, &ReadSettings::default()).unwrap().studies;
                    let f = model::fit(&studies, &s).unwrap();
                    let [e, l, u] = sp.eval(&sp.center).unwrap();
                    assert_eq!(e, f.pooled.estimate);
                    let (fl, fu) = f.pooled.ci.unwrap();
                    assert!((l - fl).abs() < 1e-15 && (u - fu).abs() < 1e-15, "{method:?} {ci:?}");
                }
            }
        }
    }

    /// Every point of a grid over the box with `n` points per number.
    fn brute_force(sp: &Space, n: usize) -> [[f64; 2]; 3] {
        let dims = sp.center.len();
        let mut out = [[f64::INFINITY, f64::NEG_INFINITY]; 3];
        let mut index = vec![0usize; dims];
        loop {
            let x: Vec<f64> = (0..dims)
                .map(|j| {
                    let (lo, hi) = sp.bounds(j);
                    lo + (hi - lo) * index[j] as f64 / (n - 1) as f64
                })
                .collect();
            if let Some(t) = sp.eval(&x) {
                for i in 0..3 {
                    out[i][0] = out[i][0].min(t[i]);
                    out[i][1] = out[i][1].max(t[i]);
                }
            }
            let mut j = 0;
            while j < dims {
                index[j] += 1;
                if index[j] < n {
                    break;
                }
                index[j] = 0;
                j += 1;
            }
            if j == dims {
                return out;
            }
        }
    }

    /// The search's extremes are attained inside the box and reach at least as far as the grid.
    fn check_against_grid(csv: &str, s: model::Settings, n: usize) {
        let sp = space(csv, &s);
        let ex = extremes(&sp).unwrap();
        let grid = brute_force(&sp, n);
        let scale = grid[2][1] - grid[1][0];
        for t in 0..3 {
            for (side, e) in ex[t].iter().enumerate() {
                for (j, x) in e.point.iter().enumerate() {
                    let (lo, hi) = sp.bounds(j);
                    assert!(*x >= lo && *x <= hi);
                }
                assert_eq!(sp.eval(&e.point).unwrap()[t], e.value);
                let further = if side == 0 {
                    e.value <= grid[t][0] + 1e-12 * scale
                } else {
                    e.value >= grid[t][1] - 1e-12 * scale
                };
                assert!(
                    further,
                    "{:?} {:?} target {t} side {side}: search {} grid {}",
                    s.method, s.ci, e.value, grid[t][side]
                );
            }
        }
    }

    #[test]
    fn search_reaches_the_grids_extremes() {
        for method in [Method::FE, Method::DL, Method::REML, Method::PM, Method::HE] {
            for ci in CiType::ALL {
                check_against_grid(SMALL, settings(method, ci), 5);
            }
        }
        // Studies given by their limits (asymmetric, zero side) and by their paths.
        let limits = "yi,lower,upper\n-0.09,-0.17,-0.03\n-0.05,-0.12,0.00\n";
        let read = ReadSettings {
            ci_se_rule: CiSeRule::ZeroSide,
            ..ReadSettings::default()
        };
        for rule_read in [ReadSettings::default(), read] {
            let studies = read_studies(limits, &rule_read).unwrap().studies;
            let sp = Space::new(
                &studies,
                &settings(Method::REML, CiType::Z),
                &rule_read,
                &mut Vec::new(),
            )
            .unwrap();
            let ex = extremes(&sp).unwrap();
            let grid = brute_force(&sp, 6);
            for t in 0..3 {
                assert!(
                    ex[t][0].value <= grid[t][0] + 1e-12 && ex[t][1].value >= grid[t][1] - 1e-12,
                    "{t}"
                );
            }
        }
        let paths = "a,sa,b,sb\n-0.42,0.11,0.21,0.06\n-0.30,0.14,0.18,0.08\n";
        check_against_grid(paths, settings(Method::DL, CiType::Z), 4);
        check_against_grid(paths, settings(Method::REML, CiType::Hksj), 4);
    }

    /// Under a common-effect model the estimate's extremes are exact: at a vertex of the box.
    #[test]
    fn common_effect_estimate_is_exact() {
        let sp = space(
            "yi,sei\n0.1,0.1\n0.5,0.2\n0.3,0.05\n0.05,0.3\n",
            &settings(Method::FE, CiType::Z),
        );
        let ex = extremes(&sp).unwrap();
        let corners = brute_force(&sp, 2);
        assert!((ex[0][0].value - corners[0][0]).abs() < 1e-15);
        assert!((ex[0][1].value - corners[0][1]).abs() < 1e-15);
    }

    #[test]
    fn reported_results_inside_and_outside() {
        let csv = include_str!("../../../www/examples/mediation_ie.csv");
        let read = ReadSettings::default();
        let studies = read_studies(csv, &read).unwrap().studies;
        let s = model::Settings::default();
        let f = model::fit(&studies, &s).unwrap();
        let (lo, hi) = f.pooled.ci.unwrap();
        let text = format!("{:.3} ({:.3}, {:.3})", f.pooled.estimate, lo, hi);
        let r = Reported::parse(&text).unwrap();
        let (rounding, warnings) = ranges(&studies, &s, &read, Some(&r)).unwrap();
        assert!(warnings.is_empty());
        assert!(rounding.estimate[0] < f.pooled.estimate && f.pooled.estimate < rounding.estimate[1]);
        assert!(rounding.reported.as_ref().unwrap().inside, "{text} {rounding:?}");
        assert_eq!(rounding.inputs, 21);
        // Far away: outside.
        let far = Reported::parse("-0.20 (-0.30, -0.10)").unwrap();
        let (rounding, _) = ranges(&studies, &s, &read, Some(&far)).unwrap();
        let check = rounding.reported.unwrap();
        assert!(!check.inside && !check.estimate_inside);
    }

    #[test]
    fn studies_that_cannot_be_recomputed_are_exact() {
        let studies = Studies::from_effects(&[0.1, 0.2], &[0.01, 0.02]).unwrap();
        let (r, _) = ranges(&studies, &model::Settings::default(), &ReadSettings::default(), None).unwrap();
        assert_eq!(r.inputs, 0);
        assert_eq!(r.estimate[0], r.estimate[1]);
    }

    fn parsed(text: &str) -> (f64, f64, f64) {
        let r = Reported::parse(text).unwrap_or_else(|e| panic!("{text}: {e}"));
        (r.estimate, r.ci_lower, r.ci_upper)
    }

    #[test]
    fn reported_results_as_papers_print_them() {
        let want = (-0.07, -0.11, -0.04);
        for text in [
            "\u{2212}0.07 (\u{2212}0.11, \u{2212}0.04)",
            "-0.07 [-0.11; -0.04]",
            "-0.07 (95% CI -0.11 to -0.04)",
            "-0.07, 95% CI: -0.11 to -0.04",
            "\u{2212}0.07 (\u{2212}0.11\u{2013}\u{2212}0.04)",
            "-0,07 (-0,11; -0,04)",
            "IE = -.07, 95% CI [-.11, -.04]",
        ] {
            assert_eq!(parsed(text), want, "{text}");
        }
        assert_eq!(parsed("0.21 (0.10-0.32)"), (0.21, 0.10, 0.32));
        assert_eq!(parsed("0.21 (0.10\u{2013}0.32)"), (0.21, 0.10, 0.32));
        assert_eq!(parsed("1.5e-3 (1.0e-3, 2.0e-3)"), (1.5e-3, 1.0e-3, 2.0e-3));
        assert_eq!(
            Reported::parse("-0.070 (-0.11, -0.04)").unwrap().half_units,
            [0.0005, 0.005, 0.005]
        );
    }

    #[test]
    fn reported_text_that_is_not_a_result() {
        for text in ["", "-0.07", "-0.07 (-0.11)", "0.1 (0.3, 0.2)", "a (b, c)", "1, 2, 3, 4"] {
            assert!(matches!(Reported::parse(text), Err(Error::BadOption { .. })), "{text}");
        }
    }

    #[test]
    fn half_units() {
        assert_eq!(half_unit("0.10"), 0.005);
        assert_eq!(half_unit("12"), 0.5);
        assert_eq!(half_unit("0,5"), 0.05);
        assert_eq!(half_unit("1e2"), 50.0);
        assert!((half_unit("-1.25E-2") - 0.00005).abs() < 1e-18);
    }
}
