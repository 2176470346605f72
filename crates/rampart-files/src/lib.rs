//! Reading files as Rampart reads what it is given: never through a symbolic link at the
//! path itself (opened with `O_NOFOLLOW`, so a link put there after a check fails to open
//! instead of being followed), and never more than a limit, also from a pipe, a device or
//! a file that grows meanwhile. `render` reads a repository's inputs with these (checking
//! every path component first), `check`, `scan` and `import` the files they are named.

use std::io::Read;
use std::path::Path;

/// Reads `path`, which must not be a link: opened with `O_NOFOLLOW`, so a link put there
/// after the check fails to open instead of being followed.
pub fn read_no_follow(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    read_capped(open_no_follow(path)?, u64::MAX, &mut bytes)?;
    Ok(bytes)
}

/// Opens `path` for reading, refusing a symbolic link at `path` itself (`O_NOFOLLOW`).
pub fn open_no_follow(path: &Path) -> std::io::Result<fs_err::File> {
    let mut options = fs_err::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use fs_err::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NOFOLLOW);
    }
    options.open(path)
}

/// Reads all of `file` into `buf` (replacing its content) unless it is longer than
/// `max_bytes`: then `Ok(false)`, and at most `max_bytes + 1` bytes were read — also from
/// a pipe, a device or a file that grows meanwhile. The buffer is sized by the file's
/// length: two `read`s for a file that does not grow meanwhile, not one per doubling.
pub fn read_capped(file: fs_err::File, max_bytes: u64, buf: &mut Vec<u8>) -> std::io::Result<bool> {
    let len = file.metadata()?.len();
    buf.clear();
    if len > max_bytes {
        return Ok(false);
    }
    buf.reserve(usize::try_from(len).unwrap_or(0));
    read_stream_capped(file, max_bytes, buf)
}

/// Appends what `reader` yields to `buf` until its end, or `Ok(false)` once it has yielded
/// more than `max_bytes` (the rest is not read).
pub fn read_stream_capped(
    reader: impl Read,
    max_bytes: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<bool> {
    let read = reader.take(max_bytes.saturating_add(1)).read_to_end(buf)?;
    Ok(read as u64 <= max_bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_at_the_path_is_refused_and_a_file_is_read() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a.yaml");
        std::fs::write(&file, b"kind: A\n").unwrap();
        let link = dir.path().join("link.yaml");
        std::os::unix::fs::symlink(&file, &link).unwrap();
        assert_eq!(read_no_follow(&file).unwrap(), b"kind: A\n");
        let refused = open_no_follow(&link).unwrap_err();
        // ELOOP: "Too many levels of symbolic links", with the path (fs-err).
        assert!(refused.to_string().contains("symbolic links"), "{refused}");
        assert!(refused.to_string().contains("link.yaml"), "{refused}");
    }

    #[test]
    fn more_than_the_limit_is_refused_after_reading_at_most_one_byte_past_it() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("big");
        std::fs::write(&file, vec![b'x'; 100]).unwrap();
        let mut buf = Vec::new();
        assert!(!read_capped(open_no_follow(&file).unwrap(), 99, &mut buf).unwrap());
        assert!(read_capped(open_no_follow(&file).unwrap(), 100, &mut buf).unwrap());
        assert_eq!(buf.len(), 100);
        // A stream (no length known up front) stops one byte past the limit.
        let mut buf = Vec::new();
        let endless = std::io::repeat(b'y');
        assert!(!read_stream_capped(endless, 10, &mut buf).unwrap());
        assert_eq!(buf.len(), 11);
    }
}
