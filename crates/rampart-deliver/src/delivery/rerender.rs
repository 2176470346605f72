//! Rendering a local change onto another commit: the local change to the inputs (relative
//! to the commit the checkout shares with the remote) is laid over the inputs of the
//! fetched remote head, and the combination is rendered as `render` would there.

use crate::error::{Error, Result, bail};
use crate::inputs::{INPUT_PATHS, Inputs, display, is_input};
use crate::render::{CacheUse, Rendered, render_inputs};
use crate::{Event, Reporter};
use rampart_git::{Change, ChangeKind, Content, FileSet, Oid};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

/// The local change to the inputs: each input file that differs between the merge base
/// and the work tree, with its base content (`None`: added) and its local content
/// (`None`: deleted).
pub struct InputDelta {
    entries: BTreeMap<String, Contents>,
}

/// A file's content before and after a change (`None`: absent).
type Contents = (Option<Vec<u8>>, Option<Vec<u8>>);

impl InputDelta {
    /// What `local` (the work tree's inputs) changes relative to the inputs of commit
    /// `since` (`None`: no common history, so every local input is new).
    pub fn between(repo: &Path, since: Option<Oid>, local: &FileSet) -> Result<InputDelta> {
        let base = match since {
            Some(commit) => rampart_git::read_commit_files(repo, commit, INPUT_PATHS)?,
            None => FileSet::new(),
        };
        let mut entries = BTreeMap::new();
        for path in base.keys().chain(local.keys()) {
            if !is_input(path) || entries.contains_key(path) {
                continue;
            }
            let (old, new) = (base.get(path), local.get(path));
            if old != new {
                entries.insert(path.clone(), (old.cloned(), new.cloned()));
            }
        }
        Ok(InputDelta { entries })
    }

    /// Whether the work tree changes no input.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The change as [`Change`]s (for naming the branch: the same change gives the same
    /// name whatever the remote holds meanwhile).
    pub fn changes(&self) -> Vec<Change> {
        self.entries
            .iter()
            .map(|(path, (old, new))| Change {
                path: path.clone(),
                kind: match (old, new) {
                    (None, _) => ChangeKind::Added,
                    (_, None) => ChangeKind::Deleted,
                    _ => ChangeKind::Modified,
                },
                old_id: old.as_deref().map(rampart_git::blob_id),
                new_id: new.as_deref().map(rampart_git::blob_id),
            })
            .collect()
    }

    /// `remote` (the inputs of the remote head) with this change laid over it. A file the
    /// remote changed too, differently, is a conflict; the same change on both sides is not.
    pub fn apply(&self, mut remote: FileSet, repo: &Path, on: &str) -> Result<FileSet> {
        let mut conflicts = Vec::new();
        for (path, (old, new)) in &self.entries {
            let there = remote.get(path);
            if there == new.as_ref() {
                continue; // the remote already made the same change
            }
            if there != old.as_ref() {
                conflicts.push(display(repo, path));
                continue;
            }
            match new {
                Some(bytes) => remote.insert(path.clone(), bytes.clone()),
                None => remote.remove(path),
            };
        }
        if !conflicts.is_empty() {
            bail!(
                "{} changed both locally and on {on} since your checkout, differently: `git pull`, resolve the conflict, then run again (nothing was pushed; your local repository is unchanged)",
                conflicts.join(", ")
            );
        }
        Ok(remote)
    }
}

