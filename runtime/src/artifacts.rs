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
        let entries = text_of(ENTRIES, file(ENTRIES)?)?;
        let updates = updates(entries).map_err(|source| ArtifactError::Text {
            file: ENTRIES,
            source,
        })?;
        let device_config = match file(PIPELINE)? {
            Some(json) => Some(json),
            None => file(PROGRAM)?,
        };
        Ok(HostArtifacts {
            p4info,
            device_config,
            entries: updates,
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

fn text_of(file: &'static str, bytes: Option<Vec<u8>>) -> Result<String, ArtifactError> {
    let bytes = bytes.ok_or(ArtifactError::Missing(file))?;
    String::from_utf8(bytes).map_err(|_| ArtifactError::NotText { file })
}

fn parse<M: prost::Message + prost::Name + Default>(
    file: &'static str,
    bytes: Option<Vec<u8>>,
) -> Result<M, ArtifactError> {
    let text = text_of(file, bytes)?;
    text::from_text(&text).map_err(|source| ArtifactError::Text { file, source })
}

/// The updates of a `WriteRequest` in text format, read one top-level `updates { ... }` block
/// at a time: the text-format reader builds a dynamic tree of the whole message first, about
/// 18 times the size of the text (1.9 GB for a 200,000-entry host). What is left once the
/// blocks are cut out (device id, election id) is still read as a `WriteRequest`, so the file
/// is checked whole; anything the cutting does not understand is read the slow way.
fn updates(text: String) -> Result<Vec<v1::Update>, TextError> {
    let Some(blocks) = update_blocks(&text) else {
        return Ok(text::from_text::<v1::WriteRequest>(&text)?.updates);
    };
    let mut rest = String::new();
    let mut last = 0;
    let mut out = Vec::with_capacity(blocks.len());
    for b in &blocks {
        rest.push_str(&text[last..b.field]);
        last = b.end;
        let inner = &text[b.body.clone()];
        out.push(text::from_text::<v1::Update>(inner).map_err(|e| shift(&text, b.body.start, e))?);
    }
    rest.push_str(&text[last..]);
    let header: v1::WriteRequest = text::from_text(&rest)?;
    if !header.updates.is_empty() {
        // Updates in another spelling (`updates: [...]`) too: keep the file's order.
        return Ok(text::from_text::<v1::WriteRequest>(&text)?.updates);
    }
    Ok(out)
}

/// A top-level `updates { ... }` field: where its name starts, its body, and its end.
struct Block {
    field: usize,
    body: std::ops::Range<usize>,
    end: usize,
}

/// The top-level `updates` message fields of a text-format message, or `None` when the
/// brackets or strings do not balance (the full reader then reports where).
fn update_blocks(text: &str) -> Option<Vec<Block>> {
    let bytes = text.as_bytes();
    let mut blocks = Vec::new();
    let (mut depth, mut open) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            q @ (b'"' | b'\'') => {
                i += 1;
                while i < bytes.len() && bytes[i] != q {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
                if i >= bytes.len() {
                    return None;
                }
            }
            b'#' => {
                while i < bytes.len() && bytes[i] != b'\n' {
                    i += 1;
                }
            }
            b'{' | b'<' => {
                if depth == 0 {
                    open = i;
                }
                depth += 1;
            }
            b'}' | b'>' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    let name = text[..open].trim_end().trim_end_matches(':').trim_end();
                    let start = name
                        .rfind(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                        .map_or(0, |p| p + 1);
                    if &name[start..] == "updates" {
                        blocks.push(Block {
                            field: start,
                            body: open + 1..i,
                            end: i + 1,
                        });
                    }
                }
            }
            _ => {}
        }
        i += 1;
    }
    (depth == 0).then_some(blocks)
}

/// A syntax error of a block, moved to its place in the whole text.
fn shift(text: &str, offset: usize, e: TextError) -> TextError {
    let TextError::Syntax { message, span, .. } = e else {
        return e;
    };
    let at = offset + span.as_ref().map_or(0, |s| s.start);
    let line = text[..at].matches('\n').count() + 1;
    let column = at - text[..at].rfind('\n').map_or(0, |p| p + 1) + 1;
    TextError::Syntax {
        message,
        span: span.map(|s| s.start + offset..s.end + offset),
        line,
        column,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENTRY: &str = "type: INSERT entity { table_entry { table_id: 7 match { field_id: 1 exact { value: \"{\\175#>\" } } } }";

    /// Cutting blocks gives what the whole-message reader gives, with brackets, `#` and
    /// escapes inside strings, comments, `<>` and `:` spellings.
    #[test]
    fn block_reading_equals_whole_reading() {
        let text = format!(
            "device_id: 1\n# a comment with updates {{ in it\nupdates {{ {ENTRY} }}\nelection_id < low: 1 >\nupdates: < {ENTRY} >\n"
        );
        let whole = text::from_text::<v1::WriteRequest>(&text).unwrap().updates;
        assert_eq!(whole.len(), 2);
        assert!(update_blocks(&text).unwrap().len() == 2);
        assert_eq!(updates(text).unwrap(), whole);
    }

    /// The list spelling is read the slow way, in file order; unbalanced text is reported by
    /// the whole reader.
    #[test]
    fn other_spellings_and_errors() {
        let text = format!("updates {{ {ENTRY} }}\nupdates: [ {{ {ENTRY} }} ]\n");
        assert_eq!(updates(text).unwrap().len(), 2);
        assert!(update_blocks("updates { \"x }").is_none());
        assert!(updates("updates { type: INSERT".into()).is_err());
    }

    /// An error inside the third block is reported at its line and column in the file.
    #[test]
    fn errors_in_a_block_point_into_the_file() {
        let text = format!(
            "device_id: 1\nupdates {{ {ENTRY} }}\nupdates {{\n  type: INSERT\n  entity {{ nonsense: 3 }}\n}}\n"
        );
        let e = updates(text).unwrap_err();
        let TextError::Syntax { line, column, .. } = e else {
            panic!("{e:?}")
        };
        assert_eq!((line, column), (5, 12));
    }
}
