//! Macro definitions and their expansion.
//!
//! Expansion follows C: arguments are expanded before substitution (except next to `#` and
//! `##`), the result is rescanned with the macro itself disabled, `#p` makes a string and `a ## b`
//! pastes. Limits on nesting depth and on the number of tokens produced keep self-feeding or
//! exponentially growing definitions from hanging or exhausting memory.

use std::collections::HashMap;

use super::pptoken::{PpKind, PpTok, join, tokenize};
use crate::arena::Loc;

#[derive(Debug, Clone)]
pub struct Macro {
    /// `None` for object-like macros.
    pub params: Option<Vec<String>>,
    /// The last parameter is `...`, bound to `__VA_ARGS__`.
    pub variadic: bool,
    /// Body tokens, blanks collapsed to one space and trimmed at both ends.
    pub body: Vec<PpTok>,
    /// The body as written, to compare redefinitions.
    pub text: String,
    pub loc: Loc,
}

/// Why an expansion failed; the caller attaches the location of the macro use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    ArgCount {
        name: String,
        expected: usize,
        found: usize,
        variadic: bool,
    },
    Unterminated {
        name: String,
    },
    TooDeep {
        limit: usize,
    },
    TooLarge {
        limit: usize,
    },
}

pub struct Expander<'m> {
    pub macros: &'m HashMap<String, Macro>,
    pub max_depth: usize,
    pub max_tokens: usize,
    /// Tokens produced so far in this run, against `max_tokens`.
    pub produced: usize,
}

impl Expander<'_> {
    /// Expands every macro use in `toks`. `active` are the macros being expanded around this
    /// point, which are not expanded again (so `#define x x` terminates).
    pub fn expand(
        &mut self,
        toks: &[PpTok],
        active: &mut Vec<String>,
        depth: usize,
    ) -> Result<Vec<PpTok>, ExpandError> {
        if depth > self.max_depth {
            return Err(ExpandError::TooDeep {
                limit: self.max_depth,
            });
        }
        let mut out = Vec::with_capacity(toks.len());
        let mut i = 0;
        while i < toks.len() {
            let t = &toks[i];
            let m = match t.kind {
                PpKind::Ident if !active.contains(&t.text) => self.macros.get(&t.text),
                _ => None,
            };
            let Some(m) = m else {
                out.push(t.clone());
                i += 1;
                continue;
            };
            let replaced = match &m.params {
                None => {
                    i += 1;
                    m.body.clone()
                }
                Some(params) => {
                    let mut j = i + 1;
                    while j < toks.len() && toks[j].is_blank() {
                        j += 1;
                    }
                    if j >= toks.len() || !toks[j].is_punct("(") {
                        // A function-like macro's name without arguments is just a name.
                        out.push(t.clone());
                        i += 1;
                        continue;
                    }
                    let (args, end) =
                        split_args(toks, j).ok_or_else(|| ExpandError::Unterminated {
                            name: t.text.clone(),
                        })?;
                    i = end;
                    let args = check_arity(&t.text, params, m.variadic, args)?;
                    self.substitute(m, params, &args, active, depth)?
                }
            };
            active.push(t.text.clone());
            let expanded = self.expand(&replaced, active, depth + 1);
            active.pop();
            let expanded = expanded?;
            self.produced += expanded.len();
            if self.produced > self.max_tokens {
                return Err(ExpandError::TooLarge {
                    limit: self.max_tokens,
                });
            }
            out.extend(expanded);
        }
        Ok(out)
    }

    fn substitute(
        &mut self,
        m: &Macro,
        params: &[String],
        args: &[Vec<PpTok>],
        active: &mut Vec<String>,
        depth: usize,
    ) -> Result<Vec<PpTok>, ExpandError> {
        let param_index = |t: &PpTok| {
            if t.kind != PpKind::Ident {
                return None;
            }
            if m.variadic && t.text == "__VA_ARGS__" {
                return Some(params.len());
            }
            params.iter().position(|p| *p == t.text)
        };
        let body = &m.body;
        let mut out: Vec<PpTok> = Vec::new();
        let mut k = 0;
        while k < body.len() {
            let t = &body[k];
            if t.is_punct("#")
                && let Some((n, next)) = next_non_blank(body, k + 1)
                && let Some(p) = param_index(n)
            {
                out.push(stringify(&args[p]));
                k = next + 1;
                continue;
            }
            if let Some(p) = param_index(t) {
                let pasted = prev_non_blank(body, k).is_some_and(|x| x.is_punct("##"))
                    || next_non_blank(body, k + 1).is_some_and(|(x, _)| x.is_punct("##"));
                if pasted {
                    out.extend(trim(&args[p]).iter().cloned());
                } else {
                    out.extend(self.expand(&args[p], active, depth + 1)?);
                }
            } else {
                out.push(t.clone());
            }
            k += 1;
        }
        Ok(paste(out))
    }
}

