//! GOSH: the graphical display of study heterogeneity (Olkin, Dahabreh & Trikalinos 2012), as
//! metafor's `gosh()`: the model fitted to every subset of the studies, plotted as I² against
//! the pooled estimate. Clusters in that cloud point to studies that drive the heterogeneity.
//!
//! # What is computed
//! For each non-empty subset S (all 2^k − 1 of them up to k = [`MAX_EXHAUSTIVE_K`]; beyond, a
//! seeded random sample, [`DEFAULT_SUBSETS`] by default, as metafor's `subsets = 10^6`):
//! its size, the pooled estimate, Cochran's Q, I², H² and τ², exactly as metafor's `gosh()`
//! computes them for an intercept-only model:
//! - FE: μ̂ = Σwᵢyᵢ/Σwᵢ (wᵢ = 1/vᵢ), Q = Σwᵢ(yᵢ − μ̂)², I² = max(0, 100(Q − (m − 1))/Q),
//!   H² = Q/(m − 1), τ² = 0.
//! - DL: the same Q, I² and H², τ² = max(0, (Q − (m − 1))/(Σwᵢ − Σwᵢ²/Σwᵢ)) and μ̂ at weights
//!   1/(vᵢ + τ²).
//! - every other estimator: the full fit to the subset (`tau2::estimate`, same starting values
//!   and stopping rules as the main analysis), I² = 100τ²/(ṽ + τ²), H² = 1 + τ²/ṽ with ṽ the
//!   typical within-study variance of the subset, Q at fixed-effect weights.
//! - a subset of one study: Q = 0, I² = 0, H² = 1, τ² = 0 (as metafor).
//!
//! # How
//! Under FE and DL, Q, I², H² and τ² need only the four sums Σw, Σw(y − c), Σw(y − c)², Σw²
//! over the subset (c: the fixed-effect mean of all studies, so the sums do not cancel). For the
//! exhaustive enumeration they come from two tables of subset sums, one for the lower half of
//! the studies and one for the upper half (2·2^(k/2) entries, each the sum of at most k/2
//! terms): every subset's sums are one addition of two table entries, O(1) and without the
//! drift of add-one-remove-one updates. The DL estimate at its τ² takes one pass over the
//! subset (m ≤ 20 terms). Other estimators fit each subset (O(m · iterations)).
//!
//! Sampled subsets include each study independently with probability ½, redrawn when empty:
//! the same distribution as metafor's (a size m with probability ∝ C(k, m), then m studies at
//! random). Subset i reads its own ChaCha20 stream (i) keyed by the seed ([`crate::chacha`], the
//! key derived once), so any subset can be regenerated ([`Gosh::members`]) and the result does
//! not depend on how the work is chunked.
//!
//! # Use in steps
//! [`Gosh::new`] plans the work; [`Gosh::step`] fits the next `n` subsets and returns the
//! [`Progress`] (for a progress bar in a web worker); [`Gosh::fits`] holds the results in subset
//! order; [`Gosh::density`] bins them for the plot. [`run`] does it all at once.
//!
//! # Reference
//! Olkin I, Dahabreh IJ, Trikalinos TA (2012). GOSH – a graphical display of study
//! heterogeneity. *Research Synthesis Methods* 3(3), 214–223. doi:10.1002/jrsm.1053.
//! metafor `gosh()` (Viechtbauer 2010).
//!
//! # Example
//! ```
//! use metapool::{gosh, tau2::Method, Studies};
//! let studies = Studies::from_effects(&[0.1, 0.5, 0.9, 0.2], &[0.01, 0.02, 0.03, 0.02]).unwrap();
//! let mut g = gosh::Gosh::new(&studies, &gosh::Settings::new(Method::DL)).unwrap();
//! while !g.step(5).finished() {}
//! assert_eq!(g.fits().len(), 15); // 2^4 − 1 subsets
//! // Subset 15 − 1 (all four studies) gives the DL fit to all of them.
//! assert_eq!(g.members(14), vec![0, 1, 2, 3]);
//! ```

use crate::error::Error;
use crate::heterogeneity;
use crate::studies::Studies;
use crate::tau2::{self, Method, Problem};
use crate::wls::Design;
use crate::chacha::ChaCha20;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Up to this many studies every subset is fitted (2^20 − 1 = 1,048,575 subsets).
pub const MAX_EXHAUSTIVE_K: usize = 20;
/// Subsets drawn beyond [`MAX_EXHAUSTIVE_K`] studies unless told otherwise (metafor's default).
pub const DEFAULT_SUBSETS: u64 = 1_000_000;
/// The most subsets one run may fit (their results take about 44 bytes each).
pub const MAX_SUBSETS: u64 = 10_000_000;
/// Seed of the sampled subsets unless told otherwise (the project's default seed).
pub const DEFAULT_SEED: u64 = 20240601;

