//! Core benchmarks (divan): `./build.sh bench`, or `cargo bench --bench core`.
//!
//! Fit time per method for k = 10 … 10⁶ (the whole `model::fit`: τ², the pooled estimate with
//! its CI and PI, Q, I², H² and the Q-profile intervals), leave-one-out with influence
//! diagnostics, the Q-profile interval alone, meta-regression on two moderators, Monte Carlo
//! draws of a·b, and GOSH at k = 15 and 20. Benchmarks of big inputs stop after a few samples
//! (`max_time`), so a full run takes a few minutes. Speed goals live here, not in the tests.

use divan::counter::ItemsCount;
use divan::{black_box, Bencher};
use metapool::model::{self, Settings};
use metapool::tau2::{Method, Problem};
use metapool::wls::Design;
use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

#[path = "data.rs"]
mod data;

fn main() {
    divan::main();
}

const K: [usize; 6] = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

/// The generated studies of size k, made once per run.
fn studies(k: usize) -> &'static metapool::Studies {
    static CACHE: OnceLock<Mutex<HashMap<usize, &'static metapool::Studies>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("no panics while held");
    cache
        .entry(k)
        .or_insert_with(|| Box::leak(Box::new(data::studies(k))))
}

fn settings(method: Method) -> Settings {
    Settings {
        method,
        ..Default::default()
    }
}

fn fit(bencher: Bencher, method: Method, k: usize) {
    let s = studies(k);
    bencher.bench(|| model::fit(black_box(s), &settings(method)).expect("fits"));
}

/// `model::fit` of k studies by each method.
mod fit {
    use super::*;
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn fe(b: Bencher, k: usize) {
        fit(b, Method::FE, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn dl(b: Bencher, k: usize) {
        fit(b, Method::DL, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn reml(b: Bencher, k: usize) {
        fit(b, Method::REML, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn ml(b: Bencher, k: usize) {
        fit(b, Method::ML, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn pm(b: Bencher, k: usize) {
        fit(b, Method::PM, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn hs(b: Bencher, k: usize) {
        fit(b, Method::HS, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn sj(b: Bencher, k: usize) {
        fit(b, Method::SJ, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn he(b: Bencher, k: usize) {
        fit(b, Method::HE, k)
    }
    #[divan::bench(args = K, sample_count = 10, max_time = 3)]
    fn eb(b: Bencher, k: usize) {
        fit(b, Method::EB, k)
    }
}

/// Leave-one-out fits and influence diagnostics (the full fit made beforehand).
mod leave_one_out {
    use super::*;
    fn run(bencher: Bencher, method: Method, k: usize) {
        let s = studies(k);
        let full = model::fit(s, &settings(method)).expect("fits");
        bencher.bench(|| {
            metapool::influence::leave_one_out(black_box(s), &full, &settings(method))
                .expect("fits")
        });
    }
    #[divan::bench(args = [100, 1_000, 10_000], sample_count = 5, max_time = 3)]
    fn fe(b: Bencher, k: usize) {
        run(b, Method::FE, k)
    }
    #[divan::bench(args = [100, 1_000, 10_000], sample_count = 5, max_time = 3)]
    fn dl(b: Bencher, k: usize) {
        run(b, Method::DL, k)
    }
    #[divan::bench(args = [100, 1_000, 10_000], sample_count = 5, max_time = 3)]
    fn reml(b: Bencher, k: usize) {
        run(b, Method::REML, k)
    }
}

/// The Q-profile interval of τ² alone.
#[divan::bench(args = K, sample_count = 10, max_time = 3)]
fn q_profile(bencher: Bencher, k: usize) {
    let s = studies(k);
    let design = Design::intercept(k);
    let problem = Problem {
        y: s.yi(),
        v: s.vi(),
        design: &design,
    };
    bencher.bench(|| {
        metapool::heterogeneity::tau2_ci(black_box(&problem), 0.95).expect("an interval")
    });
}

/// Meta-regression (REML) on a continuous and a binary moderator: p = 3.
#[divan::bench(args = [100, 1_000, 10_000, 100_000], sample_count = 10, max_time = 3)]
fn meta_regression(bencher: Bencher, k: usize) {
    let s = data::studies_with_moderators(k);
    let mods = ["x1".to_string(), "x2".to_string()];
    bencher.bench(|| {
        metapool::regression::fit(black_box(&s), &mods, &settings(Method::REML)).expect("fits")
    });
}

/// Monte Carlo draws of a·b (one study, 10⁶ draws): the throughput is draws per second.
#[divan::bench(sample_count = 20, max_time = 3)]
fn monte_carlo_draws(bencher: Bencher) {
    use metapool::mediation::{montecarlo, per_study::Paths};
    let paths = Paths {
        a: 0.5,
        sa: 0.08,
        b: 0.6,
        sb: 0.04,
        cov_ab: 0.0,
    };
    let mut buffer = Vec::new();
    bencher
        .counter(ItemsCount::new(1_000_000usize))
        .bench_local(|| montecarlo::draw_products(black_box(&paths), 1_000_000, 1, &mut buffer));
}

/// GOSH: every subset of k = 15 (32,767) and k = 20 (1,048,575) studies.
mod gosh {
    use super::*;
    use metapool::gosh::{run, Settings};
    fn bench(bencher: Bencher, method: Method, k: usize) {
        let s = studies(k);
        bencher
            .counter(ItemsCount::new((1usize << k) - 1))
            .bench(|| run(black_box(s), &Settings::new(method), |_| {}).expect("runs"));
    }
    #[divan::bench(args = [15, 20], sample_count = 5, max_time = 3)]
    fn fe(b: Bencher, k: usize) {
        bench(b, Method::FE, k)
    }
    #[divan::bench(args = [15, 20], sample_count = 5, max_time = 3)]
    fn dl(b: Bencher, k: usize) {
        bench(b, Method::DL, k)
    }
    #[divan::bench(args = [15, 20], sample_count = 1, max_time = 3)]
    fn reml(b: Bencher, k: usize) {
        bench(b, Method::REML, k)
    }
}
