//! The command line as a user meets it: exit codes, the readable report, the JSON contract, and
//! one clear line for every kind of bad input (row, column and value named).

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Output, Stdio};

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_metapool"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // The program may exit before reading (bad options): a closed pipe is fine.
    let _ = child.stdin.take().unwrap().write_all(stdin.as_bytes());
    child.wait_with_output().unwrap()
}

fn json(args: &[&str], stdin: &str) -> (i32, Value) {
    let mut all = vec!["-", "--json"];
    all.extend_from_slice(args);
    let out = run(&all, stdin);
    let v = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!("stdout is not JSON ({e}): {}", String::from_utf8_lossy(&out.stdout))
    });
    (out.status.code().unwrap(), v)
}

/// Runs with bad input and returns (message, row, column) of the JSON error, checking that the
/// plain-text form exits 2 with the same one-line message on stderr.
fn error(args: &[&str], stdin: &str) -> (String, Value, Value) {
    let (code, v) = json(args, stdin);
    assert_eq!(code, 2, "exit code for {stdin:?}: {v}");
    let e = &v["error"];
    let message = e["message"].as_str().expect("error.message").to_string();
    let mut plain = vec!["-"];
    plain.extend_from_slice(args);
    let out = run(&plain, stdin);
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.trim_end(), format!("metapool: {message}"));
    assert_eq!(stderr.trim_end().lines().count(), 1, "one line: {stderr}");
    assert!(out.stdout.is_empty());
    (message, e["row"].clone(), e["column"].clone())
}

const BCG: &str = include_str!("../www/examples/bcg.csv");

#[test]
fn readable_report_of_the_bundled_example() {
    let out = run(&[concat!(env!("CARGO_MANIFEST_DIR"), "/www/examples/bcg.csv")], "");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Random-effects model, tau^2 by restricted maximum likelihood (REML)"));
    assert!(text.contains("Aronson 1948"));
    // metafor: rma(yi, vi, data = dat.bcg-escalc) prints -0.7145 [-1.0669, -0.3622].
    assert!(text.contains("-0.7145"), "{text}");
    assert!(text.contains("[-1.0669, -0.3622]"), "{text}");
    assert!(text.contains("Prediction interval"));
    assert!(text.contains("Q-profile"));
}

#[test]
fn json_report_has_every_contract_field() {
    let (code, v) = json(&["--method", "DL", "--ci", "hksj"], BCG);
    assert_eq!(code, 0);
    assert_eq!(v["k"], 13);
    let o = &v["overall"];
    for f in [
        "k", "estimate", "se", "ci_lower", "ci_upper", "stat", "df", "p", "pi_lower", "pi_upper",
        "tau2", "tau", "tau2_ci_lower", "tau2_ci_upper", "I2", "I2_ci_lower", "I2_ci_upper", "H2",
        "Q", "Q_df", "Q_p", "method", "ci",
    ] {
        assert!(o.get(f).is_some(), "overall.{f} missing");
    }
    assert_eq!(o["method"], "DL");
    assert_eq!(o["ci"], "hksj");
    assert_eq!(o["df"], 12);
    let s = &v["studies"][0];
    for f in ["study", "yi", "se", "ci_lower", "ci_upper", "weight"] {
        assert!(s.get(f).is_some(), "studies[].{f} missing");
    }
    assert_eq!(s["study"], "Aronson 1948");
    let total: f64 = v["studies"].as_array().unwrap().iter().map(|s| s["weight"].as_f64().unwrap()).sum();
    assert!((total - 100.0).abs() < 1e-9);
    assert!(v["warnings"].is_array());
}

#[test]
fn df_is_null_under_z_and_fe_has_no_heterogeneity_intervals() {
    let (_, v) = json(&["--method", "FE"], BCG);
    let o = &v["overall"];
    assert!(o["df"].is_null());
    assert!(o["tau2_ci_lower"].is_null() && o["tau2_ci_upper"].is_null());
    assert!(o["pi_lower"].is_null());
    assert_eq!(o["tau2"], 0.0);
    assert!(o["I2"].is_number());
}

