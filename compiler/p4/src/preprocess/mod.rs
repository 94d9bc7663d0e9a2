//! The C-style preprocessor P4 programs are written for (p4c runs `cpp` first).
//!
//! Central structure: [`Preprocessed`], one flat text in which includes are inlined, inactive
//! conditional groups and directives are dropped and macros are expanded, plus an
//! [`OriginMap`] that maps every byte of that text back to the original file and offset. Every
//! file read is added once to the [`SourceMap`], so diagnostics of all later stages point at the
//! line the user wrote.
//!
//! Processing is line based: a line whose first non-blank character is `#` (outside a block
//! comment) is a directive, possibly continued with `\` at line ends; the runs of ordinary lines
//! between directives are macro-expanded as one chunk (so a macro's arguments may span lines).
//! Limits on include depth, macro nesting, expansion size and output size keep any input from
//! hanging or exhausting memory.
//!
//! A function-like macro whose name comes out of another expansion and whose `(` follows the
//! expansion in the source text is not invoked (C would); no P4 program is known to need it.

mod cond;
pub mod error;
mod macros;
pub mod origin;
mod pptoken;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use ddsr_diag::{FileId, SourceMap, Span};

use crate::arena::Loc;
use crate::include;
pub use error::PpError;
use macros::{Expander, Macro};
pub use origin::OriginMap;
use pptoken::{PpKind, PpTok};

/// Bounds that keep hostile input from hanging the preprocessor or exhausting memory.
#[derive(Debug, Clone)]
pub struct Limits {
    pub include_depth: usize,
    pub macro_depth: usize,
    /// Tokens all macro expansions of one run may produce together.
    pub expansion_tokens: usize,
    pub output_bytes: usize,
    /// Parenthesis nesting in `#if` conditions.
    pub condition_depth: usize,
    /// Nesting of expressions, statements and types in the parser.
    pub nesting: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            include_depth: 64,
            macro_depth: 64,
            expansion_tokens: 1 << 20,
            output_bytes: 64 << 20,
            condition_depth: 64,
            nesting: 128,
        }
    }
}

/// How to find includes and which macros exist before the first line.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Searched in order for `#include <...>`, and after the including file's directory for
    /// `#include "..."`. The built-in architecture headers come after these.
    pub include_dirs: Vec<PathBuf>,
    /// `-D NAME=VALUE` (an empty value defines NAME as empty).
    pub defines: Vec<(String, String)>,
    pub limits: Limits,
}

/// The preprocessed program.
#[derive(Debug, Clone)]
pub struct Preprocessed {
    pub text: String,
    pub origins: OriginMap,
    /// The file preprocessing started from.
    pub main: FileId,
}

struct Cond {
    directive: String,
    loc: Loc,
    /// Lines of this group are kept.
    active: bool,
    /// The enclosing group is active.
    parent_active: bool,
    /// Some branch of this `#if` chain has been taken.
    taken: bool,
    else_loc: Option<Loc>,
}

/// One logical directive line: the text after `#` with continuations joined, and for each of
/// its bytes the offset in the file.
struct Line {
    text: String,
    offsets: Vec<u32>,
    file: FileId,
}

impl Line {
    fn loc(&self, start: usize, end: usize) -> Loc {
        let last = self.offsets.len().saturating_sub(1);
        let a = self.offsets[start.min(last)];
        let b = if end > start {
            self.offsets[(end - 1).min(last)] + 1
        } else {
            a
        };
        Loc::new(self.file, Span::new(a, b.max(a)))
    }

    fn all(&self) -> Loc {
        self.loc(0, self.text.len())
    }
}

/// Preprocesses `text` (named `name` in diagnostics). `dir` is where quoted includes of the
/// main file are looked up first.
pub fn run(
    name: &str,
    text: &str,
    dir: Option<&Path>,
    options: &Options,
    sources: &mut SourceMap,
) -> (Preprocessed, Vec<PpError>) {
    let main = sources.add(name, text);
    let mut pp = Preprocessor {
        options,
        sources,
        macros: HashMap::new(),
        out: String::with_capacity(text.len() + text.len() / 4),
        origins: OriginMap::default(),
        errors: Vec::new(),
        files: HashMap::new(),
        once: HashSet::new(),
        depth: 0,
        expanded: 0,
        halted: false,
    };
    if !options.defines.is_empty() {
        let mut defs = String::new();
        for (k, v) in &options.defines {
            defs.push_str(&format!("#define {k} {v}\n"));
        }
        let f = pp.sources.add("<command line>", defs);
        let saved = pp.out.len();
        pp.file(f, None);
        pp.out.truncate(saved);
    }
    pp.file(main, dir.map(Path::to_path_buf));
    let Preprocessor {
        out,
        origins,
        errors,
        ..
    } = pp;
    (
        Preprocessed {
            text: out,
            origins,
            main,
        },
        errors,
    )
}

