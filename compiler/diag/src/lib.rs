//! Source files, spans and diagnostics shared by every ddsr front end.
//!
//! The central structure is [`Diagnostic`]: a severity, a stable code (`E0001`...), a message in
//! the house wording ("expected X, found Y", lower case, no final period), labels that point at byte
//! ranges of files held in a [`SourceMap`], and `help:`/`note:` lines. Front ends build diagnostics
//! from their own typed errors and never format text themselves; rendering (rustc-like text through
//! codespan-reporting, or one JSON object per diagnostic) happens here and only here.
//!
//! Invariant: every [`Label`] names a [`FileId`] of the [`SourceMap`] it is rendered with, and its
//! range lies on character boundaries of that file (out-of-range spans are clamped, never a panic).

use std::fmt;
use std::ops::Range;

use codespan_reporting::diagnostic as cs;
use codespan_reporting::files::{Files, SimpleFiles};
use codespan_reporting::term;
use serde::Serialize;

/// Index of a file in a [`SourceMap`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct FileId(pub u32);

/// A half-open byte range within one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    pub const fn new(start: u32, end: u32) -> Self {
        Span { start, end }
    }

    /// The smallest span covering both.
    pub fn join(self, other: Span) -> Span {
        Span::new(self.start.min(other.start), self.end.max(other.end))
    }

    pub fn range(self) -> Range<usize> {
        self.start as usize..self.end as usize
    }

    pub fn len(self) -> u32 {
        self.end.saturating_sub(self.start)
    }

    pub fn is_empty(self) -> bool {
        self.len() == 0
    }
}

impl From<Range<usize>> for Span {
    fn from(r: Range<usize>) -> Self {
        Span::new(
            u32::try_from(r.start).unwrap_or(u32::MAX),
            u32::try_from(r.end).unwrap_or(u32::MAX),
        )
    }
}

/// The files diagnostics point into, with line tables for line:column lookups.
#[derive(Default)]
pub struct SourceMap {
    files: SimpleFiles<String, String>,
    count: u32,
}

impl SourceMap {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file and returns its id. `name` is what diagnostics print (e.g. `policies/web.yaml`).
    pub fn add(&mut self, name: impl Into<String>, source: impl Into<String>) -> FileId {
        self.files.add(name.into(), source.into());
        let id = FileId(self.count);
        self.count += 1;
        id
    }

    pub fn name(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|f| f.name().as_str())
            .unwrap_or("<unknown>")
    }

    pub fn source(&self, file: FileId) -> &str {
        self.files
            .get(file.0 as usize)
            .map(|f| f.source().as_str())
            .unwrap_or("")
    }

    /// One-based line and column (in characters) of a byte offset, clamped to the file.
    pub fn line_col(&self, file: FileId, offset: u32) -> (usize, usize) {
        let src = self.source(file);
        let offset = clamp_to_boundary(src, offset as usize);
        let Ok(line) = self.files.line_index(file.0 as usize, offset) else {
            return (1, 1);
        };
        let col = self
            .files
            .column_number(file.0 as usize, line, offset)
            .unwrap_or(1);
        (line + 1, col)
    }

    pub fn files(&self) -> &SimpleFiles<String, String> {
        &self.files
    }
}

fn clamp_to_boundary(src: &str, mut offset: usize) -> usize {
    offset = offset.min(src.len());
    while offset > 0 && !src.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Note,
    Warning,
    Error,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Note => "note",
            Severity::Warning => "warning",
            Severity::Error => "error",
        })
    }
}

/// A stable diagnostic code, printed as `E0001`. Each has a page `docs/errors/E0001.md`.
///
/// Ranges: E0001-E0099 policy front end, E0100-E0199 P4 preprocessor and syntax, E0200-E0399 P4
/// semantic checks, E0400-E0439 P4 lowering and P4Info, E0440-E0499 table compiler.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code(pub u16);

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "E{:04}", self.0)
    }
}

impl Serialize for Code {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Label {
    pub file: FileId,
    pub span: Span,
    pub message: String,
    pub primary: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub code: Code,
    pub message: String,
    pub labels: Vec<Label>,
    pub notes: Vec<String>,
    pub help: Vec<String>,
}

impl Diagnostic {
    pub fn error(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Error, code, message)
    }

    pub fn warning(code: Code, message: impl Into<String>) -> Self {
        Self::new(Severity::Warning, code, message)
    }

    pub fn new(severity: Severity, code: Code, message: impl Into<String>) -> Self {
        Diagnostic {
            severity,
            code,
            message: message.into(),
            labels: Vec::new(),
            notes: Vec::new(),
            help: Vec::new(),
        }
    }

