//! The property every fuzz case must satisfy, and how a case is run.
//!
//! `analyze()` must return (no panic) within [`CASE_LIMIT`], with `Ok` or an `Error` whose message
//! is not empty. An `Ok` report must hold no NaN or infinity in any number (a non-finite `f64`
//! would be written as `null` by serde_json, and the page could then not read the report back),
//! must survive a JSON round trip, and must render as the CLI's text. With `plots`, every plot the
//! report supports is drawn as SVG too.

use metapool::plot::{PlotKind, PlotStyle};
use metapool::{analyze, Document, Report};
use serde::ser::{self, Serialize, Serializer};
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::mpsc;
use std::time::Duration;

/// A safety net against hangs, far above what any case needs (milliseconds in release); a case
/// that takes longer is reported as a hang. Not a speed requirement.
pub const CASE_LIMIT: Duration = Duration::from_secs(60);

/// What a case gave when it satisfied the property.
#[derive(Debug, Clone, PartialEq)]
pub enum Verdict {
    /// A report, with its warnings.
    Report { k: usize, warnings: Vec<String> },
    /// An error: the variant's name and the message users read.
    Error { kind: String, message: String },
}

/// A broken property.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// "panic", "hang", "non-finite", "round-trip", "empty-message".
    pub kind: &'static str,
    pub detail: String,
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.kind, self.detail)
    }
}

/// Runs one case in its own thread, with [`CASE_LIMIT`] as the bound.
pub fn check(doc: &Document, plots: bool) -> Result<Verdict, Failure> {
    let (tx, rx) = mpsc::channel();
    let doc = doc.clone();
    std::thread::Builder::new()
        .name("fuzz-case".into())
        .spawn(move || {
            let outcome = panic::catch_unwind(AssertUnwindSafe(|| run(&doc, plots)));
            let _ = tx.send(outcome.unwrap_or_else(|payload| {
                Err(Failure { kind: "panic", detail: panic_message(payload.as_ref()) })
            }));
        })
        .expect("a thread can be spawned");
    match rx.recv_timeout(CASE_LIMIT) {
        Ok(result) => result,
        Err(_) => Err(Failure {
            kind: "hang",
            detail: format!("no answer within {} s", CASE_LIMIT.as_secs()),
        }),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic with a non-text payload".into()
    }
}

/// The name of an error's variant: `NotPositive { row: 3, .. }` → `NotPositive`.
pub fn error_kind(e: &metapool::Error) -> String {
    let debug = format!("{e:?}");
    debug.split([' ', '{', '(']).next().unwrap_or_default().to_string()
}

fn run(doc: &Document, plots: bool) -> Result<Verdict, Failure> {
    let report = match analyze(doc) {
        Ok(report) => report,
        Err(e) => {
            let message = e.to_string();
            if message.trim().is_empty() {
                return Err(Failure { kind: "empty-message", detail: format!("{e:?}") });
            }
            return Ok(Verdict::Error { kind: error_kind(&e), message });
        }
    };
    let bad = non_finite(&report);
    if !bad.is_empty() {
        return Err(Failure {
            kind: "non-finite",
            detail: format!("{} (warnings: {:?})", bad.join(", "), report.warnings),
        });
    }
    let json = serde_json::to_string(&report)
        .map_err(|e| Failure { kind: "round-trip", detail: format!("serializing: {e}") })?;
    let back: Report = serde_json::from_str(&json)
        .map_err(|e| Failure { kind: "round-trip", detail: format!("reading back: {e}") })?;
    if back.k != report.k || back.studies.len() != report.studies.len() {
        return Err(Failure { kind: "round-trip", detail: "the report read back differs".into() });
    }
    let text = metapool::text::render(&report);
    if text.is_empty() {
        return Err(Failure { kind: "render", detail: "the text report is empty".into() });
    }
    if plots {
        let style = PlotStyle::default();
        // A plot the report cannot support is a clear PlotError; only a panic is a failure. The
        // GOSH plot fits every subset of the studies (up to 2^20 fits): it has tests of its own.
        for kind in PlotKind::ALL.into_iter().filter(|k| k.name() != "gosh") {
            let _ = kind.svg(&report, &style);
        }
    }
    Ok(Verdict::Report { k: report.k, warnings: report.warnings })
}

