//! The command line: `metapool FILE|- [--method M] [--ci z|hksj] [--level L] [--ci-level-in L] [--json]`.
//!
//! Reads the data, calls [`metapool::analyze`], prints the readable report or the JSON report.
//! Every error exits with code 2 and one line naming the row, column and value; with `--json` the
//! same as `{"error": {"message", "row", "column"}}` on stdout.

use metapool::{analyze, Document, Error, Options};
use std::io::{BufWriter, ErrorKind, Read, Write};
use std::process::ExitCode;

const USAGE: &str = "usage: metapool FILE|- [--method FE|DL|REML|ML|PM|HS|SJ|HE|EB] [--ci z|hksj] [--level 0.95] [--ci-level-in 0.95] [--by COLUMN] [--mods COL,COL] [--leave1out] [--bias] [--cumulative] [--cumulative-by COLUMN] [--ie-se sobel|aroian] [--mc-draws N] [--seed N] [--mediation ie|paths|bivariate] [--ci-se-rule width|wider|zero_side] [--rounding] [--reported TEXT] [--table COL,COL] [--reproduce TEXT] [--preset NAME] [--export-r] [--json]";

const HELP: &str = "metapool — meta-analysis that matches R's metafor

usage: metapool FILE|- [options]

  FILE            CSV or TSV file with a header row (- reads standard input)
  --method M      FE, DL, REML (default), ML, PM, HS, SJ, HE or EB
  --ci C          z (Wald-type, default) or hksj (Knapp-Hartung, t with k-1 df)
  --level L       level of every interval in the output (default 0.95)
  --ci-level-in L level of the lower/upper limits given in the data (default 0.95)
  --by COLUMN     subgroup analysis: one fit per group and the test for differences
  --mods C[,C…]   meta-regression on these columns (text columns are dummy-coded)
  --leave1out     refit without each study in turn, with influence diagnostics
  --bias          small-study effects: Egger, Begg, trim and fill, fail-safe N, PET-PEESE
  --cumulative    cumulative meta-analysis in data order
  --cumulative-by COLUMN  cumulative meta-analysis with the studies sorted by a column
  --ie-se S       variance of an indirect effect a·b given by its paths: sobel (first-order
                  delta, default) or aroian (second-order)
  --mc-draws N    Monte Carlo draws for each such study's CI of a·b (default 100000; 0: none)
  --seed N        seed of the Monte Carlo draws (default 20240601)
  --mediation M   ie (default) or paths: also pool a and b separately, IE = a·b with a
                  Monte Carlo CI, compared with the pooled indirect effect
  --ci-se-rule R  SE of a study given by asymmetric limits: width (default, full width/2z),
                  wider (wider half/z) or zero_side (the half towards zero/z)
  --rounding      the range of pooled results consistent with the rounding of the input
  --reported TEXT a published result to check against that range, e.g. \"-0.07 (-0.11, -0.04)\"
  --table C[,C…]  one pooled row per combination of these columns' values
  --reproduce TEXT  a published pooled result, e.g. \"-0.71 (-1.06 to -0.36), I^2 = 92%\":
                  list the settings (method, CI type, prediction-interval and I^2 types, SE
                  rule and level of input limits, log or ratio scale) that reproduce every
                  number at its printed decimals, and the nearest misses
  --preset NAME   software defaults: revman5, metafor, meta8, meta5, meta4, jasp, stata,
                  metan; sets --method and --ci unless they are given too
  --export-r      print an R script (metafor) that reproduces this analysis, data inline
  --json          print the report as one JSON object
  -h, --help      show this help

Columns: study, yi with vi, sei, or lower and upper; or the mediation paths a, sa, b, sb
(and optionally cov_ab).
See the README for the accepted column names.";

/// A command-line problem that is not an analysis error (bad flags, unreadable file).
struct Usage(String);

struct Args {
    file: String,
    options: Options,
    json: bool,
    export_r: bool,
}

fn parse_level(option: &str, value: &str) -> Result<f64, Error> {
    value
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|l| l.is_finite() && *l > 0.0 && *l < 1.0)
        .ok_or_else(|| Error::BadLevel { option: option.into(), value: value.into() })
}

/// A flag that needs a whole number (`--mc-draws`, `--seed`) got something else.
fn bad_number(option: &str, value: &str) -> Error {
    Error::BadOption {
        option: option.into(),
        value: value.into(),
        allowed: "a whole number (0 or more)".into(),
    }
}

