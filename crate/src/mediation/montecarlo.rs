//! The Monte Carlo confidence interval of one study's indirect effect a·b.
//!
//! # Method
//! Draw (a\*, b\*) `draws` times from the bivariate normal with means (a, b), standard deviations
//! (s_a, s_b) and covariance c = `cov_ab`:
//!
//! ```text
//! a* = a + s_a·z₁
//! b* = b + (c/s_a)·z₁ + √(s_b² − c²/s_a²)·z₂        z₁, z₂ independent N(0, 1)
//! ```
//!
//! and take the percentiles α/2 and 1 − α/2 (α = 1 − level) of the products a\*·b\* as R's
//! `quantile(x, type = 7)` defines them: with h = 1 + (n − 1)·p, j = ⌊h⌋ and x₍ⱼ₎ the j-th
//! smallest draw, Q(p) = (1 − (h − j))·x₍ⱼ₎ + (h − j)·x₍ⱼ₊₁₎ ([`quantile_type7`]). This is the
//! Monte Carlo method of MacKinnon, Lockwood & Williams (2004) and Preacher & Selig (2012), as
//! RMediation's `medci(type = "MC")` (Tofighi & MacKinnon 2011, 2016) computes it.
//!
//! # Reproducibility
//! The draws are a pure function of the paths, the seed and the number of draws: the same input
//! gives the same interval on every run and on every platform (natively and on wasm32).
//!
//! * The generator is ChaCha20 ([`crate::chacha`]: the same words as `rand_chacha`'s
//!   `ChaCha20Rng` keyed by `seed_from_u64(seed)`, three times as fast on wasm32). Its output is
//!   fixed by the ChaCha specification, not by the platform.
//! * Each study reads its own ChaCha stream, chosen by a hash of the bit patterns of its
//!   (a, s_a, b, s_b, c). A study's interval therefore does not depend on the other studies or on
//!   their order, and two studies with the same paths get the same interval.
//! * Uniforms take the top 53 bits of a 64-bit output; normals come from Marsaglia's polar method
//!   (Marsaglia & Bray 1964), whose only transcendental function is `libm::log` — pure Rust, so
//!   the same bits everywhere (std's `ln` calls the platform's C library natively). Everything
//!   else is IEEE arithmetic and `sqrt`, exact on every target, and Rust never fuses
//!   multiply-adds on its own.
//!
//! # Cost
//! One pass over the draws and two selections (`select_nth_unstable`), no sorting: about 35 ms
//! per 10⁶ draws in a release build, natively and in the browser (docs/performance.md). The draws
//! are held in one buffer, reused across studies.
//!
//! # References
//! * MacKinnon, D. P., Lockwood, C. M., & Williams, J. (2004). Confidence limits for the indirect
//!   effect: Distribution of the product and resampling methods. *Multivariate Behavioral
//!   Research*, 39, 99–128. doi:10.1207/s15327906mbr3901_4
//! * Preacher, K. J., & Selig, J. P. (2012). Advantages of Monte Carlo confidence intervals for
//!   indirect effects. *Communication Methods and Measures*, 6, 77–98.
//!   doi:10.1080/19312458.2012.679848
//! * Tofighi, D., & MacKinnon, D. P. (2016). Monte Carlo confidence intervals for complex
//!   functions of indirect effects. *Structural Equation Modeling*, 23, 194–205.
//!   doi:10.1080/10705511.2015.1057284
//! * Marsaglia, G., & Bray, T. A. (1964). A convenient method for generating normal variables.
//!   *SIAM Review*, 6, 260–264. doi:10.1137/1006063
//! * Bernstein, D. J. (2008). ChaCha, a variant of Salsa20. *Workshop Record of SASC 2008*.
//!   Nir, Y., & Langley, A. (2018). ChaCha20 and Poly1305 for IETF Protocols. RFC 8439.
//! * Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
//!   Statistician*, 50, 361–365 (definition 7). doi:10.2307/2684934
//!
//! # Example
//! ```
//! use metapool::mediation::montecarlo;
//! use metapool::mediation::per_study::Paths;
//! let paths = Paths { a: 0.5, sa: 0.08, b: 0.6, sb: 0.04, cov_ab: 0.0 };
//! let (lower, upper) = montecarlo::interval(&paths, 0.95, 100_000, montecarlo::DEFAULT_SEED);
//! // RMediation's vignette prints the distribution-of-the-product interval [0.201, 0.405].
//! assert!((lower - 0.201).abs() < 0.002 && (upper - 0.405).abs() < 0.002);
//! // The same seed gives the same interval.
//! assert_eq!((lower, upper), montecarlo::interval(&paths, 0.95, 100_000, montecarlo::DEFAULT_SEED));
//! ```

