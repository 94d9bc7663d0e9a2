//! Where each header and field lives in the packet header vector ([`crate::phv::Phv`]),
//! computed once when a pipeline is loaded so the hot path indexes instead of searching.

use ddsr_pipeline::types::{FieldRef, HeaderRef, Ty};
use ddsr_pipeline::{Handle, Header, Pipeline};

/// Slot of a standard metadata field, or `None` when the pipeline's type omits it.
#[derive(Debug, Clone, Copy, Default)]
pub struct StdMeta {
    pub ingress_port: u32,
    pub egress_spec: u32,
    pub egress_port: u32,
    pub instance_type: u32,
    pub packet_length: u32,
    pub mcast_grp: Option<u32>,
    pub egress_rid: Option<u32>,
    pub checksum_error: Option<u32>,
    pub parser_error: Option<u32>,
    pub ingress_global_timestamp: Option<u32>,
    pub egress_global_timestamp: Option<u32>,
    pub enq_timestamp: Option<u32>,
    pub deq_timedelta: Option<u32>,
}

/// Per-header facts.
#[derive(Debug, Clone)]
pub struct HeaderLayout {
    /// First slot of the header's fields.
    pub base: u32,
    pub fields: u16,
    /// Fixed bits (varbit excluded).
    pub fixed_bits: u32,
    /// Index of the varbit field, if any, and its byte offset in the varbit area.
    pub varbit: Option<(u16, u32)>,
    pub metadata: bool,
    /// The union the header belongs to.
    pub union: Option<u32>,
}

#[derive(Debug, Clone)]
pub struct Layout {
    pub headers: Vec<HeaderLayout>,
    /// Type of each slot.
    pub slot_ty: Vec<Ty>,
    /// Header of each slot (to mark headers dirty on writes).
    pub slot_header: Vec<u32>,
    pub slots: usize,
    /// Bytes of varbit storage.
    pub varbit_bytes: usize,
    /// Initial validity: metadata valid, packet headers invalid.
    pub valid_init: Vec<bool>,
    pub std: StdMeta,
}

impl Layout {
    /// The layout of `p`'s headers; `sm` is its standard metadata instance.
    pub fn new(p: &Pipeline, sm: Handle<Header>) -> Layout {
        let mut headers = Vec::with_capacity(p.headers.len());
        let mut slot_ty = Vec::new();
        let mut slot_header = Vec::new();
        let mut varbit_bytes = 0u32;
        let mut union_of = vec![None; p.headers.len()];
        for (u, un) in p.unions.iter() {
            for m in &un.members {
                union_of[m.index()] = Some(u.raw());
            }
        }
        for (h, hd) in p.headers.iter() {
            let ty = &p.header_types[hd.ty];
            let base = slot_ty.len() as u32;
            let mut varbit = None;
            for (i, f) in ty.fields.iter().enumerate() {
                if let Ty::Varbit(max) = f.ty {
                    varbit = Some((i as u16, varbit_bytes));
                    varbit_bytes += u32::from(max).div_ceil(8);
                }
                slot_ty.push(f.ty);
                slot_header.push(h.raw());
            }
            headers.push(HeaderLayout {
                base,
                fields: ty.fields.len() as u16,
                fixed_bits: ty.fixed_width(),
                varbit,
                metadata: hd.metadata,
                union: union_of[h.index()],
            });
        }
        let smt = &p.header_types[p.headers[sm].ty];
        let base = headers[sm.index()].base;
        let slot = |name: &str| smt.field_index(name).map(|i| base + u32::from(i));
        let std = StdMeta {
            ingress_port: slot("ingress_port").unwrap_or(0),
            egress_spec: slot("egress_spec").unwrap_or(0),
            egress_port: slot("egress_port").unwrap_or(0),
            instance_type: slot("instance_type").unwrap_or(0),
            packet_length: slot("packet_length").unwrap_or(0),
            mcast_grp: slot("mcast_grp"),
            egress_rid: slot("egress_rid"),
            checksum_error: slot("checksum_error"),
            parser_error: slot("parser_error"),
            ingress_global_timestamp: slot("ingress_global_timestamp"),
            egress_global_timestamp: slot("egress_global_timestamp"),
            enq_timestamp: slot("enq_timestamp"),
            deq_timedelta: slot("deq_timedelta"),
        };
        Layout {
            valid_init: p.headers.iter().map(|(_, h)| h.metadata).collect(),
            slots: slot_ty.len(),
            headers,
            slot_ty,
            slot_header,
            varbit_bytes: varbit_bytes as usize,
            std,
        }
    }

    /// Slot of a field of a fixed instance.
    #[inline]
    pub fn slot(&self, h: Handle<Header>, field: u16) -> u32 {
        self.headers[h.index()].base + u32::from(field)
    }

    /// Slot of a field reference given the stacks' next indices, or `None` when `next`/`last`
    /// is out of bounds.
    #[inline]
    pub fn resolve(&self, p: &Pipeline, next: &[u32], f: FieldRef) -> Option<u32> {
        let h = resolve_header(p, next, f.header)?;
        Some(self.slot(h, f.field))
    }
}

/// The instance a header reference names now, or `None` when a stack index is out of bounds.
#[inline]
pub fn resolve_header(p: &Pipeline, next: &[u32], r: HeaderRef) -> Option<Handle<Header>> {
    match r {
        HeaderRef::Instance(h) => Some(h),
        HeaderRef::Next(s) => p.stacks[s].elements.get(next[s.index()] as usize).copied(),
        HeaderRef::Last(s) => (next[s.index()] as usize)
            .checked_sub(1)
            .and_then(|i| p.stacks[s].elements.get(i).copied()),
    }
}
