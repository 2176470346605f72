//! Writing new objects: loose for small commits, as one pack for large ones.
//!
//! Creating thousands of small loose-object files dominates the cost of a
//! large commit, and libgit2's own pack builders spend most of their time
//! searching for deltas, so large batches are written as a pack of whole
//! (zlib-compressed, undeltified) objects built here and handed to libgit2's
//! indexer, which checks it and writes the `.pack` / `.idx` pair.

use std::borrow::Cow;
use std::collections::HashSet;
use std::io::Write;
use std::path::PathBuf;

use flate2::{Compress, Compression, FlushCompress, Status};
use git2::{ObjectType, Odb, OdbLookupFlags, Oid, Repository};

use crate::GitError;
use crate::plan::NewBlob;

/// From this many new blobs on, objects are written as one pack rather than
/// loose (the same limit as git's `transfer.unpackLimit` default).
pub(crate) const PACK_THRESHOLD: usize = 100;

/// Bytes handed to libgit2's pack indexer at a time.
const INDEXER_CHUNK: usize = 8 << 20;

/// An object collected for a pack.
enum Entry<'f> {
    /// Its kind and bytes.
    Whole(ObjectType, Cow<'f, [u8]>),
    /// A blob of `len` bytes, already a zlib stream (see [`crate::Content::deflate`]).
    Deflated { len: usize, data: &'f [u8] },
}

/// Objects collected for a pack.
struct Pending<'f> {
    /// The objects, in the order written.
    objects: Vec<Entry<'f>>,
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
            self.ids.insert(id);
            self.objects.push(entry);
        }
    }
}

impl<'r, 'f> ObjectWriter<'r, 'f> {
    /// A writer for `repo`; with `pack`, objects are collected for one pack.
    pub(crate) fn new(repo: &'r Repository, pack: bool) -> Result<Self, GitError> {
        let pack_dir = repo.path().join("objects").join("pack");
        let odb = repo.odb().map_err(|e| GitError::WritePack {
            path: pack_dir.clone(),
            source: e.into(),
        })?;
        let pending = pack.then(|| Pending {
            objects: Vec::new(),
            ids: HashSet::new(),
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
            debug_assert_eq!(id, blob.id, "blob id of {path}");
            return Ok(id);
        };
        if pending.has(&self.odb, blob.id) {
            return Ok(blob.id);
        }
        let entry = match blob.content.deflated() {
            Some((len, data)) => Entry::Deflated { len, data },
            None => Entry::Whole(ObjectType::Blob, blob.content.read(self.repo, path)?),
        };
        pending.queue(&self.odb, entry, blob.id);
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
        let count = u32::try_from(pending.objects.len()).map_err(|e| pack_error(e.into()))?;
        // Entry by entry into libgit2's indexer: blobs are deflated already, so the pack
        // is never held whole in memory.
        // libgit2's indexer maps and unmaps its window on every write: feed it in large
        // chunks.
        let writer = self.odb.packwriter().map_err(|e| pack_error(e.into()))?;
        let mut writer = std::io::BufWriter::with_capacity(INDEXER_CHUNK, writer);
        write_pack(&mut writer, count, &pending.objects).map_err(|e| pack_error(e.into()))?;
        let mut writer = writer
            .into_inner()
            .map_err(|e| pack_error(e.into_error().into()))?;
        writer.commit().map_err(|e| pack_error(e.into()))?;
        Ok(())
    }
}

/// Writes a version-2 pack file holding the `count` `objects` whole to `out`.
fn write_pack(out: &mut impl Write, count: u32, objects: &[Entry<'_>]) -> std::io::Result<()> {
    let mut checksum = sha1_smol::Sha1::new();
    let mut put = |bytes: &[u8]| {
        checksum.update(bytes);
        out.write_all(bytes)
    };
    put(b"PACK")?;
    put(&2u32.to_be_bytes())?;
    put(&count.to_be_bytes())?;
    let mut buffer = Vec::new();
    let mut compress = Compress::new(Compression::fast(), true);
    for entry in objects {
        buffer.clear();
        match entry {
            Entry::Deflated { len, data } => {
                entry_header(&mut buffer, ObjectType::Blob, *len);
                put(&buffer)?;
                put(data)?;
            }
            Entry::Whole(kind, data) => {
                entry_header(&mut buffer, *kind, data.len());
                deflate_into(&mut compress, data, &mut buffer).map_err(std::io::Error::other)?;
                put(&buffer)?;
            }
        }
    }
    out.write_all(&checksum.digest().bytes())
}

/// Appends the zlib stream of `data` to `out`.
fn deflate_into(
    compress: &mut Compress,
    data: &[u8],
    out: &mut Vec<u8>,
) -> Result<(), flate2::CompressError> {
    compress.reset();
    loop {
        out.reserve(data.len() / 2 + 64);
        let consumed = usize::try_from(compress.total_in())
            .unwrap_or(usize::MAX)
            .min(data.len());
        if compress.compress_vec(&data[consumed..], out, FlushCompress::Finish)?
            == Status::StreamEnd
        {
            return Ok(());
        }
    }
}

/// Appends a pack entry's header: type and size, least significant bits first, 7 bits a
/// byte after the first 4.
fn entry_header(out: &mut Vec<u8>, kind: ObjectType, size: usize) {
    let type_code: u8 = match kind {
        ObjectType::Commit => 1,
        ObjectType::Tree => 2,
        ObjectType::Tag => 4,
        _ => 3,
    };
    let mut size = size;
    let mut byte = (type_code << 4) | (size & 0x0f) as u8;
    size >>= 4;
    while size > 0 {
        out.push(byte | 0x80);
        byte = (size & 0x7f) as u8;
        size >>= 7;
    }
    out.push(byte);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_is_header_entries_and_checksum_of_both() -> std::io::Result<()> {
        let mut out = Vec::new();
        let deflated = crate::Content::deflate(b"hello\n");
        let (len, data) = crate::FileContent::deflated(&deflated).unwrap();
        let entries = [
            Entry::Deflated { len, data },
            Entry::Whole(ObjectType::Blob, Cow::Borrowed(b"hello\n")),
        ];
        write_pack(&mut out, 2, &entries)?;
        let (body, trailer) = out.split_at(out.len() - 20);
        assert_eq!(&body[..12], b"PACK\0\0\0\x02\0\0\0\x02");
        assert_eq!(trailer, sha1_smol::Sha1::from(body).digest().bytes());
        // Blob of 6 bytes: type 3, size 6, in one header byte; then its zlib stream.
        assert_eq!(body[12], 0x36);
        assert_eq!(&body[13..13 + data.len()], data);
        let second = &body[13 + data.len()..];
        assert_eq!(second[0], 0x36);
        let mut inflated = Vec::new();
        std::io::Read::read_to_end(
            &mut flate2::read::ZlibDecoder::new(&second[1..]),
            &mut inflated,
        )?;
        assert_eq!(inflated, b"hello\n");
        Ok(())
    }
}
