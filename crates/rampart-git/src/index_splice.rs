//! Editing git's index by splicing its file: the entries a commit changes are replaced,
//! every other entry is copied as it is, byte for byte. libgit2's own editing reads every
//! entry into memory and hashes it into a map, then writes them all again — for a render
//! of 240,000 files, most of a one-request commit's time and 65 MB, to change a few entries.
//!
//! Taken: an index of version 2 or 3 (git's and libgit2's default) with a valid checksum,
//! sorted, without conflicts, and with no extension but the cache tree (`TREE`), which is
//! dropped (it is optional: git makes it again when it needs it). Anything else is left to
//! libgit2 ([`Spliced::open`] answers `None`).
//!
//! Racy entries — written in the same instant as the index they are in, so an edit after
//! them may not show in their stat data — are copied with their size cleared, as git does:
//! git (and [`crate::worktree`]) then compares their content instead of trusting them.

use std::collections::BTreeMap;
use std::fs;
use std::ops::Range;
use std::path::Path;

use git2::IndexEntry;
use sha1::Digest;

/// The changes [`crate::worktree::apply`] makes to an index.
pub(crate) trait IndexEdit {
    /// Removes the entry at `path`, if there is one.
    fn remove(&mut self, path: &str) -> Result<(), git2::Error>;
    /// Adds `entry` (stage 0), replacing the entry at its path and any in its way.
    fn add(&mut self, entry: &IndexEntry) -> Result<(), git2::Error>;
    /// Whether the index has conflicts (entries of a stage other than 0).
    fn has_conflicts(&self) -> bool;
}

impl IndexEdit for git2::Index {
    fn remove(&mut self, path: &str) -> Result<(), git2::Error> {
        self.remove_path(Path::new(path))
    }

    fn add(&mut self, entry: &IndexEntry) -> Result<(), git2::Error> {
        git2::Index::add(self, entry)
    }

    fn has_conflicts(&self) -> bool {
        git2::Index::has_conflicts(self)
    }
}

/// Header, version and entry count of an index file.
const HEADER_LEN: usize = 12;
/// Length of an entry before its name: stat data, id and flags (version 2).
const ENTRY_FIXED: usize = 62;
/// Length of the checksum that ends the file.
const CHECKSUM_LEN: usize = 20;

/// An index file read whole, and the changes to splice into it.
pub(crate) struct Spliced {
    bytes: Vec<u8>,
    version: u32,
    /// Each entry's name and whole entry (padding included), in order.
    entries: Vec<(Range<usize>, Range<usize>)>,
    /// The index file's modification time (seconds, nanoseconds): entries modified at or
    /// after it are racy.
    written: (u32, u32),
    /// By path: the new entry's bytes, or `None` for a removal.
    edits: BTreeMap<Vec<u8>, Option<Vec<u8>>>,
}

impl Spliced {
    /// The index file at `file`, if it is one this module takes.
    pub(crate) fn open(file: &Path) -> Option<Spliced> {
        let written = modified(&fs::metadata(file).ok()?)?;
        let bytes = fs::read(file).ok()?;
        let (version, entries) = parse(&bytes)?;
        Some(Spliced {
            bytes,
            version,
            entries,
            written,
            edits: BTreeMap::new(),
        })
    }

    /// The index file with the edits made: what to write in its place.
    pub(crate) fn finish(self) -> Vec<u8> {
        let adds: Vec<&[u8]> = self
            .edits
            .iter()
            .filter(|(_, entry)| entry.is_some())
            .map(|(path, _)| path.as_slice())
            .collect();
        let in_the_way = self.in_the_way(&adds);
        let mut out = Vec::with_capacity(self.bytes.len() + 128 * self.edits.len());
        out.extend_from_slice(b"DIRC");
        out.extend_from_slice(&self.version.to_be_bytes());
        out.extend_from_slice(&[0; 4]); // the count, once known
        let mut count: u32 = 0;
        let mut edits = self.edits.iter().peekable();
        let mut emit = |out: &mut Vec<u8>, entry: &[u8]| {
            out.extend_from_slice(entry);
            count += 1;
        };
        for (n, (name, entry)) in self.entries.iter().enumerate() {
            let name = &self.bytes[name.clone()];
            while let Some((path, new)) = edits.next_if(|(path, _)| path.as_slice() < name) {
                if let Some(new) = new {
                    emit(&mut out, new);
                }
                let _ = path;
            }
            if let Some((_, new)) = edits.next_if(|(path, _)| path.as_slice() == name) {
                if let Some(new) = new {
                    emit(&mut out, new);
                }
                continue;
            }
            if in_the_way.binary_search(&n).is_ok() {
                continue;
            }
            let at = out.len();
            emit(&mut out, &self.bytes[entry.clone()]);
            if self.is_racy(&out[at..]) {
                out[at + 36..at + 40].fill(0); // the size: git then compares the content
            }
        }
        for (_, new) in edits {
            if let Some(new) = new {
                emit(&mut out, new);
            }
        }
        out[8..12].copy_from_slice(&count.to_be_bytes());
        let checksum = sha1::Sha1::digest(&out);
        out.extend_from_slice(&checksum);
        out
    }

