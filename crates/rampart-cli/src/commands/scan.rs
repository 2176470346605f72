//! `rampart scan`: the commit guard as a command, for pre-commit hooks and CI.

use crate::cli::ScanArgs;
use crate::output::outln;
use crate::walk::{files_under, note_skipped_links, shown};
use anyhow::{Context, Result};
use rampart_deliver::no_follow::{open_no_follow, read_capped};
use rampart_git::guard::{Finding, scan_file, scan_files};
use std::path::PathBuf;
use std::process::ExitCode;

/// Files larger than this are not text worth scanning (and not manifests).
const MAX_FILE_BYTES: u64 = 16 << 20;

pub(super) fn run(args: ScanArgs) -> Result<ExitCode> {
    let mut findings: Vec<Finding> = Vec::new();
    let mut scanned = 0usize;
    if args.staged {
        for (path, content) in rampart_git::staged_files(&args.repo)? {
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
            let found =
                files_under(root).with_context(|| format!("cannot read {}", shown(root)))?;
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
                fs_err::File::open(file)?
            } else {
                open_no_follow(file)?
            };
            let read = read_capped(opened, MAX_FILE_BYTES, content)?;
            Ok::<_, std::io::Error>(read.then(|| shown(file)))
        })?;
    }
    if findings.is_empty() {
        outln!("ok: no secrets in {scanned} file(s)");
        return Ok(ExitCode::SUCCESS);
    }
    for finding in &findings {
        outln!("{finding}");
    }
    outln!("\n{} secret(s) found in {scanned} file(s)", findings.len());
    Ok(ExitCode::FAILURE)
}