#[test]
fn level_changes_every_interval() {
    let (_, a) = json(&[], BCG);
    let (_, b) = json(&["--level", "0.9"], BCG);
    let width = |v: &Value, lo: &str, hi: &str| {
        v["overall"][hi].as_f64().unwrap() - v["overall"][lo].as_f64().unwrap()
    };
    assert!(width(&b, "ci_lower", "ci_upper") < width(&a, "ci_lower", "ci_upper"));
    assert!(width(&b, "pi_lower", "pi_upper") < width(&a, "pi_lower", "pi_upper"));
    assert!(width(&b, "tau2_ci_lower", "tau2_ci_upper") < width(&a, "tau2_ci_lower", "tau2_ci_upper"));
    assert_eq!(b["overall"]["level"], 0.9);
}

#[test]
fn small_and_degenerate_inputs_are_valid() {
    let (code, v) = json(&[], "study,yi,vi\nA,0.3,0.04\n");
    assert_eq!(code, 0);
    assert_eq!(v["overall"]["estimate"], 0.3);
    assert!(v["overall"]["I2"].is_null());
    assert!(!v["warnings"].as_array().unwrap().is_empty(), "k = 1 explains the empty fields");
    let (code, v) = json(&["--ci", "hksj"], "yi,sei\n0.3,0.2\n0.5,0.1\n");
    assert_eq!(code, 0);
    assert_eq!(v["k"], 2);
    assert_eq!(v["overall"]["df"], 1);
    for m in ["FE", "DL", "REML", "ML", "PM", "HS", "SJ", "HE", "EB"] {
        let (code, v) = json(&["--method", m], "yi,vi\n0.25,0.01\n0.25,0.02\n0.25,0.05\n");
        assert_eq!(code, 0, "{m}");
        assert_eq!(v["overall"]["tau2"], 0.0, "{m}: identical effects give tau^2 = 0");
        assert!((v["overall"]["estimate"].as_f64().unwrap() - 0.25).abs() < 1e-15);
    }
}

#[test]
fn precision_from_confidence_limits_and_mediation_paths() {
    let (_, a) = json(&[], "study,yi,lower,upper\nA,0.1,-0.0959927969080108,0.2959927969080108\nB,0.4,0.204007203091989,0.595992796908011\n");
    let (_, b) = json(&[], "study,yi,sei\nA,0.1,0.1\nB,0.4,0.1\n");
    let (ea, eb) = (a["overall"]["estimate"].as_f64().unwrap(), b["overall"]["estimate"].as_f64().unwrap());
    assert!((ea - eb).abs() < 1e-12);
    let (code, v) = json(&[], "study,a,sa,b,sb\nA,0.5,0.1,0.4,0.2\nB,0.3,0.1,0.5,0.1\n");
    assert_eq!(code, 0);
    assert!((v["studies"][0]["yi"].as_f64().unwrap() - 0.2).abs() < 1e-15);
    assert!((v["studies"][0]["se"].as_f64().unwrap() - 0.0116f64.sqrt()).abs() < 1e-15);
}

#[test]
fn rows_with_empty_required_cells_are_skipped_with_a_warning() {
    let (code, v) = json(&[], "study,yi,vi\nA,0.1,0.01\nB,,0.02\nC,0.3,0.03\n");
    assert_eq!(code, 0);
    assert_eq!(v["k"], 2);
    let w = v["warnings"].to_string();
    assert!(w.contains("row 2"), "{w}");
}

