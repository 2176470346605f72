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
//!
//! The file is one line per entry, and a later line for a namespace replaces an earlier
//! one: a run that rendered a few namespaces appends their lines instead of writing 30,000
//! again (15 MB, a twentieth of a one-request edit), and the file is written whole when a
//! namespace went away or replaced lines make up a third of it. A line names its number of
//! files and counts only when it ends in a newline, so a line cut short by a crash is left
//! out; a file that does not end in a whole line is written whole, never appended to.

use rampart_git::{Content, FileContent, FileSet, Files, Oid, blob_id};
use rampart_model::Environment;
use rampart_render::{Blueprint, Prior, RequestFile};
use rayon::prelude::*;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write;
use std::path::{Path, PathBuf};

const HEADER: &str = "rampart-render-cache v2";

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
    /// The file as loaded, when lines may be appended to it.
    tail: Option<Tail>,
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
        let (path, entries, tail) = load_file(repo, "render-cache", HEADER, parse_line)?;
        Some(RenderCache {
            path,
            entries,
            tail,
        })
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
        let mut fresh: Vec<&Key> = Vec::new();
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
            fresh.push(key);
        }
        // Forget namespaces gone from the environments rendered now; keep the others.
        let rendered: HashSet<&str> = fingerprints.keys().map(|k| k.0.as_str()).collect();
        let before = self.entries.len();
        self.entries
            .retain(|key, _| fingerprints.contains_key(key) || !rendered.contains(key.0.as_str()));
        let removed = self.entries.len() != before;
        if fresh.is_empty() && !removed {
            return;
        }
        let written = match &self.tail {
            Some(tail) if !removed && tail.lines + fresh.len() <= appended_limit(&self.entries) => {
                self.append(tail, &fresh)
            }
            _ => self.write(),
        };
        if let Err(e) = written {
            tracing::warn!(path = %self.path.display(), error = %e, "render cache not written");
        }
    }

    /// Writes the whole file, one line per entry.
    fn write(&self) -> std::io::Result<()> {
        let mut text = format!("{HEADER}\n");
        let mut keys: Vec<&Key> = self.entries.keys().collect();
        keys.sort();
        for key in keys {
            self.push_line(&mut text, key);
        }
        write_file(&self.path, &text)
    }

    /// Appends the lines of `keys` to the file as loaded, or writes it whole when it is no
    /// longer the file loaded.
    fn append(&self, tail: &Tail, keys: &[&Key]) -> std::io::Result<()> {
        let mut file = match fs_err::OpenOptions::new().append(true).open(&self.path) {
            Ok(file) if file.metadata()?.len() == tail.bytes => file,
            _ => return self.write(),
        };
        let mut text = String::new();
        for key in keys {
            self.push_line(&mut text, key);
        }
        std::io::Write::write_all(&mut file, text.as_bytes())
    }

    /// `<env> <namespace> <fingerprint> <number of files> <name>:<blob id>…` and a newline.
    fn push_line(&self, text: &mut String, key: &Key) {
        let entry = &self.entries[key];
        let _ = write!(
            text,
            "{} {} {} {}",
            key.0,
            key.1,
            entry.fingerprint,
            entry.files.len()
        );
        for (name, id) in &entry.files {
            let _ = write!(text, " {name}:{id}");
        }
        text.push('\n');
    }
}

/// How many lines the file may hold for `entries` before it is written whole again.
fn appended_limit<V>(entries: &HashMap<Key, V>) -> usize {
    entries.len() + entries.len() / 2 + 64
}

/// A cache file as loaded, that ends in a whole line.
pub struct Tail {
    /// Lines after the header.
    lines: usize,
    /// Length in bytes.
    bytes: u64,
}

