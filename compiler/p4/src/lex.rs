//! The P4_16 lexer: preprocessed text to [`Tok`]s, with nom combinators over `&str`.
//!
//! Offsets are tracked by how much input remains (`text.len() - rest.len()`), and every token
//! is mapped back to its original file through the preprocessor's [`OriginMap`] once, here, so
//! the parser and everything after it only see [`Loc`]s.
//!
//! The lexer never fails: a character that starts no token, an unterminated string or comment
//! and a malformed integer are recorded as errors and lexing continues after them.

use nom::branch::alt;
use nom::bytes::complete::{tag, take_until, take_while, take_while1};
use nom::character::complete::{anychar, char, satisfy};
use nom::combinator::recognize;
use nom::sequence::{pair, preceded};
use nom::{IResult, Parser};
use num_bigint::BigUint;

use crate::arena::Loc;
use crate::ast::IntLit;
use crate::preprocess::OriginMap;
use crate::syntax::SyntaxError;
use crate::token::{Token, TokenKind};

/// A token: kind, byte range in the preprocessed text, and original location.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tok {
    pub kind: TokenKind,
    pub start: u32,
    pub end: u32,
    pub loc: Loc,
}

impl Tok {
    pub fn text<'t>(&self, text: &'t str) -> &'t str {
        &text[self.start as usize..self.end as usize]
    }
}

/// Tokens of `text`, ending with one [`TokenKind::Eof`], and the lexical errors found.
pub fn lex(text: &str, origins: &OriginMap) -> (Vec<Tok>, Vec<SyntaxError>) {
    let mut toks = Vec::with_capacity(text.len() / 4);
    let mut errors = Vec::new();
    let mut rest = text;
    let mut origins = origins.cursor();
    let offset = |rest: &str| text.len() - rest.len();
    loop {
        rest = match trivia(rest) {
            Ok((r, ())) => r,
            Err(_) => rest,
        };
        let start = offset(rest);
        if rest.is_empty() {
            toks.push(Tok {
                kind: TokenKind::Eof,
                start: to_u32(start),
                end: to_u32(start),
                loc: origins.loc(start, start),
            });
            return (toks, errors);
        }
        if rest.starts_with("/*") {
            let loc = origins.loc(start, start + 2);
            errors.push(SyntaxError::UnterminatedComment { loc });
            toks.push(Tok {
                kind: TokenKind::Eof,
                start: to_u32(text.len()),
                end: to_u32(text.len()),
                loc: origins.loc(text.len(), text.len()),
            });
            return (toks, errors);
        }
        match token(rest) {
            Ok((r, kind)) => {
                let end = offset(r);
                let loc = origins.loc(start, end);
                match kind {
                    TokenKind::String if !rest[..end - start].ends_with('"') || end - start < 2 => {
                        errors.push(SyntaxError::UnterminatedString { loc });
                    }
                    TokenKind::Int => {
                        if let Err(message) = int_literal(&rest[..end - start]) {
                            errors.push(SyntaxError::BadInteger { message, loc });
                        }
                    }
                    _ => {}
                }
                toks.push(Tok {
                    kind,
                    start: to_u32(start),
                    end: to_u32(end),
                    loc,
                });
                rest = r;
            }
            Err(_) => {
                let c = rest.chars().next().unwrap_or(' ');
                let end = start + c.len_utf8();
                errors.push(SyntaxError::UnexpectedChar {
                    ch: c,
                    loc: origins.loc(start, end),
                });
                rest = &rest[c.len_utf8()..];
            }
        }
    }
}

/// Blanks and complete comments.
fn trivia(input: &str) -> IResult<&str, ()> {
    let mut rest = input;
    loop {
        let r: IResult<&str, &str> = alt((
            take_while1(|c: char| c.is_whitespace()),
            recognize(pair(tag("//"), take_while(|c| c != '\n'))),
            recognize((tag("/*"), take_until("*/"), tag("*/"))),
        ))
        .parse(rest);
        match r {
            Ok((r, _)) => rest = r,
            Err(_) => return Ok((rest, ())),
        }
    }
}

fn token(input: &str) -> IResult<&str, TokenKind> {
    alt((word, number, string, punctuation)).parse(input)
}

