//! Fuzzing `analyze()`: no input and no combination of options makes it panic, hang, or write a
//! NaN or an infinity into a report (tests/fuzz/check.rs states the property).
//!
//! - `fuzz_cases` runs a fixed number of generated cases from a fixed seed on every `cargo test`
//!   (arbitrary bytes and strings, junk tables, valid tables of every kind with mutated cells,
//!   mutations of the corpus; each with arbitrary options).
//! - `corpus_replays` replays every document in tests/fuzz/corpus/.
//! - `fuzz_for_a_set_time` (ignored; `./build.sh fuzz [SECONDS]`) runs cases from a random seed
//!   until `METAPOOL_FUZZ_SECONDS` (default 60) have passed, printing the seed. A failure prints
//!   the seed and case number and writes the document to target/fuzz-failures/. To replay it:
//!   `METAPOOL_FUZZ_SEED=S METAPOOL_FUZZ_CASE=N cargo test --release --test fuzz -- --ignored --nocapture`
//!   (or `METAPOOL_FUZZ_FILE=target/fuzz-failures/….json`).
//! - The remaining tests are regressions: one per problem the fuzzer found, each also in the
//!   corpus where JSON can hold it.

#[path = "fuzz/check.rs"]
mod check;
#[path = "fuzz/gen.rs"]
mod gen;

use check::{check, Failure, Verdict};
use gen::Rng;
use metapool::{analyze, Document, Options};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cases run by every `cargo test` (a few seconds in release).
const CASES: u64 = 6000;
/// The seed of those cases.
const FIXED_SEED: u64 = 0x6D65_7461_706F_6F6C; // "metapool"
/// One case in this many also draws every plot (SVG): slower, so not every case.
const PLOT_EVERY: u64 = 8;

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz/corpus")
}

/// The corpus documents with their file names.
fn corpus() -> Vec<(String, Document)> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(corpus_dir())
        .expect("tests/fuzz/corpus exists")
        .map(|e| e.expect("a directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("a corpus file is readable");
            let doc: Document = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not an analysis document: {e}", p.display()));
            (p.file_name().unwrap().to_string_lossy().into_owned(), doc)
        })
        .collect()
}

/// Documents the generator mutates: the corpus and the bundled examples.
fn seeds() -> Vec<Document> {
    let mut seeds: Vec<Document> = corpus().into_iter().map(|(_, d)| d).collect();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("www/examples");
    for name in ["bcg.csv", "mediation_ie.csv", "mediation_paths.csv"] {
        let data = std::fs::read_to_string(examples.join(name)).expect("the bundled examples exist");
        seeds.push(Document { data, options: Options::default() });
    }
    seeds
}

fn env_u64(name: &str) -> Option<u64> {
    let text = std::env::var(name).ok()?;
    let text = text.trim();
    let parsed = match text.strip_prefix("0x") {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => text.parse(),
    };
    Some(parsed.unwrap_or_else(|_| panic!("{name}: expected a whole number, found '{text}'")))
}

/// Tallies of what the cases gave.
#[derive(Default)]
struct Tally {
    cases: u64,
    reports: u64,
    errors: BTreeMap<String, u64>,
    failures: Vec<String>,
    /// The slowest case: its time and label (for the summary; not a requirement).
    slowest: (Duration, String),
}

impl Tally {
    fn record(&mut self, label: &str, doc: &Document, result: Result<Verdict, Failure>, took: Duration) {
        self.cases += 1;
        if took > self.slowest.0 {
            self.slowest = (took, label.to_string());
        }
        match result {
            Ok(Verdict::Report { .. }) => self.reports += 1,
            Ok(Verdict::Error { kind, .. }) => {
                // METAPOOL_FUZZ_SAVE_KIND=NotConverged keeps the first documents of that error kind.
                let count = self.errors.entry(kind.clone()).or_default();
                *count += 1;
                if *count <= 20 && std::env::var("METAPOOL_FUZZ_SAVE_KIND").is_ok_and(|k| k == kind) {
                    save_failure(&format!("{kind} {label}"), doc);
                }
            }
            Err(failure) => {
                let saved = save_failure(label, doc);
                self.failures.push(format!(
                    "{label}: {failure}\n  document: {}\n  saved as {}",
                    serde_json::to_string(doc).unwrap_or_else(|_| format!("{doc:?}")),
                    saved.display()
                ));
            }
        }
    }

    fn summary(&self) -> String {
        let errors: Vec<String> = self.errors.iter().map(|(k, n)| format!("{k} {n}")).collect();
        format!(
            "{} cases: {} reports, {} errors ({}), {} failures; slowest {:.3} s ({})",
            self.cases,
            self.reports,
            self.errors.values().sum::<u64>(),
            errors.join(", "),
            self.failures.len(),
            self.slowest.0.as_secs_f64(),
            self.slowest.1
        )
    }