/// What to fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// The model fitted to every subset (the analysis' method).
    pub method: Method,
    /// The number of subsets: all of them when 2^k − 1 is at most this, else a random sample
    /// of this many. `None`: all up to k = [`MAX_EXHAUSTIVE_K`], else [`DEFAULT_SUBSETS`].
    pub subsets: Option<u64>,
    /// Seed of the random sample.
    pub seed: u64,
}

impl Settings {
    /// The defaults for `method`.
    pub fn new(method: Method) -> Settings {
        Settings {
            method,
            subsets: None,
            seed: DEFAULT_SEED,
        }
    }
}

/// How far a run has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Progress {
    /// Subsets fitted so far.
    pub done: u64,
    /// Subsets to fit in all.
    pub total: u64,
}

impl Progress {
    /// The share done, from 0 to 1.
    pub fn fraction(&self) -> f64 {
        if self.total == 0 {
            1.0
        } else {
            self.done as f64 / self.total as f64
        }
    }
    pub fn finished(&self) -> bool {
        self.done >= self.total
    }
}

/// The fits, one entry per subset in subset order (struct of arrays). A fit that failed (an
/// estimator that did not converge; metafor's `NA`) has NaN in every number but `k`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fits {
    /// Number of studies in the subset.
    pub k: Vec<u32>,
    pub estimate: Vec<f64>,
    #[serde(rename = "Q")]
    pub q: Vec<f64>,
    #[serde(rename = "I2")]
    pub i2: Vec<f64>,
    #[serde(rename = "H2")]
    pub h2: Vec<f64>,
    pub tau2: Vec<f64>,
}

impl Fits {
    pub fn len(&self) -> usize {
        self.k.len()
    }
    pub fn is_empty(&self) -> bool {
        self.k.is_empty()
    }
    fn push(&mut self, m: usize, f: Fitted) {
        self.k.push(m as u32);
        self.estimate.push(f.estimate);
        self.q.push(f.q);
        self.i2.push(f.i2);
        self.h2.push(f.h2);
        self.tau2.push(f.tau2);
    }
}

/// One subset's fit.
#[derive(Debug, Clone, Copy)]
struct Fitted {
    estimate: f64,
    q: f64,
    i2: f64,
    h2: f64,
    tau2: f64,
}

impl Fitted {
    const FAILED: Fitted = Fitted {
        estimate: f64::NAN,
        q: f64::NAN,
        i2: f64::NAN,
        h2: f64::NAN,
        tau2: f64::NAN,
    };
}

/// Σw, Σw·d, Σw·d², Σw² over a subset (w = 1/v, d = y − c).
type Sums = [f64; 4];

fn add(a: Sums, b: Sums) -> Sums {
    [a[0] + b[0], a[1] + b[1], a[2] + b[2], a[3] + b[3]]
}

/// The sums of every subset of a run of studies: entry `m` holds the sums over the studies
/// whose bits are set in `m` (each entry one addition from the entry without its lowest bit).
fn subset_sums(terms: &[Sums]) -> Vec<Sums> {
    let mut table = vec![[0.0; 4]; 1 << terms.len()];
    for m in 1..table.len() {
        let low = m.trailing_zeros() as usize;
        table[m] = add(table[m & (m - 1)], terms[low]);
    }
    table
}

/// The two half tables of the exhaustive FE and DL runs.
#[derive(Debug, Clone)]
struct Tables {
    low_bits: usize,
    low: Vec<Sums>,
    high: Vec<Sums>,
}

/// A GOSH run: its plan, the fits so far, and what it needs to go on.
#[derive(Debug, Clone)]
pub struct Gosh {
    method: Method,
    y: Vec<f64>,
    v: Vec<f64>,
    /// Each study's sums (w, w·d, w·d², w²).
    terms: Vec<Sums>,
    /// The fixed-effect mean of all studies, subtracted from the effects in the sums.
    c: f64,
    /// `None`: every subset (subset i is the studies whose bits are set in i + 1).
    sample: Option<u64>,
    /// ChaCha20 keyed by the seed: subset i of a sample reads its stream i.
    keyed: ChaCha20,
    total: u64,
    fits: Fits,
    failed: u64,
    tables: Option<Tables>,
    designs: BTreeMap<usize, Design>,
    members: Vec<usize>,
    sub_y: Vec<f64>,
    sub_v: Vec<f64>,
}

