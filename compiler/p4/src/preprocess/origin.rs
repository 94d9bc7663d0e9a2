//! Where each byte of preprocessed text came from.
//!
//! The preprocessor's output is a sequence of segments: runs copied verbatim from one source
//! file (an output offset maps to the same relative offset in that file), and macro expansions
//! (every output offset maps to the whole macro use). Segments are appended in output order, so
//! lookups are a binary search.

use ddsr_diag::{FileId, Span};

use crate::arena::Loc;

#[derive(Debug, Clone, Copy)]
enum Source {
    /// Output byte `out_start + k` is byte `src_start + k` of `file`.
    Copy { src_start: u32 },
    /// The whole segment was produced by the macro use at `span`.
    Expansion { span: Span },
}

#[derive(Debug, Clone, Copy)]
struct Segment {
    out_start: u32,
    file: FileId,
    source: Source,
}

/// Maps offsets of preprocessed text back to original files.
#[derive(Debug, Clone, Default)]
pub struct OriginMap {
    segments: Vec<Segment>,
}

impl OriginMap {
    /// Output from `out_start` on is copied from `file` starting at `src_start`.
    pub fn copy(&mut self, out_start: usize, file: FileId, src_start: usize) {
        self.push(Segment {
            out_start: to_u32(out_start),
            file,
            source: Source::Copy {
                src_start: to_u32(src_start),
            },
        });
    }

    /// Output from `out_start` on is the expansion of the macro use at `span` of `file`.
    pub fn expansion(&mut self, out_start: usize, file: FileId, span: Span) {
        self.push(Segment {
            out_start: to_u32(out_start),
            file,
            source: Source::Expansion { span },
        });
    }

    fn push(&mut self, seg: Segment) {
        // A segment starting where the previous one starts replaces it: the previous one was
        // empty.
        if let Some(last) = self.segments.last_mut()
            && last.out_start == seg.out_start
        {
            *last = seg;
            return;
        }
        self.segments.push(seg);
    }

    /// The original location of output bytes `start..end`.
    pub fn loc(&self, start: usize, end: usize) -> Loc {
        self.cursor().loc(start, end)
    }

    /// A reader for increasing offsets (a lexer's tokens), which walks the segments forward
    /// instead of searching them for every token.
    pub fn cursor(&self) -> Cursor<'_> {
        Cursor { map: self, at: 0 }
    }
}

/// See [`OriginMap::cursor`]. Offsets may also go backwards; that costs a search.
pub struct Cursor<'m> {
    map: &'m OriginMap,
    at: usize,
}

impl Cursor<'_> {
    /// The original location of output bytes `start..end`.
    pub fn loc(&mut self, start: usize, end: usize) -> Loc {
        let (start, end) = (to_u32(start), to_u32(end.max(start)));
        let first = self.point(start, end.saturating_sub(start));
        if end <= start + 1 {
            return first;
        }
        first.to(self.point(end - 1, 1))
    }

    fn seek(&mut self, offset: u32) -> Option<Segment> {
        let segs = &self.map.segments;
        // Usually the offset is in the current segment or one of the next few.
        if segs.get(self.at).is_some_and(|s| s.out_start <= offset) {
            for _ in 0..4 {
                match segs.get(self.at + 1) {
                    Some(next) if next.out_start <= offset => self.at += 1,
                    _ => return Some(segs[self.at]),
                }
            }
        }
        let i = segs.partition_point(|s| s.out_start <= offset);
        self.at = i.checked_sub(1)?;
        Some(segs[self.at])
    }

    /// Location of `len` output bytes at `offset`, assuming they lie in one segment.
    fn point(&mut self, offset: u32, len: u32) -> Loc {
        match self.seek(offset) {
            None => Loc::new(FileId(0), Span::new(0, 0)),
            Some(seg) => match seg.source {
                Source::Copy { src_start } => {
                    let at = src_start + (offset - seg.out_start);
                    Loc::new(seg.file, Span::new(at, at + len.min(1)))
                }
                Source::Expansion { span } => Loc::new(seg.file, span),
            },
        }
    }
}

fn to_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}