    fn assert_clean(&self) {
        assert!(self.failures.is_empty(), "{}\n{}", self.summary(), self.failures.join("\n"));
    }
}

/// Writes a failing document to target/fuzz-failures/ so that it can be added to the corpus.
fn save_failure(label: &str, doc: &Document) -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
    let _ = std::fs::create_dir_all(&dir);
    let name: String = label.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
    let path = dir.join(format!("{name}.json"));
    let _ = std::fs::write(&path, serde_json::to_string_pretty(doc).unwrap_or_default());
    path
}

fn run_cases(seed: u64, cases: impl Iterator<Item = u64>, deadline: Option<Instant>) -> Tally {
    let seeds = seeds();
    let mut tally = Tally::default();
    for case in cases {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let mut rng = Rng::for_case(seed, case);
        let doc = gen::document(&mut rng, &seeds);
        let start = Instant::now();
        let result = check(&doc, case % PLOT_EVERY == 0);
        let hang = matches!(&result, Err(f) if f.kind == "hang");
        tally.record(&format!("seed {seed:#x} case {case}"), &doc, result, start.elapsed());
        if hang {
            break; // the hung thread keeps a core busy: stop here
        }
    }
    tally
}

#[test]
fn fuzz_cases() {
    let seed = env_u64("METAPOOL_FUZZ_SEED").unwrap_or(FIXED_SEED);
    let tally = run_cases(seed, 0..CASES, None);
    println!("{}", tally.summary());
    tally.assert_clean();
    // The generator must reach the fits, not only the reader's errors.
    assert!(tally.reports > CASES / 5, "{}", tally.summary());
}

#[test]
fn corpus_replays() {
    let mut tally = Tally::default();
    for (name, doc) in corpus() {
        let start = Instant::now();
        let result = check(&doc, true);
        tally.record(&name, &doc, result, start.elapsed());
    }
    assert!(tally.cases > 0, "tests/fuzz/corpus/ has no documents");
    tally.assert_clean();
}

#[test]
#[ignore = "runs for METAPOOL_FUZZ_SECONDS; use ./build.sh fuzz [SECONDS]"]
fn fuzz_for_a_set_time() {
    let seed = env_u64("METAPOOL_FUZZ_SEED").unwrap_or_else(|| {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("the clock is after 1970");
        Rng::new(now.as_nanos() as u64 ^ u64::from(std::process::id())).next_u64()
    });
    if let Ok(file) = std::env::var("METAPOOL_FUZZ_FILE") {
        let text = std::fs::read_to_string(&file).expect("METAPOOL_FUZZ_FILE is readable");
        let doc: Document = serde_json::from_str(&text).expect("an analysis document");
        let result = check(&doc, true);
        println!("{file}: {result:?}");
        assert!(result.is_ok());
        return;
    }
    if let Some(case) = env_u64("METAPOOL_FUZZ_CASE") {
        let doc = gen::document(&mut Rng::for_case(seed, case), &seeds());
        let saved = save_failure(&format!("seed {seed:#x} case {case}"), &doc);
        println!("seed {seed:#x} case {case} (saved as {})", saved.display());
        println!("{}", serde_json::to_string_pretty(&doc).unwrap());
        let result = check(&doc, true);
        println!("{result:?}");
        assert!(result.is_ok());
        return;
    }
    let seconds = env_u64("METAPOOL_FUZZ_SECONDS").unwrap_or(60);
    println!("fuzzing for {seconds} s with METAPOOL_FUZZ_SEED={seed:#x}");
    let start = Instant::now();
    let tally = run_cases(seed, 0.., Some(start + Duration::from_secs(seconds)));
    println!("{} in {:.0} s (seed {seed:#x})", tally.summary(), start.elapsed().as_secs_f64());
    tally.assert_clean();
}

// ---- regressions: one per problem the fuzzer found ----

fn doc(data: &str, options: Options) -> Document {
    Document { data: data.into(), options }
}


#[test]
fn report_floats_are_checked() {
    // The checker itself: a NaN anywhere in a report is found, with its path.
    let mut report = analyze(&doc("yi,vi\n0.1,0.01\n0.5,0.02\n", Options::default())).unwrap();
    assert!(check::non_finite(&report).is_empty());
    report.overall.estimate = f64::NAN;
    report.studies[1].weight = f64::INFINITY;
    assert_eq!(check::non_finite(&report), ["overall.estimate = NaN", "studies[1].weight = inf"]);
}

fn error_of(d: &Document) -> String {
    match check(d, true) {
        Ok(Verdict::Error { kind, .. }) => kind,
        other => panic!("expected an error, got {other:?}"),
    }
}

fn report_of(d: &Document) -> Vec<String> {
    match check(d, true) {
        Ok(Verdict::Report { warnings, .. }) => warnings,
        other => panic!("expected a report, got {other:?}"),
    }
}