    /// The entries (by number) that the files `adds` replace: a file at a directory of one,
    /// and every file below one, as libgit2 removes them when it adds an entry.
    fn in_the_way(&self, adds: &[&[u8]]) -> Vec<usize> {
        let name = |n: usize| &self.bytes[self.entries[n].0.clone()];
        let position = |key: &[u8]| {
            self.entries
                .partition_point(|(r, _)| &self.bytes[r.clone()] < key)
        };
        let mut found = Vec::new();
        for add in adds {
            for (i, _) in add.iter().enumerate().filter(|(_, c)| **c == b'/') {
                let dir = &add[..i];
                let at = position(dir);
                if at < self.entries.len() && name(at) == dir {
                    found.push(at);
                }
            }
            let mut below = add.to_vec();
            below.push(b'/');
            let mut at = position(&below);
            while at < self.entries.len() && name(at).starts_with(&below) {
                found.push(at);
                at += 1;
            }
        }
        found.sort_unstable();
        found.dedup();
        found
    }

    /// Whether the entry `entry` was modified at or after the index was written.
    fn is_racy(&self, entry: &[u8]) -> bool {
        let mtime = (u32_at(entry, 8), u32_at(entry, 12));
        (mtime.0 as i32, mtime.1) >= (self.written.0 as i32, self.written.1)
    }
}

impl IndexEdit for Spliced {
    fn remove(&mut self, path: &str) -> Result<(), git2::Error> {
        self.edits.insert(path.as_bytes().to_vec(), None);
        Ok(())
    }

    fn add(&mut self, entry: &IndexEntry) -> Result<(), git2::Error> {
        self.edits
            .insert(entry.path.clone(), Some(encode(entry, self.version)));
        Ok(())
    }

    fn has_conflicts(&self) -> bool {
        false // an index with conflicts is not opened
    }
}

/// `entry` as a stage-0 entry of an index of `version` (2 or 3) stores it.
fn encode(entry: &IndexEntry, version: u32) -> Vec<u8> {
    let _ = version; // no extended flags: the same bytes in version 2 and 3
    let name = &entry.path;
    let len = (ENTRY_FIXED + name.len() + 8) & !7;
    let mut out = Vec::with_capacity(len);
    for field in [
        entry.ctime.seconds() as u32,
        entry.ctime.nanoseconds(),
        entry.mtime.seconds() as u32,
        entry.mtime.nanoseconds(),
        entry.dev,
        entry.ino,
        entry.mode,
        entry.uid,
        entry.gid,
        entry.file_size,
    ] {
        out.extend_from_slice(&field.to_be_bytes());
    }
    out.extend_from_slice(entry.id.as_bytes());
    out.extend_from_slice(&(name.len().min(0xfff) as u16).to_be_bytes());
    out.extend_from_slice(name);
    out.resize(len, 0);
    out
}

fn u32_at(bytes: &[u8], at: usize) -> u32 {
    bytes
        .get(at..at + 4)
        .and_then(|b| b.try_into().ok())
        .map_or(0, u32::from_be_bytes)
}

