//! Reads and validates a GitOps repository's inputs: rampart.yaml, the environments and the
//! requests under specs/. Every problem in every file is collected before giving up.

use crate::error::{Context, Error, Result, bail};
pub use crate::no_follow::display;
use crate::no_follow::{self, read_input, read_input_dir};
use rampart_git::FileSet;
use rampart_model::load::utf8_text;
use rampart_model::{
    Diagnostics, Environment, RepoConfig, RequestContext, RequestSource, check_network_tests,
    check_service, check_shared_keys, parse_environment, parse_repo_config, parse_request,
};
use rampart_render::{Blueprint, RequestFile};
use rayon::prelude::*;
use std::path::{Path, PathBuf};

/// Repository configuration file.
pub const CONFIG_FILE: &str = "rampart.yaml";
/// Directory of the namespace requests.
pub const SPECS_DIR: &str = "specs";

/// Everything a render reads, validated.
pub struct Inputs {
    /// `rampart.yaml`.
    pub config: RepoConfig,
    /// Every environment of the configuration, in its order.
    pub environments: Vec<Environment>,
    /// Every request, in file-name order.
    pub requests: Vec<RequestFile>,
    /// The input files as read, to be committed together with what they render.
    pub files: FileSet,
}

/// Reads and validates `rampart.yaml` alone.
pub fn load_config(repo: &Path) -> Result<RepoConfig> {
    let bytes = read_input(repo, CONFIG_FILE).map_err(|e| {
        unless_refused(e, || {
            format!(
                "{} is not a Rampart repository (see `rampart init`)",
                repo.display()
            )
        })
    })?;
    let file = display(repo, CONFIG_FILE);
    Ok(parse_repo_config(&file, utf8_text(&file, &bytes)?)?)
}

/// Reads and validates the environments `config` lists.
pub fn load_environments(repo: &Path, config: &RepoConfig) -> Result<Vec<Environment>> {
    parse_environments(repo, config, |rel| {
        let bytes = read_input(repo, rel)?;
        Ok(utf8_text(&display(repo, rel), &bytes)?.to_owned())
    })
}

/// Parses and validates the environments `config` lists, each file's text given by `read`
/// (from its repository-relative path); every environment's problems are reported at once.
fn parse_environments(
    repo: &Path,
    config: &RepoConfig,
    mut read: impl FnMut(&str) -> Result<String>,
) -> Result<Vec<Environment>> {
    let mut environments = Vec::new();
    let mut diagnostics = Diagnostics::default();
    for name in &config.environments {
        let rel = format!("environments/{name}.yaml");
        let text = read(&rel)?;
        let file = display(repo, &rel);
        match parse_environment(&file, &text, name)
            .and_then(|env| check_network_tests(&file, &text, &env, config).map(|()| env))
        {
            Ok(mut env) => {
                env.namespace_deletable = config.offboarding.delete_namespace;
                env.status_reader = config.service().map(|s| s.namespace.clone());
                environments.push(env)
            }
            Err(d) => diagnostics.0.extend(d.0),
        }
    }
    if !diagnostics.is_empty() {
        return Err(diagnostics.into());
    }
    Ok(environments)
}

/// `error` with `context` added, unless it is a refused input, which speaks for itself.
fn unless_refused(error: Error, context: impl FnOnce() -> String) -> Error {
    if matches!(error, Error::Refused(_)) {
        error
    } else {
        error.context(context())
    }
}

impl Inputs {
    /// Reads the inputs of `repo` from its work tree. `pending` holds input files not yet on
    /// disk (e.g. the request `rampart new` is about to add); they take part as if they were.
    pub fn load(repo: &Path, pending: &FileSet) -> Result<Inputs> {
        Inputs::from_files(repo, &read_worktree(repo, pending)?)
    }

    /// Validates the inputs in `source` (as [`read_worktree`] or
    /// [`rampart_git::read_commit_files`] with [`INPUT_PATHS`] return them). Files are named
    /// in messages as files of `repo`.
    pub fn from_files(repo: &Path, source: &FileSet) -> Result<Inputs> {
        let mut files = FileSet::new();
        let mut diagnostics = Diagnostics::default();
        let read = |rel: &str, files: &mut FileSet| -> Result<String> {
            let Some(bytes) = source.get(rel) else {
                bail!(
                    "cannot read {}: there is no such file; is {} a Rampart repository (see `rampart init`)?",
                    display(repo, rel),
                    repo.display()
                );
            };
            let text = utf8_text(&display(repo, rel), bytes)?.to_owned();
            files.insert(rel.to_string(), bytes.clone());
            Ok(text)
        };

        let config_text = read(CONFIG_FILE, &mut files)?;
        let config = parse_repo_config(&display(repo, CONFIG_FILE), &config_text)?;
        let environments = parse_environments(repo, &config, |rel| read(rel, &mut files))?;

        let prefix = format!("{SPECS_DIR}/");
        let mut texts = Vec::new();
        for rel in source.keys().filter(|k| k.starts_with(&prefix)) {
            if let Some((dir, _)) = rel[prefix.len()..].split_once('/') {
                bail!(
                    "{}: sub-directories are not supported; keep one request file per namespace directly in specs/",
                    display(repo, &format!("{prefix}{dir}"))
                );
            }
            let text = read(rel, &mut files)?;
            let Some(stem) = rel
                .strip_prefix("specs/")
                .and_then(|f| f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml")))
            else {
                continue; // not a request: committed as it is
            };
            texts.push((rel, stem, text));
        }
        // Parsed and validated in parallel; results (and diagnostics) in file order.
        let parsed: Vec<_> = texts
            .par_iter()
            .map(|(rel, stem, text)| {
                let ctx = RequestContext {
                    file_stem: stem,
                    required_labels: &config.governance.required_labels,
                    environments: &environments,
                    delivery_mode: config.delivery.mode,
                };
                parse_request(&display(repo, rel), text, &ctx)
            })
            .collect();
        let mut requests = Vec::with_capacity(parsed.len());
        for ((rel, _, _), result) in texts.iter().zip(parsed) {
            match result {
                Ok(request) => requests.push(RequestFile {
                    path: (*rel).clone(),
                    request,
                }),
                Err(d) => diagnostics.0.extend(d.0),
            }
        }
        if diagnostics.is_empty() {
            let shown: Vec<String> = requests.iter().map(|r| display(repo, &r.path)).collect();
            let sources: Vec<RequestSource<'_>> = requests
                .iter()
                .zip(&shown)
                .map(|(r, file)| RequestSource {
                    file,
                    text: files
                        .get(&r.path)
                        .and_then(|b| std::str::from_utf8(b).ok())
                        .unwrap_or_default(),
                    request: &r.request,
                })
                .collect();
            if let Err(d) = check_shared_keys(&sources, &environments) {
                diagnostics.0.extend(d.0);
            }
        }
        let requested: Vec<&str> = requests.iter().map(|r| r.request.name.as_str()).collect();
        if let Err(d) = check_service(
            &display(repo, CONFIG_FILE),
            &config_text,
            &config,
            &environments,
            &requested,
        ) {
            diagnostics.0.extend(d.0);
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics.into());
        }
        Ok(Inputs {
            config,
            environments,
            requests,
            files,
        })
    }

