//! `rampart check --fix [--dry-run]`: writes the fixes the findings determine into the
//! files (each written whole: a temporary file beside it, renamed over it), or prints them
//! as a unified diff; lists the findings that need a decision.

use crate::output::out;
use rampart_policy::Finding;
use rampart_policy::fix::{FixError, fix_text};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

/// What `--fix` did: the findings it fixed (or would fix), and those left.
pub(super) struct Outcome {
    /// The findings not fixed: they need a decision, or their file could not be edited.
    pub remaining: Vec<Finding>,
    /// The files added (or, with `dry_run`, that would be).
    pub added: Vec<PathBuf>,
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
    for mut f in findings {
        // A new file is added only where none is: else the finding needs you.
        if let Some(new) = &f.new_file {
            let taken = paths.get(&f.file).map(|p| beside(p, &new.name));
            if let Some(target) = taken.filter(|t| t.symlink_metadata().is_ok()) {
                eprintln!(
                    "{}: {} exists: not overwritten\n  help: {}",
                    f.file,
                    target.display(),
                    f.fix
                );
                f.new_file = None;
            }
        }
        by_file.entry(f.file.clone()).or_default().push(f);
    }
    let mut remaining = Vec::new();
    let (mut fixed, mut files) = (0usize, 0usize);
    // Each file is read and edited on some core; diffs are printed and files written in order.
    let mut added = Vec::new();
    let planned: Vec<(Vec<Finding>, Result<Planned, String>)> = by_file
        .into_par_iter()
        .map(|(name, found)| {
            let plan = if found.iter().any(|f| f.fixable()) {
                plan_file(&name, paths.get(&name), &found)
            } else {
                Ok(Planned::Nothing)
            };
            (found, plan)
        })
        .collect();
    for (found, plan) in planned {
        match plan.and_then(|plan| finish(plan, dry_run, &mut added)) {
            Ok(0) => remaining.extend(found),
            Ok(count) => {
                fixed += count;
                files += 1;
                remaining.extend(found.into_iter().filter(|f| !f.fixable()));
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
        "{verb} {fixed} finding(s) in {files} file(s); {} other finding(s) need you",
        remaining.len()
    );
    Outcome { remaining, added }
}

/// Sets the text edit of every finding with an autofix (for JSON and SARIF), reading each
/// file again; a file that cannot be read gets none.
pub(super) fn attach_text_edits(findings: &mut [Finding], paths: &BTreeMap<String, PathBuf>) {
    // Findings are ordered by file: each file's run is handled on some core.
    let mut runs: Vec<&mut [Finding]> = Vec::new();
    let mut rest = findings;
    while let Some(first) = rest.first() {
        let file = first.file.clone();
        let len = rest.iter().take_while(|f| f.file == file).count();
        let (run, tail) = rest.split_at_mut(len);
        runs.push(run);
        rest = tail;
    }
    runs.into_par_iter().for_each(|run| {
        let name = run[0].file.clone();
        if !run.iter().any(|f| f.autofix.is_some()) {
            return;
        }
        if let Some(text) = paths
            .get(&name)
            .and_then(|p| fs_err::read_to_string(p).ok())
        {
            rampart_policy::fix::attach_text_edits(&name, &text, run);
        }
    });
}

/// What fixing one file comes to.
enum Planned {
    /// No finding of the file has an autofix, or the fixes change nothing.
    Nothing,
    /// The file's text before and after, the files to add beside it, and how many findings
    /// that fixes.
    Edit {
        name: String,
        path: PathBuf,
        before: String,
        after: String,
        added: Vec<(PathBuf, String)>,
        count: usize,
    },
}

/// `name` in the directory of `file`.
fn beside(file: &Path, name: &str) -> PathBuf {
    file.parent()
        .map_or_else(|| PathBuf::from(name), |dir| dir.join(name))
}

/// Reads one file and makes its fixes in memory.
fn plan_file(name: &str, path: Option<&PathBuf>, found: &[Finding]) -> Result<Planned, String> {
    let Some(path) = path else {
        return Err(FixError::Stdin {
            file: name.to_owned(),
        }
        .to_string());
    };
    let before = fs_err::read_to_string(path).map_err(|e| format!("{name}: error: {e}"))?;
    let (after, mut count) = fix_text(name, &before, found).map_err(|e| e.to_string())?;
    let mut added: Vec<(PathBuf, String)> = Vec::new();
    for new in found.iter().filter_map(|f| f.new_file.as_ref()) {
        count += 1;
        let target = beside(path, &new.name);
        if !added.iter().any(|(p, _)| *p == target) {
            added.push((target, new.content.clone()));
        }
    }
    if after == before && added.is_empty() {
        return Ok(Planned::Nothing);
    }
    Ok(Planned::Edit {
        name: name.to_owned(),
        path: path.clone(),
        before,
        after,
        added,
        count,
    })
}

/// Prints (`dry_run`) or writes one file's fixes; the number of findings fixed.
fn finish(plan: Planned, dry_run: bool, written: &mut Vec<PathBuf>) -> Result<usize, String> {
    let Planned::Edit {
        name,
        path,
        before,
        after,
        added,
        count,
    } = plan
    else {
        return Ok(0);
    };
    if dry_run {
        if after != before {
            // Context lines could show a Secret's values: none beside a Secret.
            let radius = if holds_secret(&before) { 0 } else { 3 };
            out!(
                "{}",
                similar::TextDiff::from_lines(&before, &after)
                    .unified_diff()
                    .context_radius(radius)
                    .header(&format!("a/{name}"), &format!("b/{name}"))
            );
        }
        for (target, content) in &added {
            let shown = crate::walk::shown(target);
            out!(
                "{}",
                similar::TextDiff::from_lines("", content.as_str())
                    .unified_diff()
                    .context_radius(3)
                    .header("/dev/null", &format!("b/{shown}"))
            );
        }
        return Ok(count);
    }
    if after != before {
        write_whole(&path, after.as_bytes()).map_err(|e| format!("{name}: error: {e}"))?;
    }
    for (target, content) in &added {
        // Never over a file (or link) that appeared since.
        fs_err::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(target)
            .and_then(|mut out| out.write_all(content.as_bytes()))
            .map_err(|e| format!("{name}: error: {e}"))?;
        written.push(target.clone());
    }
    Ok(count)
}

/// Whether a document of `text` is a Secret (or the text cannot be read to tell).
fn holds_secret(text: &str) -> bool {
    rampart_yaml::edit::documents(text).map_or(true, |docs| {
        docs.iter()
            .any(|(_, doc)| doc.get("kind").and_then(|k| k.as_str()) == Some("Secret"))
    })
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