use crate::chacha::ChaCha20;
use super::per_study::Paths;

/// Draws per study unless the options say otherwise.
pub const DEFAULT_DRAWS: usize = 100_000;
/// The seed unless the options say otherwise.
pub const DEFAULT_SEED: u64 = 20_240_601;
/// The most draws per study the options accept (80 MB of draws in memory).
pub const MAX_DRAWS: usize = 10_000_000;
/// The fewest draws per study the options accept (other than 0, which turns the method off).
pub const MIN_DRAWS: usize = 1_000;

/// The Monte Carlo interval of a·b at `level` from `draws` draws (at least 1).
///
/// # Panics
/// When `draws` is 0 or `level` is not in (0, 1) (the options are validated at the door).
pub fn interval(paths: &Paths, level: f64, draws: usize, seed: u64) -> (f64, f64) {
    interval_with(paths, level, draws, seed, &mut Vec::new())
}

/// [`interval`] with a buffer for the draws, so that many studies reuse one allocation.
pub fn interval_with(
    paths: &Paths,
    level: f64,
    draws: usize,
    seed: u64,
    buffer: &mut Vec<f64>,
) -> (f64, f64) {
    assert!(draws > 0, "at least one draw");
    assert!(level > 0.0 && level < 1.0, "level in (0, 1)");
    draw_products(paths, draws, seed, buffer);
    let alpha = 1.0 - level;
    percentiles(buffer, alpha / 2.0, 1.0 - alpha / 2.0)
}

/// Fills `buffer` with `draws` products a\*·b\* (see the module documentation), in draw order.
pub fn draw_products(paths: &Paths, draws: usize, seed: u64, buffer: &mut Vec<f64>) {
    let Paths { a, sa, b, sb, cov_ab } = *paths;
    let slope = cov_ab / sa;
    let residual = (sb * sb - slope * slope).max(0.0).sqrt();
    let mut normals = Normals::new(seed, stream(paths));
    buffer.clear();
    buffer.reserve(draws);
    buffer.extend((0..draws).map(|_| {
        let (z1, z2) = normals.pair();
        (a + sa * z1) * (b + slope * z1 + residual * z2)
    }));
}

/// The ChaCha stream of a study: a hash (splitmix64 steps) of the bit patterns of its paths, with
/// −0 counted as +0.
fn stream(paths: &Paths) -> u64 {
    let mut h: u64 = 0x6d65_7461_706f_6f6c; // "metapool"
    for x in [paths.a, paths.sa, paths.b, paths.sb, paths.cov_ab] {
        h = splitmix64(h ^ (x + 0.0).to_bits());
    }
    h
}

/// One step of splitmix64 (Steele, Lea & Flood 2014): a bijective mix of 64 bits.
fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Pairs of independent standard normals from one ChaCha20 stream.
struct Normals {
    rng: ChaCha20,
}

impl Normals {
    fn new(seed: u64, stream: u64) -> Self {
        Normals { rng: ChaCha20::new(seed, stream) }
    }

    /// A uniform number in [−1, 1) from the top 53 bits of the next output.
    fn symmetric_uniform(&mut self) -> f64 {
        const TWO_POW_MINUS_52: f64 = 1.0 / (1u64 << 52) as f64;
        (self.rng.next_u64() >> 11) as f64 * TWO_POW_MINUS_52 - 1.0
    }

    /// Marsaglia's polar method: (u, v) uniform in the unit disc (without its centre),
    /// s = u² + v², then u·√(−2 ln s / s) and v·√(−2 ln s / s) are independent N(0, 1).
    fn pair(&mut self) -> (f64, f64) {
        loop {
            let u = self.symmetric_uniform();
            let v = self.symmetric_uniform();
            let s = u * u + v * v;
            if s > 0.0 && s < 1.0 {
                let factor = (-2.0 * libm::log(s) / s).sqrt();
                return (u * factor, v * factor);
            }
        }
    }
}

