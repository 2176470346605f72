//! A local cache of rendered namespaces in `.git/rampart/render-cache`, so that `render`
//! with unchanged inputs does not render everything again.
//!
//! An entry maps a fingerprint of everything one namespace's output depends on (this
//! rampart binary, the blueprint, the environment file, the request file and its path) to
//! the blob ids of its files. The files are read back from Git's object database by id; an
//! entry is used only when its fingerprint matches and every blob is present, so a stale,
//! truncated or unparsable cache causes a miss. Like the index, it is trusted local state in
//! `.git`: it is never committed and a fresh clone (CI) renders everything. `render --check`
//! reads it (and writes nothing): a reused namespace's files are still compared with the
//! work tree like rendered ones, so a hand edit, a missing or a left-over file is found
//! whether or not its namespace was rendered again.

use rampart_git::{Content, FileContent, FileSet, Files, Oid, blob_id};
use rampart_model::Environment;
use rampart_render::{Blueprint, Prior, RequestFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

const HEADER: &str = "rampart-render-cache v1";

/// Blob ids looked up per handle on the object database.
const PRESENCE_CHUNK: usize = 16 * 1024;

/// (environment, namespace).
pub type Key = (String, String);

/// Fingerprints of the namespaces about to be rendered.
pub type Fingerprints = BTreeMap<Key, Oid>;

/// The cache file of one repository.
pub struct RenderCache {
    path: PathBuf,
    entries: HashMap<Key, Entry>,
}

/// What one namespace rendered to, for one fingerprint.
struct Entry {
    fingerprint: Oid,
    /// File name and blob id of each file.
    files: Vec<(String, Oid)>,
}

/// Fingerprints every (environment, request) pair, or `None` when this binary cannot be
/// identified (then nothing is cached). `probe_image` runs the probe Jobs of environments
/// with `networkTests`, so it is part of their fingerprints.
pub fn fingerprints(
    blueprint: &Blueprint,
    environments: &[Environment],
    requests: &[RequestFile],
    inputs: &FileSet,
    probe_image: Option<&str>,
) -> Option<Fingerprints> {
    let mut common = binary_identity()?.into_bytes();
    for (name, text) in blueprint.identity() {
        common.extend_from_slice(format!("{name} {}\n", blob_id(text.as_bytes())).as_bytes());
    }
    let common = blob_id(&common);
    // Each request hashed once, not once per environment.
    let request_ids = requests
        .iter()
        .map(|request| Some(blob_id(inputs.get(&request.path)?)))
        .collect::<Option<Vec<Oid>>>()?;
    let mut out = Fingerprints::new();
    for env in environments {
        let env_file = format!("environments/{}.yaml", env.name);
        let mut env_id = blob_id(inputs.get(&env_file)?).to_string();
        if env.namespace_deletable {
            env_id = format!("{env_id} deletable");
        }
        if env.network_tests {
            env_id = format!("{env_id} probe {}", probe_image.unwrap_or("-"));
        }
        if let Some(reader) = &env.status_reader {
            env_id = format!("{env_id} status-reader {reader}");
        }
        for (request, request_id) in requests.iter().zip(&request_ids) {
            let key = format!("{common} {env_id} {} {request_id}", request.path);
            out.insert(
                (env.name.clone(), request.request.name.clone()),
                blob_id(key.as_bytes()),
            );
        }
    }
    Some(out)
}

/// This rampart binary as fingerprints know it (version, size and modification time of
/// the executable), or `None` when it cannot be identified.
pub fn binary_identity() -> Option<String> {
    let exe = std::env::current_exe().ok()?.metadata().ok()?;
    let modified = exe
        .modified()
        .ok()?
        .duration_since(std::time::UNIX_EPOCH)
        .ok()?;
    Some(format!(
        "{} {} {}\n",
        env!("CARGO_PKG_VERSION"),
        exe.len(),
        modified.as_nanos()
    ))
}

impl RenderCache {
    /// Reads the cache of the repository at `repo`; a missing or unreadable cache is empty.
    pub fn load(repo: &Path) -> Option<RenderCache> {
        let (path, entries) = load_file(repo, "render-cache", HEADER, parse_line)?;
        Some(RenderCache { path, entries })
    }

    /// Files of every namespace whose fingerprint is unchanged and whose blobs are still in
    /// the object database.
    pub fn prior(&self, repo: &Path, fingerprints: &Fingerprints) -> Prior<Content> {
        let hits: Vec<(&Key, &Vec<(String, Oid)>)> = fingerprints
            .iter()
            .filter_map(|(key, fp)| match self.entries.get(key) {
                Some(entry) if entry.fingerprint == *fp => Some((key, &entry.files)),
                _ => None,
            })
            .collect();
        let ids: Vec<Oid> = hits
            .iter()
            .flat_map(|(_, files)| files.iter().map(|(_, id)| *id))
            .collect();
        // Only the ids are kept: the blobs are read if and when a commit needs them. Looked
        // up in parallel, each chunk with its own handle on the object database (240,000
        // lookups took 7 % of a one-request edit at 30,000 namespaces in one thread).
        let Ok(present) = ids
            .par_chunks(PRESENCE_CHUNK)
            .map(|chunk| rampart_git::have_objects(repo, chunk))
            .collect::<Result<Vec<Vec<bool>>, _>>()
        else {
            return Prior::new();
        };
        let mut present = present.into_iter().flatten();
        let mut prior = Prior::new();
        for (key, files) in hits {
            let mut all = true;
            let mut kept = BTreeMap::new();
            for (name, id) in files {
                all &= present.next() == Some(true);
                kept.insert(name.clone(), Content::stored(*id));
            }
            if all {
                prior.insert(key.clone(), kept);
            }
        }
        prior
    }

    /// Records the files `generated` holds for each fingerprinted namespace. Best effort: a
    /// cache that cannot be written only costs time next run.
    pub fn store(mut self, fingerprints: &Fingerprints, generated: &Files) {
        let mut changed = false;
        for (key, fp) in fingerprints {
            if self.entries.get(key).is_some_and(|e| e.fingerprint == *fp) {
                continue;
            }
            let dir = format!("clusters/{}/namespaces/{}/", key.0, key.1);
            let files: Vec<(String, Oid)> = generated
                .range(dir.clone()..)
                .take_while(|(path, _)| path.starts_with(&dir))
                .map(|(path, content)| (path[dir.len()..].to_string(), content.id()))
                .collect();
            if files.is_empty()
                || files
                    .iter()
                    .any(|(name, _)| name.contains([' ', ':', '\n', '/']))
            {
                continue;
            }
            let entry = Entry {
                fingerprint: *fp,
                files,
            };
            self.entries.insert(key.clone(), entry);
            changed = true;
        }
        // Forget namespaces gone from the environments rendered now; keep the others.
        let rendered: HashSet<&str> = fingerprints.keys().map(|k| k.0.as_str()).collect();
        let before = self.entries.len();
        self.entries
            .retain(|key, _| fingerprints.contains_key(key) || !rendered.contains(key.0.as_str()));
        if (changed || self.entries.len() != before)
            && let Err(e) = self.write()
        {
            tracing::warn!(path = %self.path.display(), error = %e, "render cache not written");
        }
    }

    fn write(&self) -> std::io::Result<()> {
        let mut text = format!("{HEADER}\n");
        let mut keys: Vec<&Key> = self.entries.keys().collect();
        keys.sort();
        for key in keys {
            let entry = &self.entries[key];
            let _ = write!(text, "{} {} {}", key.0, key.1, entry.fingerprint);
            for (name, id) in &entry.files {
                let _ = write!(text, " {name}:{id}");
            }
            text.push('\n');
        }
        write_file(&self.path, &text)
    }
}

/// `.git/rampart/<name>` of the repository at `repo` (`None` without a `.git`), with the
/// entries `parse` makes of its lines after `header`; a missing or unreadable file, or one
/// of another format, has none (a line that does not parse is left out).
pub fn load_file<K, E, M: FromIterator<(K, E)>>(
    repo: &Path,
    name: &str,
    header: &str,
    parse: impl Fn(&str) -> Option<(K, E)>,
) -> Option<(PathBuf, M)> {
    let path = rampart_git::git_dir(repo).ok()?.join("rampart").join(name);
    let text = fs_err::read_to_string(&path)
        .ok()
        .filter(|text| text.starts_with(header))
        .unwrap_or_default();
    let entries = text.lines().skip(1).filter_map(parse).collect();
    Some((path, entries))
}

/// Writes a cache file whole: to a temporary file beside it, then renamed over it, so a
/// reader sees the old or the new file, never half of one.
pub fn write_file(path: &Path, text: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        fs_err::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("tmp");
    fs_err::write(&tmp, text)?;
    fs_err::rename(&tmp, path)
}

fn parse_line(line: &str) -> Option<(Key, Entry)> {
    let mut parts = line.split(' ');
    let env = parts.next()?.to_string();
    let ns = parts.next()?.to_string();
    let fp = Oid::from_str(parts.next()?).ok()?;
    let files = parts
        .map(|p| {
            let (name, id) = p.split_once(':')?;
            Some((name.to_string(), Oid::from_str(id).ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    Some((
        (env, ns),
        Entry {
            fingerprint: fp,
            files,
        },
    ))
}
