//! `rampart scan`: the commit guard as a command, for pre-commit hooks and CI.
//!
//! Exit codes: 0 when every file was scanned and holds no secret, 1 when a secret was
//! found, 2 when a file could not be scanned (unreadable, or larger than
//! `--max-file-size`): a file nobody scanned is never reported as clean.

use super::EXIT_INVALID_INPUT;
use crate::cli::ScanArgs;
use crate::output::outln;
use crate::walk::{files_under, note_skipped_links, shown};
use anyhow::Result;
use rampart_files::{open_no_follow, read_capped};
use rampart_guard::{Finding, scan_file, scan_files};
use rampart_yaml::limits::human_bytes;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Mutex;

/// A file that was not scanned, and why.
struct NotScanned {
    file: String,
    why: String,
}

pub(super) fn run(args: ScanArgs) -> Result<ExitCode> {
    let limit = args.max_file_size;
    let mut findings: Vec<Finding> = Vec::new();
    let mut scanned = 0usize;
    let not_scanned = Mutex::new(Vec::new());
    let too_large = || format!("larger than {}", human_bytes(limit as usize));
    if args.staged {
        for (path, content) in rampart_git::staged_files(&args.repo)? {
            if content.len() as u64 > limit {
                lock(&not_scanned).push(NotScanned {
                    file: path,
                    why: too_large(),
                });
                continue;
            }
            scanned += 1;
            findings.extend(scan_file(&path, &content));
        }
    } else {
        let roots = if args.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            args.paths
        };
        let mut files = Vec::new();
        for root in &roots {
            let found = match files_under(root) {
                Ok(found) => found,
                Err(e) => {
                    lock(&not_scanned).push(NotScanned {
                        file: shown(root),
                        why: format!("cannot read it: {e}"),
                    });
                    continue;
                }
            };
            note_skipped_links(&found.links);
            files.extend(found.files.into_iter().map(|file| {
                let named = file == *root;
                (file, named)
            }));
        }
        // Read and scanned in parallel; the findings come out in the order of `files`.
        (scanned, findings) = scan_files(&files, |(file, named), content| {
            // A file found below a directory was a regular file: never follow a link put
            // there since. A file named on the command line is read as given.
            let opened = if *named {
                fs_err::File::open(file)
            } else {
                open_no_follow(file)
            };
            let why = match opened.and_then(|opened| read_capped(opened, limit, content)) {
                Ok(true) => return Ok::<_, std::convert::Infallible>(Some(shown(file))),
                Ok(false) => too_large(),
                Err(e) => format!("cannot read it: {}", io_reason(&e)),
            };
            lock(&not_scanned).push(NotScanned {
                file: shown(file),
                why,
            });
            Ok(None)
        })
        .unwrap_or_else(|never| match never {});
    }
    let mut not_scanned = not_scanned.into_inner().unwrap_or_else(|e| e.into_inner());
    not_scanned.sort_by(|a, b| a.file.cmp(&b.file));
    for finding in &findings {
        outln!("{finding}");
    }
    for skipped in &not_scanned {
        outln!("{}: not scanned: {}", skipped.file, skipped.why);
    }
    let limit_note = format!(
        "files up to {} scanned (--max-file-size)",
        human_bytes(limit as usize)
    );
    if !findings.is_empty() {
        outln!(
            "\n{} secret(s) found in {scanned} file(s); {limit_note}",
            findings.len()
        );
    }
    if !not_scanned.is_empty() {
        outln!(
            "{}{} file(s) not scanned, so not known to be free of secrets; {limit_note}: raise it to scan larger files, or fix the ones that cannot be read",
            if findings.is_empty() { "\n" } else { "" },
            not_scanned.len()
        );
    }
    if !findings.is_empty() {
        return Ok(ExitCode::FAILURE);
    }
    if !not_scanned.is_empty() {
        return Ok(ExitCode::from(EXIT_INVALID_INPUT));
    }
    outln!("ok: no secrets in {scanned} file(s); {limit_note}");
    Ok(ExitCode::SUCCESS)
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The reason of an IO error, without the path fs_err adds (the caller names the file).
fn io_reason(e: &std::io::Error) -> String {
    match e.kind() {
        std::io::ErrorKind::PermissionDenied => "permission denied".to_owned(),
        std::io::ErrorKind::NotFound => "no such file".to_owned(),
        _ => e.to_string(),
    }
}