/// The sample quantile of `x` at probability `p` as R's `quantile(x, p, type = 7)`: with
/// h = 1 + (n − 1)·p and j = ⌊h⌋, (1 − (h − j))·x₍ⱼ₎ + (h − j)·x₍ⱼ₊₁₎, where x₍ⱼ₎ is the j-th
/// smallest value (counted from 1). Reorders `x` (a selection, not a sort: O(n)).
///
/// # Panics
/// When `x` is empty or `p` is not in [0, 1].
///
/// ```
/// use metapool::mediation::montecarlo::quantile_type7;
/// // R: quantile(c(4, 1, 3, 2), c(0.1, 0.5)) gives 1.3 and 2.5.
/// assert!((quantile_type7(&mut [4.0, 1.0, 3.0, 2.0], 0.1) - 1.3).abs() < 1e-15);
/// assert_eq!(quantile_type7(&mut [4.0, 1.0, 3.0, 2.0], 0.5), 2.5);
/// ```
pub fn quantile_type7(x: &mut [f64], p: f64) -> f64 {
    let (j, frac) = position(x.len(), p);
    order_statistic_and_next(x, j, frac)
}

/// The quantiles at `p_lo` ≤ `p_hi` (type 7), with one selection each.
fn percentiles(x: &mut [f64], p_lo: f64, p_hi: f64) -> (f64, f64) {
    let (j_lo, f_lo) = position(x.len(), p_lo);
    let (j_hi, f_hi) = position(x.len(), p_hi);
    let lower = order_statistic_and_next(x, j_lo, f_lo);
    // After selecting j_lo everything right of it is at least x[j_lo]: the upper quantile is
    // selected within that part alone.
    let upper = if j_hi > j_lo {
        order_statistic_and_next(&mut x[j_lo + 1..], j_hi - j_lo - 1, f_hi)
    } else {
        order_statistic_and_next(x, j_hi, f_hi)
    };
    (lower, upper)
}

/// R's type-7 position of probability `p` among `n` values: the 0-based index j of the lower
/// order statistic and the weight h − ⌊h⌋ of the next one, computed as R computes them.
fn position(n: usize, p: f64) -> (usize, f64) {
    assert!(n > 0, "a quantile of no values");
    assert!((0.0..=1.0).contains(&p), "a probability in [0, 1]");
    let index = 1.0 + (n - 1) as f64 * p;
    let lo = index.floor();
    ((lo as usize - 1).min(n - 1), index - lo)
}