#[test]
fn every_kind_of_bad_input_gets_one_clear_line() {
    let (m, _, _) = error(&[], "");
    assert!(m.contains("empty"), "{m}");
    let (m, _, _) = error(&[], "study,yi,vi\n");
    assert!(m.contains("no studies"), "{m}");
    let (m, _, _) = error(&[], "study,effect_size_x,foo\nA,1,2\n");
    assert!(m.contains("vi") && m.contains("sei") && m.contains("lower"), "says which columns would do: {m}");
    let (m, _, _) = error(&[], "study,yi\nA,1\n");
    assert!(m.contains("precision") || m.contains("vi"), "{m}");

    let (m, row, col) = error(&[], "study,yi,vi\nA,0.1,0.01\nB,abc,0.02\n");
    assert_eq!(m, "row 2, column yi: expected a number, found 'abc'");
    assert_eq!((row, col), (Value::from(2), Value::from("yi")));
    let (m, _, _) = error(&[], "study,yi,vi\nA,NaN,0.01\n");
    assert_eq!(m, "row 1, column yi: expected a finite number, found 'NaN'");
    let (m, _, _) = error(&[], "study,yi,vi\nA,0.1,Inf\n");
    assert!(m.starts_with("row 1, column vi: expected a finite number"), "{m}");
    let (m, row, col) = error(&[], "study,yi,sei\nA,1,0.1\nB,1,0.1\nC,1,0.1\nD,1,0.1\nE,1,0.1\nF,1,0.1\nG,0.5,-0.2\n");
    assert_eq!(m, "row 7, column sei: expected a positive number, found '-0.2'");
    assert_eq!((row, col), (Value::from(7), Value::from("sei")));
    let (m, _, _) = error(&[], "study,yi,vi\nA,0.1,0\n");
    assert_eq!(m, "row 1, column vi: expected a positive number, found '0'");
    let (m, row, _) = error(&[], "study,yi,lower,upper\nA,0.1,0.3,0.2\n");
    assert!(m.starts_with("row 1:") && m.contains("0.3") && m.contains("0.2"), "{m}");
    assert_eq!(row, Value::from(1));
    let (m, _, _) = error(&[], "study,yi,lower,upper\nA,0.5,0.1,0.3\n");
    assert!(m.contains("outside its own confidence limits"), "{m}");
    let (m, _, col) = error(&[], "study,yi,vi,yi\nA,0.1,0.01,0.2\n");
    assert!(m.contains("yi"), "{m}");
    assert_eq!(col, Value::from("yi"));

    let (m, _, _) = error(&["--method", "XYZ"], BCG);
    assert_eq!(m, "unknown method 'XYZ': choose one of FE, DL, REML, ML, PM, HS, SJ, HE, EB");
    let (m, _, _) = error(&["--ci", "t"], BCG);
    assert_eq!(m, "unknown ci 't': choose one of z, hksj");
    for bad in ["1.5", "0", "1", "95", "-0.1", "abc", "NaN"] {
        let (m, _, _) = error(&["--level", bad], BCG);
        assert!(m.starts_with("level must be a number between 0 and 1"), "{bad}: {m}");
    }
    let (m, _, _) = error(&["--bogus"], BCG);
    assert!(m.contains("bogus"), "{m}");
}

