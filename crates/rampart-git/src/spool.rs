//! A spool: an unnamed temporary file that holds rendered files deflated while a render
//! runs, so that memory holds only each file's id and place (a render of 30,000 namespaces
//! makes 240,000 files, some 200 MB deflated). Threads append to it concurrently; the file
//! disappears when the last [`Content`](crate::Content) in it is dropped, or with the
//! process.

use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

/// The spool file and where its next entry goes.
pub struct Spool {
    file: File,
    end: AtomicU64,
}

/// Where one entry was put: its offset and length in the spool.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Place {
    pub at: u64,
    pub len: u32,
}

impl Spool {
    /// A new, empty spool in `dir` (for a render, the repository's `.git`: the same file
    /// system as the pack it ends in, and not a possibly small `/tmp`).
    pub fn create_in(dir: &Path) -> io::Result<Arc<Spool>> {
        Ok(Arc::new(Spool {
            file: tempfile::tempfile_in(dir)?,
            end: AtomicU64::new(0),
        }))
    }

    /// Appends `bytes` (at most 4 GiB) and returns where they went.
    pub(crate) fn append(&self, bytes: &[u8]) -> io::Result<Place> {
        let len = u32::try_from(bytes.len())
            .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "entry over 4 GiB"))?;
        let at = self.end.fetch_add(u64::from(len), Ordering::Relaxed);
        self.file.write_all_at(bytes, at)?;
        Ok(Place { at, len })
    }

    /// The bytes appended at `place`.
    pub(crate) fn read(&self, place: Place) -> io::Result<Vec<u8>> {
        let mut bytes = vec![0; place.len as usize];
        self.file.read_exact_at(&mut bytes, place.at)?;
        Ok(bytes)
    }

    /// Bytes appended so far.
    pub fn len(&self) -> u64 {
        self.end.load(Ordering::Relaxed)
    }

    /// Whether nothing was appended.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl std::fmt::Debug for Spool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Spool({} bytes)", self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_appended_from_many_threads_read_back_intact() {
        let dir = tempfile::tempdir().unwrap();
        let spool = Spool::create_in(dir.path()).unwrap();
        let places: Vec<(Vec<u8>, Place)> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8u8)
                .map(|t| {
                    let spool = &spool;
                    s.spawn(move || {
                        (0..200u32)
                            .map(|i| {
                                let bytes = vec![t; (i as usize * 7) % 300 + 1];
                                let place = spool.append(&bytes).unwrap();
                                (bytes, place)
                            })
                            .collect::<Vec<_>>()
                    })
                })
                .collect();
            handles
                .into_iter()
                .flat_map(|h| h.join().unwrap())
                .collect()
        });
        let total: u64 = places.iter().map(|(b, _)| b.len() as u64).sum();
        assert_eq!(spool.len(), total);
        for (bytes, place) in places {
            assert_eq!(spool.read(place).unwrap(), bytes);
        }
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the spool has no name in its directory"
        );
    }
}
