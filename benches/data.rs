//! Generated data shared by the benchmarks (included with `mod data;` or `include!`).
//!
//! k studies with sampling variances spread over [0.01, 0.1] and effects drawn from the
//! random-effects model yᵢ ~ N(0.3, vᵢ + 0.05), from a fixed xorshift stream: every run and
//! every tool (metapool, metafor) sees the same numbers.

#![allow(dead_code)]

/// Effects and sampling variances of `k` generated studies.
pub fn data(k: usize) -> (Vec<f64>, Vec<f64>) {
    let mut state: u64 = 0x9E37_79B9_7F4A_7C15 ^ (k as u64);
    let mut uniform = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        ((state >> 11) as f64 + 0.5) / (1u64 << 53) as f64
    };
    let mut yi = Vec::with_capacity(k);
    let mut vi = Vec::with_capacity(k);
    for _ in 0..k {
        let v = 0.01 + 0.09 * uniform();
        let z = (-2.0 * uniform().ln()).sqrt() * (std::f64::consts::TAU * uniform()).cos();
        yi.push(0.3 + z * (v + 0.05).sqrt());
        vi.push(v);
    }
    (yi, vi)
}

/// The generated studies as CSV text (`study,yi,vi,x1,x2`, numbers at 17 significant digits),
/// with two moderators x1 (continuous) and x2 (0/1).
pub fn csv(k: usize) -> String {
    let (yi, vi) = data(k);
    let mut out = String::from("study,yi,vi,x1,x2\n");
    for i in 0..k {
        let x1 = (i as f64 * 0.618_033_988_749_895).fract();
        out.push_str(&format!(
            "S{},{:.17e},{:.17e},{:.17e},{}\n",
            i + 1,
            yi[i],
            vi[i],
            x1,
            i % 2
        ));
    }
    out
}

/// The generated studies, validated.
pub fn studies(k: usize) -> metapool::Studies {
    let (yi, vi) = data(k);
    metapool::Studies::from_effects(&yi, &vi).expect("generated studies are valid")
}

/// The generated studies with the moderators as extra columns.
pub fn studies_with_moderators(k: usize) -> metapool::Studies {
    metapool::input::read_studies(&csv(k), &Default::default())
        .expect("generated CSV reads")
        .studies
}