/// `.git/rampart/<name>` of the repository at `repo` (`None` without a `.git`), with the
/// entries `parse` makes of its lines after the line `header` (a later entry for a key
/// replaces an earlier one), and its [`Tail`] when it ends in a whole line. A missing or
/// unreadable file, or one of another format, has no entries; a line that does not parse,
/// or does not end in a newline (cut short), is left out.
pub fn load_file<K, E, M: FromIterator<(K, E)>>(
    repo: &Path,
    name: &str,
    header: &str,
    parse: impl Fn(&str) -> Option<(K, E)>,
) -> Option<(PathBuf, M, Option<Tail>)> {
    let path = rampart_git::git_dir(repo).ok()?.join("rampart").join(name);
    let text = fs_err::read_to_string(&path)
        .ok()
        .filter(|text| {
            text.strip_prefix(header)
                .is_some_and(|t| t.starts_with('\n'))
        })
        .unwrap_or_default();
    let mut lines = 0;
    let entries = text
        .split_inclusive('\n')
        .skip(1)
        .filter_map(|line| line.strip_suffix('\n'))
        .inspect(|_| lines += 1)
        .filter_map(parse)
        .collect();
    let tail = text.ends_with('\n').then_some(Tail {
        lines,
        bytes: text.len() as u64,
    });
    Some((path, entries, tail))
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
    let count: usize = parts.next()?.parse().ok()?;
    let files = parts
        .map(|p| {
            let (name, id) = p.split_once(':')?;
            Some((name.to_string(), Oid::from_str(id).ok()?))
        })
        .collect::<Option<Vec<_>>>()?;
    if files.len() != count {
        return None;
    }
    Some((
        (env, ns),
        Entry {
            fingerprint: fp,
            files,
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ns: &str) -> Key {
        ("dev".to_owned(), ns.to_owned())
    }

    /// (namespace, what its files say): two files each, fingerprinted by what they say.
    type Rendered<'a> = &'a [(&'a str, &'a str)];

    fn generated(namespaces: Rendered<'_>) -> Files {
        let mut files = Files::new();
        for (ns, says) in namespaces {
            for name in ["a.yaml", "b.yaml"] {
                let bytes = format!("{name} {says}\n").into_bytes();
                files.insert(
                    format!("clusters/dev/namespaces/{ns}/{name}"),
                    Content::plain(bytes),
                );
            }
        }
        files
    }

    fn fingerprints_of(namespaces: Rendered<'_>) -> Fingerprints {
        namespaces
            .iter()
            .map(|(ns, says)| (key(ns), blob_id(says.as_bytes())))
            .collect()
    }

    /// Stores a render of `namespaces` in the cache of `repo`; the cache file after it.
    fn store(repo: &Path, namespaces: Rendered<'_>) -> String {
        let cache = RenderCache::load(repo).unwrap();
        cache.store(&fingerprints_of(namespaces), &generated(namespaces));
        fs_err::read_to_string(cache_path(repo)).unwrap()
    }

    fn cache_path(repo: &Path) -> PathBuf {
        repo.join(".git/rampart/render-cache")
    }

    /// What each namespace's entry says, as the cache loads it.
    fn loaded(repo: &Path) -> BTreeMap<String, String> {
        let says: HashMap<Oid, &str> = ["1", "2", "3"]
            .into_iter()
            .map(|s| (blob_id(s.as_bytes()), s))
            .collect();
        let cache = RenderCache::load(repo).unwrap();
        cache
            .entries
            .iter()
            .map(|((_, ns), entry)| {
                let files = generated(&[(ns, says[&entry.fingerprint])]);
                let ids: Vec<(String, Oid)> = files
                    .iter()
                    .map(|(path, content)| (path.rsplit('/').next().unwrap().into(), content.id()))
                    .collect();
                assert_eq!(entry.files, ids, "{ns}: the files of its fingerprint");
                (ns.clone(), says[&entry.fingerprint].to_owned())
            })
            .collect()
    }

    fn said(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn repository() -> tempfile::TempDir {
        let tmp = tempfile::tempdir().unwrap();
        rampart_git::init_repository(tmp.path()).unwrap();
        tmp
    }

    #[test]
    fn a_namespace_rendered_again_is_appended_and_replaces_its_earlier_line() {
        let tmp = repository();
        let repo = tmp.path();
        let first = store(repo, &[("a", "1"), ("b", "1")]);
        assert_eq!(first.lines().count(), 3, "{first}");
        let second = store(repo, &[("a", "2"), ("b", "1")]);
        assert!(second.starts_with(&first), "appended:\n{second}");
        assert_eq!(second.lines().count(), 4, "{second}");
        assert_eq!(loaded(repo), said(&[("a", "2"), ("b", "1")]));
        // Nothing rendered again: nothing written.
        assert_eq!(store(repo, &[("a", "2"), ("b", "1")]), second);
        // A namespace gone: written whole, one line per namespace.
        let third = store(repo, &[("a", "2")]);
        assert_eq!(third.lines().count(), 2, "{third}");
        assert_eq!(loaded(repo), said(&[("a", "2")]));
    }

    #[test]
    fn a_line_cut_short_is_left_out_and_the_file_then_written_whole() {
        let tmp = repository();
        let repo = tmp.path();
        let first = store(repo, &[("a", "1"), ("b", "1")]);
        let second = store(repo, &[("a", "2"), ("b", "1")]);
        for cut in first.len()..second.len() {
            fs_err::write(cache_path(repo), &second[..cut]).unwrap();
            assert_eq!(
                loaded(repo),
                said(&[("a", "1"), ("b", "1")]),
                "cut at {cut}: {:?}",
                &second[first.len()..cut]
            );
        }
        // Cut short, then rendered again: not appended after the cut line, written whole.
        let cut = first.len() + (second.len() - first.len()) / 2;
        fs_err::write(cache_path(repo), &second[..cut]).unwrap();
        let whole = store(repo, &[("a", "3"), ("b", "1")]);
        assert_eq!(whole.lines().count(), 3, "{whole}");
        assert_eq!(loaded(repo), said(&[("a", "3"), ("b", "1")]));

        // A whole line that lost a file (its count says two) is left out too.
        let line = whole.lines().nth(1).unwrap();
        let (without_last, _) = line.rsplit_once(' ').unwrap();
        let damaged = whole.replace(line, without_last);
        fs_err::write(cache_path(repo), damaged).unwrap();
        assert_eq!(loaded(repo), said(&[("b", "1")]));
    }

    #[test]
    fn replaced_lines_are_written_away_before_they_make_up_a_third_of_the_file() {
        let tmp = repository();
        let repo = tmp.path();
        let mut longest = 0;
        for round in 0..200 {
            let says = ["1", "2", "3"][round % 3];
            let text = store(repo, &[("a", says), ("b", "1")]);
            longest = longest.max(text.lines().count());
            assert_eq!(loaded(repo), said(&[("a", says), ("b", "1")]));
        }
        // The header, and at most 2 + 1 + 64 lines for two namespaces.
        assert_eq!(longest, 68);
    }
}
