//! The render pipeline: inputs rendered (with the render cache) into the files a commit
//! holds, and committed locally or handed to [`crate::delivery`].

use crate::cluster_config::{cluster_dir, cluster_files};
use crate::error::Result;
use crate::gitops_cache::{self, GitOpsCache};
use crate::inputs::{self, Inputs, SPECS_DIR};
use crate::render_cache::{Fingerprints, RenderCache, fingerprints};
use crate::repair_scope;
use crate::{CommitOptions, Event, Reporter, Title, author};
use rampart_git::{CommitOutcome, CommitRequest, Content, FileSet, Files, Message, Spool};
use rampart_render::gitops::{GitOpsNamespace, gitops_dir, render_gitops};
use rampart_render::{Prior, RequestFile};
use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

/// What a render would commit: input files plus generated files, and the directories whose
/// every file is generated (or read) by this run.
pub struct Rendered {
    /// Input and generated files. Inputs are as read from the work tree, so comparing this
    /// set with the work tree finds only generated files that drifted. Generated files are
    /// held deflated, or only by id when the render cache found them in the object database.
    pub files: Files,
    /// How many of `files` are generated.
    pub generated: usize,
    /// Prefixes owned by this run: files under them that are not in `files` go away.
    pub owned: Vec<String>,
    /// Inputs as loaded.
    pub inputs: Inputs,
    /// `clusters/<env>/namespaces/<ns>/` of each namespace reused from the render cache
    /// (not rendered again by this run).
    pub reused: HashSet<String>,
    /// The render cache and the fingerprints of what was rendered, stored after a commit.
    cache: Option<(RenderCache, Fingerprints)>,
    /// The cache of the environments' gitops files, stored after a commit.
    gitops_cache: Option<GitOpsCache>,
}

impl Rendered {
    /// Records what was rendered in the render cache, once its blobs are in the object
    /// database (committed, or built into a delivered commit).
    pub fn store_cache(&mut self) {
        if let Some((cache, fps)) = self.cache.take() {
            cache.store(&fps, &self.files);
        }
        if let Some(cache) = self.gitops_cache.take() {
            cache.store(&self.files);
        }
    }
}

/// Whether a render may reuse namespaces from the local render cache.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheUse {
    /// Reuse unchanged namespaces (their fingerprint covers the binary, the blueprint, the
    /// environment and the request) and record new ones after a commit; `render --check`
    /// reuses too but never commits, so it records nothing.
    ReadWrite,
    /// Render everything.
    Ignore,
}

/// Loads the inputs (with `pending` files added) and renders them.
pub fn render_repo(
    repo: &Path,
    blueprints: Option<&PathBuf>,
    only_env: Option<&str>,
    pending: &FileSet,
    cache: CacheUse,
) -> Result<Rendered> {
    let started = Instant::now();
    let inputs = Inputs::load(repo, pending)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "inputs loaded"
    );
    render_inputs(repo, inputs, blueprints, only_env, cache)
}

