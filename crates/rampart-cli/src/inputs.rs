//! Reads and validates a GitOps repository's inputs: rampart.yaml, the environments and the
//! requests under specs/. Every problem in every file is collected before giving up.

use anyhow::{Context, Result, bail};
use rampart_git::FileSet;
use rampart_model::{
    Diagnostics, Environment, RepoConfig, RequestContext, parse_environment, parse_repo_config,
    parse_request,
};
use rampart_render::{Blueprint, RequestFile};
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
    let text = fs_err::read_to_string(repo.join(CONFIG_FILE)).with_context(|| {
        format!(
            "{} is not a Rampart repository (see `rampart init`)",
            repo.display()
        )
    })?;
    Ok(parse_repo_config(&display(repo, CONFIG_FILE), &text)?)
}

impl Inputs {
    /// Reads the inputs of `repo`. `pending` holds input files not yet on disk (e.g. the
    /// request `rampart new` is about to add); they take part as if they were.
    pub fn load(repo: &Path, pending: &FileSet) -> Result<Inputs> {
        let mut files = FileSet::new();
        let mut diagnostics = Diagnostics::default();
        let read = |rel: &str, files: &mut FileSet| -> Result<String> {
            let bytes = match pending.get(rel) {
                Some(b) => b.clone(),
                None => fs_err::read(repo.join(rel)).with_context(|| {
                    format!(
                        "cannot read {}; is {} a Rampart repository (see `rampart init`)?",
                        rel,
                        repo.display()
                    )
                })?,
            };
            let text = String::from_utf8(bytes.clone())
                .with_context(|| format!("{} is not UTF-8", display(repo, rel)))?;
            files.insert(rel.to_string(), bytes);
            Ok(text)
        };

        let text = read(CONFIG_FILE, &mut files)?;
        let config = parse_repo_config(&display(repo, CONFIG_FILE), &text)?;
        let mut environments = Vec::new();
        for name in &config.environments {
            let rel = format!("environments/{name}.yaml");
            let text = read(&rel, &mut files)?;
            match parse_environment(&display(repo, &rel), &text, name) {
                Ok(env) => environments.push(env),
                Err(d) => diagnostics.0.extend(d.0),
            }
        }
        if !diagnostics.is_empty() {
            return Err(diagnostics.into());
        }

        let mut requests = Vec::new();
        for rel in spec_files(repo, pending)? {
            let text = read(&rel, &mut files)?;
            let Some(stem) = rel
                .strip_prefix("specs/")
                .and_then(|f| f.strip_suffix(".yaml").or_else(|| f.strip_suffix(".yml")))
            else {
                continue; // not a request: committed as it is
            };
            let ctx = RequestContext {
                file_stem: stem,
                required_labels: &config.governance.required_labels,
                environments: &environments,
            };
            match parse_request(&display(repo, &rel), &text, &ctx) {
                Ok(request) => requests.push(RequestFile { path: rel, request }),
                Err(d) => diagnostics.0.extend(d.0),
            }
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

/// Repository-relative paths of every file directly under specs/, sorted, including
/// pending ones. Sub-directories are refused so nothing there is silently ignored.
fn spec_files(repo: &Path, pending: &FileSet) -> Result<Vec<String>> {
    let mut out: Vec<String> = pending
        .keys()
        .filter(|k| k.starts_with("specs/"))
        .cloned()
        .collect();
    let dir = repo.join(SPECS_DIR);
    if dir.is_dir() {
        for entry in fs_err::read_dir(&dir)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            if entry.file_type()?.is_dir() {
                bail!(
                    "{}: sub-directories are not supported; keep one request file per namespace directly in specs/",
                    display(repo, &format!("specs/{name}"))
                );
            }
            out.push(format!("specs/{name}"));
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// How a repository file is named in messages: relative to the current directory.
pub fn display(repo: &Path, rel: &str) -> String {
    if repo == Path::new(".") {
        rel.to_string()
    } else {
        repo.join(rel).display().to_string()
    }
}

/// The built-in blueprint, or the one in `dir`.
pub fn blueprint(dir: Option<&PathBuf>) -> Result<Blueprint> {
    let Some(dir) = dir else {
        return Ok(Blueprint::embedded()?);
    };
    let mut files = Vec::new();
    for entry in fs_err::read_dir(dir)? {
        let entry = entry?;
        if entry.file_type()?.is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            files.push((name, fs_err::read_to_string(entry.path())?));
        }
    }
    Blueprint::from_files(files).with_context(|| format!("blueprint {}", dir.display()))
}
