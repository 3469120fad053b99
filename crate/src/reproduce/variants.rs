//! The ways software computes the prediction interval and I² from the same fit.
//!
//! # Prediction intervals
//! With μ̂ the pooled estimate, τ̂² the between-study variance, SE_W = 1/√Σwᵢ the Wald-type SE
//! and SE_KH the Knapp–Hartung SE (s² = Σwᵢ(yᵢ − μ̂)²/(k − 1), SE_KH² = s²·SE_W²), all at level
//! 1 − α:
//!
//! | code | interval | used by |
//! |---|---|---|
//! | `z` | μ̂ ± z_{1−α/2}·√(SE_W² + τ̂²) | metafor's `predict()` with `test = "z"` (its default) |
//! | `t` | μ̂ ± t_{k−1; 1−α/2}·√(SE_W² + τ̂²) | R meta ≥ 8.0 (`method.predict = "V"`, Veroniki et al. 2019) |
//! | `hts` | μ̂ ± t_{k−2; 1−α/2}·√(SE_W² + τ̂²) | Higgins, Thompson & Spiegelhalter (2009); R meta 4 to 7 (`"HTS"`) |
//! | `hksj` | μ̂ ± t_{k−1; 1−α/2}·√(SE_KH² + τ̂²) | metafor's `predict()` with `test = "knha"`; R meta `"HK"` |
//!
//! `t` and `hksj` need k ≥ 2, `hts` k ≥ 3; none is given under a common-effect model.
//!
//! # I²
//! | code | I² | used by |
//! |---|---|---|
//! | `tau2` | 100·τ̂²/(ṽ + τ̂²), ṽ the typical within-study variance | metafor (depends on the τ² estimator) |
//! | `Q` | max(0, 100·(Q − (k − 1))/Q) | Higgins & Thompson (2002); RevMan 5, R meta (`method.I2 = "Q"`) |
//!
//! Under DerSimonian–Laird the two agree; under a common-effect model metafor uses `Q` too.
//!
//! # References
//! Higgins JPT, Thompson SG, Spiegelhalter DJ (2009). A re-evaluation of random-effects
//! meta-analysis. *JRSS A* 172(1), 137–159. doi:10.1111/j.1467-985X.2008.00552.x.
//! Veroniki AA, Jackson D, Bender R, et al. (2019). Methods to calculate uncertainty in the
//! estimated overall effect size from a random-effects meta-analysis. *Research Synthesis
//! Methods* 10(1), 23–43. doi:10.1002/jrsm.1319.
//! Higgins JPT, Thompson SG (2002). *Statistics in Medicine* 21(11), 1539–1558.

use crate::dist;
use crate::heterogeneity;
use crate::model::Fit;
use serde::{Deserialize, Serialize};

/// How the prediction interval is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum PiType {
    #[serde(rename = "z")]
    Z,
    #[serde(rename = "t")]
    T,
    #[serde(rename = "hts")]
    Hts,
    #[serde(rename = "hksj")]
    Hksj,
}

impl PiType {
    pub const ALL: [PiType; 4] = [PiType::Z, PiType::T, PiType::Hts, PiType::Hksj];

    pub fn code(self) -> &'static str {
        match self {
            PiType::Z => "z",
            PiType::T => "t",
            PiType::Hts => "hts",
            PiType::Hksj => "hksj",
        }
    }

    /// In words, for the screen.
    pub fn name(self) -> &'static str {
        match self {
            PiType::Z => "normal quantile, Wald SE (metafor, test = \"z\")",
            PiType::T => "t(k\u{2212}1), Wald SE (R meta \u{2265} 8)",
            PiType::Hts => "t(k\u{2212}2), Wald SE (Higgins\u{2013}Thompson\u{2013}Spiegelhalter)",
            PiType::Hksj => "t(k\u{2212}1), Knapp\u{2013}Hartung SE (metafor, test = \"knha\")",
        }
    }

    /// The interval at `level` (in (0, 1)); `None` where it is not defined (too few studies).
    ///
    /// ```
    /// use metapool::reproduce::{PiType, PooledSes};
    /// let p = PooledSes { estimate: 0.0, tau2: 0.25, se_wald: 0.0, se_kh: Some(0.0), k: 30 };
    /// let (lo, hi) = PiType::Z.interval(&p, 0.95).unwrap();
    /// assert!((hi - 0.5 * 1.959963984540054).abs() < 1e-12 && lo == -hi);
    /// assert!(PiType::Hts.interval(&PooledSes { k: 2, ..p }, 0.95).is_none());
    /// ```
    pub fn interval(self, p: &PooledSes, level: f64) -> Option<(f64, f64)> {
        let upper = (1.0 - level) / 2.0;
        let (crit, se) = match self {
            PiType::Z => (dist::qnorm_upper(upper), p.se_wald),
            PiType::T if p.k >= 2 => (dist::qt_upper(upper, (p.k - 1) as f64), p.se_wald),
            PiType::Hts if p.k >= 3 => (dist::qt_upper(upper, (p.k - 2) as f64), p.se_wald),
            PiType::Hksj if p.k >= 2 => (dist::qt_upper(upper, (p.k - 1) as f64), p.se_kh?),
            _ => return None,
        };
        let s = (se * se + p.tau2).sqrt();
        Some((p.estimate - crit * s, p.estimate + crit * s))
    }
}

/// How I² is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum I2Type {
    #[serde(rename = "tau2")]
    Tau2,
    #[serde(rename = "Q")]
    Q,
}

impl I2Type {
    pub const ALL: [I2Type; 2] = [I2Type::Tau2, I2Type::Q];

    pub fn code(self) -> &'static str {
        match self {
            I2Type::Tau2 => "tau2",
            I2Type::Q => "Q",
        }
    }

    /// In words, for the screen.
    pub fn name(self) -> &'static str {
        match self {
            I2Type::Tau2 => "from \u{3c4}\u{b2} (metafor)",
            I2Type::Q => "from Q, (Q \u{2212} df)/Q (Higgins & Thompson)",
        }
    }

    /// I² in percent for a fit; `None` with one study.
    pub fn value(self, fit: &Fit) -> Option<f64> {
        fit.q.typical_v?;
        match self {
            // metafor's I² (from τ² under random effects, from Q under a common effect).
            I2Type::Tau2 => fit.i2,
            I2Type::Q => Some(heterogeneity::i2_from_q(fit.q.q, fit.q.df)),
        }
    }
}

/// What the prediction intervals need from a random-effects fit.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PooledSes {
    pub estimate: f64,
    pub tau2: f64,
    /// The Wald-type SE, 1/√Σwᵢ.
    pub se_wald: f64,
    /// The Knapp–Hartung SE (`None` when not computed).
    pub se_kh: Option<f64>,
    pub k: usize,
}

impl PooledSes {
    /// From the fits of the same model with the Wald-type and the Knapp–Hartung CI (the latter
    /// `None` when not fitted); `None` under a common-effect model (no prediction interval).
    pub fn new(wald: &Fit, kh: Option<&Fit>) -> Option<PooledSes> {
        if wald.settings.method.is_common() {
            return None;
        }
        Some(PooledSes {
            estimate: wald.pooled.estimate,
            tau2: wald.tau2.value,
            se_wald: wald.pooled.se?,
            se_kh: kh.filter(|f| f.pooled.df.is_some()).and_then(|f| f.pooled.se),
            k: wald.k,
        })
    }
}