/// Renders inputs already loaded (from the work tree or a commit): the namespaces and the
/// cluster files of the environments selected, and the prefixes they own.
pub fn render_inputs(
    repo: &Path,
    mut inputs: Inputs,
    blueprints: Option<&PathBuf>,
    only_env: Option<&str>,
    cache: CacheUse,
) -> Result<Rendered> {
    let started = Instant::now();
    let environments = inputs.selected(only_env)?;
    let blueprint = inputs::blueprint(blueprints)?;
    let (cache, mut gitops_cache) = match cache {
        CacheUse::Ignore => (None, None),
        CacheUse::ReadWrite => (RenderCache::load(repo), GitOpsCache::load(repo)),
    };
    let probe_image = inputs.config.service.as_ref().map(|s| s.image.as_str());
    let cache = cache.zip(fingerprints(
        &blueprint,
        &environments,
        &inputs.requests,
        &inputs.files,
        probe_image,
    ));
    let prior = match &cache {
        Some((cache, fps)) => cache.prior(repo, fps),
        None => Prior::new(),
    };
    tracing::info!(reused = prior.len(), "render cache read");
    let reused: HashSet<String> = prior
        .keys()
        .map(|(env, ns)| format!("clusters/{env}/namespaces/{ns}/"))
        .collect();
    let mut generated = rampart_render::render_repository(
        &blueprint,
        &inputs.requests,
        &environments,
        prior,
        inputs.config.service(),
        probe_image,
        &keeper(repo),
    )?;
    let mut owned = Vec::with_capacity(2 * environments.len() + 1);
    for env in &environments {
        owned.push(format!("clusters/{}/namespaces/", env.name));
        let dir = cluster_dir(&env.name);
        for (path, bytes) in cluster_files(env, &inputs.config, &inputs.requests)? {
            generated.insert(format!("{dir}{path}"), Content::plain(bytes));
        }
        owned.push(dir);
        let dir = gitops_dir(&env.name);
        let namespaces = gitops_namespaces(&env.name, &generated, &inputs);
        // Rendered again only when something they depend on changed (see `gitops_cache`).
        let fingerprint = gitops_cache
            .as_ref()
            .and_then(|_| gitops_cache::fingerprint(&env.name, &inputs.files, &namespaces));
        let reused = gitops_cache
            .as_ref()
            .zip(fingerprint)
            .and_then(|(cache, fp)| cache.reuse(repo, &env.name, fp));
        tracing::info!(env = %env.name, reused = reused.is_some(), "gitops files");
        match reused {
            Some(files) => generated.extend(files),
            None => {
                let mut paths = Vec::new();
                for (path, text) in render_gitops(env, &inputs.config, &namespaces)? {
                    let path = format!("{dir}{path}");
                    paths.push(path.clone());
                    generated.insert(path, Content::plain(text.into_bytes()));
                }
                if let (Some(cache), Some(fp)) = (gitops_cache.as_mut(), fingerprint) {
                    cache.rendered(&env.name, fp, paths);
                }
            }
        }
        owned.push(dir);
    }
    owned.push(format!("{SPECS_DIR}/"));
    tracing::info!(
        requests = inputs.requests.len(),
        environments = environments.len(),
        files = generated.len(),
        elapsed_ms = started.elapsed().as_millis() as u64,
        "rendered"
    );
    let generated_count = generated.len();
    // Built at once (extending a map one insert at a time leaves its nodes half empty).
    let files: Files = std::mem::take(&mut inputs.files)
        .into_iter()
        .map(|(path, bytes)| (path, Content::plain(bytes)))
        .chain(generated)
        .collect();
    Ok(Rendered {
        files,
        generated: generated_count,
        owned,
        inputs,
        reused,
        cache,
        gitops_cache,
    })
}

/// The namespaces rendered for `env` (their files among `generated`), with the team and
/// source repositories of each from its request; Rampart's own service has no team.
fn gitops_namespaces(env: &str, generated: &Files, inputs: &Inputs) -> Vec<GitOpsNamespace> {
    let prefix = format!("clusters/{env}/namespaces/");
    // The first request of each name (reversed: a later insert replaces an earlier one).
    let requests: HashMap<&str, &RequestFile> = inputs
        .requests
        .iter()
        .rev()
        .map(|r| (r.request.name.as_str(), r))
        .collect();
    let mut namespaces: Vec<GitOpsNamespace> = Vec::new();
    for path in generated.keys() {
        let Some((ns, name)) = path.strip_prefix(&prefix).and_then(|p| p.split_once('/')) else {
            continue;
        };
        if namespaces.last().is_none_or(|last| last.name != ns) {
            let request = requests.get(ns);
            namespaces.push(GitOpsNamespace {
                name: ns.to_string(),
                team: request.map(|r| r.request.team.clone()),
                source_repos: request
                    .and_then(|r| r.request.gitops.as_ref())
                    .map(|g| g.source_repos.clone())
                    .unwrap_or_default(),
                files: Vec::new(),
            });
        }
        if let Some(last) = namespaces.last_mut() {
            last.files.push(name.to_string());
        }
    }
    namespaces
}

/// How rendered files are held until committed: deflated into a spool file in the
/// repository's `.git` (memory keeps only ids and places), scanned by the secret guard on
/// the way. Where no spool can be made, or one cannot be written, they are held deflated
/// in memory instead.
fn keeper(repo: &Path) -> impl Fn(&str, String) -> Content + Sync {
    let spool = rampart_git::git_dir(repo)
        .map_err(|e| e.to_string())
        .and_then(|dir| Spool::create_in(&dir).map_err(|e| e.to_string()));
    let warned = AtomicBool::new(false);
    move |path: &str, text: String| {
        let spooled = match &spool {
            Ok(spool) => {
                Content::spool_scanned(spool, path, text.as_bytes()).map_err(|e| e.to_string())
            }
            Err(e) => Err(e.clone()),
        };
        spooled.unwrap_or_else(|error| {
            if !warned.swap(true, Ordering::Relaxed) {
                tracing::warn!(%error, "rendered files held in memory: no spool file");
            }
            Content::deflate_scanned(path, text.as_bytes())
        })
    }
}