fn parse_args(json: &mut bool) -> Result<Result<Args, Error>, Usage> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_env();
    let mut file = None;
    let mut options = Options::default();
    let mut level_err = None;
    let mut export_r = false;
    let text = |v: std::ffi::OsString| v.to_string_lossy().into_owned();
    let bad = |e: lexopt::Error| Usage(format!("{e}; {USAGE}"));
    while let Some(arg) = parser.next().map_err(bad)? {
        match arg {
            Long("method") => options.method = Some(text(parser.value().map_err(bad)?)),
            Long("ci") => options.ci = Some(text(parser.value().map_err(bad)?)),
            Long("level") => {
                let v = text(parser.value().map_err(bad)?);
                match parse_level("level", &v) {
                    Ok(l) => options.level = Some(l),
                    Err(e) => level_err = level_err.or(Some(e)),
                }
            }
            Long("ci-level-in") => {
                let v = text(parser.value().map_err(bad)?);
                match parse_level("ci-level-in", &v) {
                    Ok(l) => options.ci_level_in = Some(l),
                    Err(e) => level_err = level_err.or(Some(e)),
                }
            }
            Long("by") => options.by = Some(text(parser.value().map_err(bad)?)),
            Long("mods") => options.mods = Some(metapool::Columns::Text(text(parser.value().map_err(bad)?))),
            Long("leave1out") => options.leave1out = Some(true),
            Long("bias") => options.bias = Some(true),
            Long("cumulative") => options.cumulative = Some(true),
            Long("cumulative-by") => options.cumulative_by = Some(text(parser.value().map_err(bad)?)),
            Long("mediation") => options.mediation = Some(text(parser.value().map_err(bad)?)),
            Long("ci-se-rule") => options.ci_se_rule = Some(text(parser.value().map_err(bad)?)),
            Long("rounding") => options.rounding = Some(true),
            Long("reported") => options.reported = Some(text(parser.value().map_err(bad)?)),
            Long("reproduce") => options.reproduce = Some(text(parser.value().map_err(bad)?)),
            Long("preset") => options.preset = Some(text(parser.value().map_err(bad)?)),
            Long("export-r") => export_r = true,
            Long("table") => options.table = Some(metapool::Columns::Text(text(parser.value().map_err(bad)?))),
            Long("ie-se") => options.ie_se = Some(text(parser.value().map_err(bad)?)),
            Long("mc-draws") => {
                let v = text(parser.value().map_err(bad)?);
                match v.trim().parse::<usize>() {
                    Ok(n) => options.mc_draws = Some(n),
                    Err(_) => level_err = level_err.or(Some(bad_number("mc-draws", &v))),
                }
            }
            Long("seed") => {
                let v = text(parser.value().map_err(bad)?);
                match v.trim().parse::<u64>() {
                    Ok(n) => options.seed = Some(n),
                    Err(_) => level_err = level_err.or(Some(bad_number("seed", &v))),
                }
            }
            Long("json") => *json = true,
            Short('h') | Long("help") => {
                println!("{HELP}");
                std::process::exit(0);
            }
            Value(v) if file.is_none() => file = Some(text(v)),
            Value(v) => return Err(Usage(format!("unexpected argument '{}'; {USAGE}", text(v)))),
            _ => return Err(bad(arg.unexpected())),
        }
    }
    let file = file.ok_or_else(|| Usage(format!("no input file given; {USAGE}")))?;
    Ok(match level_err {
        Some(e) => Err(e),
        None => Ok(Args { file, options, json: *json, export_r }),
    })
}

fn read_input(file: &str) -> Result<String, Usage> {
    let mut bytes = Vec::new();
    let result = if file == "-" {
        std::io::stdin().read_to_end(&mut bytes).map(|_| ())
    } else {
        std::fs::File::open(file).and_then(|mut f| f.read_to_end(&mut bytes)).map(|_| ())
    };
    result.map_err(|e| Usage(format!("cannot read '{file}': {e}")))?;
    String::from_utf8(bytes).map_err(|_| Usage(format!("'{file}' is not UTF-8 text: save it as UTF-8 CSV")))
}

fn fail(json: bool, message: String, row: Option<usize>, column: Option<&str>) -> ExitCode {
    if json {
        let err = serde_json::json!({ "error": { "message": message, "row": row, "column": column } });
        println!("{err}");
    } else {
        eprintln!("metapool: {message}");
    }
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let mut json = std::env::args().any(|a| a == "--json");
    let args = match parse_args(&mut json) {
        Err(Usage(m)) => return fail(json, m, None, None),
        Ok(Err(e)) => return fail(json, e.to_string(), e.row(), e.column()),
        Ok(Ok(a)) => a,
    };
    let data = match read_input(&args.file) {
        Ok(d) => d,
        Err(Usage(m)) => return fail(json, m, None, None),
    };
    let doc = Document { data, options: args.options };
    if args.export_r {
        return match metapool::r_script(&doc) {
            Ok(script) => emit(|out| out.write_all(script.as_bytes())),
            Err(e) => fail(json, e.to_string(), e.row(), e.column()),
        };
    }
    match analyze(&doc) {
        Ok(report) if args.json => emit(|out| {
            // Streamed: a report of 10⁶ studies is hundreds of megabytes of JSON.
            serde_json::to_writer_pretty(&mut *out, &report)?;
            writeln!(out)
        }),
        Ok(report) => emit(|out| out.write_all(metapool::text::render(&report).as_bytes())),
        Err(e) => fail(json, e.to_string(), e.row(), e.column()),
    }
}

/// Writes the output to stdout. A reader that stops reading (`metapool big.csv | head`) is not
/// an error: the program ends quietly, as other command-line tools do. Any other failure to
/// write (a full disk) is said on stderr, exit code 2.
fn emit(write: impl FnOnce(&mut dyn Write) -> std::io::Result<()>) -> ExitCode {
    let stdout = std::io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    match write(&mut out).and_then(|()| out.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.kind() == ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("metapool: cannot write the output: {e}");
            ExitCode::from(2)
        }
    }
}
