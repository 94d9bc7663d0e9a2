//! Integer expressions of `#if` and `#elif`, evaluated as C does: 64-bit signed arithmetic,
//! identifiers left after macro expansion are 0, comparisons and logic give 0 or 1.

use super::pptoken::{PpKind, PpTok};

/// Replaces `defined X` and `defined(X)` with `1` or `0` (before macro expansion, as C
/// requires). Returns an error text on a malformed `defined`.
pub fn replace_defined(
    toks: &[PpTok],
    is_defined: impl Fn(&str) -> bool,
) -> Result<Vec<PpTok>, String> {
    let mut out = Vec::with_capacity(toks.len());
    let mut i = 0;
    let next = |mut j: usize| {
        while j < toks.len() && toks[j].is_blank() {
            j += 1;
        }
        j
    };
    while i < toks.len() {
        let t = &toks[i];
        if t.kind == PpKind::Ident && t.text == "defined" {
            let mut j = next(i + 1);
            let paren = toks.get(j).is_some_and(|t| t.is_punct("("));
            if paren {
                j = next(j + 1);
            }
            let Some(name) = toks.get(j).filter(|t| t.kind == PpKind::Ident) else {
                return Err(format!(
                    "expected a macro name after `defined`, found {}",
                    describe(toks.get(j))
                ));
            };
            let value = if is_defined(&name.text) { "1" } else { "0" };
            if paren {
                let close = next(j + 1);
                if !toks.get(close).is_some_and(|t| t.is_punct(")")) {
                    return Err(format!(
                        "expected `)` after `defined({}`, found {}",
                        name.text,
                        describe(toks.get(close))
                    ));
                }
                j = close;
            }
            out.push(PpTok::new(PpKind::Number, value));
            i = j + 1;
        } else {
            out.push(t.clone());
            i += 1;
        }
    }
    Ok(out)
}

fn describe(t: Option<&PpTok>) -> String {
    match t {
        None => "end of line".to_string(),
        Some(t) => format!("`{}`", t.text),
    }
}

/// Evaluates a macro-expanded condition. Nesting deeper than `max_depth` is an error.
pub fn evaluate(toks: &[PpTok], max_depth: usize) -> Result<i64, String> {
    let toks: Vec<&PpTok> = toks.iter().filter(|t| !t.is_blank()).collect();
    if toks.is_empty() {
        return Err("expected an expression after `#if`, found end of line".to_string());
    }
    let mut e = Eval {
        toks,
        pos: 0,
        depth: 0,
        max_depth,
    };
    let v = e.ternary()?;
    match e.toks.get(e.pos) {
        None => Ok(v),
        Some(t) => Err(format!(
            "expected an operator or end of line, found `{}`",
            t.text
        )),
    }
}

struct Eval<'a> {
    toks: Vec<&'a PpTok>,
    pos: usize,
    depth: usize,
    max_depth: usize,
}

/// Binary operators by precedence level, loosest first.
const LEVELS: &[&[&str]] = &[
    &["||"],
    &["&&"],
    &["|"],
    &["^"],
    &["&"],
    &["==", "!="],
    &["<", ">", "<=", ">="],
    &["<<", ">>"],
    &["+", "-"],
    &["*", "/", "%"],
];

