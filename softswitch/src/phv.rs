//! The packet header vector: every field of every header and metadata instance of one packet.
//!
//! Fields live in `u128` slots, always reduced to their width (two's complement for `int<N>`);
//! validity, a dirty flag (written since parsing, so the deparser must rewrite it) and the stack
//! indices sit beside them. One `Phv` is allocated per switch and reset per packet, so the hot
//! path does not allocate.

use crate::layout::Layout;

#[derive(Debug, Clone)]
pub struct Phv {
    pub slots: Vec<u128>,
    pub valid: Vec<bool>,
    pub dirty: Vec<bool>,
    pub varbit: Vec<u8>,
    /// `nextIndex` of each stack.
    pub next: Vec<u32>,
}

impl Phv {
    pub fn new(layout: &Layout, stacks: usize) -> Phv {
        Phv {
            slots: vec![0; layout.slots],
            valid: layout.valid_init.clone(),
            dirty: vec![false; layout.headers.len()],
            varbit: vec![0; layout.varbit_bytes],
            next: vec![0; stacks],
        }
    }

    /// Back to the state before parsing: metadata zero and valid, headers invalid.
    pub fn reset(&mut self, layout: &Layout) {
        self.slots.fill(0);
        self.valid.copy_from_slice(&layout.valid_init);
        self.dirty.fill(false);
        self.next.fill(0);
    }

    /// Copies another PHV of the same layout without reallocating.
    pub fn copy_from(&mut self, other: &Phv) {
        self.slots.copy_from_slice(&other.slots);
        self.valid.copy_from_slice(&other.valid);
        self.dirty.copy_from_slice(&other.dirty);
        self.varbit.copy_from_slice(&other.varbit);
        self.next.copy_from_slice(&other.next);
    }
}