impl Gosh {
    /// Plans a run over `studies` (the effects and variances; moderators play no part).
    ///
    /// # Errors
    /// [`Error::TooFewStudies`] with one study (metafor stops too); [`Error::BadOption`] for a
    /// number of subsets outside 2 to [`MAX_SUBSETS`].
    pub fn new(studies: &Studies, settings: &Settings) -> Result<Gosh, Error> {
        let k = studies.k();
        if k < 2 {
            return Err(Error::TooFewStudies {
                k,
                needed: 2,
                what: "a GOSH plot".into(),
            });
        }
        if let Some(n) = settings.subsets {
            if !(2..=MAX_SUBSETS).contains(&n) {
                return Err(Error::BadOption {
                    option: "number of GOSH subsets".into(),
                    value: n.to_string(),
                    allowed: format!("a number from 2 to {MAX_SUBSETS}"),
                });
            }
        }
        let (total, exhaustive) = plan(k, settings.subsets);
        let sample = (!exhaustive).then_some(total);
        let (y, v) = (studies.yi().to_vec(), studies.vi().to_vec());
        let sw: f64 = v.iter().map(|vi| 1.0 / vi).sum();
        let c = y.iter().zip(&v).map(|(yi, vi)| yi / vi).sum::<f64>() / sw;
        let c = if c.is_finite() { c } else { 0.0 };
        let terms: Vec<Sums> = y
            .iter()
            .zip(&v)
            .map(|(yi, vi)| {
                let (w, d) = (1.0 / vi, yi - c);
                [w, w * d, w * d * d, w * w]
            })
            .collect();
        let tables =
            (sample.is_none() && matches!(settings.method, Method::FE | Method::DL)).then(|| {
                let low_bits = k / 2;
                Tables {
                    low_bits,
                    low: subset_sums(&terms[..low_bits]),
                    high: subset_sums(&terms[low_bits..]),
                }
            });
        let capacity = usize::try_from(total).unwrap_or(0);
        let fits = Fits {
            k: Vec::with_capacity(capacity),
            estimate: Vec::with_capacity(capacity),
            q: Vec::with_capacity(capacity),
            i2: Vec::with_capacity(capacity),
            h2: Vec::with_capacity(capacity),
            tau2: Vec::with_capacity(capacity),
        };
        Ok(Gosh {
            method: settings.method,
            y,
            v,
            terms,
            c,
            sample,
            keyed: ChaCha20::new(settings.seed, 0),
            total,
            fits,
            failed: 0,
            tables,
            designs: BTreeMap::new(),
            members: Vec::with_capacity(k),
            sub_y: Vec::with_capacity(k),
            sub_v: Vec::with_capacity(k),
        })
    }

    /// Number of studies.
    pub fn k(&self) -> usize {
        self.y.len()
    }
    pub fn method(&self) -> Method {
        self.method
    }
    /// True when every subset is fitted, false for a random sample.
    pub fn exhaustive(&self) -> bool {
        self.sample.is_none()
    }
    pub fn progress(&self) -> Progress {
        Progress {
            done: self.fits.len() as u64,
            total: self.total,
        }
    }
    /// Subsets whose fit failed so far (NaN in [`Fits`]).
    pub fn failed(&self) -> u64 {
        self.failed
    }
    /// The fits so far, in subset order.
    pub fn fits(&self) -> &Fits {
        &self.fits
    }

    /// Fits the next `n` subsets (fewer at the end) and says how far the run has come.
    pub fn step(&mut self, n: u64) -> Progress {
        let end = self.fits.len() as u64 + n.min(self.total - self.fits.len() as u64);
        while (self.fits.len() as u64) < end {
            let index = self.fits.len() as u64;
            let f = self.fit(index);
            if f.estimate.is_nan() {
                self.failed += 1;
            }
            let m = self.members.len();
            self.fits.push(m, f);
        }
        self.progress()
    }

    /// The studies (indices, ascending) of subset `index` (from 0; any index below the total,
    /// fitted yet or not).
    ///
    /// # Panics
    /// When `index` is not below the number of subsets.
    pub fn members(&self, index: u64) -> Vec<usize> {
        assert!(index < self.total, "subset {index} of {}", self.total);
        let mut out = Vec::new();
        self.members_into(index, &mut out);
        out
    }

