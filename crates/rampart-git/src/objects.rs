//! Writing new objects: loose for small commits, as one pack for large ones.
//!
//! Creating thousands of small loose-object files dominates the cost of a
//! large commit, and libgit2's own pack builders spend most of their time
//! searching for deltas, so large batches are written as a pack of whole
//! (zlib-compressed, undeltified) objects, with its index, by [`crate::pack_file`].

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::BufWriter;
use std::path::PathBuf;

use git2::{ObjectType, Odb, OdbLookupFlags, Oid, Repository};

use crate::content::NewBlob;
use crate::content::zlib;
use crate::pack_file::{self, PackOut, TempPack};
use crate::{FileContent, GitError};

/// From this many new blobs on, objects are written as one pack rather than
/// loose (the same limit as git's `transfer.unpackLimit` default).
pub(crate) const PACK_THRESHOLD: usize = 100;

/// Buffer of the pack file being written.
const PACK_BUFFER: usize = 1 << 20;

/// An object collected for a pack.
enum Entry<'f> {
    /// Its kind and bytes.
    Whole(ObjectType, Cow<'f, [u8]>),
    /// A blob held as a zlib stream (see [`crate::Content::deflate`]), read when the pack
    /// is written: a spooled one is then read back from its spool.
    Deflated(&'f dyn FileContent),
}

/// Objects collected for a pack.
struct Pending<'f> {
    /// The objects with their ids, in the order written.
    objects: Vec<(Oid, Entry<'f>)>,
    /// Ids of `objects`, to store each object once.
    ids: HashSet<Oid>,
}

/// Writes objects to a repository's object database, either one by one or,
/// when created with `pack`, collected and stored as a single pack by
/// [`ObjectWriter::finish`]. Nothing collected is stored without `finish`.
pub(crate) struct ObjectWriter<'r, 'f> {
    /// The repository, for contents only its object database holds.
    repo: &'r Repository,
    /// The repository's object database.
    odb: Odb<'r>,
    /// The pack directory, for error messages.
    pack_dir: PathBuf,
    /// Objects waiting for [`ObjectWriter::finish`], when packing.
    pending: Option<Pending<'f>>,
}

impl<'f> Pending<'f> {
    /// Whether the object `id` is queued or in `odb` already.
    fn has(&self, odb: &Odb<'_>, id: Oid) -> bool {
        self.ids.contains(&id) || odb.exists_ext(id, OdbLookupFlags::NO_REFRESH)
    }

    /// Queues the object `id` unless it is queued or in `odb` already.
    fn queue(&mut self, odb: &Odb<'_>, entry: Entry<'f>, id: Oid) {
        if !self.has(odb, id) {
            self.push(id, entry);
        }
    }

    /// Queues the object `id`, known to be neither queued nor in the object database.
    fn push(&mut self, id: Oid, entry: Entry<'f>) {
        self.ids.insert(id);
        self.objects.push((id, entry));
    }
}

impl<'r, 'f> ObjectWriter<'r, 'f> {
    /// A writer for `repo`; with `pack`, objects are collected for one pack, room made
    /// for `blobs` of them (and their trees) at once rather than by doubling.
    pub(crate) fn new(repo: &'r Repository, pack: bool, blobs: usize) -> Result<Self, GitError> {
        let pack_dir = repo.path().join("objects").join("pack");
        let odb = repo.odb().map_err(|e| GitError::WritePack {
            path: pack_dir.clone(),
            source: e.into(),
        })?;
        // Trees: about one per eight files in a render (a namespace's directory).
        let room = blobs + blobs / 8 + 16;
        let pending = pack.then(|| Pending {
            objects: Vec::with_capacity(room),
            ids: HashSet::with_capacity(room),
        });
        Ok(ObjectWriter {
            repo,
            odb,
            pack_dir,
            pending,
        })
    }

    /// Stores (or, when packing, queues) an object and returns its id.
    /// `path` names what it is for, in error messages.
    pub(crate) fn write(
        &mut self,
        kind: ObjectType,
        data: Cow<'f, [u8]>,
        path: &str,
    ) -> Result<Oid, GitError> {
        let write_error = |source| GitError::WriteObject {
            path: path.to_owned(),
            source,
        };
        let Some(pending) = self.pending.as_mut() else {
            return self.odb.write(kind, &data).map_err(write_error);
        };
        let id = Oid::hash_object(kind, &data).map_err(write_error)?;
        pending.queue(&self.odb, Entry::Whole(kind, data), id);
        Ok(id)
    }

    /// Like [`ObjectWriter::write`] for a blob whose id the plan already
    /// computed from the same content, so that it is not hashed again when
    /// packing (libgit2 hashes loose objects itself).
    pub(crate) fn write_blob(&mut self, blob: NewBlob<'f>, path: &str) -> Result<Oid, GitError> {
        let write_error = |source| GitError::WriteObject {
            path: path.to_owned(),
            source,
        };
        let Some(pending) = self.pending.as_mut() else {
            if self.odb.exists_ext(blob.id, OdbLookupFlags::NO_REFRESH) {
                return Ok(blob.id);
            }
            let bytes = blob.content.read(self.repo, path)?;
            let id = self
                .odb
                .write(ObjectType::Blob, &bytes)
                .map_err(write_error)?;
            if id != blob.id {
                // The bytes read back are not the ones the id was computed from.
                return Err(write_error(git2::Error::from_str(&format!(
                    "content of {path} does not match its blob id {}",
                    blob.id
                ))));
            }
            return Ok(id);
        };
        if pending.has(&self.odb, blob.id) {
            return Ok(blob.id);
        }
        let entry = match blob.content.is_deflated() {
            true => Entry::Deflated(blob.content),
            false => Entry::Whole(ObjectType::Blob, blob.content.read(self.repo, path)?),
        };
        pending.push(blob.id, entry);
        Ok(blob.id)
    }

    /// Stores the queued objects, if any, as one pack.
    pub(crate) fn finish(self) -> Result<(), GitError> {
        let Some(pending) = self.pending.filter(|p| !p.objects.is_empty()) else {
            return Ok(());
        };
        let pack_error = |source: Box<dyn std::error::Error + Send + Sync>| GitError::WritePack {
            path: self.pack_dir.clone(),
            source,
        };
        let io_error = |e: std::io::Error| pack_error(e.into());
        let count = u32::try_from(pending.objects.len()).map_err(|e| pack_error(e.into()))?;
        // Entry by entry: blobs are deflated already, so the pack is never held whole in
        // memory, and every id is known, so the index is written here too.
        let (temp, file) = TempPack::create(&self.pack_dir, "pack").map_err(io_error)?;
        let mut pack =
            PackOut::start(BufWriter::with_capacity(PACK_BUFFER, file), count).map_err(io_error)?;
        let mut placed = Vec::with_capacity(pending.objects.len());
        for (id, entry) in &pending.objects {
            let entry = match entry {
                Entry::Deflated(content) => {
                    let (len, data) = deflated(*content, *id)?;
                    pack.entry(*id, ObjectType::Blob, len, &data)
                }
                Entry::Whole(kind, data) => pack.entry(*id, *kind, data.len(), &zlib(data)),
            };
            placed.push(entry.map_err(io_error)?);
        }
        pack_file::store(&self.pack_dir, temp, pack, placed).map_err(io_error)?;
        self.odb.refresh().map_err(|e| pack_error(e.into()))?;
        Ok(())
    }
}

/// The zlib stream (and length) of the blob `id`, queued as held deflated.
fn deflated(content: &dyn FileContent, id: Oid) -> Result<(usize, Cow<'_, [u8]>), GitError> {
    let not_held = || std::io::Error::other("no longer held deflated");
    content
        .deflated()
        .unwrap_or_else(|| Err(not_held()))
        .map_err(|source| GitError::Spool {
            path: format!("blob {id}"),
            source,
        })
}
