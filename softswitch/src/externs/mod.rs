//! Stateful extern instances: counters, meters, registers, action profiles and selectors.

pub mod hash;
pub mod meter;
pub mod profile;

use ddsr_pipeline::Pipeline;
use ddsr_pipeline::externs::ExternKind;

use meter::Meter;
use profile::Profile;

/// A packet and byte count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Count {
    pub packets: u64,
    pub bytes: u64,
}

/// The state of one extern instance, indexed like `Pipeline::externs`.
#[derive(Debug, Clone)]
pub enum ExternState {
    Counter(Vec<Count>),
    Meter(Vec<Meter>),
    Register(Vec<u128>),
    Profile(Profile),
    /// Direct counters and meters live with the table entries; digests have no state.
    Stateless,
}

impl ExternState {
    pub fn for_pipeline(p: &Pipeline) -> Vec<ExternState> {
        p.externs
            .iter()
            .map(|(_, e)| match &e.kind {
                ExternKind::Counter { size, .. } => {
                    ExternState::Counter(vec![Count::default(); *size as usize])
                }
                ExternKind::Meter { size, .. } => {
                    ExternState::Meter(vec![Meter::default(); *size as usize])
                }
                ExternKind::Register { size, .. } => ExternState::Register(vec![0; *size as usize]),
                ExternKind::ActionProfile { size } | ExternKind::ActionSelector { size, .. } => {
                    ExternState::Profile(Profile::new(*size))
                }
                ExternKind::DirectCounter { .. }
                | ExternKind::DirectMeter { .. }
                | ExternKind::Digest { .. } => ExternState::Stateless,
            })
            .collect()
    }
}