/// Version and entries of an index this module takes (see the module's documentation).
#[allow(clippy::type_complexity)]
fn parse(bytes: &[u8]) -> Option<(u32, Vec<(Range<usize>, Range<usize>)>)> {
    let body = bytes.len().checked_sub(CHECKSUM_LEN)?;
    if bytes.get(..4)? != b"DIRC" || body < HEADER_LEN {
        return None;
    }
    let version = u32_at(bytes, 4);
    if !matches!(version, 2 | 3) {
        return None;
    }
    if sha1::Sha1::digest(&bytes[..body]).as_slice() != &bytes[body..] {
        return None;
    }
    let count = u32_at(bytes, 8) as usize;
    let mut entries = Vec::with_capacity(count);
    let mut at = HEADER_LEN;
    let mut previous: &[u8] = b"";
    for _ in 0..count {
        let flags = u16::from_be_bytes(bytes.get(at + 60..at + 62)?.try_into().ok()?);
        // Extended flags (version 3), a stage other than 0 or a long name: left to libgit2.
        if flags & 0x4000 != 0 || (flags >> 12) & 0x3 != 0 || flags & 0xfff == 0xfff {
            return None;
        }
        let name_at = at + ENTRY_FIXED;
        let name_len = usize::from(flags & 0xfff);
        let name = bytes.get(name_at..name_at + name_len)?;
        if name <= previous {
            return None; // not sorted, or a path twice
        }
        previous = name;
        let end = at + ((ENTRY_FIXED + name_len + 8) & !7);
        if end > body || bytes[name_at + name_len..end].iter().any(|&b| b != 0) {
            return None;
        }
        entries.push((name_at..name_at + name_len, at..end));
        at = end;
    }
    while at < body {
        let signature = bytes.get(at..at + 4)?;
        let len = u32_at(bytes, at + 4) as usize;
        if signature != b"TREE" || at + 8 + len > body {
            return None;
        }
        at += 8 + len;
    }
    Some((version, entries))
}

/// Modification time of `meta` as the index stores times.
#[cfg(unix)]
fn modified(meta: &fs::Metadata) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    Some((meta.mtime() as u32, meta.mtime_nsec() as u32))
}

