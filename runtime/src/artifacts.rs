//! What one host needs on its device, independent of where it came from (an `OUT/<host>/`
//! directory of `ddsr compile`, or a revision in the configuration store).
//!
//! Files, named as in `OUT/<host>/`: `p4info.txtpb` (required), `entries.txtpb` (required, one
//! `p4.v1.WriteRequest` whose updates are the desired entries), and the device config, which is
//! `pipeline.json` when present (the softswitch's lowered program) and else `program.p4` (the
//! softswitch compiles P4 source itself). A BMv2 or Tofino target takes its own compiler's
//! output instead; the caller replaces [`HostArtifacts::device_config`] for those.

use std::io;
use std::path::{Path, PathBuf};

use ddsr_proto::p4::config::v1::P4Info;
use ddsr_proto::p4::v1;
use ddsr_proto::text::{self, TextError};
use prost::Message;
use sha2::{Digest, Sha256};

pub const P4INFO: &str = "p4info.txtpb";
pub const ENTRIES: &str = "entries.txtpb";
pub const PIPELINE: &str = "pipeline.json";
pub const PROGRAM: &str = "program.p4";

/// The desired state of one device.
#[derive(Debug, Clone, PartialEq)]
pub struct HostArtifacts {
    pub p4info: P4Info,
    /// Bytes for `ForwardingPipelineConfig.p4_device_config`; `None` when no artifact holds one
    /// (the device must then already run the program, or the caller supplies one).
    pub device_config: Option<Vec<u8>>,
    /// The desired entries, as the compiler wrote them (INSERT updates).
    pub entries: Vec<v1::Update>,
}

/// Why a host's artifacts cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum ArtifactError {
    #[error("`{0}` is missing")]
    Missing(&'static str),
    #[error("cannot read `{}`: {source}", path.display())]
    Io { path: PathBuf, source: io::Error },
    #[error("`{file}` is not UTF-8 text")]
    NotText { file: &'static str },
    #[error("{file}:{source}")]
    Text {
        file: &'static str,
        source: TextError,
    },
}

impl HostArtifacts {
    /// Reads the artifacts of the directory `dir` (`OUT/<host>`).
    pub fn from_dir(dir: &Path) -> Result<HostArtifacts, ArtifactError> {
        Self::read(|name| match std::fs::read(dir.join(name)) {
            Ok(bytes) => Ok(Some(bytes)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(source) => Err(ArtifactError::Io {
                path: dir.join(name),
                source,
            }),
        })
    }

    /// Builds the artifacts from any source of files, `file(name)` giving a file's bytes by its
    /// name in `OUT/<host>/`, or `None` when the set has no such file.
    pub fn from_files(
        mut file: impl FnMut(&str) -> Option<Vec<u8>>,
    ) -> Result<HostArtifacts, ArtifactError> {
        Self::read(|name| Ok(file(name)))
    }

    fn read(
        mut file: impl FnMut(&str) -> Result<Option<Vec<u8>>, ArtifactError>,
    ) -> Result<HostArtifacts, ArtifactError> {
        let p4info: P4Info = parse(P4INFO, file(P4INFO)?)?;
        let request: v1::WriteRequest = parse(ENTRIES, file(ENTRIES)?)?;
        let device_config = match file(PIPELINE)? {
            Some(json) => Some(json),
            None => file(PROGRAM)?,
        };
        Ok(HostArtifacts {
            p4info,
            device_config,
            entries: request.updates,
        })
    }

    /// The pipeline's identity on a device: the first 8 bytes (big-endian) of the SHA-256 of
    /// the encoded P4Info and the device config. Sent as the `ForwardingPipelineConfig`
    /// cookie, so that a loader tells with one cheap `GetForwardingPipelineConfig` whether the
    /// device already runs this program. Entries are left out on purpose: they change without
    /// a pipeline push.
    pub fn cookie(&self) -> u64 {
        let mut h = Sha256::new();
        let info = self.p4info.encode_to_vec();
        h.update((info.len() as u64).to_be_bytes());
        h.update(&info);
        if let Some(config) = &self.device_config {
            h.update(config);
        }
        let digest = h.finalize();
        let mut first = [0; 8];
        first.copy_from_slice(&digest[..8]);
        u64::from_be_bytes(first)
    }
}

fn parse<M: prost::Message + prost::Name + Default>(
    file: &'static str,
    bytes: Option<Vec<u8>>,
) -> Result<M, ArtifactError> {
    let bytes = bytes.ok_or(ArtifactError::Missing(file))?;
    let text = std::str::from_utf8(&bytes).map_err(|_| ArtifactError::NotText { file })?;
    text::from_text(text).map_err(|source| ArtifactError::Text { file, source })
}