#[test]
fn unreadable_files_and_missing_arguments_exit_2() {
    let out = run(&["/nonexistent/file.csv"], "");
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = run(&[], "");
    assert_eq!(out.status.code(), Some(2));
    let out = run(&["-", "--json"], "\u{feff}study;yi;vi\r\nA;0,1;0,01\r\nB;−0,2;0,02\r\n");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn subgroups_and_meta_regression_from_the_command_line() {
    let (code, v) = json(&["--by", "alloc", "--mods", "ablat,alloc"], BCG);
    assert_eq!(code, 0, "{v}");
    let groups: Vec<&str> = v["subgroups"].as_array().unwrap().iter().map(|g| g["name"].as_str().unwrap()).collect();
    assert_eq!(groups, ["alternate", "random", "systematic"]);
    assert_eq!(v["subgroup_test"]["df"], 2);
    let names: Vec<&str> =
        v["regression"]["coefficients"].as_array().unwrap().iter().map(|c| c["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["intrcpt", "ablat", "allocrandom", "allocsystematic"]);
    assert_eq!(v["regression"]["QM_df"], 3);
    assert!(v["regression"]["QM_df2"].is_null());
    // Without the options the fields are absent, not null.
    let (_, v) = json(&[], BCG);
    assert!(v.get("subgroups").is_none() && v.get("regression").is_none());
}

#[test]
fn moderator_errors_name_the_problem() {
    let (m, _, _) = error(&["--mods", "latitude"], BCG);
    assert_eq!(m, "mods: there is no column 'latitude'; the columns that can be used are ablat, alloc, year");
    let (m, _, _) = error(&["--by", "region"], BCG);
    assert!(m.starts_with("by: there is no column 'region'"), "{m}");
    let data = "study,yi,vi,x,w\nA,0.1,0.01,1,2\nB,0.3,0.02,2,4\nC,0.2,0.01,3,6\nD,0.5,0.03,4,8\n";
    let (m, _, _) = error(&["--mods", "x,w"], data);
    assert!(m.contains("redundant"), "{m}");
    let (m, _, _) = error(&["--mods", "x"], "study,yi,vi,x\nA,0.1,0.01,1\nB,0.3,0.02,2\n");
    assert!(m.contains("needs at least 3 studies"), "{m}");
    // Empty moderator cells leave the row out of the regression only, with a warning.
    let (code, v) = json(&["--mods", "x"], "study,yi,vi,x\nA,0.1,0.01,1\nB,0.3,0.02,\nC,0.2,0.01,3\nD,0.5,0.03,4\n");
    assert_eq!(code, 0);
    assert_eq!(v["k"], 4);
    assert_eq!(v["regression"]["k"], 3);
    assert!(v["warnings"].to_string().contains("row 2 (B) left out of the meta-regression"));
}

#[test]
fn leave_one_out_and_cumulative_from_the_command_line() {
    let (code, v) = json(&["--leave1out", "--cumulative-by", "year"], BCG);
    assert_eq!(code, 0, "{v}");
    let l1o = v["leave1out"].as_array().unwrap();
    assert_eq!(l1o.len(), 13);
    assert_eq!(l1o[0]["study"], "Aronson 1948");
    assert_eq!(l1o[0]["k"], 12);
    for f in ["estimate", "ci_lower", "ci_upper", "tau2", "I2", "Q", "rstudent", "dffits", "cook_d", "hat", "weight", "influential"] {
        assert!(l1o[0].get(f).is_some(), "leave1out[].{f}");
    }
    let cu = v["cumulative"].as_array().unwrap();
    let years: Vec<&str> = cu.iter().map(|r| r["study"].as_str().unwrap()).take(3).collect();
    assert_eq!(years, ["Aronson 1948", "Ferguson & Simes 1949", "Stein & Aronson 1953"]);
    assert_eq!(cu[12]["k"], 13);
    // Too few studies for an optional analysis: the main result stays, a warning says why.
    let (code, v) = json(&["--leave1out", "--bias"], "yi,vi\n0.1,0.01\n");
    assert_eq!(code, 0);
    assert!(v.get("leave1out").is_none() && v.get("bias").is_none());
    let w = v["warnings"].to_string();
    assert!(w.contains("a leave-one-out analysis needs at least 2 studies"), "{w}");
    assert!(w.contains("needs at least 3 studies"), "{w}");
}

#[test]
fn small_study_effects_from_the_command_line() {
    let (code, v) = json(&["--bias"], BCG);
    assert_eq!(code, 0, "{v}");
    let b = &v["bias"];
    for part in ["egger", "begg", "trimfill", "failsafe", "pet", "peese"] {
        assert!(b.get(part).is_some(), "bias.{part}");
    }
    assert_eq!(b["egger"]["df"], 11);
    assert!(b["trimfill"]["k0"].is_u64());
    assert!(b["begg"]["p"].as_f64().unwrap() > 0.0);
}

#[test]
fn the_readable_report_shows_every_requested_analysis() {
    let out = run(
        &[
            concat!(env!("CARGO_MANIFEST_DIR"), "/www/examples/bcg.csv"),
            "--by", "alloc", "--mods", "ablat", "--bias", "--leave1out", "--cumulative",
        ],
        "",
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for heading in [
        "Subgroups (each fitted on its own)",
        "Test for subgroup differences: Q(2)",
        "Meta-regression (k = 13)",
        "Test of moderators: QM(1)",
        "Small-study effects",
        "Egger's regression test: t(11)",
        "Trim and fill (L0): 1 study filled on the right",
        "Leave-one-out",
        "Cumulative meta-analysis",
    ] {
        assert!(text.contains(heading), "missing {heading:?} in\n{text}");
    }
    assert!(text.contains("  ablat ") && !text.contains("= 0.3127      ["), "p cells without '= ':\n{text}");
}

#[test]
fn reproduce_a_published_result_from_the_command_line() {
    let (code, v) = json(&["--reproduce", "\u{2212}0.71 (\u{2212}1.06 to \u{2212}0.36)"], BCG);
    assert_eq!(code, 0);
    let r = &v["reproduce"];
    assert_eq!(r["reported"]["estimate"]["value"], -0.71);
    assert_eq!(r["reported"]["estimate"]["decimals"], 2);
    let matches = r["matches"].as_array().unwrap();
    assert_eq!(matches.len(), 1, "{r}");
    assert_eq!((&matches[0]["method"], &matches[0]["ci"]), (&Value::from("DL"), &Value::from("z")));
    for f in ["estimate", "ci_lower", "ci_upper", "distance", "presets", "scale", "pi_type", "i2_type"] {
        assert!(matches[0].get(f).is_some(), "matches[].{f} missing");
    }
    assert_eq!(r["nearest"][0]["method"], "REML");
    // The main analysis is unchanged by the option.
    assert_eq!(v["overall"]["method"], "REML");

    let out = run(
        &[
            concat!(env!("CARGO_MANIFEST_DIR"), "/www/examples/bcg.csv"),
            "--reproduce",
            "-0.71 (-1.06, -0.36), I^2 = 92%",
        ],
        "",
    );
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Reproducing the reported result \"-0.71 (-1.06, -0.36), I^2 = 92%\""), "{text}");
    assert!(text.contains("Reproduced by 2 settings:"), "{text}");
    assert!(text.contains("DL z, I2 Q"), "{text}");
    assert!(text.contains("= revman5, meta4, metan"), "{text}");
    assert!(text.contains("Nearest misses:"), "{text}");
}

#[test]
fn presets_from_the_command_line() {
    let (code, v) = json(&["--preset", "revman5"], BCG);
    assert_eq!(code, 0);
    assert_eq!(v["overall"]["method"], "DL");
    assert_eq!(v["overall"]["ci"], "z");
    assert_eq!(v["preset"]["code"], "revman5");
    assert!(v["preset"]["source"].as_str().unwrap().contains("Cochrane"));
    let (_, v) = json(&["--preset", "jasp", "--ci", "z"], BCG);
    assert_eq!(v["overall"]["ci"], "z");
    assert_eq!(v["preset"]["overridden"], serde_json::json!(["ci"]));
    let out = run(&["-", "--preset", "meta8"], BCG);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Preset: R meta \u{2265} 8.0 (metagen) (REML, z)"), "{text}");
    assert!(text.contains("source: R meta NEWS"), "{text}");
}

#[test]
fn bad_reproduce_text_and_unknown_presets_exit_2() {
    let (m, row, col) = error(&["--reproduce", "about -0.7"], BCG);
    assert!(m.starts_with("reproduce: cannot read 'about -0.7' as a pooled result: it has one number (-0.7)"), "{m}");
    assert!(row.is_null() && col.is_null());
    let (m, _, _) = error(&["--reproduce", "0.5 (0.6, 0.9)"], BCG);
    assert!(m.contains("the estimate 0.5 lies outside its limits 0.6 to 0.9"), "{m}");
    let (m, _, _) = error(&["--preset", "cma"], BCG);
    assert_eq!(m, "unknown preset 'cma': choose one of revman5, metafor, meta8, meta5, meta4, jasp, stata, metan");
    let (m, _, _) = error(&["--export-r"], "study,yi,vi\nA,x,0.01\n");
    assert_eq!(m, "row 1, column yi: expected a number, found 'x'");
}

#[test]
fn export_r_prints_a_metafor_script() {
    let out = run(&["-", "--export-r", "--method", "DL", "--ci", "hksj", "--by", "alloc"], BCG);
    assert!(out.status.success());
    let script = String::from_utf8(out.stdout).unwrap();
    assert!(script.starts_with("# metapool's analysis as an R script using metafor"), "{script}");
    assert!(script.contains("library(metafor)"));
    assert!(script.contains("method = \"DL\", test = \"knha\", level = 0.95"), "{script}");
    assert!(script.contains("groups <- c(\"alternate\", \"random\", \"systematic\")"), "{script}");
    assert!(script.contains("METAPOOL"));
}

#[test]
fn a_reader_that_stops_early_ends_the_program_quietly() {
    // `metapool big.csv --json | head`: the pipe closes after a few bytes of a large report.
    let mut csv = String::from("study,yi,vi\n");
    for i in 0..20_000 {
        csv.push_str(&format!("S{i},{:.4},{:.4}\n", (i % 97) as f64 / 97.0 - 0.5, 0.01 + (i % 89) as f64 / 1000.0));
    }
    let path = std::env::temp_dir().join(format!("metapool-cli-pipe-{}.csv", std::process::id()));
    std::fs::write(&path, csv).unwrap();
    for flags in [&["--json"][..], &[][..], &["--export-r"][..]] {
        let mut child = Command::new(env!("CARGO_BIN_EXE_metapool"))
            .arg(&path)
            .args(flags)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary runs");
        let mut first = [0u8; 16];
        std::io::Read::read_exact(child.stdout.as_mut().unwrap(), &mut first).unwrap();
        drop(child.stdout.take()); // the reader goes away
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(0), "{flags:?}: {stderr}");
        assert!(stderr.is_empty(), "{flags:?}: {stderr}");
    }
    std::fs::remove_file(&path).unwrap();
}