/// Without the index's own time no entry can be told racy: libgit2 edits it.
#[cfg(not(unix))]
fn modified(_meta: &fs::Metadata) -> Option<(u32, u32)> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_files::{files, request};
    use crate::{commit_files, init_repository};
    use git2::{IndexTime, Oid, Repository};
    use std::time::{Duration, SystemTime};

    /// A repository whose index libgit2 wrote with `paths` (committed and checked out),
    /// its index file dated an hour ahead so that no entry is racy.
    fn repository(paths: &[&str]) -> (tempfile::TempDir, Repository) {
        let tmp = tempfile::tempdir().unwrap();
        init_repository(tmp.path()).unwrap();
        let entries: Vec<(&str, &str)> = paths.iter().map(|p| (*p, *p)).collect();
        commit_files(tmp.path(), &request(None, &files(&entries), &[])).unwrap();
        let repo = Repository::open(tmp.path()).unwrap();
        set_index_time(&repo, SystemTime::now() + Duration::from_secs(3600));
        (tmp, repo)
    }

    fn set_index_time(repo: &Repository, time: SystemTime) {
        let file = fs::File::options()
            .append(true)
            .open(repo.path().join("index"))
            .unwrap();
        file.set_modified(time).unwrap();
    }

    fn entry(path: &str, text: &str) -> IndexEntry {
        let time = IndexTime::new(1_700_000_000, 7);
        IndexEntry {
            ctime: time,
            mtime: time,
            dev: 1,
            ino: 2,
            mode: 0o100_644,
            uid: 3,
            gid: 4,
            file_size: text.len() as u32,
            id: Oid::hash_object(git2::ObjectType::Blob, text.as_bytes()).unwrap(),
            flags: 0,
            flags_extended: 0,
            path: path.as_bytes().to_vec(),
        }
    }

    /// Every field of every entry, as libgit2 reads the index file at `file`.
    fn entries(file: &Path) -> Vec<String> {
        let index = git2::Index::open(file).unwrap();
        index
            .iter()
            .map(|e| {
                format!(
                    "{} {} {:o} {} {}.{} {}.{} {} {} {} {} {}",
                    String::from_utf8_lossy(&e.path),
                    e.id,
                    e.mode,
                    e.file_size,
                    e.mtime.seconds(),
                    e.mtime.nanoseconds(),
                    e.ctime.seconds(),
                    e.ctime.nanoseconds(),
                    e.dev,
                    e.ino,
                    e.uid,
                    e.gid,
                    e.flags
                )
            })
            .collect()
    }

    /// Applies the same removals and additions through libgit2 and by splicing; returns
    /// the entries of both results.
    fn both(
        repo: &Repository,
        removed: &[&str],
        added: &[IndexEntry],
    ) -> (Vec<String>, Vec<String>) {
        let index_file = repo.path().join("index");
        let theirs_file = repo.path().join("index.libgit2");
        fs::copy(&index_file, &theirs_file).unwrap();
        let mut theirs = git2::Index::open(&theirs_file).unwrap();
        let mut ours = Spliced::open(&index_file).expect("a version 2 index");
        for path in removed {
            IndexEdit::remove(&mut theirs, path).unwrap();
            ours.remove(path).unwrap();
        }
        for entry in added {
            IndexEdit::add(&mut theirs, entry).unwrap();
            ours.add(entry).unwrap();
        }
        theirs.write().unwrap();
        let ours_file = repo.path().join("index.spliced");
        fs::write(&ours_file, ours.finish()).unwrap();
        (entries(&theirs_file), entries(&ours_file))
    }

    #[test]
    fn splicing_gives_the_entries_libgit2_gives() {
        let long = format!("d/{}", "n".repeat(100));
        let (_tmp, repo) = repository(&["a.yaml", "d/b", "d/c", &long, "e/f/g", "z"]);
        let (theirs, ours) = both(
            &repo,
            &["d/c", "absent", "z"],
            &[
                entry("d/b", "new b"),
                entry("c", "new"),
                entry("e/f/h", "h"),
                entry("zz", "1"),
            ],
        );
        assert_eq!(ours, theirs);
        assert_eq!(ours.len(), 7, "{ours:#?}");
    }

    #[test]
    fn a_file_replaces_the_entries_in_its_way() {
        let (_tmp, repo) = repository(&["a", "d/x", "d/y", "d-e", "f"]);
        let (theirs, ours) = both(&repo, &[], &[entry("a/b", "1"), entry("d", "2")]);
        let paths = |entries: &[String]| -> Vec<String> {
            entries
                .iter()
                .map(|e| e.split(' ').next().unwrap().to_owned())
                .collect()
        };
        assert_eq!(paths(&ours), ["a/b", "d", "d-e", "f"]);
        // libgit2 (1.9) removes the file in the way of `a/b` but keeps the files below `d`,
        // an index with `d` both a file and a directory; a commit's changes remove those
        // files themselves (see `crate::plan`), so both agree wherever Rampart uses them.
        assert_eq!(paths(&theirs), ["a/b", "d", "d-e", "d/x", "d/y", "f"]);
        let same: Vec<&String> = theirs.iter().filter(|e| !e.starts_with("d/")).collect();
        assert_eq!(ours.iter().collect::<Vec<_>>(), same);
    }

    #[test]
    fn racy_entries_are_copied_with_their_size_cleared() {
        let (_tmp, repo) = repository(&["a", "b"]);
        // The index written before its entries' files were last modified: both are racy.
        set_index_time(&repo, SystemTime::UNIX_EPOCH + Duration::from_secs(1_000));
        let (_, ours) = both(&repo, &[], &[entry("c", "3")]);
        let sizes: Vec<&str> = ours.iter().map(|e| e.split(' ').nth(3).unwrap()).collect();
        assert_eq!(sizes, ["0", "0", "1"], "{ours:#?}");
    }

    #[test]
    fn a_cache_tree_is_dropped_and_other_indexes_are_left_to_libgit2() {
        let (_tmp, repo) = repository(&["a", "d/b"]);
        let file = repo.path().join("index");
        let mut index = repo.index().unwrap();
        let tree = repo.head().unwrap().peel_to_tree().unwrap();
        index.read_tree(&tree).unwrap();
        index.write().unwrap();
        assert!(fs::read(&file).unwrap().windows(4).any(|w| w == b"TREE"));
        let spliced = Spliced::open(&file).expect("an index with a cache tree");
        let bytes = spliced.finish();
        assert!(!bytes.windows(4).any(|w| w == b"TREE"));
        fs::write(&file, &bytes).unwrap();
        assert_eq!(entries(&file).len(), 2);

        // A conflict (stage 1), a corrupt checksum, an unknown extension: not taken.
        let mut conflicted = entry("c", "1");
        conflicted.id = repo.blob(b"1").unwrap();
        conflicted.flags = 1 << 12;
        index.add(&conflicted).unwrap();
        index.write().unwrap();
        assert!(Spliced::open(&file).is_none(), "conflict");
        let mut corrupt = bytes.clone();
        corrupt[20] ^= 1;
        fs::write(&file, &corrupt).unwrap();
        assert!(Spliced::open(&file).is_none(), "checksum");
        let mut extended = bytes[..bytes.len() - CHECKSUM_LEN].to_vec();
        extended.extend_from_slice(b"UNTR\0\0\0\0");
        let checksum = sha1::Sha1::digest(&extended);
        extended.extend_from_slice(&checksum);
        fs::write(&file, &extended).unwrap();
        assert!(Spliced::open(&file).is_none(), "untracked cache");
    }
}