/// Arguments of the invocation whose `(` is at `open`: token lists split at top-level commas,
/// and the index after the closing `)`. `None` when the `)` is missing.
pub fn split_args(toks: &[PpTok], open: usize) -> Option<(Vec<Vec<PpTok>>, usize)> {
    let mut depth = 0usize;
    let mut args = vec![Vec::new()];
    for (k, t) in toks.iter().enumerate().skip(open + 1) {
        if t.is_punct("(") {
            depth += 1;
        } else if t.is_punct(")") {
            if depth == 0 {
                return Some((args, k + 1));
            }
            depth -= 1;
        } else if t.is_punct(",") && depth == 0 {
            args.push(Vec::new());
            continue;
        }
        if let Some(last) = args.last_mut() {
            last.push(t.clone());
        }
    }
    None
}

fn check_arity(
    name: &str,
    params: &[String],
    variadic: bool,
    mut args: Vec<Vec<PpTok>>,
) -> Result<Vec<Vec<PpTok>>, ExpandError> {
    // `f()` passes one empty argument, which is right for one parameter and none for zero.
    if params.is_empty() && !variadic && args.len() == 1 && trim(&args[0]).is_empty() {
        args.clear();
    }
    if variadic {
        if args.len() < params.len() {
            return Err(ExpandError::ArgCount {
                name: name.to_string(),
                expected: params.len(),
                found: args.len(),
                variadic,
            });
        }
        // Everything from the variadic position on, commas included, is `__VA_ARGS__`.
        let mut rest: Vec<PpTok> = Vec::new();
        for (n, a) in args.drain(params.len().min(args.len())..).enumerate() {
            if n > 0 {
                rest.push(PpTok::new(PpKind::Punct, ","));
            }
            rest.extend(a);
        }
        args.push(rest);
        return Ok(args);
    }
    if args.len() != params.len() {
        return Err(ExpandError::ArgCount {
            name: name.to_string(),
            expected: params.len(),
            found: args.len(),
            variadic,
        });
    }
    Ok(args)
}

fn next_non_blank(toks: &[PpTok], from: usize) -> Option<(&PpTok, usize)> {
    toks.iter()
        .enumerate()
        .skip(from)
        .find(|(_, t)| !t.is_blank())
        .map(|(i, t)| (t, i))
}

fn prev_non_blank(toks: &[PpTok], before: usize) -> Option<&PpTok> {
    toks[..before].iter().rev().find(|t| !t.is_blank())
}

pub fn trim(toks: &[PpTok]) -> &[PpTok] {
    let start = toks
        .iter()
        .position(|t| !t.is_blank())
        .unwrap_or(toks.len());
    let end = toks
        .iter()
        .rposition(|t| !t.is_blank())
        .map_or(start, |e| e + 1);
    &toks[start..end]
}

fn stringify(arg: &[PpTok]) -> PpTok {
    let mut s = String::from("\"");
    let mut blank = false;
    for t in trim(arg) {
        if t.is_blank() {
            blank = true;
            continue;
        }
        if blank {
            s.push(' ');
            blank = false;
        }
        for c in t.text.chars() {
            if t.kind == PpKind::Str && (c == '"' || c == '\\') {
                s.push('\\');
            }
            s.push(c);
        }
    }
    s.push('"');
    PpTok::new(PpKind::Str, s)
}

/// Applies `##`: the tokens on both sides are joined into one text and tokenised again.
fn paste(toks: Vec<PpTok>) -> Vec<PpTok> {
    if !toks.iter().any(|t| t.is_punct("##")) {
        return toks;
    }
    let mut out: Vec<PpTok> = Vec::with_capacity(toks.len());
    let mut k = 0;
    while k < toks.len() {
        if toks[k].is_punct("##") {
            while out.last().is_some_and(PpTok::is_blank) {
                out.pop();
            }
            let mut j = k + 1;
            while j < toks.len() && toks[j].is_blank() {
                j += 1;
            }
            let left = out.pop().map(|t| t.text).unwrap_or_default();
            let right = toks.get(j).map(|t| t.text.clone()).unwrap_or_default();
            out.extend(tokenize(&(left + &right)));
            k = j + 1;
        } else {
            out.push(toks[k].clone());
            k += 1;
        }
    }
    out
}

/// The body tokens of a definition: comments and runs of blanks become one space, the ends
/// are trimmed.
pub fn body_tokens(text: &str) -> Vec<PpTok> {
    let mut out: Vec<PpTok> = Vec::new();
    for t in tokenize(text) {
        if t.is_blank() {
            if out.last().is_some_and(|l| !l.is_blank()) {
                out.push(PpTok::new(PpKind::Space, " "));
            }
        } else {
            out.push(t);
        }
    }
    while out.last().is_some_and(PpTok::is_blank) {
        out.pop();
    }
    out
}

/// Text of expanded tokens, with newlines turned into spaces (an expansion stays on one line
/// of the output so that it maps to one macro use).
pub fn text_of(toks: &[PpTok]) -> String {
    join(toks).replace('\n', " ")
}
