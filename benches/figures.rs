//! Figures for docs/performance.md (`./build.sh bench` runs it after the divan benchmarks).
//!
//! Runs only under `cargo bench` (which passes `--bench`); as a test target it does nothing.
//!
//! - no arguments: times `model::fit` per method for k = 10 … 10⁶ (best of several runs) and
//!   writes docs/performance_fit.csv and the plot docs/performance_fit.svg (time against k,
//!   log–log, one line per method);
//! - `csv K PATH`: writes the generated data set of K studies (benches/data.rs) as CSV, for the
//!   side-by-side runs with metafor (benches/cli_vs_metafor.sh);
//! - `gosh K METHOD`: prints the seconds one GOSH run over every subset takes in-process.

use metapool::model::{self, Settings};
use metapool::tau2::Method;
use std::fmt::Write as _;
use std::time::Instant;

#[path = "data.rs"]
mod data;

const K: [usize; 6] = [10, 100, 1_000, 10_000, 100_000, 1_000_000];

fn main() {
    // `cargo bench` passes --bench; `cargo test --all-targets` runs this target without it, and
    // must not time fits or rewrite docs/ then.
    if !std::env::args().any(|a| a == "--bench") {
        println!("benches/figures.rs: run by `cargo bench --bench figures` (./build.sh bench) only");
        return;
    }
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| a != "--bench")
        .collect();
    match args.first().map(String::as_str) {
        Some("csv") => {
            let k: usize = args[1].parse().expect("K");
            std::fs::write(&args[2], data::csv(k)).expect("the CSV is written");
        }
        Some("gosh") => {
            let k: usize = args[1].parse().expect("K");
            let method = Method::parse(&args[2]).expect("a method");
            let s = data::studies(k);
            let t = Instant::now();
            let g = metapool::gosh::run(&s, &metapool::gosh::Settings::new(method), |_| {})
                .expect("runs");
            println!("{:.6}", t.elapsed().as_secs_f64());
            assert_eq!(g.fits().len(), (1 << k) - 1);
        }
        _ => fit_times(),
    }
}

/// Best time of `model::fit` in seconds, over runs filling about 0.3 s (at least 2).
fn best_fit_time(method: Method, k: usize) -> f64 {
    let s = data::studies(k);
    let settings = Settings {
        method,
        ..Default::default()
    };
    let (mut best, mut spent, mut runs) = (f64::INFINITY, 0.0, 0);
    while runs < 2 || (spent < 0.3 && runs < 200) {
        let t = Instant::now();
        std::hint::black_box(model::fit(std::hint::black_box(&s), &settings).expect("fits"));
        let dt = t.elapsed().as_secs_f64();
        best = best.min(dt);
        spent += dt;
        runs += 1;
    }
    best
}

fn fit_times() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs");
    let mut csv = String::from("method,k,seconds\n");
    let mut series = Vec::new();
    println!("model::fit (best of several runs), seconds");
    println!(
        "{:<6}{}",
        "k",
        Method::ALL.map(|m| format!("{:>12}", m.code())).join("")
    );
    let mut rows = vec![Vec::new(); K.len()];
    for method in Method::ALL {
        let times: Vec<f64> = K.iter().map(|&k| best_fit_time(method, k)).collect();
        for (i, (&k, &t)) in K.iter().zip(&times).enumerate() {
            writeln!(csv, "{},{k},{t:.9}", method.code()).expect("a String takes writes");
            rows[i].push(t);
        }
        series.push((method.code(), times));
    }
    for (k, row) in K.iter().zip(&rows) {
        println!(
            "{k:<8}{}",
            row.iter()
                .map(|t| format!("{t:>12.3e}"))
                .collect::<String>()
        );
    }
    std::fs::write(root.join("performance_fit.csv"), csv).expect("docs/performance_fit.csv");
    std::fs::write(root.join("performance_fit.svg"), svg(&series))
        .expect("docs/performance_fit.svg");
    println!("wrote docs/performance_fit.csv and docs/performance_fit.svg");
}

/// A log–log line plot of fit time against k, one line per method, as SVG text.
fn svg(series: &[(&str, Vec<f64>)]) -> String {
    let (w, h) = (720.0, 440.0);
    let (left, right, top, bottom) = (70.0, 600.0, 20.0, 390.0);
    let (kx0, kx1) = (1.0, 6.0); // log10 k
    let all = series.iter().flat_map(|(_, t)| t.iter().copied());
    let lo = all.clone().fold(f64::INFINITY, f64::min).log10().floor();
    let hi = all.fold(0.0_f64, f64::max).log10().ceil();
    let x = |k: f64| left + (k.log10() - kx0) / (kx1 - kx0) * (right - left);
    let y = |t: f64| bottom - (t.log10() - lo) / (hi - lo) * (bottom - top);
    let colors = [
        "#1a1a1a", "#d62728", "#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f",
        "#bcbd22",
    ];
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" font-family=\"Arial, sans-serif\" font-size=\"12\">\n<rect width=\"{w}\" height=\"{h}\" fill=\"white\"/>\n"
    );
    for e in (kx0 as i32)..=(kx1 as i32) {
        let xe = x(10f64.powi(e));
        let _ = writeln!(s, "<line x1=\"{xe:.1}\" y1=\"{top}\" x2=\"{xe:.1}\" y2=\"{bottom}\" stroke=\"#ddd\"/><text x=\"{xe:.1}\" y=\"{}\" text-anchor=\"middle\">10^{e}</text>", bottom + 16.0);
    }
    for e in (lo as i32)..=(hi as i32) {
        let ye = y(10f64.powi(e));
        let label = match e {
            -9..=-7 => format!("{} ns", 10f64.powi(e + 9)),
            -6..=-4 => format!("{} µs", 10f64.powi(e + 6)),
            -3..=-1 => format!("{} ms", 10f64.powi(e + 3)),
            _ => format!("{} s", 10f64.powi(e)),
        };
        let _ = writeln!(s, "<line x1=\"{left}\" y1=\"{ye:.1}\" x2=\"{right}\" y2=\"{ye:.1}\" stroke=\"#ddd\"/><text x=\"{}\" y=\"{:.1}\" text-anchor=\"end\">{label}</text>", left - 6.0, ye + 4.0);
    }
    let _ = writeln!(
        s,
        "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">number of studies k</text>",
        (left + right) / 2.0,
        bottom + 38.0
    );
    let _ = writeln!(s, "<text x=\"16\" y=\"{}\" text-anchor=\"middle\" transform=\"rotate(-90 16 {})\">time of model::fit (native, one core)</text>", (top + bottom) / 2.0, (top + bottom) / 2.0);
    for (i, (name, times)) in series.iter().enumerate() {
        let c = colors[i % colors.len()];
        let pts: Vec<String> = K
            .iter()
            .zip(times)
            .map(|(&k, &t)| format!("{:.1},{:.1}", x(k as f64), y(t)))
            .collect();
        let _ = writeln!(
            s,
            "<polyline points=\"{}\" fill=\"none\" stroke=\"{c}\" stroke-width=\"1.5\"/>",
            pts.join(" ")
        );
        let ly = top + 14.0 + 16.0 * i as f64;
        let _ = writeln!(s, "<line x1=\"{}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{c}\" stroke-width=\"2\"/><text x=\"{}\" y=\"{}\">{name}</text>", right + 15.0, right + 35.0, right + 40.0, ly + 4.0);
    }
    s.push_str("</svg>\n");
    s
}