    /// The label on the offending node.
    pub fn primary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
            primary: true,
        });
        self
    }

    /// A label giving context, such as "first defined here".
    pub fn secondary(mut self, file: FileId, span: Span, message: impl Into<String>) -> Self {
        self.labels.push(Label {
            file,
            span,
            message: message.into(),
            primary: false,
        });
        self
    }

    pub fn note(mut self, note: impl Into<String>) -> Self {
        self.notes.push(note.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help.push(help.into());
        self
    }

    /// Where the diagnostic is sorted: its first primary label, else its first label.
    pub fn position(&self) -> Option<(FileId, Span)> {
        self.labels
            .iter()
            .find(|l| l.primary)
            .or(self.labels.first())
            .map(|l| (l.file, l.span))
    }

    fn to_codespan(&self) -> cs::Diagnostic<usize> {
        let severity = match self.severity {
            Severity::Note => cs::Severity::Note,
            Severity::Warning => cs::Severity::Warning,
            Severity::Error => cs::Severity::Error,
        };
        let labels = self
            .labels
            .iter()
            .map(|l| {
                let style = if l.primary {
                    cs::LabelStyle::Primary
                } else {
                    cs::LabelStyle::Secondary
                };
                cs::Label::new(style, l.file.0 as usize, l.span.range()).with_message(&l.message)
            })
            .collect();
        let notes = self
            .help
            .iter()
            .map(|h| format!("help: {h}"))
            .chain(self.notes.iter().map(|n| format!("note: {n}")))
            .collect();
        cs::Diagnostic::new(severity)
            .with_code(self.code.to_string())
            .with_message(&self.message)
            .with_labels(labels)
            .with_notes(notes)
    }
}