    fn members_into(&self, index: u64, out: &mut Vec<usize>) {
        out.clear();
        let k = self.k();
        match self.sample {
            None => {
                let mut m = index + 1;
                while m != 0 {
                    out.push(m.trailing_zeros() as usize);
                    m &= m - 1;
                }
            }
            Some(_) => {
                let mut rng = self.keyed.with_stream(index);
                while out.is_empty() {
                    for word in 0..k.div_ceil(64) {
                        let mut bits = rng.next_u64();
                        let base = 64 * word;
                        if k - base < 64 {
                            bits &= (1u64 << (k - base)) - 1;
                        }
                        while bits != 0 {
                            out.push(base + bits.trailing_zeros() as usize);
                            bits &= bits - 1;
                        }
                    }
                }
            }
        }
    }

    /// The fit to subset `index`; leaves its members in `self.members`.
    fn fit(&mut self, index: u64) -> Fitted {
        let mut members = std::mem::take(&mut self.members);
        self.members_into(index, &mut members);
        self.members = members;
        let m = self.members.len();
        if m == 1 {
            let i = self.members[0];
            return Fitted {
                estimate: self.y[i],
                q: 0.0,
                i2: 0.0,
                h2: 1.0,
                tau2: 0.0,
            };
        }
        let sums = match &self.tables {
            Some(t) => {
                let mask = index + 1;
                let lo = (mask & ((1 << t.low_bits) - 1)) as usize;
                add(t.low[lo], t.high[(mask >> t.low_bits) as usize])
            }
            None => self
                .members
                .iter()
                .fold([0.0; 4], |s, &i| add(s, self.terms[i])),
        };
        let df = (m - 1) as f64;
        let [s0, s1, s2, w2] = sums;
        let q = (s2 - s1 * s1 / s0).max(0.0);
        let trace_p = s0 - w2 / s0;
        match self.method {
            Method::FE | Method::DL => {
                let i2 = heterogeneity::i2_from_q(q, m - 1);
                let h2 = q / df;
                if self.method == Method::FE {
                    return Fitted {
                        estimate: self.c + s1 / s0,
                        q,
                        i2,
                        h2,
                        tau2: 0.0,
                    };
                }
                let tau2 = ((q - df) / trace_p).max(0.0);
                let estimate = self.estimate_at(tau2);
                Fitted {
                    estimate,
                    q,
                    i2,
                    h2,
                    tau2,
                }
            }
            method => {
                self.sub_y.clear();
                self.sub_v.clear();
                for &i in &self.members {
                    self.sub_y.push(self.y[i]);
                    self.sub_v.push(self.v[i]);
                }
                let design = self
                    .designs
                    .entry(m)
                    .or_insert_with(|| Design::intercept(m));
                let problem = Problem {
                    y: &self.sub_y,
                    v: &self.sub_v,
                    design,
                };
                let Ok(tau2) = tau2::estimate(method, &problem).map(|t| t.value) else {
                    return Fitted::FAILED;
                };
                let vt = df / trace_p;
                let estimate = self.estimate_at(tau2);
                if !estimate.is_finite() {
                    return Fitted::FAILED;
                }
                Fitted {
                    estimate,
                    q,
                    i2: heterogeneity::i2(tau2, vt),
                    h2: heterogeneity::h2(tau2, vt),
                    tau2,
                }
            }
        }
    }

    /// μ̂ of the current members at weights 1/(vᵢ + τ²).
    fn estimate_at(&self, tau2: f64) -> f64 {
        let (mut sw, mut swd) = (0.0, 0.0);
        for &i in &self.members {
            let w = 1.0 / (self.v[i] + tau2);
            sw += w;
            swd += w * (self.y[i] - self.c);
        }
        self.c + swd / sw
    }

    /// The fits binned on an `nx × ny` grid of estimate (x) against I² (y, 0 to 100 %), for the
    /// plot; `full` is the fit to all studies (estimate, I²), marked on the plot.
    pub fn density(&self, nx: usize, ny: usize, full: Option<(f64, f64)>) -> Density {
        Density::new(&self.fits, nx, ny, full, self)
    }
}

