//! What git's index records of the work tree, read straight from `.git/index` (versions 2
//! and 3, as git and libgit2 write them by default) for the files the work-tree check asks
//! about: one pass over the file next to the sorted request, no per-entry allocation.
//! libgit2's own reading (every entry copied and hashed into a map) took a quarter of a
//! no-change render of 240,000 files and 65 MB. Anything else — version 4, a split or
//! sparse index, an unsorted or truncated file — is left to libgit2.

use std::path::Path;

use git2::Oid;

/// The stat data and blob id an index entry (stage 0) records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record {
    pub id: Oid,
    pub mode: u32,
    pub size: u32,
    /// Seconds (as the index stores them: 32 bits) and nanoseconds.
    pub mtime: (i32, u32),
    pub ctime: (i32, u32),
    pub ino: u32,
}

impl Record {
    /// What libgit2's `entry` records.
    pub(crate) fn of(entry: &git2::IndexEntry) -> Record {
        Record {
            id: entry.id,
            mode: entry.mode,
            size: entry.file_size,
            mtime: (entry.mtime.seconds(), entry.mtime.nanoseconds()),
            ctime: (entry.ctime.seconds(), entry.ctime.nanoseconds()),
            ino: entry.ino,
        }
    }
}

/// The records of `paths` (sorted, unique) in the index file at `file`, aligned with them
/// (`None` where the index has no stage-0 entry); `None` when the file is not an index this
/// reader takes.
pub(crate) fn records(file: &Path, paths: &[&str]) -> Option<Vec<Option<Record>>> {
    let bytes = std::fs::read(file).ok()?;
    parse(&bytes, paths)
}

fn parse(bytes: &[u8], paths: &[&str]) -> Option<Vec<Option<Record>>> {
    let u32_at = |at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(bytes.get(at..at + 4)?.try_into().ok()?))
    };
    if bytes.get(..4)? != b"DIRC" || !matches!(u32_at(4)?, 2 | 3) {
        return None;
    }
    let count = u32_at(8)? as usize;
    let mut out = vec![None; paths.len()];
    let mut next = 0; // first path of `paths` not yet passed
    let mut at = 12;
    let mut previous: &[u8] = b"";
    for _ in 0..count {
        let flags = u16::from_be_bytes(bytes.get(at + 60..at + 62)?.try_into().ok()?);
        let extended = flags & 0x4000 != 0;
        let name_at = at + 62 + if extended { 2 } else { 0 };
        let name_len = match usize::from(flags & 0x0fff) {
            0x0fff => bytes.get(name_at..)?.iter().position(|&b| b == 0)?,
            len => len,
        };
        let name = bytes.get(name_at..name_at + name_len)?;
        // Entries are sorted by path, then stage; anything else is not read here.
        if name < previous {
            return None;
        }
        previous = name;
        let stage = (flags >> 12) & 0x3;
        while next < paths.len() && paths[next].as_bytes() < name {
            next += 1;
        }
        if stage == 0 && next < paths.len() && paths[next].as_bytes() == name {
            out[next] = Some(Record {
                ctime: (u32_at(at)? as i32, u32_at(at + 4)?),
                mtime: (u32_at(at + 8)? as i32, u32_at(at + 12)?),
                ino: u32_at(at + 20)?,
                mode: u32_at(at + 24)?,
                size: u32_at(at + 36)?,
                id: Oid::from_bytes(bytes.get(at + 40..at + 60)?).ok()?,
            });
        }
        // The entry is padded with 1 to 8 NULs to a multiple of 8 bytes.
        let len = name_at - at + name_len;
        at += (len + 8) & !7;
    }
    // Extensions: a split index keeps entries in another file, a sparse one folds whole
    // directories into one entry; neither is read here.
    while at + 8 <= bytes.len().checked_sub(20)? {
        let signature = bytes.get(at..at + 4)?;
        if signature == b"link" || signature == b"sdir" {
            return None;
        }
        at += 8 + u32_at(at + 4)? as usize;
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_files::request;
    use crate::{FileSet, commit_files, init_repository};

    #[test]
    fn records_equal_what_libgit2_reads_from_the_same_index() {
        let tmp = tempfile::tempdir().unwrap();
        init_repository(tmp.path()).unwrap();
        // Names of every length modulo 8 (entries are padded to 8 bytes) and a long one.
        let long = format!("d/{}/{}", "n".repeat(200), "m".repeat(101));
        let files: FileSet = [
            ("a.yaml", "1"),
            ("d/b", "22"),
            ("d/c", "333"),
            (long.as_str(), "4"),
            ("z", "55555"),
            ("za", "6"),
            ("zab", "7"),
            ("zabc", "8"),
            ("zabcd", "9"),
            ("zabcde", "10"),
            ("zabcdef", "11"),
            ("zabcdefg", "12"),
        ]
        .into_iter()
        .map(|(p, t)| (p.to_owned(), t.as_bytes().to_vec()))
        .collect();
        commit_files(tmp.path(), &request(None, &files, &[])).unwrap();
        let repo = git2::Repository::open(tmp.path()).unwrap();
        let index = repo.index().unwrap();
        let asked = [
            "a.yaml", "absent", "d/b", "d/c", &long, "y", "z", "za", "zab", "zabc", "zabcd",
            "zabcde", "zabcdef", "zabcdefg",
        ];
        let read = records(&repo.path().join("index"), &asked).expect("a version 2 index");
        for (path, record) in asked.iter().zip(&read) {
            let expected = index.get_path(Path::new(path), 0).map(|e| Record::of(&e));
            assert_eq!(record, &expected, "{path}");
        }
        assert_eq!(read.iter().filter(|r| r.is_some()).count(), 12);
    }

    #[test]
    fn other_indexes_are_left_to_libgit2() {
        let mut header = b"DIRC\0\0\0\x04\0\0\0\0".to_vec();
        assert!(parse(&header, &["a"]).is_none(), "version 4");
        header[7] = 2;
        header.extend_from_slice(b"link\0\0\0\0");
        header.extend_from_slice(&[0; 20]);
        assert!(parse(&header, &["a"]).is_none(), "split index");
        assert!(
            parse(b"DIRC\0\0\0\x02\0\0\0\x05", &["a"]).is_none(),
            "truncated"
        );
        assert!(parse(b"not an index", &["a"]).is_none());
    }
}