/// (1 − frac)·x₍ⱼ₎ + frac·x₍ⱼ₊₁₎ (0-based j), selecting x₍ⱼ₎ in place; as R, x₍ⱼ₎ alone when
/// frac is 0 or the two are equal.
fn order_statistic_and_next(x: &mut [f64], j: usize, frac: f64) -> f64 {
    let (_, &mut at, right) = x.select_nth_unstable_by(j, f64::total_cmp);
    if frac > 0.0 {
        if let Some(next) = right.iter().copied().min_by(f64::total_cmp) {
            if next != at {
                return (1.0 - frac) * at + frac * next;
            }
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    const PATHS: Paths = Paths { a: 0.5, sa: 0.08, b: 0.6, sb: 0.04, cov_ab: 0.0 };

    #[test]
    fn quantile_type7_matches_r() {
        // R 4.x, print(quantile(x, c(0, 0.025, 0.1, 0.5, 0.9, 0.975, 1), type = 7), digits = 17)
        // with x <- c(0.3, -1.2, 5, 2.5, 0, 7.75, -3), written here as the shortest decimals of
        // the same doubles.
        let x = [0.3, -1.2, 5.0, 2.5, 0.0, 7.75, -3.0];
        let expected = [
            (0.0, -3.0),
            (0.025, -2.73),
            (0.1, -1.92),
            (0.5, 0.3),
            (0.9, 6.100000000000001),
            (0.975, 7.337499999999999),
            (1.0, 7.75),
        ];
        for (p, q) in expected {
            let got = quantile_type7(&mut x.clone(), p);
            assert_eq!(got, q, "p = {p}");
        }
        assert_eq!(quantile_type7(&mut [2.0], 0.3), 2.0);
        // Ties: the next order statistic equals the selected one.
        assert_eq!(quantile_type7(&mut [1.0, 1.0, 1.0, 2.0], 0.5), 1.0);
    }

    #[test]
    fn two_percentiles_agree_with_one_at_a_time() {
        let mut buffer = Vec::new();
        draw_products(&PATHS, 10_001, 7, &mut buffer);
        let (lo, hi) = percentiles(&mut buffer.clone(), 0.025, 0.975);
        assert_eq!(lo, quantile_type7(&mut buffer.clone(), 0.025));
        assert_eq!(hi, quantile_type7(&mut buffer.clone(), 0.975));
        let mut sorted = buffer.clone();
        sorted.sort_by(f64::total_cmp);
        // h = 1 + 10000·0.025 = 251: exactly the 251st smallest.
        assert_eq!(lo, sorted[250]);
        assert_eq!(hi, sorted[9750]);
        // Equal probabilities give one number twice.
        let (a, b) = percentiles(&mut buffer, 0.5, 0.5);
        assert_eq!(a, b);
    }

    #[test]
    fn same_seed_same_draws_other_seed_other_draws() {
        let (mut x, mut y, mut z) = (Vec::new(), Vec::new(), Vec::new());
        draw_products(&PATHS, 1000, 1, &mut x);
        draw_products(&PATHS, 1000, 1, &mut y);
        draw_products(&PATHS, 1000, 2, &mut z);
        assert_eq!(x, y);
        assert_ne!(x, z);
        // More draws extend the same sequence.
        draw_products(&PATHS, 1500, 1, &mut y);
        assert_eq!(x[..], y[..1000]);
    }

    #[test]
    fn streams_depend_on_the_paths_only() {
        let other = Paths { a: -0.5, ..PATHS };
        assert_ne!(stream(&PATHS), stream(&other));
        assert_eq!(stream(&PATHS), stream(&Paths { cov_ab: -0.0, ..PATHS }));
    }

    /// The first normals of the default seed, bit for bit: a change of generator, of the way
    /// uniforms are made or of the polar method shows up here (and would change every reported
    /// Monte Carlo interval). `./build.sh test` also runs this in Chromium on wasm32, where the
    /// same bits must come out.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pinned_first_draws() {
        let mut normals = Normals::new(DEFAULT_SEED, 0);
        let first: Vec<(f64, f64)> = (0..3).map(|_| normals.pair()).collect();
        let bits: Vec<(u64, u64)> = first.iter().map(|(u, v)| (u.to_bits(), v.to_bits())).collect();
        // (0.4474707596120247, 0.6160129488706751), (-0.5626899393781214, 0.45665049460195656),
        // (2.1977230180077614, -1.373559027124928)
        let pinned = [
            (4601732536502897549, 4603723770919255162),
            (13826615516802669093, 4601897903907217617),
            (4612131251082499066, 13832236815950153927),
        ];
        assert_eq!(bits, pinned, "{first:?}");
    }


    /// A whole interval (10⁵ draws, two selections) of the default seed, bit for bit, natively
    /// and on wasm32.
    #[cfg_attr(not(target_arch = "wasm32"), test)]
    #[cfg_attr(target_arch = "wasm32", wasm_bindgen_test::wasm_bindgen_test)]
    fn pinned_interval() {
        let (lo, hi) = interval(&PATHS, 0.95, 100_000, DEFAULT_SEED);
        // 0.20016930102962985, 0.40499006275449956
        let pinned = (4596379879406759853, 4600967272300745592);
        assert_eq!((lo.to_bits(), hi.to_bits()), pinned, "{lo:?} {hi:?}");
    }

    #[test]
    fn normals_have_mean_0_and_variance_1() {
        let mut normals = Normals::new(3, 4);
        let n = 200_000;
        let (mut s1, mut s2, mut s12) = (0.0, 0.0, 0.0);
        let (mut m1, mut m2) = (0.0, 0.0);
        for _ in 0..n {
            let (u, v) = normals.pair();
            m1 += u;
            m2 += v;
            s1 += u * u;
            s2 += v * v;
            s12 += u * v;
        }
        let n = n as f64;
        // 5 standard errors of each moment.
        for m in [m1 / n, m2 / n, s12 / n] {
            assert!(m.abs() < 5.0 / n.sqrt(), "{m}");
        }
        for s in [s1 / n, s2 / n] {
            assert!((s - 1.0).abs() < 5.0 * 2f64.sqrt() / n.sqrt(), "{s}");
        }
    }

    #[test]
    fn draws_have_the_bivariate_moments() {
        let paths = Paths { a: 0.3, sa: 0.1, b: -0.2, sb: 0.05, cov_ab: 0.002 };
        let mut normals = Normals::new(11, 12);
        let slope = paths.cov_ab / paths.sa;
        let residual = (paths.sb * paths.sb - slope * slope).sqrt();
        let n = 200_000;
        let (mut va, mut vb, mut cab) = (0.0, 0.0, 0.0);
        for _ in 0..n {
            let (z1, z2) = normals.pair();
            let da = paths.sa * z1;
            let db = slope * z1 + residual * z2;
            va += da * da;
            vb += db * db;
            cab += da * db;
        }
        let n = n as f64;
        assert!((va / n / 0.01 - 1.0).abs() < 0.02);
        assert!((vb / n / 0.0025 - 1.0).abs() < 0.02);
        assert!((cab / n / 0.002 - 1.0).abs() < 0.05, "{}", cab / n);
    }
}
