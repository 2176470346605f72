//! A pack of whole objects and its version-2 index, written straight into
//! `objects/pack`. Handing the pack to libgit2's indexer instead would inflate and hash
//! every object once more, although each object's id is known already.

use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use git2::{ObjectType, Oid};
use sha1::Digest;

/// Where one object went in the pack: what the index records of it.
pub(crate) struct Placed {
    /// The object's id.
    pub id: Oid,
    /// Offset of its entry from the start of the pack.
    pub offset: u64,
    /// CRC-32 of its entry (header and zlib stream) as stored.
    pub crc: u32,
}

/// Writes pack bytes while keeping the running offset, the pack checksum and the CRC of
/// the current entry.
pub(crate) struct PackOut<W: Write> {
    out: W,
    offset: u64,
    checksum: sha1::Sha1,
    crc: flate2::Crc,
}

impl<W: Write> PackOut<W> {
    /// A pack of `count` objects, its header written.
    pub(crate) fn start(out: W, count: u32) -> std::io::Result<Self> {
        let mut pack = PackOut {
            out,
            offset: 0,
            checksum: sha1::Sha1::new(),
            crc: flate2::Crc::new(),
        };
        pack.put(b"PACK")?;
        pack.put(&2u32.to_be_bytes())?;
        pack.put(&count.to_be_bytes())?;
        Ok(pack)
    }

    fn put(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.checksum.update(bytes);
        self.crc.update(bytes);
        self.offset += bytes.len() as u64;
        self.out.write_all(bytes)
    }

    /// Appends the entry of object `id`: its header for `kind` and `size`, then `deflated`
    /// (its zlib stream).
    pub(crate) fn entry(
        &mut self,
        id: Oid,
        kind: ObjectType,
        size: usize,
        deflated: &[u8],
    ) -> std::io::Result<Placed> {
        let offset = self.offset;
        self.crc.reset();
        let mut header = Vec::with_capacity(10);
        entry_header(&mut header, kind, size);
        self.put(&header)?;
        self.put(deflated)?;
        Ok(Placed {
            id,
            offset,
            crc: self.crc.sum(),
        })
    }

    /// Writes the trailing checksum and returns it with the writer.
    pub(crate) fn finish(mut self) -> std::io::Result<([u8; 20], W)> {
        let checksum: [u8; 20] = self.checksum.finalize().into();
        self.out.write_all(&checksum)?;
        Ok((checksum, self.out))
    }
}

/// Appends a pack entry's header: type and size, least significant bits first, 7 bits a
/// byte after the first 4.
pub(crate) fn entry_header(out: &mut Vec<u8>, kind: ObjectType, size: usize) {
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

/// The version-2 index of a pack whose entries are `placed` and whose checksum is
/// `pack_checksum` (git's `Documentation/gitformat-pack.txt`).
pub(crate) fn index_bytes(placed: &mut [Placed], pack_checksum: &[u8; 20]) -> Vec<u8> {
    placed.sort_by_key(|p| p.id);
    let mut out = Vec::with_capacity(1072 + placed.len() * 28 + 40);
    out.extend_from_slice(b"\xfftOc");
    out.extend_from_slice(&2u32.to_be_bytes());
    let mut fanout = [0u32; 256];
    for p in placed.iter() {
        fanout[usize::from(p.id.as_bytes()[0])] += 1;
    }
    let mut total = 0u32;
    for count in fanout {
        total += count;
        out.extend_from_slice(&total.to_be_bytes());
    }
    for p in placed.iter() {
        out.extend_from_slice(p.id.as_bytes());
    }
    for p in placed.iter() {
        out.extend_from_slice(&p.crc.to_be_bytes());
    }
    let mut large = Vec::new();
    for p in placed.iter() {
        let small = match u32::try_from(p.offset) {
            Ok(offset) if offset < 0x8000_0000 => offset,
            _ => {
                large.push(p.offset);
                0x8000_0000 | (large.len() - 1) as u32
            }
        };
        out.extend_from_slice(&small.to_be_bytes());
    }
    for offset in large {
        out.extend_from_slice(&offset.to_be_bytes());
    }
    out.extend_from_slice(pack_checksum);
    let checksum = sha1::Sha1::digest(&out);
    out.extend_from_slice(&checksum);
    out
}

/// A new file in `dir` for a pack being written, removed on drop unless kept.
pub(crate) struct TempPack {
    path: PathBuf,
    keep: bool,
}

impl TempPack {
    /// Creates `dir/tmp_rampart_<pid>_<n>_<suffix>`.
    pub(crate) fn create(dir: &Path, suffix: &str) -> std::io::Result<(TempPack, File)> {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = dir.join(format!(
            "tmp_rampart_{}_{stamp}_{suffix}",
            std::process::id()
        ));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        Ok((TempPack { path, keep: false }, file))
    }

    /// Moves the file to `to`, read-only as git keeps packs.
    pub(crate) fn persist(mut self, to: &Path) -> std::io::Result<()> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            fs::set_permissions(&self.path, fs::Permissions::from_mode(0o444))?;
        }
        fs::rename(&self.path, to)?;
        self.keep = true;
        Ok(())
    }
}