/// Commits a render and reports what happened.
/// `read_at`: where the branch was when the inputs were read (see [`crate::job::Job::read_at`]).
pub fn commit(
    repo: &Path,
    mut rendered: Rendered,
    options: &CommitOptions,
    title: Title<'_>,
    read_at: Option<&rampart_git::Tip>,
    report: Reporter<'_>,
) -> Result<()> {
    let author = author(options, Some(&rendered.inputs.config))?;
    // Rendered now: the parsed requests are not needed again, and the commit's own peak
    // (plan, pack, index) can use their memory.
    rendered.inputs.requests = Vec::new();
    let branch = options.branch.as_deref();
    let started = Instant::now();
    let describe = |changes: &[rampart_git::Change]| commit_message(&title.of(changes), changes);
    let request = CommitRequest {
        branch,
        files: &rendered.files,
        owned_prefixes: &rendered.owned,
        message: Message::Describe(&describe),
        author: author.as_ref(),
        read_at,
    };
    let outcome = rampart_git::commit_files(repo, &request)?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        "committed"
    );
    // The blobs are in the object database now, so the cache may point at them.
    rendered.store_cache();
    let checked_out = match branch {
        None => true,
        Some(b) => rampart_git::current_branch(repo)?.as_deref() == Some(b),
    };
    if checked_out {
        // The branch now holds the rendered files: undo hand edits in the work tree too —
        // everywhere when nothing was committed, else where this run worked (see
        // `repair_scope`).
        let started = Instant::now();
        let prefixes = output_prefixes(&rendered);
        let repaired = match &outcome {
            CommitOutcome::Unchanged => {
                rampart_git::restore_worktree(repo, &rendered.files, &prefixes)?
            }
            CommitOutcome::Committed { changes, .. } => {
                let (files, prefixes) = repair_scope::after_commit(
                    &rendered.files,
                    &prefixes,
                    &rendered.reused,
                    changes,
                );
                rampart_git::restore_worktree(repo, &files, &prefixes)?
            }
        };
        for repaired in repaired {
            report(Event::Restored {
                path: inputs::display(repo, &repaired.path),
            });
        }
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            "work tree checked"
        );
    }
    match outcome {
        CommitOutcome::Unchanged => report(Event::UpToDate),
        CommitOutcome::Committed {
            commit,
            branch,
            changes,
        } => report(Event::Committed {
            commit,
            branch: &branch,
            changes: changes.len(),
            touched: &touched_namespaces(&changes),
        }),
    }
    Ok(())
}

/// The owned prefixes that hold generated files (not the requests).
pub fn output_prefixes(rendered: &Rendered) -> Vec<String> {
    rendered
        .owned
        .iter()
        .filter(|p| !p.starts_with(SPECS_DIR))
        .cloned()
        .collect()
}

/// `clusters/<env>/namespaces/<ns>` of every change, or the changed input files.
fn touched_namespaces(changes: &[rampart_git::Change]) -> BTreeSet<String> {
    changes
        .iter()
        .map(|c| {
            let parts: Vec<&str> = c.path.splitn(5, '/').collect();
            match parts.as_slice() {
                ["clusters", env, "namespaces", ns, _] => {
                    format!("clusters/{env}/namespaces/{ns}/")
                }
                ["clusters", env, "cluster", ..] => cluster_dir(env),
                _ => c.path.clone(),
            }
        })
        .collect()
}

fn commit_message(title: &str, changes: &[rampart_git::Change]) -> String {
    const LISTED: usize = 100;
    let mut message = format!(
        "{title}\n\nGenerated by rampart {}.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    let touched = touched_namespaces(changes);
    for path in touched.iter().take(LISTED) {
        message.push_str(&format!("- {path}\n"));
    }
    if touched.len() > LISTED {
        message.push_str(&format!("- … and {} more\n", touched.len() - LISTED));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::keeper;
    use rampart_git::FileContent;

    const TEXT: &str = "apiVersion: v1\nkind: ConfigMap\n";

    #[test]
    fn rendered_files_go_to_a_spool_in_the_repository() {
        let tmp = tempfile::tempdir().unwrap();
        rampart_git::init_repository(tmp.path()).unwrap();
        let content = keeper(tmp.path())("a.yaml", TEXT.to_owned());
        assert!(
            format!("{content:?}").ends_with("in a spool)"),
            "{content:?}"
        );
        assert_eq!(content.held_bytes().unwrap().unwrap(), TEXT.as_bytes());
        assert!(content.guarded());
    }

    #[test]
    fn without_a_spool_they_are_held_in_memory() {
        let content = keeper(std::path::Path::new("/nonexistent/repo"))("a.yaml", TEXT.to_owned());
        let shown = format!("{content:?}");
        assert!(
            shown.contains("deflated") && !shown.contains("spool"),
            "{shown}"
        );
        assert_eq!(content.held_bytes().unwrap().unwrap(), TEXT.as_bytes());
    }
}