/// Renders `delta` laid over the inputs of commit `head` (named `on` in messages): its
/// files are every input and generated file, its owned prefixes include `environments/`.
/// Invalid combined inputs are [`rampart_model::Diagnostics`] (exit status 2) with file:line as usual,
/// after an [`Event::CombinedInputsInvalid`].
pub fn render_onto(
    repo: &Path,
    head: Oid,
    on: &str,
    delta: &InputDelta,
    blueprints: Option<&PathBuf>,
    only_env: Option<&str>,
    report: Reporter<'_>,
) -> Result<Rendered> {
    let remote = rampart_git::read_commit_files(repo, head, INPUT_PATHS)?;
    let combined = delta.apply(remote, repo, on)?;
    let inputs = match Inputs::from_files(repo, &combined) {
        Ok(inputs) => inputs,
        Err(e) => {
            if matches!(e.root(), Error::Invalid(_)) {
                report(Event::CombinedInputsInvalid { on });
            }
            return Err(e);
        }
    };
    let mut rendered = render_inputs(repo, inputs, blueprints, only_env, CacheUse::ReadWrite)?;
    // Inputs the render did not read (other environments' files) go along unchanged; a
    // deleted one is absent, and `environments/` is owned, so it is deleted there too.
    rendered.files.extend(
        combined
            .into_iter()
            .map(|(path, bytes)| (path, Content::plain(bytes))),
    );
    rendered.owned.push("environments/".to_owned());
    Ok(rendered)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(entries: &[(&str, &str)]) -> FileSet {
        entries
            .iter()
            .map(|(p, c)| ((*p).to_owned(), c.as_bytes().to_vec()))
            .collect()
    }

    fn delta(base: &[(&str, &str)], local: &[(&str, &str)]) -> InputDelta {
        let (base, local) = (set(base), set(local));
        let mut entries = BTreeMap::new();
        for path in base.keys().chain(local.keys()) {
            let (old, new) = (base.get(path).cloned(), local.get(path).cloned());
            if is_input(path) && old != new {
                entries.insert(path.clone(), (old, new));
            }
        }
        InputDelta { entries }
    }

    #[test]
    fn both_sides_changes_combine_and_a_differing_change_to_one_file_conflicts() {
        let base = [
            ("rampart.yaml", "r"),
            ("specs/a.yaml", "a"),
            ("specs/old.yaml", "o"),
        ];
        let local = [
            ("rampart.yaml", "r"),
            ("specs/a.yaml", "a2"),
            ("specs/b.yaml", "b"),
        ];
        let d = delta(&base, &local);
        let remote = set(&[
            ("rampart.yaml", "r"),
            ("specs/a.yaml", "a"),
            ("specs/old.yaml", "o"),
            ("specs/c.yaml", "c"),
            ("environments/dev.yaml", "remote"),
        ]);
        let combined = d
            .apply(remote.clone(), Path::new("."), "origin/main")
            .unwrap();
        assert_eq!(
            combined,
            set(&[
                ("rampart.yaml", "r"),
                ("specs/a.yaml", "a2"),
                ("specs/b.yaml", "b"),
                ("specs/c.yaml", "c"),
                ("environments/dev.yaml", "remote"),
            ])
        );
        // The same change on both sides is no conflict.
        let mut same = remote.clone();
        same.insert("specs/a.yaml".into(), b"a2".to_vec());
        assert!(d.apply(same, Path::new("."), "origin/main").is_ok());
        // A different one is, and names the file.
        let mut other = remote;
        other.insert("specs/a.yaml".into(), b"a3".to_vec());
        let error = d
            .apply(other, Path::new("."), "origin/main")
            .unwrap_err()
            .to_string();
        assert!(
            error.starts_with("specs/a.yaml changed both locally and on origin/main"),
            "{error}"
        );
    }

    #[test]
    fn the_change_is_named_by_its_files_not_their_content() {
        let d = delta(
            &[("specs/a.yaml", "a")],
            &[("specs/a.yaml", "a2"), ("specs/b.yaml", "b")],
        );
        let kinds: Vec<(String, ChangeKind)> =
            d.changes().into_iter().map(|c| (c.path, c.kind)).collect();
        assert_eq!(
            kinds,
            [
                ("specs/a.yaml".to_owned(), ChangeKind::Modified),
                ("specs/b.yaml".to_owned(), ChangeKind::Added)
            ]
        );
    }
}
