//! `rampart check --fix [--dry-run]`: writes the fixes the findings determine into the
//! files (each written whole: a temporary file beside it, renamed over it), or prints them
//! as a unified diff; lists the findings that need a decision.

use crate::output::{out, outln};
use rampart_policy::Finding;
use rampart_policy::fix::{FixError, fix_text};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `--fix` did: the findings it fixed (or would fix), and those left.
pub(super) struct Outcome {
    /// The findings not fixed: they need a decision, or their file could not be edited.
    pub remaining: Vec<Finding>,
}

/// Fixes the findings of every file in `paths` (shown name → path); standard input and
/// generated files are reported, not edited. With `dry_run`, prints the diff instead of
/// writing.
pub(super) fn fix(
    findings: Vec<Finding>,
    paths: &BTreeMap<String, PathBuf>,
    dry_run: bool,
) -> Outcome {
    let mut by_file: BTreeMap<String, Vec<Finding>> = BTreeMap::new();
    for f in findings {
        by_file.entry(f.file.clone()).or_default().push(f);
    }
    let mut remaining = Vec::new();
    let (mut fixed, mut files) = (0usize, 0usize);
    for (name, found) in by_file {
        if !found.iter().any(|f| f.autofix.is_some()) {
            remaining.extend(found);
            continue;
        }
        match fix_file(&name, paths.get(&name), &found, dry_run) {
            Ok(count) => {
                fixed += count;
                files += 1;
                remaining.extend(found.into_iter().filter(|f| f.autofix.is_none()));
            }
            Err(e) => {
                eprintln!("{e}");
                remaining.extend(found);
            }
        }
    }
    remaining.sort_by(|a, b| (&a.file, a.line).cmp(&(&b.file, b.line)));
    let verb = if dry_run { "would fix" } else { "fixed" };
    eprintln!(
        "{verb} {fixed} finding(s) in {files} file(s); {} finding(s) need you",
        remaining.len()
    );
    Outcome { remaining }
}

/// Fixes one file; the number of findings fixed.
fn fix_file(
    name: &str,
    path: Option<&PathBuf>,
    found: &[Finding],
    dry_run: bool,
) -> Result<usize, String> {
    let Some(path) = path else {
        return Err(FixError::Stdin {
            file: name.to_owned(),
        }
        .to_string());
    };
    let text = fs_err::read_to_string(path).map_err(|e| format!("{name}: error: {e}"))?;
    let (after, count) = fix_text(name, &text, found).map_err(|e| e.to_string())?;
    if after == text {
        return Ok(0);
    }
    if dry_run {
        out!(
            "{}",
            similar::TextDiff::from_lines(&text, &after)
                .unified_diff()
                .context_radius(3)
                .header(&format!("a/{name}"), &format!("b/{name}"))
        );
        return Ok(count);
    }
    write_whole(path, after.as_bytes()).map_err(|e| format!("{name}: error: {e}"))?;
    Ok(count)
}

/// Writes `content` to `path` whole or not at all: a new file beside it (never through a
/// link left there) with the file's permissions, renamed over it.
fn write_whole(path: &Path, content: &[u8]) -> std::io::Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    let temp = path.with_file_name(format!(".{name}.rampart-fix"));
    let permissions = fs_err::metadata(path)?.permissions();
    let _ = std::fs::remove_file(&temp);
    let written = fs_err::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&temp)
        .and_then(|mut out| {
            out.write_all(content)?;
            out.file().set_permissions(permissions)
        })
        .and_then(|()| fs_err::rename(&temp, path));
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Prints the summary line of `--fix` in text format.
pub(super) fn text_header(outcome: &Outcome) {
    if !outcome.remaining.is_empty() {
        outln!("needs you:");
    }
}
