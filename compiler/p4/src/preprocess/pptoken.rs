//! Preprocessing tokens: the coarse tokens macros are defined and expanded in.
//!
//! They only need to tell identifiers (which may be macros) from everything else, and keep
//! numbers like `8w0xFF`, strings and comments whole so that nothing inside them is expanded.

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PpKind {
    Ident,
    /// A digit followed by letters, digits and `_`: `42`, `8w0xFF`, `0x1p`.
    Number,
    Str,
    /// One punctuation character (or `##` / `#`, which matter in macro bodies).
    Punct,
    /// Blanks and comments, collapsed to one space where they separate tokens.
    Space,
    Newline,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PpTok {
    pub kind: PpKind,
    pub text: String,
}

impl PpTok {
    pub fn new(kind: PpKind, text: impl Into<String>) -> Self {
        PpTok {
            kind,
            text: text.into(),
        }
    }

    pub fn is_punct(&self, p: &str) -> bool {
        self.kind == PpKind::Punct && self.text == p
    }

    pub fn is_blank(&self) -> bool {
        matches!(self.kind, PpKind::Space | PpKind::Newline)
    }
}

pub fn is_ident_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

pub fn is_ident_continue(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// Length and kind of the preprocessing token starting at `s[i]` (`i < s.len()`).
///
/// A block comment without its end runs to the end of `s`; the lexer reports it later.
pub fn scan(s: &str, i: usize) -> (PpKind, usize) {
    let b = s.as_bytes();
    let c = b[i];
    let end = if c == b'\n' {
        return (PpKind::Newline, i + 1);
    } else if c == b' ' || c == b'\t' || c == b'\r' || c == 0x0c || c == 0x0b {
        let mut j = i + 1;
        while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\r' | 0x0c | 0x0b) {
            j += 1;
        }
        return (PpKind::Space, j);
    } else if c == b'/' && b.get(i + 1) == Some(&b'/') {
        let j = memchr(b'\n', &b[i..]).map_or(b.len(), |k| i + k);
        return (PpKind::Space, j);
    } else if c == b'/' && b.get(i + 1) == Some(&b'*') {
        let j = s[i + 2..].find("*/").map_or(b.len(), |k| i + 2 + k + 2);
        return (PpKind::Space, j);
    } else if is_ident_start(c) {
        let mut j = i + 1;
        while j < b.len() && is_ident_continue(b[j]) {
            j += 1;
        }
        return (PpKind::Ident, j);
    } else if c.is_ascii_digit() {
        let mut j = i + 1;
        while j < b.len() && is_ident_continue(b[j]) {
            j += 1;
        }
        return (PpKind::Number, j);
    } else if c == b'"' {
        let mut j = i + 1;
        while j < b.len() && b[j] != b'"' && b[j] != b'\n' {
            j += if b[j] == b'\\' && j + 1 < b.len() && b[j + 1] != b'\n' {
                2
            } else {
                1
            };
        }
        return (PpKind::Str, (j + 1).min(b.len()));
    } else if c == b'#' && b.get(i + 1) == Some(&b'#') {
        i + 2
    } else {
        // One character, whole (source text is UTF-8).
        i + s[i..].chars().next().map_or(1, char::len_utf8)
    };
    (PpKind::Punct, end)
}

fn memchr(needle: u8, hay: &[u8]) -> Option<usize> {
    hay.iter().position(|&b| b == needle)
}

/// All preprocessing tokens of `s`, comments turned into spaces.
pub fn tokenize(s: &str) -> Vec<PpTok> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < s.len() {
        let (kind, end) = scan(s, i);
        let text = if kind == PpKind::Space {
            " "
        } else {
            &s[i..end]
        };
        out.push(PpTok::new(kind, text));
        i = end;
    }
    out
}

/// Joins tokens back into text, adding a space where two tokens would otherwise run together
/// into a different token (`-` `-` would become `--`, `a` `b` would become `ab`).
pub fn join(tokens: &[PpTok]) -> String {
    let mut out = String::new();
    let mut prev: Option<&PpTok> = None;
    for t in tokens {
        if let Some(p) = prev
            && !p.is_blank()
            && !t.is_blank()
            && would_merge(p, t)
        {
            out.push(' ');
        }
        out.push_str(&t.text);
        prev = Some(t);
    }
    out
}

fn would_merge(a: &PpTok, b: &PpTok) -> bool {
    let word = |t: &PpTok| matches!(t.kind, PpKind::Ident | PpKind::Number);
    (word(a) && word(b)) || (a.kind == PpKind::Punct && b.kind == PpKind::Punct)
}