/// Every non-finite number in the report, by its path (`overall.tau2_ci_upper = inf`).
pub fn non_finite<T: Serialize>(value: &T) -> Vec<String> {
    let mut bad = Vec::new();
    value
        .serialize(Floats { path: String::new(), bad: &mut bad })
        .expect("walking a report cannot fail");
    bad
}

/// A serializer that writes nothing and notes the path of each non-finite float.
struct Floats<'a> {
    path: String,
    bad: &'a mut Vec<String>,
}

/// The state of a sequence, tuple, map or struct being walked.
struct Compound<'a> {
    path: String,
    bad: &'a mut Vec<String>,
    index: usize,
    key: String,
}

#[derive(Debug)]
struct Stop(String);

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for Stop {}
impl ser::Error for Stop {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Stop(msg.to_string())
    }
}

impl<'a> Floats<'a> {
    fn float(self, v: f64) -> Result<(), Stop> {
        if !v.is_finite() {
            self.bad.push(format!("{} = {v}", self.path));
        }
        Ok(())
    }
    fn compound(self) -> Compound<'a> {
        Compound { path: self.path, bad: self.bad, index: 0, key: String::new() }
    }
}

impl Compound<'_> {
    fn element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        let path = format!("{}[{}]", self.path, self.index);
        self.index += 1;
        value.serialize(Floats { path, bad: &mut *self.bad })
    }
    fn field<T: ?Sized + Serialize>(&mut self, key: &str, value: &T) -> Result<(), Stop> {
        let path = if self.path.is_empty() { key.to_string() } else { format!("{}.{key}", self.path) };
        value.serialize(Floats { path, bad: &mut *self.bad })
    }
}

macro_rules! ignore {
    ($($method:ident: $t:ty),*) => {
        $(fn $method(self, _: $t) -> Result<(), Stop> { Ok(()) })*
    };
}

impl<'a> Serializer for Floats<'a> {
    type Ok = ();
    type Error = Stop;
    type SerializeSeq = Compound<'a>;
    type SerializeTuple = Compound<'a>;
    type SerializeTupleStruct = Compound<'a>;
    type SerializeTupleVariant = Compound<'a>;
    type SerializeMap = Compound<'a>;
    type SerializeStruct = Compound<'a>;
    type SerializeStructVariant = Compound<'a>;

    ignore!(serialize_bool: bool, serialize_i8: i8, serialize_i16: i16, serialize_i32: i32,
        serialize_i64: i64, serialize_i128: i128, serialize_u8: u8, serialize_u16: u16,
        serialize_u32: u32, serialize_u64: u64, serialize_u128: u128, serialize_char: char,
        serialize_str: &str, serialize_bytes: &[u8], serialize_unit_struct: &'static str);

    fn serialize_f32(self, v: f32) -> Result<(), Stop> {
        self.float(f64::from(v))
    }
    fn serialize_f64(self, v: f64) -> Result<(), Stop> {
        self.float(v)
    }
    fn serialize_none(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_unit_variant(self, _: &'static str, _: u32, _: &'static str) -> Result<(), Stop> {
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Result<(), Stop> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Stop> {
        let path = format!("{}.{variant}", self.path);
        value.serialize(Floats { path, bad: self.bad })
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
    fn serialize_tuple(self, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
    fn serialize_tuple_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
    fn serialize_struct(self, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
    fn serialize_struct_variant(self, _: &'static str, _: u32, _: &'static str, _: usize) -> Result<Compound<'a>, Stop> {
        Ok(self.compound())
    }
}

impl ser::SerializeSeq for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTuple for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        self.element(value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeMap for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Result<(), Stop> {
        let json = serde_json::to_string(key).unwrap_or_default();
        self.key = json.trim_matches('"').to_string();
        Ok(())
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), Stop> {
        let key = std::mem::take(&mut self.key);
        self.field(&key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStruct for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}

impl ser::SerializeStructVariant for Compound<'_> {
    type Ok = ();
    type Error = Stop;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Result<(), Stop> {
        self.field(key, value)
    }
    fn end(self) -> Result<(), Stop> {
        Ok(())
    }
}
