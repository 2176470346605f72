//! What a commit needs of a file: its blob id always, its bytes only where they are written
//! (the secret guard, a pack, the work tree). Rendered files are held deflated — the form a
//! pack stores them in, a fraction of their size — in memory or in a [`Spool`] file, or,
//! when an earlier commit already stored them, only as an id into the object database.

use std::borrow::Cow;
use std::io::Read;
use std::sync::Arc;

use flate2::Compression;
use flate2::read::{ZlibDecoder, ZlibEncoder};
use git2::{Oid, Repository};

use crate::spool::{Place, Spool};
use crate::{GitError, blob_id};

/// Requested content of a path, with its blob id.
#[derive(Clone, Copy)]
pub(crate) struct NewBlob<'f> {
    /// The content, borrowed from the request's files.
    pub content: &'f dyn FileContent,
    /// Its blob id, computed once here and used for the tree, the pack and
    /// the index.
    pub id: Oid,
}

/// A file's content as [`crate::commit_files`] and its relatives take it: plain bytes (a
/// `Vec<u8>`) or a [`Content`].
pub trait FileContent: Sync {
    /// Its git blob id.
    fn id(&self) -> Oid;
    /// Its length when known without reading it.
    fn len_hint(&self) -> Option<u64>;
    /// Its bytes when this process holds them (plain or deflated, in memory or spooled);
    /// `None` when only the object database has them. Reading a spool can fail.
    fn held_bytes(&self) -> Option<std::io::Result<Cow<'_, [u8]>>>;
    /// Whether [`FileContent::held_bytes`] has the bytes (without decoding them).
    fn held(&self) -> bool {
        true
    }
    /// Whether the secret guard scanned exactly these bytes and found nothing (see
    /// [`Content::deflate_scanned`]), so that a commit need not scan them again.
    fn guarded(&self) -> bool {
        false
    }
    /// The zlib stream of its bytes and their length, when held deflated: written to a pack
    /// as it is.
    fn deflated(&self) -> Option<std::io::Result<(usize, Cow<'_, [u8]>)>> {
        None
    }
    /// Whether [`FileContent::deflated`] has a stream (without reading a spool for it).
    fn is_deflated(&self) -> bool {
        false
    }
    /// Its bytes, read from `repo`'s object database when not held; `path` names the file
    /// in the error.
    fn read(&self, repo: &Repository, path: &str) -> Result<Cow<'_, [u8]>, GitError> {
        if let Some(bytes) = self.held_bytes() {
            return bytes.map_err(|source| GitError::Spool {
                path: path.to_owned(),
                source,
            });
        }
        let id = self.id();
        let blob = repo.find_blob(id).map_err(|source| GitError::ReadObject {
            id,
            path: path.to_owned(),
            source,
        })?;
        Ok(Cow::Owned(blob.content().to_vec()))
    }
}

impl FileContent for Vec<u8> {
    fn id(&self) -> Oid {
        blob_id(self)
    }

    fn len_hint(&self) -> Option<u64> {
        Some(self.len() as u64)
    }

    fn held_bytes(&self) -> Option<std::io::Result<Cow<'_, [u8]>>> {
        Some(Ok(Cow::Borrowed(self)))
    }
}

/// A file's content with its blob id, held as compactly as its use allows.
#[derive(Clone, PartialEq, Eq)]
pub struct Content {
    id: Oid,
    kept: Kept,
    /// The guard scanned the bytes and found nothing.
    guarded: bool,
}

#[derive(Clone, PartialEq, Eq)]
enum Kept {
    /// The bytes as they are.
    Plain(Vec<u8>),
    /// A zlib stream of `len` bytes.
    Deflated { len: usize, data: Box<[u8]> },
    /// A zlib stream of `len` bytes at `place` in a spool.
    Spooled {
        len: usize,
        place: Place,
        spool: SpoolRef,
    },
    /// Only in the object database (a blob an earlier commit stored).
    Stored,
}

/// A shared spool; two are equal when they are the same file.
#[derive(Clone)]
struct SpoolRef(Arc<Spool>);

