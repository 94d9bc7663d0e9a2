//! Typed arenas: every AST node of one kind lives in one `Vec`, addressed by a [`Handle`].
//!
//! Handles are plain `u32` indices with a phantom type, so analyses keep their results in side
//! tables (`Vec<T>` indexed by [`Handle::index`]) instead of hashing nodes. Each item is stored
//! together with its [`Loc`], the place in the ORIGINAL source file it was written at.
//!
//! Invariant: a handle is only created by [`Arena::alloc`] of the arena it indexes, so indexing
//! with a handle from the same [`crate::ast::Program`] never fails.

use std::fmt;
use std::hash::{Hash, Hasher};
use std::marker::PhantomData;
use std::ops::Index;

use ddsr_diag::{FileId, Span};
use serde::Serialize;

/// A byte range in one original source file (after mapping back through the preprocessor).
///
/// For text produced by a macro expansion, the location is the macro use that produced it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Loc {
    pub file: FileId,
    pub span: Span,
}

impl Loc {
    pub const fn new(file: FileId, span: Span) -> Self {
        Loc { file, span }
    }

    /// The smallest location covering both when they are in one file, else `self`: a node that
    /// starts in one file and ends in another (through `#include` inside a declaration) is
    /// reported at its start.
    pub fn to(self, end: Loc) -> Loc {
        if self.file == end.file {
            Loc::new(self.file, self.span.join(end.span))
        } else {
            self
        }
    }
}

/// A typed index into an [`Arena<T>`].
pub struct Handle<T> {
    index: u32,
    marker: PhantomData<fn() -> T>,
}

impl<T> Handle<T> {
    /// Position in the arena, for side tables indexed by node.
    pub fn index(self) -> usize {
        self.index as usize
    }
}

impl<T> Clone for Handle<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Handle<T> {}

impl<T> PartialEq for Handle<T> {
    fn eq(&self, other: &Self) -> bool {
        self.index == other.index
    }
}

impl<T> Eq for Handle<T> {}

impl<T> PartialOrd for Handle<T> {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> Ord for Handle<T> {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.index.cmp(&other.index)
    }
}

impl<T> Hash for Handle<T> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.index.hash(state);
    }
}

impl<T> fmt::Debug for Handle<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.index)
    }
}

impl<T> Serialize for Handle<T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.index)
    }
}

/// Items of one node kind with their locations.
#[derive(Debug, Clone, Serialize)]
pub struct Arena<T> {
    items: Vec<T>,
    locs: Vec<Loc>,
}

impl<T> Default for Arena<T> {
    fn default() -> Self {
        Arena {
            items: Vec::new(),
            locs: Vec::new(),
        }
    }
}

impl<T> Arena<T> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Stores `item` and returns its handle.
    ///
    /// More than `u32::MAX` nodes cannot come from a source the preprocessor accepts (its output
    /// is limited far below 4 GiB), so the index always fits.
    pub fn alloc(&mut self, item: T, loc: Loc) -> Handle<T> {
        let index = u32::try_from(self.items.len()).unwrap_or(u32::MAX);
        self.items.push(item);
        self.locs.push(loc);
        Handle {
            index,
            marker: PhantomData,
        }
    }

    pub fn get(&self, h: Handle<T>) -> Option<&T> {
        self.items.get(h.index())
    }

    /// Where the node was written.
    pub fn loc(&self, h: Handle<T>) -> Loc {
        self.locs[h.index()]
    }

    pub fn len(&self) -> usize {
        self.items.len()
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Every node with its handle, in allocation order (children before parents).
    pub fn iter(&self) -> impl Iterator<Item = (Handle<T>, &T)> {
        self.items.iter().enumerate().map(|(i, t)| {
            (
                Handle {
                    index: i as u32,
                    marker: PhantomData,
                },
                t,
            )
        })
    }
}

impl<T> Index<Handle<T>> for Arena<T> {
    type Output = T;
    fn index(&self, h: Handle<T>) -> &T {
        &self.items[h.index()]
    }
}