struct Preprocessor<'a> {
    options: &'a Options,
    sources: &'a mut SourceMap,
    macros: HashMap<String, Macro>,
    out: String,
    origins: OriginMap,
    errors: Vec<PpError>,
    /// Files read so far by resolved path, so a file included twice is read once.
    files: HashMap<PathBuf, FileId>,
    /// Files with `#pragma once`.
    once: HashSet<FileId>,
    depth: usize,
    /// Tokens produced by macro expansion so far, against `limits.expansion_tokens`.
    expanded: usize,
    /// Set when the output limit is reached: nothing more is produced.
    halted: bool,
}

impl Preprocessor<'_> {
    fn file(&mut self, file: FileId, dir: Option<PathBuf>) {
        let text = self.sources.source(file).to_string();
        let bytes = text.as_bytes();
        let mut conds: Vec<Cond> = Vec::new();
        let mut in_comment = false;
        let mut chunk: Option<usize> = None;
        let mut pos = 0;
        while pos < text.len() && !self.halted {
            let line_end = find_newline(bytes, pos);
            let first = bytes[pos..line_end]
                .iter()
                .position(|b| !matches!(b, b' ' | b'\t' | b'\r' | 0x0c | 0x0b));
            let is_directive = !in_comment && first.is_some_and(|k| bytes[pos + k] == b'#');
            if !is_directive {
                in_comment = scan_comment_state(&bytes[pos..line_end], in_comment);
                let active = conds.last().is_none_or(|c| c.active);
                if active && chunk.is_none() {
                    chunk = Some(pos);
                }
                pos = (line_end + 1).min(text.len());
                continue;
            }
            if let Some(start) = chunk.take() {
                self.chunk(file, &text[start..pos], start);
            }
            let hash = pos + first.unwrap_or(0);
            let (line, next) = logical_line(&text, hash + 1, file);
            in_comment = scan_comment_state(line.text.as_bytes(), false);
            let hash_loc = Loc::new(file, Span::new(to_u32(hash), to_u32(hash + 1)));
            self.directive(&line, hash_loc, &mut conds, dir.as_deref());
            pos = next;
        }
        if let Some(start) = chunk.take() {
            self.chunk(file, &text[start..], start);
        }
        // Whatever follows this file's text in the output (a newline added here, the end of
        // input) belongs to the file's end, not past it.
        let end = to_u32(text.len());
        self.origins
            .expansion(self.out.len(), file, Span::new(end, end));
        if !self.out.ends_with('\n') {
            self.out.push('\n');
        }
        for c in conds {
            self.errors.push(PpError::Unterminated {
                directive: c.directive,
                loc: c.loc,
            });
        }
    }

    fn directive(&mut self, line: &Line, hash: Loc, conds: &mut Vec<Cond>, dir: Option<&Path>) {
        let toks = pptoken::tokenize(&line.text);
        // Byte offset of each token in the line.
        let mut starts = Vec::with_capacity(toks.len());
        let mut at = 0;
        for t in &toks {
            starts.push(at);
            at += if t.kind == PpKind::Space {
                pptoken::scan(&line.text, at).1 - at
            } else {
                t.text.len()
            };
        }
        let mut k = 0;
        while k < toks.len() && toks[k].is_blank() {
            k += 1;
        }
        if k == toks.len() {
            return; // The null directive `#`.
        }
        let name_tok = &toks[k];
        let name = name_tok.text.clone();
        let name_loc = hash.to(line.loc(starts[k], starts[k] + name_tok.text.len()));
        let rest_start = (k + 1..toks.len())
            .find(|&i| !toks[i].is_blank())
            .map_or(line.text.len(), |i| starts[i]);
        let rest = &toks[k + 1..];
        let rest_starts = &starts[k + 1..];
        let active = conds.last().is_none_or(|c| c.active);
        let found = |i: usize| -> String {
            match rest.iter().skip(i).find(|t| !t.is_blank()) {
                None => "end of line".to_string(),
                Some(t) => format!("`{}`", t.text),
            }
        };
        let first_word = || {
            rest.iter()
                .zip(rest_starts)
                .find(|(t, _)| !t.is_blank())
                .filter(|(t, _)| t.kind == PpKind::Ident)
                .map(|(t, s)| (t.text.clone(), *s))
        };
        let malformed = |expected: &'static str| PpError::Malformed {
            directive: name.clone(),
            expected,
            found: found(0),
            loc: match rest.iter().zip(rest_starts).find(|(t, _)| !t.is_blank()) {
                Some((t, s)) => line.loc(*s, s + t.text.len()),
                None => name_loc,
            },
        };
        match name.as_str() {
            "if" | "ifdef" | "ifndef" => {
                let value = if !active {
                    false
                } else if name == "if" {
                    self.condition(rest, line, rest_start)
                } else {
                    match first_word() {
                        Some((w, _)) => self.macros.contains_key(&w) == (name == "ifdef"),
                        None => {
                            self.errors.push(malformed("a macro name"));
                            false
                        }
                    }
                };
                conds.push(Cond {
                    directive: name.clone(),
                    loc: name_loc,
                    active: active && value,
                    parent_active: active,
                    taken: value,
                    else_loc: None,
                });
            }
            "elif" | "else" => {
                let Some(c) = conds.last() else {
                    self.errors.push(PpError::Unmatched {
                        directive: name,
                        loc: name_loc,
                    });
                    return;
                };
                if let Some(else_loc) = c.else_loc {
                    self.errors.push(PpError::AfterElse {
                        directive: name,
                        loc: name_loc,
                        else_loc,
                    });
                    return;
                }
                let (parent_active, taken) = (c.parent_active, c.taken);
                let value = if !parent_active || taken {
                    false
                } else if name == "elif" {
                    self.condition(rest, line, rest_start)
                } else {
                    true
                };
                if let Some(c) = conds.last_mut() {
                    c.active = value;
                    c.taken |= value;
                    if name == "else" {
                        c.else_loc = Some(name_loc);
                    }
                }
            }
            "endif" => {
                if conds.pop().is_none() {
                    self.errors.push(PpError::Unmatched {
                        directive: name,
                        loc: name_loc,
                    });
                }
            }
            _ if !active => {}
            "define" => self.define(rest, rest_starts, line, &name, name_loc),
            "undef" => match first_word() {
                Some((w, _)) => {
                    self.macros.remove(&w);
                }
                None => self.errors.push(malformed("a macro name")),
            },
            "include" => self.include(rest, rest_starts, line, name_loc, dir),
            "error" | "warning" => {
                let message = line.text[rest_start.min(line.text.len())..]
                    .trim()
                    .to_string();
                let loc = name_loc.to(line.all());
                self.errors.push(if name == "error" {
                    PpError::ErrorDirective { message, loc }
                } else {
                    PpError::WarningDirective { message, loc }
                });
            }
            "pragma" => {
                if first_word().is_some_and(|(w, _)| w == "once") {
                    self.once.insert(line.file);
                }
            }
            // Diagnostics always name the file and line as written, so `#line` has no effect.
            "line" => {
                if !rest.iter().any(|t| t.kind == PpKind::Number) {
                    self.errors.push(malformed("a line number"));
                }
            }
            _ => self.errors.push(PpError::UnknownDirective {
                name,
                loc: name_loc,
            }),
        }
    }

    fn condition(&mut self, rest: &[PpTok], line: &Line, rest_start: usize) -> bool {
        let loc = line.loc(rest_start, line.text.len());
        let result = cond::replace_defined(rest, |n| self.macros.contains_key(n))
            .and_then(|toks| {
                self.expand(&toks)
                    .map_err(|e| PpError::Expand { error: e, loc }.to_string())
            })
            .and_then(|toks| cond::evaluate(&toks, self.options.limits.condition_depth));
        match result {
            Ok(v) => v != 0,
            Err(message) => {
                self.errors.push(PpError::Condition { message, loc });
                false
            }
        }
    }

    /// Expands `toks`, counting what is produced against the run's budget. Exhausting the
    /// budget stops preprocessing: the rest would only repeat the error.
    fn expand(&mut self, toks: &[PpTok]) -> Result<Vec<PpTok>, macros::ExpandError> {
        let mut ex = Expander {
            macros: &self.macros,
            max_depth: self.options.limits.macro_depth,
            max_tokens: self.options.limits.expansion_tokens,
            produced: self.expanded,
        };
        let r = ex.expand(toks, &mut Vec::new(), 0);
        self.expanded = ex.produced;
        if matches!(r, Err(macros::ExpandError::TooLarge { .. })) {
            self.halted = true;
        }
        r
    }

    fn define(
        &mut self,
        rest: &[PpTok],
        starts: &[usize],
        line: &Line,
        directive: &str,
        directive_loc: Loc,
    ) {
        let Some(k) = rest.iter().position(|t| !t.is_blank()) else {
            self.errors.push(PpError::Malformed {
                directive: directive.to_string(),
                expected: "a macro name",
                found: "end of line".to_string(),
                loc: directive_loc,
            });
            return;
        };
        let name_tok = &rest[k];
        let name_loc = line.loc(starts[k], starts[k] + name_tok.text.len());
        if name_tok.kind != PpKind::Ident {
            self.errors.push(PpError::Malformed {
                directive: directive.to_string(),
                expected: "a macro name",
                found: format!("`{}`", name_tok.text),
                loc: name_loc,
            });
            return;
        }
        let mut i = k + 1;
        let mut params = None;
        let mut variadic = false;
        // Parameters only when `(` follows the name with no blank between.
        if rest.get(i).is_some_and(|t| t.is_punct("(")) {
            let mut list = Vec::new();
            i += 1;
            let mut expect_name = true;
            loop {
                while rest.get(i).is_some_and(PpTok::is_blank) {
                    i += 1;
                }
                let Some(t) = rest.get(i) else {
                    self.errors.push(PpError::Malformed {
                        directive: directive.to_string(),
                        expected: "`)` closing the macro parameters",
                        found: "end of line".to_string(),
                        loc: line.all(),
                    });
                    return;
                };
                let t_loc = line.loc(starts[i], starts[i] + t.text.len());
                if t.is_punct(")") && (!expect_name || list.is_empty()) {
                    i += 1;
                    break;
                }
                if expect_name && t.kind == PpKind::Ident {
                    list.push(t.text.clone());
                    expect_name = false;
                } else if expect_name
                    && t.is_punct(".")
                    && rest.get(i + 1).is_some_and(|t| t.is_punct("."))
                    && rest.get(i + 2).is_some_and(|t| t.is_punct("."))
                {
                    variadic = true;
                    i += 2;
                    expect_name = false;
                    if !rest[i + 1..]
                        .iter()
                        .find(|t| !t.is_blank())
                        .is_some_and(|t| t.is_punct(")"))
                    {
                        self.errors.push(PpError::Malformed {
                            directive: directive.to_string(),
                            expected: "`)` after `...`",
                            found: rest[i + 1..]
                                .iter()
                                .find(|t| !t.is_blank())
                                .map_or("end of line".to_string(), |t| format!("`{}`", t.text)),
                            loc: t_loc,
                        });
                        return;
                    }
                } else if !expect_name && t.is_punct(",") {
                    expect_name = true;
                } else {
                    self.errors.push(PpError::Malformed {
                        directive: directive.to_string(),
                        expected: if expect_name {
                            "a parameter name"
                        } else {
                            "`,` or `)`"
                        },
                        found: format!("`{}`", t.text),
                        loc: t_loc,
                    });
                    return;
                }
                i += 1;
            }
            params = Some(list);
        }
        let body_start = starts.get(i).copied().unwrap_or(line.text.len());
        let body_text = line.text[body_start.min(line.text.len())..].to_string();
        let body = macros::body_tokens(&body_text);
        let text = format!("{:?}{}", params, macros::text_of(&body));
        if let Some(old) = self.macros.get(&name_tok.text)
            && (old.text != text || old.variadic != variadic)
        {
            self.errors.push(PpError::Redefined {
                name: name_tok.text.clone(),
                loc: name_loc,
                first: old.loc,
            });
        }
        self.macros.insert(
            name_tok.text.clone(),
            Macro {
                params,
                variadic,
                body,
                text,
                loc: name_loc,
            },
        );
    }

    fn include(
        &mut self,
        rest: &[PpTok],
        starts: &[usize],
        line: &Line,
        directive_loc: Loc,
        dir: Option<&Path>,
    ) {
        let Some(k) = rest.iter().position(|t| !t.is_blank()) else {
            self.errors.push(PpError::Malformed {
                directive: "include".to_string(),
                expected: "`\"file\"` or `<file>`",
                found: "end of line".to_string(),
                loc: directive_loc,
            });
            return;
        };
        let start = starts[k];
        let spec = &line.text[start..].trim_end();
        let (name, quoted, end) =
            if spec.starts_with('"') && spec.len() > 1 && spec[1..].contains('"') {
                let close = spec[1..].find('"').map_or(spec.len(), |e| e + 1);
                (spec[1..close].to_string(), true, start + close + 1)
            } else if spec.starts_with('<') && spec.contains('>') {
                let close = spec.find('>').map_or(spec.len(), |e| e);
                (spec[1..close].to_string(), false, start + close + 1)
            } else {
                self.errors.push(PpError::Malformed {
                    directive: "include".to_string(),
                    expected: "`\"file\"` or `<file>`",
                    found: format!("`{}`", rest[k].text),
                    loc: line.loc(start, start + rest[k].text.len()),
                });
                return;
            };
        let loc = line.loc(start, end);
        if self.depth >= self.options.limits.include_depth {
            self.errors.push(PpError::IncludeDepth {
                limit: self.options.limits.include_depth,
                loc,
            });
            return;
        }
        let mut searched = Vec::new();
        let mut candidates: Vec<PathBuf> = Vec::new();
        if quoted && let Some(d) = dir {
            candidates.push(d.join(&name));
        }
        for d in &self.options.include_dirs {
            let c = d.join(&name);
            if !candidates.contains(&c) {
                candidates.push(c);
            }
        }
        let mut found: Option<(FileId, Option<PathBuf>)> = None;
        for path in candidates {
            if path.is_file() {
                found = self
                    .load(&path, loc)
                    .map(|f| (f, path.parent().map(Path::to_path_buf)));
                if found.is_none() {
                    return;
                }
                break;
            }
            searched.push(path.display().to_string());
        }
        if found.is_none()
            && let Some(text) = include::builtin(&name)
        {
            let key = PathBuf::from(format!("<built-in>/{name}"));
            let f = match self.files.get(&key) {
                Some(&f) => f,
                None => {
                    let f = self.sources.add(key.display().to_string(), text);
                    self.files.insert(key, f);
                    f
                }
            };
            found = Some((f, None));
        }
        let Some((file, file_dir)) = found else {
            self.errors.push(PpError::IncludeNotFound {
                name,
                loc,
                searched,
            });
            return;
        };
        if self.once.contains(&file) {
            return;
        }
        self.depth += 1;
        self.file(file, file_dir);
        self.depth -= 1;
    }

    fn load(&mut self, path: &Path, loc: Loc) -> Option<FileId> {
        let key = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(&f) = self.files.get(&key) {
            return Some(f);
        }
        match std::fs::read_to_string(path) {
            Ok(text) => {
                let f = self.sources.add(path.display().to_string(), text);
                self.files.insert(key, f);
                Some(f)
            }
            Err(e) => {
                self.errors.push(PpError::Read {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                    loc: Some(loc),
                });
                None
            }
        }
    }

    /// Copies a run of ordinary lines to the output, expanding macro uses.
    fn chunk(&mut self, file: FileId, s: &str, base: usize) {
        if self.out.len() + s.len() > self.options.limits.output_bytes {
            self.halt(file, base);
            return;
        }
        if self.macros.is_empty() {
            self.origins.copy(self.out.len(), file, base);
            self.out.push_str(s);
            return;
        }
        self.origins.copy(self.out.len(), file, base);
        let mut copied = 0;
        let mut i = 0;
        while i < s.len() {
            let (kind, end) = pptoken::scan(s, i);
            if kind != PpKind::Ident {
                i = end;
                continue;
            }
            let Some(m) = self.macros.get(&s[i..end]) else {
                i = end;
                continue;
            };
            let mut toks = vec![PpTok::new(PpKind::Ident, &s[i..end])];
            let mut use_end = end;
            if m.params.is_some() {
                let mut j = end;
                while j < s.len() {
                    let (k, e) = pptoken::scan(s, j);
                    if k == PpKind::Space || k == PpKind::Newline {
                        j = e;
                    } else {
                        break;
                    }
                }
                if !s[j..].starts_with('(') {
                    i = end;
                    continue;
                }
                let mut depth = 0usize;
                let mut closed = false;
                while j < s.len() {
                    let (k, e) = pptoken::scan(s, j);
                    let t = PpTok::new(k, if k == PpKind::Space { " " } else { &s[j..e] });
                    if t.is_punct("(") {
                        depth += 1;
                    } else if t.is_punct(")") {
                        depth -= 1;
                        if depth == 0 {
                            toks.push(t);
                            j = e;
                            closed = true;
                            break;
                        }
                    }
                    toks.push(t);
                    j = e;
                }
                use_end = j;
                if !closed {
                    let name = toks[0].text.clone();
                    self.errors.push(PpError::Expand {
                        error: macros::ExpandError::Unterminated { name },
                        loc: Loc::new(file, Span::new(to_u32(base + i), to_u32(base + end))),
                    });
                }
            }
            self.out.push_str(&s[copied..i]);
            let use_loc = Loc::new(file, Span::new(to_u32(base + i), to_u32(base + use_end)));
            let expanded = self.expand(&toks);
            match expanded {
                Ok(toks) => {
                    let text = macros::text_of(&toks);
                    if self.out.len() + text.len() > self.options.limits.output_bytes {
                        self.halt(file, base + i);
                        return;
                    }
                    self.origins.expansion(self.out.len(), file, use_loc.span);
                    // Spaces around keep the expansion from gluing to its neighbours.
                    self.out.push(' ');
                    self.out.push_str(&text);
                    self.out.push(' ');
                }
                Err(error) => self.errors.push(PpError::Expand {
                    error,
                    loc: use_loc,
                }),
            }
            if self.halted {
                return;
            }
            self.origins.copy(self.out.len(), file, base + use_end);
            copied = use_end;
            i = use_end;
        }
        self.out.push_str(&s[copied..]);
    }

    fn halt(&mut self, file: FileId, at: usize) {
        self.halted = true;
        self.errors.push(PpError::OutputTooLarge {
            limit: self.options.limits.output_bytes,
            loc: Loc::new(file, Span::new(to_u32(at), to_u32(at + 1))),
        });
    }
}