impl PartialEq for SpoolRef {
    fn eq(&self, other: &Self) -> bool {
        Arc::ptr_eq(&self.0, &other.0)
    }
}

impl Eq for SpoolRef {}

impl std::fmt::Debug for Content {
    /// The id and size only: contents may be secrets.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let how = match &self.kept {
            Kept::Plain(bytes) => format!("{} bytes", bytes.len()),
            Kept::Deflated { len, data } => format!("{len} bytes deflated to {}", data.len()),
            Kept::Spooled { len, place, .. } => {
                format!("{len} bytes deflated to {} in a spool", place.len)
            }
            Kept::Stored => "stored".to_owned(),
        };
        write!(f, "Content({}, {how})", self.id)
    }
}

impl Content {
    /// `bytes` held as they are.
    pub fn plain(bytes: Vec<u8>) -> Content {
        Content {
            id: blob_id(&bytes),
            kept: Kept::Plain(bytes),
            guarded: false,
        }
    }

    /// `bytes` held deflated (fast zlib, as a pack stores a whole object).
    pub fn deflate(bytes: &[u8]) -> Content {
        Content {
            id: blob_id(bytes),
            kept: Kept::Deflated {
                len: bytes.len(),
                data: zlib(bytes).into_boxed_slice(),
            },
            guarded: false,
        }
    }

    /// Like [`Content::deflate`], with the secret guard run over `bytes` (the file at
    /// `path`) while they are at hand: clean content is marked so that a commit does not
    /// inflate and scan it again; content with findings is not, so the commit's own scan
    /// refuses it with the findings.
    pub fn deflate_scanned(path: &str, bytes: &[u8]) -> Content {
        let mut content = Content::deflate(bytes);
        content.guarded = crate::guard::scan_file(path, bytes).is_empty();
        content
    }

    /// Like [`Content::deflate_scanned`], with the zlib stream put in `spool` rather than
    /// kept in memory.
    pub fn spool_scanned(spool: &Arc<Spool>, path: &str, bytes: &[u8]) -> std::io::Result<Content> {
        let place = spool.append(&zlib(bytes))?;
        Ok(Content {
            id: blob_id(bytes),
            kept: Kept::Spooled {
                len: bytes.len(),
                place,
                spool: SpoolRef(Arc::clone(spool)),
            },
            guarded: crate::guard::scan_file(path, bytes).is_empty(),
        })
    }

    /// The blob `id`, which the repository's object database holds.
    pub fn stored(id: Oid) -> Content {
        Content {
            id,
            kept: Kept::Stored,
            guarded: false,
        }
    }

    /// Whether only the object database holds the bytes.
    pub fn is_stored(&self) -> bool {
        matches!(self.kept, Kept::Stored)
    }
}

impl From<Vec<u8>> for Content {
    fn from(bytes: Vec<u8>) -> Content {
        Content::plain(bytes)
    }
}

impl FileContent for Content {
    fn id(&self) -> Oid {
        self.id
    }

    fn len_hint(&self) -> Option<u64> {
        match &self.kept {
            Kept::Plain(bytes) => Some(bytes.len() as u64),
            Kept::Deflated { len, .. } | Kept::Spooled { len, .. } => Some(*len as u64),
            Kept::Stored => None,
        }
    }

    fn held_bytes(&self) -> Option<std::io::Result<Cow<'_, [u8]>>> {
        match &self.kept {
            Kept::Plain(bytes) => Some(Ok(Cow::Borrowed(bytes))),
            Kept::Deflated { .. } | Kept::Spooled { .. } => Some(
                self.deflated()?
                    .map(|(len, data)| Cow::Owned(inflate(len, &data))),
            ),
            Kept::Stored => None,
        }
    }

    fn held(&self) -> bool {
        !self.is_stored()
    }

    fn deflated(&self) -> Option<std::io::Result<(usize, Cow<'_, [u8]>)>> {
        match &self.kept {
            Kept::Deflated { len, data } => Some(Ok((*len, Cow::Borrowed(data)))),
            Kept::Spooled { len, place, spool } => {
                Some(spool.0.read(*place).map(|data| (*len, Cow::Owned(data))))
            }
            _ => None,
        }
    }

    fn is_deflated(&self) -> bool {
        matches!(self.kept, Kept::Deflated { .. } | Kept::Spooled { .. })
    }

    fn guarded(&self) -> bool {
        self.guarded
    }
}

