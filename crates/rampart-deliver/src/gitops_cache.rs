//! A local cache of each environment's `clusters/<env>/gitops/` files in
//! `.git/rampart/gitops-cache`, beside the render cache: the Argo CD or Flux objects list
//! every namespace of the environment, so rendering them costs as much as the repository is
//! large (a tenth of a one-request edit at 30,000 namespaces, issue 30) although one edit
//! rarely changes them.
//!
//! An entry maps a fingerprint of everything those files depend on (this rampart binary,
//! `rampart.yaml`, the environment's name, and each namespace's name, team, source
//! repositories and file names) to their blob ids. It is used only when the fingerprint
//! matches and every blob is in the object database; anything else renders them again.
//! Like the render cache it is trusted local state, never committed.

use crate::inputs::CONFIG_FILE;
use crate::render_cache::{binary_identity, load_file, write_file};
use rampart_git::{Content, FileContent, FileSet, Files, Oid, blob_id};
use rampart_render::gitops::GitOpsNamespace;
use std::collections::BTreeMap;
use std::fmt::Write;
use std::path::{Path, PathBuf};

const HEADER: &str = "rampart-gitops-cache v1";

/// A fingerprint and the (path, blob id) of each file rendered for it.
type Entry = (Oid, Vec<(String, Oid)>);

/// The cache file of one repository, and what this run rendered for it.
pub struct GitOpsCache {
    path: PathBuf,
    /// Environment → fingerprint and (path, blob id) of each file.
    entries: BTreeMap<String, Entry>,
    /// Environment → fingerprint and paths of the files rendered (not reused) by this run.
    rendered: BTreeMap<String, (Oid, Vec<String>)>,
}

impl GitOpsCache {
    /// Reads the cache of the repository at `repo`; missing or unreadable is empty. `None`
    /// when the repository has no `.git` to keep it in.
    pub fn load(repo: &Path) -> Option<GitOpsCache> {
        let (path, entries, _) = load_file(repo, "gitops-cache", HEADER, parse_line)?;
        Some(GitOpsCache {
            path,
            entries,
            rendered: BTreeMap::new(),
        })
    }

    /// The files of `env` as an earlier run rendered them for `fingerprint`, if recorded
    /// and all still in the object database.
    pub fn reuse(&self, repo: &Path, env: &str, fingerprint: Oid) -> Option<Files> {
        let (recorded, files) = self.entries.get(env)?;
        if *recorded != fingerprint {
            return None;
        }
        let ids: Vec<Oid> = files.iter().map(|(_, id)| *id).collect();
        let present = rampart_git::have_objects(repo, &ids).ok()?;
        if !present.iter().all(|p| *p) {
            return None;
        }
        Some(
            files
                .iter()
                .map(|(path, id)| (path.clone(), Content::stored(*id)))
                .collect(),
        )
    }

    /// Notes that this run rendered `paths` for `env` under `fingerprint`, to be recorded
    /// by [`GitOpsCache::store`].
    pub fn rendered(&mut self, env: &str, fingerprint: Oid, paths: Vec<String>) {
        self.rendered.insert(env.to_owned(), (fingerprint, paths));
    }

