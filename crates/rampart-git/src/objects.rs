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

/// Objects collected for a pack.
struct Pending<'f> {
    /// Kind and content of each object, in the order written.
    objects: Vec<(ObjectType, Cow<'f, [u8]>)>,
    /// Ids of `objects`, to store each object once.
    ids: HashSet<Oid>,
}

/// Writes objects to a repository's object database, either one by one or,
/// when created with `pack`, collected and stored as a single pack by
/// [`ObjectWriter::finish`]. Nothing collected is stored without `finish`.
pub(crate) struct ObjectWriter<'r, 'f> {
    /// The repository's object database.
    odb: Odb<'r>,
    /// The pack directory, for error messages.
    pack_dir: PathBuf,
    /// Objects waiting for [`ObjectWriter::finish`], when packing.
    pending: Option<Pending<'f>>,
}

impl<'f> Pending<'f> {
    /// Queues the object `id` unless it is queued or in `odb` already.
    fn queue(&mut self, odb: &Odb<'_>, kind: ObjectType, data: Cow<'f, [u8]>, id: Oid) {
        if !self.ids.contains(&id) && !odb.exists_ext(id, OdbLookupFlags::NO_REFRESH) {
            self.ids.insert(id);
            self.objects.push((kind, data));
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
        pending.queue(&self.odb, kind, data, id);
        Ok(id)
    }

    /// Like [`ObjectWriter::write`] for a blob whose id the plan already
    /// computed from the same content, so that it is not hashed again when
    /// packing (libgit2 hashes loose objects itself).
    pub(crate) fn write_blob(&mut self, blob: NewBlob<'f>, path: &str) -> Result<Oid, GitError> {
        let Some(pending) = self.pending.as_mut() else {
            let id = self
                .odb
                .write(ObjectType::Blob, blob.content)
                .map_err(|source| GitError::WriteObject {
                    path: path.to_owned(),
                    source,
                })?;
            debug_assert_eq!(id, blob.id, "blob id of {path}");
            return Ok(id);
        };
        pending.queue(
            &self.odb,
            ObjectType::Blob,
            Cow::Borrowed(blob.content),
            blob.id,
        );
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
        let parts = encode_parallel(&pending.objects).map_err(|e| pack_error(e.into()))?;
        drop(pending);
        // The entries go to libgit2's indexer part by part rather than as one
        // concatenated copy of the whole pack.
        let mut writer = self.odb.packwriter().map_err(|e| pack_error(e.into()))?;
        write_pack(&mut writer, count, parts).map_err(|e| pack_error(e.into()))?;
        writer.commit().map_err(|e| pack_error(e.into()))?;
        Ok(())
    }
}

/// The pack entries of `objects`, compressed in parallel: consecutive runs
/// of objects, each run's entries concatenated.
fn encode_parallel(
    objects: &[(ObjectType, Cow<'_, [u8]>)],
) -> Result<Vec<Vec<u8>>, flate2::CompressError> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(8);
    let chunk = objects.len().div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        let workers: Vec<_> = objects
            .chunks(chunk)
            .map(|part| scope.spawn(move || encode_entries(part)))
            .collect();
        workers
            .into_iter()
            .map(|worker| {
                worker
                    .join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Writes a version-2 pack file holding `count` objects whole, whose entries
/// are `parts` concatenated, to `out`; each part is freed once written.
fn write_pack(out: &mut impl Write, count: u32, parts: Vec<Vec<u8>>) -> std::io::Result<()> {
    let mut checksum = sha1_smol::Sha1::new();
    let mut put = |bytes: &[u8]| {
        checksum.update(bytes);
        out.write_all(bytes)
    };
    put(b"PACK")?;
    put(&2u32.to_be_bytes())?;
    put(&count.to_be_bytes())?;
    for part in parts {
        put(&part)?;
    }
    out.write_all(&checksum.digest().bytes())
}

/// The pack entries (header and zlib stream) of `objects`, concatenated.
fn encode_entries(
    objects: &[(ObjectType, Cow<'_, [u8]>)],
) -> Result<Vec<u8>, flate2::CompressError> {
    let mut out = Vec::with_capacity(objects.iter().map(|(_, data)| data.len() / 3 + 32).sum());
    let mut compress = Compress::new(Compression::fast(), true);
    for (kind, data) in objects {
        let type_code: u8 = match kind {
            ObjectType::Commit => 1,
            ObjectType::Tree => 2,
            ObjectType::Tag => 4,
            _ => 3,
        };
        // Header: type and size, least significant bits first, 7 bits a byte after the first 4.
        let mut size = data.len();
        let mut byte = (type_code << 4) | (size & 0x0f) as u8;
        size >>= 4;
        while size > 0 {
            out.push(byte | 0x80);
            byte = (size & 0x7f) as u8;
            size >>= 7;
        }
        out.push(byte);

        compress.reset();
        loop {
            out.reserve(data.len() / 2 + 64);
            let consumed = usize::try_from(compress.total_in())
                .unwrap_or(usize::MAX)
                .min(data.len());
            if compress.compress_vec(&data[consumed..], &mut out, FlushCompress::Finish)?
                == Status::StreamEnd
            {
                break;
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_is_header_parts_and_checksum_of_both() -> std::io::Result<()> {
        let mut out = Vec::new();
        write_pack(
            &mut out,
            3,
            vec![b"ab".to_vec(), Vec::new(), b"cde".to_vec()],
        )?;
        let (body, trailer) = out.split_at(out.len() - 20);
        assert_eq!(body, b"PACK\0\0\0\x02\0\0\0\x03abcde");
        assert_eq!(trailer, sha1_smol::Sha1::from(body).digest().bytes());
        Ok(())
    }
}