/// How many subsets a run over `k` studies fits, and whether they are every non-empty subset
/// (`true`) or a random sample: all 2^k − 1 up to [`MAX_EXHAUSTIVE_K`] studies, else
/// [`DEFAULT_SUBSETS`]; with `subsets` given, all of them when 2^k − 1 is at most that many, else
/// that many. (A page can say what a run will do before it starts.)
///
/// ```
/// use metapool::gosh::{plan, DEFAULT_SUBSETS};
/// assert_eq!(plan(13, None), (8191, true));
/// assert_eq!(plan(21, None), (DEFAULT_SUBSETS, false));
/// assert_eq!(plan(25, Some(1 << 25)), ((1 << 25) - 1, true));
/// ```
pub fn plan(k: usize, subsets: Option<u64>) -> (u64, bool) {
    // 2^k − 1 as a float, to compare without overflow for large k.
    let all = 2f64.powi(k.min(1000) as i32) - 1.0;
    match subsets {
        None if k <= MAX_EXHAUSTIVE_K => ((1u64 << k) - 1, true),
        None => (DEFAULT_SUBSETS, false),
        Some(n) if k < 64 && all <= n as f64 => ((1u64 << k) - 1, true),
        Some(n) => (n, false),
    }
}

/// Fits every subset (or the sample) at once, calling `progress` after each chunk.
///
/// # Errors
/// As [`Gosh::new`].
pub fn run(
    studies: &Studies,
    settings: &Settings,
    mut progress: impl FnMut(Progress),
) -> Result<Gosh, Error> {
    let mut g = Gosh::new(studies, settings)?;
    loop {
        let p = g.step(1 << 16);
        progress(p);
        if p.finished() {
            return Ok(g);
        }
    }
}

/// Bins of the GOSH plot.
pub const DENSITY_BINS: (usize, usize) = (90, 45);

/// The GOSH fits binned for drawing: how many subsets fall in each cell of a grid of the
/// estimate (x) against I² (y). Small enough to hand from a worker to the page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Density {
    pub nx: usize,
    pub ny: usize,
    /// The estimate's range covered by the grid.
    pub x_min: f64,
    pub x_max: f64,
    /// Counts, row by row from I² = 0 upwards: cell (ix, iy) is `counts[iy * nx + ix]`.
    pub counts: Vec<u32>,
    /// Subsets fitted, and those whose fit failed (not binned).
    pub subsets: u64,
    pub failed: u64,
    /// Every subset (true) or a random sample.
    pub exhaustive: bool,
    /// Number of studies and metafor's code of the method.
    pub k: usize,
    pub method: String,
    /// The fit to all studies: estimate and I².
    pub full: Option<(f64, f64)>,
    /// Title of the estimate's axis ("Effect (yi)"); `None`: "Estimate".
    #[serde(default)]
    pub x_label: Option<String>,
}