/// The `len` bytes of the zlib stream `data`. A stream this crate deflated decodes; a short
/// one would show as a different blob id in the work tree and be rewritten.
fn inflate(len: usize, data: &[u8]) -> Vec<u8> {
    let mut bytes = Vec::with_capacity(len);
    let _ = ZlibDecoder::new(data).read_to_end(&mut bytes);
    bytes
}

/// The zlib stream of `bytes` (fast compression), as a pack stores a whole object.
pub(crate) fn zlib(bytes: &[u8]) -> Vec<u8> {
    let mut data = Vec::with_capacity(bytes.len() / 4 + 64);
    // Reading from a byte slice cannot fail.
    let _ = ZlibEncoder::new(bytes, Compression::fast()).read_to_end(&mut data);
    data
}

/// Files by repository path, each with its [`Content`]: what a render hands to a commit.
pub type Files = std::collections::BTreeMap<String, Content>;

/// The bytes of `contents` (path, content), in order: from memory, or from the object
/// database of the repository at `repo_dir`, opened once if any content is only there.
pub fn read_contents<'c>(
    repo_dir: &std::path::Path,
    contents: &[(&str, &'c Content)],
) -> Result<Vec<Cow<'c, [u8]>>, GitError> {
    let mut repo = None;
    let mut out = Vec::with_capacity(contents.len());
    for (path, content) in contents {
        if let Some(bytes) = content.held_bytes() {
            out.push(bytes.map_err(|source| GitError::Spool {
                path: (*path).to_owned(),
                source,
            })?);
            continue;
        }
        let repo = match &mut repo {
            Some(repo) => repo,
            None => repo.insert(crate::repo::open(repo_dir)?),
        };
        out.push(content.read(repo, path)?);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_form_has_the_id_git_gives_the_bytes() {
        let text = b"apiVersion: v1\nkind: ConfigMap\n".repeat(50);
        let plain = Content::plain(text.clone());
        let deflated = Content::deflate(&text);
        assert_eq!(plain.id(), blob_id(&text));
        assert_eq!(deflated.id(), plain.id());
        assert_eq!(deflated.held_bytes().unwrap().unwrap(), &text[..]);
        assert_eq!(deflated.len_hint(), Some(text.len() as u64));
        let (len, data) = deflated.deflated().unwrap().unwrap();
        assert_eq!(len, text.len());
        assert!(data.len() < text.len() / 10, "{} bytes", data.len());
        let stored = Content::stored(plain.id());
        assert!(stored.held_bytes().is_none() && stored.len_hint().is_none());
        assert_eq!(stored.id(), plain.id());
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create_in(dir.path()).unwrap();
        let spooled = Content::spool_scanned(&spool, "a.yaml", &text).unwrap();
        assert_eq!(spooled.id(), plain.id());
        assert!(spooled.guarded() && spooled.held());
        assert_eq!(spooled.held_bytes().unwrap().unwrap(), &text[..]);
        assert_eq!(spooled.len_hint(), Some(text.len() as u64));
        assert!(spooled.is_deflated() && deflated.is_deflated());
        assert!(!plain.is_deflated() && !stored.is_deflated());
        let (len, spooled_data) = spooled.deflated().unwrap().unwrap();
        assert_eq!((len, &spooled_data[..]), (text.len(), &data[..]));
        assert_eq!(spool.len(), data.len() as u64);
        assert!(format!("{spooled:?}").ends_with("in a spool)"));
    }

    #[test]
    fn debug_never_shows_the_bytes() {
        let shown = format!("{:?}", Content::plain(b"hunter2".to_vec()));
        assert!(
            !shown.contains("hunter2") && shown.contains("7 bytes"),
            "{shown}"
        );
    }
}
