//! `--export-r`: the R script reproduces the analysis. Each document's script is run under
//! `Rscript` (R 4 with metafor; the test prints a note and passes when R or metafor is missing)
//! and every `METAPOOL<TAB>key<TAB>value` line it prints is compared with the number at that
//! path of metapool's own report, to 1e-6 relative (common::close).

mod common;

use metapool::{analyze, r_script, Columns, Document, Options};
use serde_json::Value;
use std::process::Command;

/// Whether `Rscript` runs and has metafor.
fn r_with_metafor() -> bool {
    Command::new("Rscript")
        .args(["-e", "suppressPackageStartupMessages(library(metafor))"])
        .output()
        .is_ok_and(|o| o.status.success())
}

/// The report value at a dotted path (`subgroups.0.tau2`).
fn at<'a>(report: &'a Value, key: &str) -> Option<&'a Value> {
    key.split('.').try_fold(report, |v, part| match part.parse::<usize>() {
        Ok(i) if v.is_array() => v.get(i),
        _ => v.get(part),
    })
}

/// Runs the document's script and compares its lines with the report; returns how many numbers
/// were compared.
fn check(name: &str, doc: &Document) -> usize {
    let script = r_script(doc).unwrap_or_else(|e| panic!("{name}: {e}"));
    let report = serde_json::to_value(analyze(doc).unwrap()).unwrap();
    let path = std::env::temp_dir().join(format!("metapool-export-{}-{name}.R", std::process::id()));
    std::fs::write(&path, &script).unwrap();
    let out = Command::new("Rscript").arg(&path).output().expect("Rscript runs");
    let _ = std::fs::remove_file(&path);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{name}: the script failed:\n{}\n{script}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut failures = Vec::new();
    let mut compared = 0;
    for line in stdout.lines().filter(|l| l.starts_with("METAPOOL\t")) {
        let mut parts = line.split('\t').skip(1);
        let (key, value) = (parts.next().unwrap(), parts.next().unwrap());
        let ours = at(&report, key).and_then(Value::as_f64);
        let theirs: Option<f64> = if value == "NA" { None } else { Some(value.parse().unwrap()) };
        let agree = match (ours, theirs) {
            (Some(a), Some(b)) if key.ends_with("I2") || key.contains("I2_ci") => common::close_i2(a, b),
            (Some(a), Some(b)) => common::close(a, b),
            (None, None) => true,
            _ => false,
        };
        compared += usize::from(theirs.is_some());
        if !agree {
            failures.push(format!("{key}: metapool {ours:?}, R {theirs:?}"));
        }
    }
    assert!(failures.is_empty(), "{name}: {} differences:\n  {}", failures.len(), failures.join("\n  "));
    compared
}

fn doc(data: &str, options: Options) -> Document {
    Document { data: data.into(), options }
}

const BCG: &str = include_str!("../www/examples/bcg.csv");
const IE: &str = include_str!("../www/examples/mediation_ie.csv");
const PATHS: &str = include_str!("../www/examples/mediation_paths.csv");

#[test]
fn scripts_reproduce_the_reports_under_r() {
    if !r_with_metafor() {
        println!("note: Rscript with metafor is not installed here; the R scripts were not run");
        return;
    }
    let cases = [
        ("bcg-default", doc(BCG, Options::default())),
        (
            "bcg-dl-hksj-by-mods",
            doc(
                BCG,
                Options {
                    method: Some("DL".into()),
                    ci: Some("hksj".into()),
                    by: Some("alloc".into()),
                    mods: Some(Columns::Text("ablat,alloc".into())),
                    ..Default::default()
                },
            ),
        ),
        (
            "bcg-fe-mods-level90",
            doc(
                BCG,
                Options {
                    method: Some("FE".into()),
                    level: Some(0.9),
                    mods: Some(Columns::List(vec!["year".into()])),
                    ..Default::default()
                },
            ),
        ),
        (
            "ie-pm-wider",
            doc(
                IE,
                Options {
                    method: Some("PM".into()),
                    ci_se_rule: Some("wider".into()),
                    ci_level_in: Some(0.95),
                    by: Some("mediator".into()),
                    ..Default::default()
                },
            ),
        ),
        (
            "paths-eb-hksj",
            doc(
                PATHS,
                Options {
                    method: Some("EB".into()),
                    ci: Some("hksj".into()),
                    mc_draws: Some(0),
                    ..Default::default()
                },
            ),
        ),
        (
            "unicode-decimal-comma-sj",
            doc(
                "study;yi;sei;group;dose\nM\u{fc}ller \"A\";0,12;0,05;b;1,5\nS\u{e1}nchez;\u{2212}0,30;0,11;a;2\n\u{d8}berg;0,45;0,09;b;\nLi \\ Wang;0,02;0,04;a;3,5\nTan;0,2;0,07;b;4\n",
                Options {
                    method: Some("SJ".into()),
                    by: Some("group".into()),
                    mods: Some(Columns::Text("dose".into())),
                    level: Some(0.99),
                    ..Default::default()
                },
            ),
        ),
        ("one-study", doc("yi,vi\n0.3,0.04\n", Options { method: Some("ML".into()), ..Default::default() })),
    ];
    for (name, d) in &cases {
        let n = check(name, d);
        assert!(n >= 10, "{name}: only {n} numbers compared");
    }
}

#[test]
fn every_method_and_ci_type_matches_r() {
    if !r_with_metafor() {
        println!("note: Rscript with metafor is not installed here; the R scripts were not run");
        return;
    }
    for method in ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"] {
        for ci in ["z", "hksj"] {
            let d = doc(BCG, Options { method: Some(method.into()), ci: Some(ci.into()), ..Default::default() });
            check(&format!("bcg-{method}-{ci}"), &d);
        }
    }
}

#[test]
fn the_script_names_the_model_and_has_the_data_inline() {
    let s = r_script(&doc(BCG, Options { method: Some("DL".into()), ci: Some("knha".into()), ..Default::default() })).unwrap();
    assert!(s.contains("method = \"DL\", test = \"knha\", level = 0.95"), "{s}");
    assert!(s.contains("\"Aronson 1948\""));
    assert!(s.contains("-0.889311"));
    assert!(s.is_ascii());
    // An invalid document gives the analysis' error, not a script.
    let bad = r_script(&doc("study,yi,vi\nA,x,0.1\n", Options::default())).unwrap_err();
    assert_eq!(bad.row(), Some(1));
}