impl Density {
    fn new(fits: &Fits, nx: usize, ny: usize, full: Option<(f64, f64)>, g: &Gosh) -> Density {
        let (nx, ny) = (nx.max(1), ny.max(1));
        let ok = |i: usize| fits.estimate[i].is_finite() && fits.i2[i].is_finite();
        let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
        for (i, &x) in fits.estimate.iter().enumerate() {
            if ok(i) {
                lo = lo.min(x);
                hi = hi.max(x);
            }
        }
        if !(lo.is_finite() && hi.is_finite()) {
            (lo, hi) = (0.0, 1.0);
        } else if hi - lo <= 1e-12 * lo.abs().max(1e-300) {
            let pad = 0.5 * lo.abs().max(1e-3);
            (lo, hi) = (lo - pad, hi + pad);
        }
        let mut counts = vec![0u32; nx * ny];
        for i in 0..fits.len() {
            if !ok(i) {
                continue;
            }
            let fx = (fits.estimate[i] - lo) / (hi - lo) * nx as f64;
            let fy = fits.i2[i].clamp(0.0, 100.0) / 100.0 * ny as f64;
            let ix = (fx as usize).min(nx - 1);
            let iy = (fy as usize).min(ny - 1);
            counts[iy * nx + ix] = counts[iy * nx + ix].saturating_add(1);
        }
        Density {
            nx,
            ny,
            x_min: lo,
            x_max: hi,
            counts,
            subsets: fits.len() as u64,
            failed: g.failed,
            exhaustive: g.exhaustive(),
            k: g.k(),
            method: g.method.code().to_string(),
            full,
            x_label: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{self, Settings as ModelSettings};

    fn studies() -> Studies {
        Studies::from_effects(
            &[
                -0.89, -1.59, -1.35, -1.44, -0.22, -0.79, -1.62, 0.01, -0.47, -1.37,
            ],
            &[0.33, 0.19, 0.42, 0.02, 0.05, 0.007, 0.22, 0.004, 0.06, 0.07],
        )
        .unwrap()
    }

    /// Every subset's numbers equal the model fitted to it directly.
    #[test]
    fn each_subset_equals_a_direct_fit() {
        let s = studies();
        for method in Method::ALL {
            for subsets in [None, Some(300)] {
                let settings = Settings {
                    method,
                    subsets,
                    seed: 7,
                };
                let g = run(&s, &settings, |_| {}).unwrap();
                assert_eq!(g.exhaustive(), subsets.is_none());
                assert_eq!(g.fits().len(), if subsets.is_none() { 1023 } else { 300 });
                for index in (0..g.fits().len() as u64).step_by(7) {
                    let members = g.members(index);
                    let sub = s.subset(&members);
                    let fit = model::fit(
                        &sub,
                        &ModelSettings {
                            method,
                            ..Default::default()
                        },
                    )
                    .unwrap();
                    let f = g.fits();
                    let i = index as usize;
                    let close = |a: f64, b: f64| (a - b).abs() <= 1e-9 * b.abs().max(1.0);
                    assert_eq!(f.k[i] as usize, members.len());
                    assert!(
                        close(f.estimate[i], fit.pooled.estimate),
                        "{method:?} {members:?}"
                    );
                    assert!(close(f.tau2[i], fit.tau2.value), "{method:?} {members:?}");
                    assert!(close(f.q[i], fit.q.q), "{method:?} {members:?}");
                    if members.len() > 1 {
                        assert!(close(f.i2[i], fit.i2.unwrap()), "{method:?} {members:?}");
                        // metafor's gosh() gives DL fits the FE formula H² = Q/(m − 1), which
                        // differs from 1 + τ²/ṽ = 1 when Q < m − 1.
                        let h2 = if method == Method::DL {
                            fit.q.q / (members.len() - 1) as f64
                        } else {
                            fit.h2.unwrap()
                        };
                        assert!(close(f.h2[i], h2), "{method:?} {members:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn steps_and_seeds_do_not_change_the_result() {
        let s = studies();
        let settings = Settings {
            method: Method::DL,
            subsets: Some(500),
            seed: 11,
        };
        let all = run(&s, &settings, |_| {}).unwrap();
        let mut g = Gosh::new(&s, &settings).unwrap();
        let mut last = 0.0;
        while !g.step(37).finished() {
            assert!(g.progress().fraction() > last);
            last = g.progress().fraction();
        }
        assert_eq!(g.fits(), all.fits());
        let other = run(
            &s,
            &Settings {
                seed: 12,
                ..settings
            },
            |_| {},
        )
        .unwrap();
        assert_ne!(other.fits(), all.fits());
        // Sizes spread around k/2 as with metafor's binomial weights.
        let mean = all.fits().k.iter().map(|&m| m as f64).sum::<f64>() / 500.0;
        assert!((mean - 5.0).abs() < 0.5, "{mean}");
    }

    #[test]
    fn limits_and_defaults() {
        let one = Studies::from_effects(&[0.1], &[0.1]).unwrap();
        assert!(matches!(
            Gosh::new(&one, &Settings::new(Method::FE)),
            Err(Error::TooFewStudies { .. })
        ));
        let s = studies();
        let bad = Settings {
            subsets: Some(1),
            ..Settings::new(Method::FE)
        };
        assert!(matches!(Gosh::new(&s, &bad), Err(Error::BadOption { .. })));
        let y: Vec<f64> = (0..25).map(|i| (i as f64 * 0.37).sin()).collect();
        let v = vec![0.1; 25];
        let big = Gosh::new(
            &Studies::from_effects(&y, &v).unwrap(),
            &Settings::new(Method::FE),
        )
        .unwrap();
        assert!(!big.exhaustive());
        assert_eq!(big.progress().total, DEFAULT_SUBSETS);
        let members = big.members(123);
        assert!(
            !members.is_empty()
                && members.windows(2).all(|w| w[0] < w[1])
                && members[members.len() - 1] < 25
        );
        let d = run(&s, &Settings::new(Method::FE), |_| {})
            .unwrap()
            .density(30, 10, None);
        assert_eq!(d.counts.iter().map(|&c| u64::from(c)).sum::<u64>(), 1023);
    }
}