#[test]
fn a_text_moderator_with_one_level_is_an_error_not_a_panic() {
    // Found: a moderator column holding one text value gave no dummy, so the omnibus test had
    // 0 df and the chi-squared (or F) distribution panicked.
    let data = "study,yi,vi,group\nA,0.1,0.01,g\nB,0.5,0.02,g\nC,0.9,0.03,g\nD,0.2,0.02,g\n";
    for ci in ["z", "hksj"] {
        let options = Options { mods: Some(metapool::Columns::Text("group".into())), ci: Some(ci.into()), ..Default::default() };
        let e = analyze(&doc(data, options.clone())).unwrap_err();
        assert_eq!(e, metapool::Error::Collinear { names: "group".into() });
        // Twice the same constant column, as the fuzzer tried it.
        let twice = Options { mods: Some(metapool::Columns::Text("group,group".into())), ..options };
        assert_eq!(error_of(&doc(data, twice)), "Collinear");
    }
    // Every moderator cell empty: no row for the regression.
    let empty = "study,yi,vi,dose\nA,0.1,0.01,\nB,0.5,0.02,NA\nC,0.9,0.03,\n";
    let options = Options { mods: Some(metapool::Columns::Text("dose".into())), ..Default::default() };
    assert_eq!(error_of(&doc(empty, options)), "TooFewStudies");
}

#[test]
fn tiny_and_huge_numbers_are_refused_with_the_row() {
    // Found: variances near 1e-228 made the weights' squares overflow, so I², H² and the
    // leave-one-out statistics came out as NaN or -inf; a variance of 5e-324 gave an infinite
    // weight; effects of 1e200 gave Q = inf. Such rows are now refused, naming the row.
    let cases = [
        ("yi,vi\n0.1,2e-228\n0.2,2e-228\n0.3,0.01\n", "BadVariance"),
        ("yi,vi\n0.1,0.04\n0.2,5e-324\n0.3,0.01\n", "BadVariance"),
        ("yi,sei\n0.1,1e-150\n0.2,0.1\n", "BadVariance"),
        ("yi,vi\n0.1,1e101\n0.2,0.1\n", "BadVariance"),
        ("yi,vi\n1e200,1\n1.0000001e200,1\n", "EffectTooLarge"),
        ("a,sa,b,sb\n4e-101,2e-101,0.1,0.2\n0.3,0.1,0.2,0.1\n", "OutOfRange"),
        // Found: a tiny a with sb = 1e308 gave a·sb underflowing to a usable variance, and the
        // distribution-of-the-product interval then searched for minutes (a hang).
        ("a,sa,b,sb\n1.75e-183,0.23,0.12,1e308\n0.3,0.1,0.2,0.1\n", "OutOfRange"),
        ("yi,vi,a,sa,b,sb\n0.1,0.01,1e60,0.1,0.2,0.1\n0.3,0.02,0.3,0.1,0.2,0.1\n", "OutOfRange"),
    ];
    for (data, kind) in cases {
        for leave1out in [false, true] {
            let options = Options { leave1out: Some(leave1out), mc_draws: Some(0), ..Default::default() };
            assert_eq!(error_of(&doc(data, options)), kind, "{data}");
        }
    }
    let e = analyze(&doc("yi,vi\n0.1,0.04\n0.2,2e-228\n", Options::default())).unwrap_err();
    assert_eq!(e.row(), Some(2));
    assert!(e.to_string().starts_with("row 2: the sampling variance works out as 2e-228, outside the range"), "{e}");
}

#[test]
fn one_dominant_study_gives_finite_heterogeneity() {
    // Found: with one variance 1e-90 among variances near 0.04, tr(P) = Σw − Σw²/Σw cancelled to
    // 0 or below, so the typical variance, I² and H² were infinite or negative. The pairwise sums
    // of the intercept-only design keep them exact. Then Q = 24.9775 came out as 1.2e58: the
    // dominant study's residual yᵢ − μ̂ carried μ̂'s rounding, magnified by its weight; the
    // weighted mean is now taken about that study's effect. Begg's test divided 0 by 0 (vᵢ − 1/Σw
    // cancelled) and the fail-safe N (about 8e88) overflowed a whole number.
    let data = "yi,vi\n0.16,0.04\n0.09,0.04\n-0.02,0.04\n0.47,1e-90\n0.35,0.04\n-0.24,0.04\n";
    for method in ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"] {
        let options = Options {
            method: Some(method.into()),
            cumulative: Some(true),
            bias: Some(true),
            ..Default::default()
        };
        report_of(&doc(data, options));
        let report = analyze(&doc(data, Options { method: Some(method.into()), ..Default::default() })).unwrap();
        assert!((report.overall.q - 24.9775).abs() < 1e-12, "{method}: Q = {}", report.overall.q);
    }
}