/// Every diagnostic of one run, so that all errors are reported, not just the first.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, d: Diagnostic) {
        self.items.push(d);
    }

    pub fn extend(&mut self, ds: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(ds);
    }

    pub fn has_errors(&self) -> bool {
        self.items.iter().any(|d| d.severity == Severity::Error)
    }

    pub fn error_count(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warning_count(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, s: Severity) -> usize {
        self.items.iter().filter(|d| d.severity == s).count()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Sorts by file and position; diagnostics without a label go last. Stable, so diagnostics at
    /// one place keep the order in which they were found.
    pub fn sort(&mut self) {
        self.items.sort_by_key(|d| match d.position() {
            Some((f, s)) => (0u8, f, s.start, s.end),
            None => (1, FileId(u32::MAX), 0, 0),
        });
    }

    pub fn into_vec(self) -> Vec<Diagnostic> {
        self.items
    }
}

impl From<Vec<Diagnostic>> for Diagnostics {
    fn from(items: Vec<Diagnostic>) -> Self {
        Diagnostics { items }
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}

/// Renders diagnostics like rustc. `color` selects ANSI colours.
pub fn render_text(sources: &SourceMap, diags: &[Diagnostic], color: bool) -> String {
    use term::termcolor::{Ansi, NoColor};
    let config = term::Config::default();
    let mut out = Vec::new();
    if color {
        let mut w = Ansi::new(&mut out);
        for d in diags {
            // Writing into a Vec cannot fail; a span outside its file is the only error left,
            // and it is reported in the text rather than lost.
            if let Err(e) =
                term::emit_to_write_style(&mut w, &config, sources.files(), &d.to_codespan())
            {
                out.extend_from_slice(
                    format!("{}[{}]: {} ({e})\n", d.severity, d.code, d.message).as_bytes(),
                );
                w = Ansi::new(&mut out);
            }
        }
    } else {
        let mut w = NoColor::new(&mut out);
        for d in diags {
            if let Err(e) =
                term::emit_to_write_style(&mut w, &config, sources.files(), &d.to_codespan())
            {
                out.extend_from_slice(
                    format!("{}[{}]: {} ({e})\n", d.severity, d.code, d.message).as_bytes(),
                );
                w = NoColor::new(&mut out);
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[derive(Serialize)]
struct JsonLabel<'a> {
    file: &'a str,
    line: usize,
    column: usize,
    start: u32,
    end: u32,
    primary: bool,
    message: &'a str,
}

#[derive(Serialize)]
struct JsonDiagnostic<'a> {
    file: Option<&'a str>,
    line: Option<usize>,
    column: Option<usize>,
    start: Option<u32>,
    end: Option<u32>,
    severity: Severity,
    code: Code,
    message: &'a str,
    labels: Vec<JsonLabel<'a>>,
    notes: &'a [String],
    help: &'a [String],
}

/// One JSON object per diagnostic (a line each), for editors and CI.
pub fn render_json(sources: &SourceMap, diags: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diags {
        let pos = d.position();
        let (line, column) = match pos {
            Some((f, s)) => {
                let (l, c) = sources.line_col(f, s.start);
                (Some(l), Some(c))
            }
            None => (None, None),
        };
        let labels = d
            .labels
            .iter()
            .map(|l| {
                let (line, column) = sources.line_col(l.file, l.span.start);
                JsonLabel {
                    file: sources.name(l.file),
                    line,
                    column,
                    start: l.span.start,
                    end: l.span.end,
                    primary: l.primary,
                    message: &l.message,
                }
            })
            .collect();
        let j = JsonDiagnostic {
            file: pos.map(|(f, _)| sources.name(f)),
            line,
            column,
            start: pos.map(|(_, s)| s.start),
            end: pos.map(|(_, s)| s.end),
            severity: d.severity,
            code: d.code,
            message: &d.message,
            labels,
            notes: &d.notes,
            help: &d.help,
        };
        // Serialising plain structs of strings and integers cannot fail.
        out.push_str(&serde_json::to_string(&j).unwrap_or_default());
        out.push('\n');
    }
    out
}

/// Closest candidate to `name` for a "did you mean" hint, if one is close enough.
pub fn suggest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (c, levenshtein(name, c)))
        .filter(|&(c, d)| d <= (name.len().max(c.len()) / 3).max(1))
        .min_by_key(|&(_, d)| d)
        .map(|(c, _)| c)
}

fn levenshtein(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        cur[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_names_file_line_column_and_code() {
        let mut sm = SourceMap::new();
        let f = sm.add("p.yaml", "version: 1\nvips:\n  a: 3\n");
        let d = Diagnostic::error(Code(7), "expected a mapping, found an integer")
            .primary(f, Span::new(22, 23), "this integer")
            .help("write `a: { address: ... }`");
        let text = render_text(&sm, &[d], false);
        assert!(
            text.starts_with("error[E0007]: expected a mapping, found an integer\n"),
            "{text}"
        );
        assert!(text.contains("p.yaml:3:6"), "{text}");
        assert!(
            text.contains("= help: write `a: { address: ... }`"),
            "{text}"
        );
    }

    #[test]
    fn json_has_position_and_labels() {
        let mut sm = SourceMap::new();
        let f = sm.add("p.yaml", "a: 1\na: 2\n");
        let d = Diagnostic::error(Code(2), "duplicate key `a`")
            .primary(f, Span::new(5, 6), "duplicate")
            .secondary(f, Span::new(0, 1), "first defined here");
        let json = render_json(&sm, &[d]);
        let v: serde_json::Value = serde_json::from_str(json.trim()).unwrap();
        assert_eq!(v["code"], "E0002");
        assert_eq!(v["line"], 2);
        assert_eq!(v["column"], 1);
        assert_eq!(v["start"], 5);
        assert_eq!(v["severity"], "error");
        assert_eq!(v["labels"][1]["message"], "first defined here");
        assert_eq!(v["labels"][1]["line"], 1);
    }

    #[test]
    fn spans_past_the_end_do_not_panic() {
        let mut sm = SourceMap::new();
        let f = sm.add("x", "héllo");
        assert_eq!(sm.line_col(f, 2), (1, 2));
        assert_eq!(sm.line_col(f, 999), (1, 6));
        let d = Diagnostic::error(Code(1), "m").primary(f, Span::new(50, 60), "far");
        let _ = render_text(&sm, std::slice::from_ref(&d), false);
        let _ = render_json(&sm, &[d]);
    }

    #[test]
    fn sort_orders_by_position() {
        let mut ds = Diagnostics::new();
        let f = FileId(0);
        ds.push(Diagnostic::error(Code(1), "b").primary(f, Span::new(9, 10), ""));
        ds.push(Diagnostic::error(Code(1), "none"));
        ds.push(Diagnostic::warning(Code(1), "a").primary(f, Span::new(2, 3), ""));
        ds.sort();
        let order: Vec<_> = ds.iter().map(|d| d.message.as_str()).collect();
        assert_eq!(order, ["a", "b", "none"]);
        assert_eq!(ds.error_count(), 2);
        assert_eq!(ds.warning_count(), 1);
    }

    #[test]
    fn suggestions() {
        assert_eq!(
            suggest("adress", ["address", "port", "pool"]),
            Some("address")
        );
        assert_eq!(suggest("zzz", ["address", "port"]), None);
    }
}