fn find_newline(b: &[u8], from: usize) -> usize {
    b[from..]
        .iter()
        .position(|&c| c == b'\n')
        .map_or(b.len(), |k| from + k)
}

/// The directive starting after `#` at `start`, joined over `\`-newline continuations, and the
/// offset where the next line starts.
fn logical_line(text: &str, start: usize, file: FileId) -> (Line, usize) {
    let b = text.as_bytes();
    let mut out = String::new();
    let mut offsets = Vec::new();
    let mut pos = start;
    loop {
        let end = find_newline(b, pos);
        let mut seg_end = end;
        if seg_end > pos && b[seg_end - 1] == b'\r' {
            seg_end -= 1;
        }
        let continued = seg_end > pos && b[seg_end - 1] == b'\\' && end < b.len();
        let keep = if continued { seg_end - 1 } else { seg_end };
        out.push_str(&text[pos..keep]);
        offsets.extend((pos..keep).map(to_u32));
        if continued {
            out.push(' ');
            offsets.push(to_u32(keep));
            pos = end + 1;
            continue;
        }
        offsets.push(to_u32(keep));
        let next = (end + 1).min(text.len());
        return (
            Line {
                text: out,
                offsets,
                file,
            },
            next,
        );
    }
}

/// Whether a block comment is open at the end of `line`, given whether one was open at its
/// start. Strings and line comments are skipped so `"/*"` and `// /*` open nothing.
fn scan_comment_state(line: &[u8], mut in_comment: bool) -> bool {
    let mut i = 0;
    while i < line.len() {
        if in_comment {
            match line[i..].windows(2).position(|w| w == b"*/") {
                Some(k) => {
                    in_comment = false;
                    i += k + 2;
                }
                None => return true,
            }
            continue;
        }
        match line[i] {
            b'/' if line.get(i + 1) == Some(&b'/') => return false,
            b'/' if line.get(i + 1) == Some(&b'*') => {
                in_comment = true;
                i += 2;
            }
            b'"' => {
                i += 1;
                while i < line.len() && line[i] != b'"' {
                    i += if line[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    in_comment
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