    /// The environments to render: all, or the one named.
    pub fn selected(&self, only: Option<&str>) -> Result<Vec<Environment>> {
        match only {
            None => Ok(self.environments.clone()),
            Some(name) => match self.environments.iter().find(|e| e.name == name) {
                Some(env) => Ok(vec![env.clone()]),
                None => bail!(
                    "unknown environment `{name}`; rampart.yaml lists: {}",
                    self.config.environments.join(", ")
                ),
            },
        }
    }
}

/// Where the inputs lie in a commit's tree (for [`rampart_git::read_commit_files`]).
pub const INPUT_PATHS: &[&str] = &["rampart.yaml", "environments/", "specs/"];

/// Whether a delivery carries the local change of `path` to the remote: `rampart.yaml`,
/// an environment file (`environments/*.yaml`) or a file directly under `specs/`.
pub fn is_input(path: &str) -> bool {
    if path == CONFIG_FILE {
        return true;
    }
    if let Some(name) = path.strip_prefix("environments/") {
        return !name.contains('/') && (name.ends_with(".yaml") || name.ends_with(".yml"));
    }
    path.strip_prefix("specs/")
        .is_some_and(|name| !name.is_empty() && !name.contains('/'))
}

/// The input files of the work tree (every path [`is_input`] accepts), with `pending`
/// files added. Sub-directories of specs/ are refused so nothing there is silently
/// ignored, and so is a symbolic link among the inputs ([`no_follow`]).
pub fn read_worktree(repo: &Path, pending: &FileSet) -> Result<FileSet> {
    let mut out = FileSet::new();
    if !pending.contains_key(CONFIG_FILE) {
        let bytes = read_input(repo, CONFIG_FILE).map_err(|e| {
            unless_refused(e, || {
                format!(
                    "cannot read {CONFIG_FILE}; is {} a Rampart repository (see `rampart init`)?",
                    repo.display()
                )
            })
        })?;
        out.insert(CONFIG_FILE.to_owned(), bytes);
    }
    for dir in ["environments", SPECS_DIR] {
        let Some(entries) = read_input_dir(repo, dir)? else {
            continue;
        };
        for entry in entries {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel = format!("{dir}/{name}");
            let kind = entry.file_type()?;
            if kind.is_symlink() && (dir == SPECS_DIR || is_input(&rel)) {
                return Err(no_follow::link(repo, &rel, "file"));
            }
            if kind.is_dir() {
                if dir == SPECS_DIR {
                    bail!(
                        "{}: sub-directories are not supported; keep one request file per namespace directly in specs/",
                        display(repo, &rel)
                    );
                }
                continue;
            }
            if is_input(&rel) {
                out.insert(rel.clone(), read_input(repo, &rel)?);
            }
        }
    }
    out.extend(pending.iter().map(|(k, v)| (k.clone(), v.clone())));
    Ok(out)
}

/// The built-in blueprint, or the one in `dir`. `dir` itself is taken as given (the user
/// named it); a link among its files is refused like a link among the inputs.
pub fn blueprint(dir: Option<&PathBuf>) -> Result<Blueprint> {
    let Some(dir) = dir else {
        return Ok(Blueprint::embedded()?);
    };
    let mut files = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let kind = entry.file_type()?;
        if kind.is_symlink() {
            return Err(no_follow::link(dir, &name, "file"));
        }
        if kind.is_file() {
            let bytes = no_follow::read_no_follow(&entry.path())?;
            let text = String::from_utf8(bytes)
                .with_context(|| format!("{} is not UTF-8", entry.path().display()))?;
            files.push((name, text));
        }
    }
    Blueprint::from_files(files).with_context(|| format!("blueprint {}", dir.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inputs_are_the_config_environment_files_and_files_directly_in_specs() {
        for path in [
            "rampart.yaml",
            "environments/dev.yaml",
            "environments/prod.yml",
            "specs/shop.yaml",
            "specs/NOTES.md",
        ] {
            assert!(is_input(path), "{path}");
        }
        for path in [
            "environments/README.md",
            "environments/dev/extra.yaml",
            "specs/team/shop.yaml",
            "clusters/dev/kustomization.yaml",
            "other.yaml",
        ] {
            assert!(!is_input(path), "{path}");
        }
    }
}