impl Eval<'_> {
    fn peek_text(&self) -> Option<&str> {
        self.toks.get(self.pos).map(|t| t.text.as_str())
    }

    /// The operator at the cursor, joining single-character punctuation (`<` `<` is `<<`).
    fn peek_op(&self) -> Option<(String, usize)> {
        let a = self.toks.get(self.pos)?;
        if a.kind != PpKind::Punct {
            return None;
        }
        if let Some(b) = self.toks.get(self.pos + 1)
            && b.kind == PpKind::Punct
        {
            let two = format!("{}{}", a.text, b.text);
            if ["||", "&&", "==", "!=", "<=", ">=", "<<", ">>"].contains(&two.as_str()) {
                return Some((two, 2));
            }
        }
        Some((a.text.clone(), 1))
    }

    fn ternary(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(format!(
                "expression nested deeper than {} levels",
                self.max_depth
            ));
        }
        let cond = self.binary(0)?;
        let v = if self.peek_text() == Some("?") {
            self.pos += 1;
            let a = self.ternary()?;
            self.expect(":")?;
            let b = self.ternary()?;
            if cond != 0 { a } else { b }
        } else {
            cond
        };
        self.depth -= 1;
        Ok(v)
    }

    fn expect(&mut self, p: &str) -> Result<(), String> {
        match self.toks.get(self.pos) {
            Some(t) if t.is_punct(p) => {
                self.pos += 1;
                Ok(())
            }
            t => Err(format!("expected `{p}`, found {}", describe(t.copied()))),
        }
    }

    fn binary(&mut self, level: usize) -> Result<i64, String> {
        if level == LEVELS.len() {
            return self.unary();
        }
        let mut lhs = self.binary(level + 1)?;
        while let Some((op, n)) = self.peek_op() {
            if !LEVELS[level].contains(&op.as_str()) {
                break;
            }
            self.pos += n;
            let rhs = self.binary(level + 1)?;
            lhs = apply(&op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, String> {
        let Some(t) = self.toks.get(self.pos).copied() else {
            return Err("expected an operand, found end of line".to_string());
        };
        self.pos += 1;
        match (t.kind, t.text.as_str()) {
            (PpKind::Punct, "!") => Ok(i64::from(self.unary_nested()? == 0)),
            (PpKind::Punct, "~") => Ok(!self.unary_nested()?),
            (PpKind::Punct, "-") => Ok(self.unary_nested()?.wrapping_neg()),
            (PpKind::Punct, "+") => self.unary_nested(),
            (PpKind::Punct, "(") => {
                let v = self.ternary()?;
                self.expect(")")?;
                Ok(v)
            }
            (PpKind::Number, text) => parse_number(text),
            // Identifiers that are not macros are 0 in a condition.
            (PpKind::Ident, _) => Ok(0),
            _ => Err(format!("expected an operand, found `{}`", t.text)),
        }
    }

    fn unary_nested(&mut self) -> Result<i64, String> {
        self.depth += 1;
        if self.depth > self.max_depth {
            return Err(format!(
                "expression nested deeper than {} levels",
                self.max_depth
            ));
        }
        let v = self.unary();
        self.depth -= 1;
        v
    }
}

fn apply(op: &str, a: i64, b: i64) -> Result<i64, String> {
    Ok(match op {
        "||" => i64::from(a != 0 || b != 0),
        "&&" => i64::from(a != 0 && b != 0),
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "==" => i64::from(a == b),
        "!=" => i64::from(a != b),
        "<" => i64::from(a < b),
        ">" => i64::from(a > b),
        "<=" => i64::from(a <= b),
        ">=" => i64::from(a >= b),
        "<<" => a.wrapping_shl(b as u32),
        ">>" => a.wrapping_shr(b as u32),
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" | "%" if b == 0 => return Err("division by zero in `#if`".to_string()),
        "/" => a.wrapping_div(b),
        _ => a.wrapping_rem(b),
    })
}

/// C integer constants: decimal, `0x` hex, leading-`0` octal, `0b` binary, `u`/`l` suffixes.
fn parse_number(text: &str) -> Result<i64, String> {
    let t = text.trim_end_matches(['u', 'U', 'l', 'L']);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or(t.strip_prefix("0X")) {
        (h, 16)
    } else if let Some(b) = t.strip_prefix("0b").or(t.strip_prefix("0B")) {
        (b, 2)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    u64::from_str_radix(digits, radix)
        .map(|v| v as i64)
        .map_err(|_| format!("expected an integer, found `{text}`"))
}