    /// Records what this run rendered, with blob ids from `files`, once they are in the
    /// object database. Best effort: a cache that cannot be written only costs time.
    pub fn store(mut self, files: &Files) {
        if self.rendered.is_empty() {
            return;
        }
        for (env, (fingerprint, paths)) in std::mem::take(&mut self.rendered) {
            let ids: Option<Vec<(String, Oid)>> = paths
                .into_iter()
                .map(|path| {
                    let id = files.get(&path)?.id();
                    (!path.contains([' ', ':', '\n'])).then_some((path, id))
                })
                .collect();
            match ids {
                Some(ids) => self.entries.insert(env, (fingerprint, ids)),
                None => self.entries.remove(&env),
            };
        }
        if let Err(e) = self.write() {
            tracing::warn!(path = %self.path.display(), error = %e, "gitops cache not written");
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let mut text = format!("{HEADER}\n");
        for (env, (fingerprint, files)) in &self.entries {
            let _ = write!(text, "{env} {fingerprint}");
            for (path, id) in files {
                let _ = write!(text, " {path}:{id}");
            }
            text.push('\n');
        }
        write_file(&self.path, &text)
    }
}

/// Fingerprint of everything `env`'s gitops files depend on, or `None` when this binary
/// cannot be identified or `rampart.yaml` is not among `inputs`.
pub fn fingerprint(env: &str, inputs: &FileSet, namespaces: &[GitOpsNamespace]) -> Option<Oid> {
    let mut key = binary_identity()?;
    let config = blob_id(inputs.get(CONFIG_FILE)?);
    let _ = writeln!(key, "{config} {env}");
    // Each field length-prefixed, so that no two lists give the same text.
    let mut field = |text: &str| {
        let _ = write!(key, "{}:{text},", text.len());
    };
    for ns in namespaces {
        field(&ns.name);
        field(ns.team.as_deref().unwrap_or("\n"));
        field(&ns.source_repos.len().to_string());
        for repo in &ns.source_repos {
            field(repo);
        }
        field(&ns.files.len().to_string());
        for file in &ns.files {
            field(file);
        }
    }
    Some(blob_id(key.as_bytes()))
}

fn parse_line(line: &str) -> Option<(String, Entry)> {
    let mut parts = line.split(' ');
    let env = parts.next()?.to_owned();
    let fingerprint = Oid::from_str(parts.next()?).ok()?;
    let files = parts
        .map(|p| {
            let (path, id) = p.rsplit_once(':')?;
            Some((path.to_owned(), Oid::from_str(id).ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((env, (fingerprint, files)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ns(name: &str, team: Option<&str>, repos: &[&str], files: &[&str]) -> GitOpsNamespace {
        GitOpsNamespace {
            name: name.to_owned(),
            team: team.map(str::to_owned),
            source_repos: repos.iter().map(|r| r.to_string()).collect(),
            files: files.iter().map(|f| f.to_string()).collect(),
        }
    }

    #[test]
    fn every_input_of_the_gitops_files_changes_the_fingerprint() {
        let mut inputs = FileSet::new();
        inputs.insert(CONFIG_FILE.to_owned(), b"a: 1\n".to_vec());
        let base = vec![
            ns("a", Some("t"), &["r1"], &["x.yaml", "y.yaml"]),
            ns("b", None, &[], &["x.yaml"]),
        ];
        let fp = |env: &str, inputs: &FileSet, list: &[GitOpsNamespace]| {
            fingerprint(env, inputs, list).expect("this test binary can be identified")
        };
        let first = fp("dev", &inputs, &base);
        assert_eq!(first, fp("dev", &inputs, &base.clone()), "stable");
        let mut other_config = inputs.clone();
        other_config.insert(CONFIG_FILE.to_owned(), b"a: 2\n".to_vec());
        let mut renamed = base.clone();
        renamed[1].name = "c".into();
        let mut team = base.clone();
        team[1].team = Some("t".into());
        let mut repos = base.clone();
        repos[0].source_repos = vec!["r1".into(), "r2".into()];
        // The same characters split differently between fields.
        let mut shifted = base.clone();
        shifted[0].files = vec!["x.yamly.yaml".into()];
        let mut fewer = base.clone();
        fewer.pop();
        for (case, got) in [
            ("environment", fp("prod", &inputs, &base)),
            ("rampart.yaml", fp("dev", &other_config, &base)),
            ("namespace name", fp("dev", &inputs, &renamed)),
            ("team", fp("dev", &inputs, &team)),
            ("source repositories", fp("dev", &inputs, &repos)),
            ("file names", fp("dev", &inputs, &shifted)),
            ("namespace removed", fp("dev", &inputs, &fewer)),
        ] {
            assert_ne!(got, first, "{case}");
        }
        assert_eq!(fingerprint("dev", &FileSet::new(), &base), None);
    }

    /// `git hash-object -w`: the blob stored in the repository at `dir`.
    fn write_blob(dir: &Path, bytes: &[u8]) -> Oid {
        use std::io::Write as _;
        let mut git = std::process::Command::new("git")
            .args(["hash-object", "-w", "--stdin"])
            .current_dir(dir)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        git.stdin.take().unwrap().write_all(bytes).unwrap();
        let out = git.wait_with_output().unwrap();
        assert!(out.status.success());
        Oid::from_str(String::from_utf8(out.stdout).unwrap().trim()).unwrap()
    }

    #[test]
    fn a_stored_entry_is_reused_only_for_its_fingerprint_and_present_blobs() {
        let tmp = tempfile::tempdir().unwrap();
        rampart_git::init_repository(tmp.path()).unwrap();
        let text = b"kind: Application\n";
        let stored = write_blob(tmp.path(), text);
        let path = "clusters/dev/gitops/applications.yaml".to_owned();
        let files: Files = [(path.clone(), Content::plain(text.to_vec()))].into();
        let fp = blob_id(b"one");
        let mut cache = GitOpsCache::load(tmp.path()).unwrap();
        assert!(cache.reuse(tmp.path(), "dev", fp).is_none(), "empty");
        cache.rendered("dev", fp, vec![path.clone()]);
        cache.store(&files);

        let cache = GitOpsCache::load(tmp.path()).unwrap();
        let reused = cache.reuse(tmp.path(), "dev", fp).expect("reused");
        assert_eq!(reused[&path].id(), stored);
        assert!(cache.reuse(tmp.path(), "dev", blob_id(b"two")).is_none());
        assert!(cache.reuse(tmp.path(), "prod", fp).is_none());

        // A blob gone from the object database: rendered again.
        let missing: Files = [(path.clone(), Content::plain(b"never stored\n".to_vec()))].into();
        let mut cache = GitOpsCache::load(tmp.path()).unwrap();
        cache.rendered("dev", fp, vec![path]);
        cache.store(&missing);
        let cache = GitOpsCache::load(tmp.path()).unwrap();
        assert!(cache.reuse(tmp.path(), "dev", fp).is_none());
    }
}