fn word(input: &str) -> IResult<&str, TokenKind> {
    let (rest, w) = recognize(pair(
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(input)?;
    Ok((rest, TokenKind::keyword(w).unwrap_or(TokenKind::Ident)))
}

/// A digit and everything that may continue a literal (`8w0xFF`, `32s0d5`), plus the `-`
/// digits of a negative signed literal `4s-1`; the value is checked by [`int_literal`].
fn number(input: &str) -> IResult<&str, TokenKind> {
    let body = |i| take_while(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(i);
    let (rest, lit) = recognize(pair(satisfy(|c| c.is_ascii_digit()), body)).parse(input)?;
    let signed_width =
        lit.ends_with('s') && lit[..lit.len() - 1].bytes().all(|b| b.is_ascii_digit());
    if signed_width
        && let Ok((rest, _)) = recognize(preceded(
            char('-'),
            pair(satisfy(|c| c.is_ascii_digit()), body),
        ))
        .parse(rest)
    {
        return Ok((rest, TokenKind::Int));
    }
    Ok((rest, TokenKind::Int))
}

/// `"..."` with `\` escapes; an unterminated string stops at the end of its line.
fn string(input: &str) -> IResult<&str, TokenKind> {
    let (mut rest, _) = char('"').parse(input)?;
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            None | Some('\n') => return Ok((rest, TokenKind::String)),
            Some('"') => return Ok((chars.as_str(), TokenKind::String)),
            Some('\\') => {
                let after = chars.as_str();
                rest = match after.chars().next() {
                    Some(c) if c != '\n' => &after[c.len_utf8()..],
                    _ => after,
                };
            }
            Some(_) => rest = chars.as_str(),
        }
    }
}

/// Operators and delimiters, longest match first; dispatching on the first character keeps
/// this to one or two comparisons per token.
fn punctuation(input: &str) -> IResult<&str, TokenKind> {
    use TokenKind::*;
    let (rest, c) = anychar(input)?;
    let longer = |options: &[(&'static str, TokenKind)], single: TokenKind| {
        for &(t, k) in options {
            if let Ok((r, _)) = tag::<_, _, nom::error::Error<&str>>(t).parse(input) {
                return Ok((r, k));
            }
        }
        Ok((rest, single))
    };
    match c {
        '{' => longer(&[("{#}", InvalidHeader)], LBrace),
        '}' => Ok((rest, RBrace)),
        '(' => Ok((rest, LParen)),
        ')' => Ok((rest, RParen)),
        '[' => Ok((rest, LBracket)),
        ']' => Ok((rest, RBracket)),
        ';' => Ok((rest, Semi)),
        ',' => Ok((rest, Comma)),
        ':' => Ok((rest, Colon)),
        '?' => Ok((rest, Question)),
        '@' => Ok((rest, At)),
        '~' => Ok((rest, Tilde)),
        '^' => Ok((rest, Caret)),
        '*' => Ok((rest, Star)),
        '/' => Ok((rest, Slash)),
        '%' => Ok((rest, Percent)),
        '>' => longer(&[(">=", Ge)], Gt),
        '<' => longer(&[("<=", Le), ("<<", Shl)], Lt),
        '=' => longer(&[("==", Eq)], Assign),
        '!' => longer(&[("!=", Ne)], Not),
        '&' => longer(&[("&&&", Mask), ("&&", AndAnd)], Amp),
        '|' => longer(&[("|+|", SatAdd), ("|-|", SatSub), ("||", OrOr)], Pipe),
        '+' => longer(&[("++", PlusPlus)], Plus),
        '-' => Ok((rest, Minus)),
        '.' => longer(&[("...", Dots), ("..", Range)], Dot),
        _ => Err(nom::Err::Error(nom::error::Error::new(
            input,
            nom::error::ErrorKind::Char,
        ))),
    }
}

/// Decodes an integer literal: `[width (w|s)] [0x|0o|0b|0d] digits`, `_` allowed between
/// digits, `-` after a signed width.
pub fn int_literal(text: &str) -> Result<IntLit, String> {
    let width_end = text.find(['w', 's']);
    let (width, body) = match width_end {
        Some(k) if k > 0 && text[..k].bytes().all(|b| b.is_ascii_digit()) => {
            let bits: u32 = text[..k]
                .parse()
                .map_err(|_| format!("width `{}` is too large", &text[..k]))?;
            (Some((bits, text.as_bytes()[k] == b's')), &text[k + 1..])
        }
        _ => (None, text),
    };
    let (negative, body) = match body.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, body),
    };
    let lower = body.get(..2).map(str::to_ascii_lowercase);
    let (base, digits) = match lower.as_deref() {
        Some("0x") => (16, &body[2..]),
        Some("0o") => (8, &body[2..]),
        Some("0b") => (2, &body[2..]),
        Some("0d") => (10, &body[2..]),
        _ => (10, body),
    };
    let clean: String = digits.chars().filter(|&c| c != '_').collect();
    if clean.is_empty() {
        return Err(format!("expected digits in integer literal `{text}`"));
    }
    if let Some(bad) = clean.chars().find(|c| !c.is_digit(base)) {
        return Err(format!(
            "expected a base-{base} digit in integer literal `{text}`, found `{bad}`"
        ));
    }
    let value = BigUint::parse_bytes(clean.as_bytes(), base)
        .ok_or_else(|| format!("invalid integer literal `{text}`"))?;
    Ok(IntLit {
        value,
        negative,
        width,
        base,
    })
}

/// Tokens with their text and original location, for `--emit tokens`.
pub fn tokens_with_text(toks: &[Tok], text: &str) -> Vec<Token> {
    toks.iter()
        .map(|t| Token {
            kind: t.kind,
            text: t.text(text).to_string(),
            loc: t.loc,
        })
        .collect()
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