impl Drop for TempPack {
    fn drop(&mut self) {
        if !self.keep {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Writes `pack` (a writer fed by [`PackOut`]) and its index as
/// `dir/pack-<checksum>.{pack,idx}`: the pack first, so that the index — which makes it
/// visible — never names a missing pack.
pub(crate) fn store(
    dir: &Path,
    temp: TempPack,
    pack: PackOut<BufWriter<File>>,
    mut placed: Vec<Placed>,
) -> std::io::Result<()> {
    let (checksum, out) = pack.finish()?;
    let file = out.into_inner().map_err(|e| e.into_error())?;
    file.sync_all()?;
    drop(file);
    let name: String = checksum.iter().map(|b| format!("{b:02x}")).collect();
    let (temp_index, mut index_file) = TempPack::create(dir, "idx")?;
    index_file.write_all(&index_bytes(&mut placed, &checksum))?;
    index_file.sync_all()?;
    drop(index_file);
    let pack_path = dir.join(format!("pack-{name}.pack"));
    let index_path = dir.join(format!("pack-{name}.idx"));
    if index_path.exists() {
        return Ok(()); // the same objects, packed before
    }
    temp.persist(&pack_path)?;
    temp_index.persist(&index_path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_sizes_use_seven_bits_a_byte_after_the_first_four() {
        let mut out = Vec::new();
        entry_header(&mut out, ObjectType::Blob, 6);
        assert_eq!(out, [0x36]);
        out.clear();
        entry_header(&mut out, ObjectType::Tree, 0x1234);
        // 0x1234 = 0b1_0010_0011_0100: low 4 bits 0100, then 0100011, then 0 with stop.
        assert_eq!(out, [0x80 | 0x20 | 0x04, 0x80 | 0x23, 0x02]);
    }

    #[test]
    fn index_has_fanout_sorted_names_crcs_offsets_and_both_checksums() {
        let id = |b: u8| Oid::from_bytes(&[b; 20]).unwrap();
        let mut placed = vec![
            Placed {
                id: id(0xab),
                offset: 12,
                crc: 7,
            },
            Placed {
                id: id(0x01),
                offset: 40,
                crc: 9,
            },
            Placed {
                id: id(0x02),
                offset: 1 << 33,
                crc: 1,
            },
        ];
        let index = index_bytes(&mut placed, &[5; 20]);
        assert_eq!(&index[..8], b"\xfftOc\0\0\0\x02");
        let fanout =
            |i: usize| u32::from_be_bytes(index[8 + 4 * i..12 + 4 * i].try_into().unwrap());
        assert_eq!(
            (fanout(0), fanout(1), fanout(2), fanout(0xab), fanout(255)),
            (0, 1, 2, 3, 3)
        );
        let names = 8 + 1024;
        assert_eq!(&index[names..names + 20], &[0x01; 20]);
        let crcs = names + 60;
        assert_eq!(&index[crcs..crcs + 4], &9u32.to_be_bytes());
        let offsets = crcs + 12;
        assert_eq!(&index[offsets..offsets + 4], &40u32.to_be_bytes());
        assert_eq!(
            &index[offsets + 4..offsets + 8],
            &0x8000_0000u32.to_be_bytes()
        );
        assert_eq!(&index[offsets + 8..offsets + 12], &12u32.to_be_bytes());
        assert_eq!(
            &index[offsets + 12..offsets + 20],
            &(1u64 << 33).to_be_bytes()
        );
        let (body, trailer) = index.split_at(index.len() - 20);
        assert_eq!(&body[body.len() - 20..], &[5; 20]);
        assert_eq!(trailer, sha1::Sha1::digest(body).as_slice());
    }
}
