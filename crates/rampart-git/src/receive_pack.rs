//! Pushing to a remote on this machine (a path or a `file://` URL) through `git push`, so
//! that git's own `receive-pack` updates the reference. It compares the reference's old
//! value under the reference's lock (a compare-and-swap, as every Git server does), runs
//! the remote's hooks and honours its `receive.*` settings. libgit2's local transport
//! instead writes the reference itself without that comparison, so two pushes at the same
//! moment could replace each other's commit and both report success.

use std::path::{Path, PathBuf};
use std::process::Command;

use git2::{Oid, Repository};

use crate::GitError;
use crate::push_request::{PushRequest, clean_output, is_stale};
use crate::remote_error::RemoteError;

/// The directory a remote URL names when it is on this machine (what libgit2 would push
/// to with its local transport): a `file://` URL, or a path to an existing directory.
pub(crate) fn local_path(url: &str) -> Option<PathBuf> {
    if let Some(path) = url.strip_prefix("file://") {
        return Some(PathBuf::from(path));
    }
    if url.contains("://") {
        return None;
    }
    let path = Path::new(url);
    path.is_dir().then(|| path.to_path_buf())
}

/// Variables that would point `git` at another repository, index or object store than
/// the one Rampart opened (e.g. when Rampart itself runs from a Git hook).
const REPOSITORY_VARIABLES: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_NAMESPACE",
    "GIT_COMMON_DIR",
    "GIT_QUARANTINE_PATH",
];

/// Pushes `req.commit` to `refname` of the repository at `path` with the lease
/// `req.expected`: `git push --force-with-lease=<refname>:<expected>` sends the expected
/// old value, which `receive-pack` compares under the reference's lock.
pub(crate) fn push(
    repo: &Repository,
    path: &Path,
    req: &PushRequest<'_>,
    refname: &str,
) -> Result<(), GitError> {
    let url = path.display().to_string();
    if !req.force
        && let Some(expected) = req.expected
        && expected != req.commit
        && !repo
            .graph_descendant_of(req.commit, expected)
            .unwrap_or(false)
    {
        // A plain push only fast-forwards; the lease alone would allow any update.
        return Err(RemoteError::RemoteMoved {
            refname: refname.to_owned(),
            expected: req.expected,
            found: None,
        }
        .into());
    }
    let lease = format!(
        "--force-with-lease={refname}:{}",
        req.expected.map(|id| id.to_string()).unwrap_or_default()
    );
    let mut command = Command::new("git");
    for var in REPOSITORY_VARIABLES {
        command.env_remove(var);
    }
    let output = command
        .env("LC_ALL", "C")
        .env("GIT_TERMINAL_PROMPT", "0")
        .arg("--git-dir")
        .arg(repo.path())
        // Full object names in the report, to prove what was replaced.
        .args(["-c", "core.abbrev=no", "push", "--porcelain"])
        // Only this commit, as libgit2 would push it: no local pre-push hook, no tags, no
        // submodules, no push certificate.
        .args([
            "--no-verify",
            "--no-follow-tags",
            "--no-recurse-submodules",
            "--no-signed",
        ])
        .arg(lease)
        .arg(path)
        .arg(format!("{}:{refname}", req.commit))
        .output()
        .map_err(|e| RemoteError::LocalPush {
            url: url.clone(),
            reason: format!(
                "cannot run `git` ({e}): rampart pushes to a remote on this machine through git's receive-pack, which compares the branch under its lock; install git or put it on PATH"
            ),
        })?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let server_output = clean_output(
        &stderr
            .lines()
            .filter_map(|line| line.strip_prefix("remote: "))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let Some(report) = stdout
        .lines()
        .find_map(|line| Reported::parse(line, refname))
    else {
        return Err(RemoteError::LocalPush {
            url,
            reason: format!(
                "git push reported no status for {refname} ({}): {}",
                output.status,
                clean_output(&stderr)
            ),
        }
        .into());
    };
    match report.flag {
        // Fast-forward, forced update, new branch: prove it replaced what was expected.
        ' ' | '+' | '*' => {
            let replaced = report.replaced();
            let expected_hex = req.expected.map(|id| id.to_string());
            let as_expected = match (&replaced, &expected_hex) {
                (Replaced::Nothing, None) => true,
                (Replaced::Commit(old), Some(hex)) => old == hex,
                _ => false,
            };
            if as_expected {
                Ok(())
            } else {
                Err(RemoteError::UnexpectedReplace {
                    refname: refname.to_owned(),
                    expected: req.expected,
                    replaced: report.summary,
                }
                .into())
            }
        }
        // Already there: nothing replaced.
        '=' => Ok(()),
        _ => {
            let reason = report.reason.unwrap_or(report.summary);
            if is_stale(&reason) {
                Err(RemoteError::RemoteMoved {
                    refname: refname.to_owned(),
                    expected: req.expected,
                    found: None,
                }
                .into())
            } else {
                Err(RemoteError::PushRejected {
                    refname: refname.to_owned(),
                    reason,
                    output: server_output,
                }
                .into())
            }
        }
    }
}

/// One reference's line of `git push --porcelain`: `<flag>\t<from>:<to>\t<summary>
/// (<reason>)`.
struct Reported {
    flag: char,
    summary: String,
    reason: Option<String>,
}

/// What a successful update replaced, by its summary.
enum Replaced {
    /// `[new branch]`.
    Nothing,
    /// `<old>..<new>` or `<old>...<new>`: the full old object name.
    Commit(String),
    /// Anything else.
    Unknown,
}

impl Reported {
    fn parse(line: &str, refname: &str) -> Option<Reported> {
        let mut fields = line.splitn(3, '\t');
        let flag = fields.next()?.chars().next()?;
        let (_, to) = fields.next()?.rsplit_once(':')?;
        if to != refname {
            return None;
        }
        let rest = fields.next().unwrap_or_default();
        let (summary, reason) = match rest.split_once(" (") {
            Some((summary, reason)) => (
                summary,
                Some(reason.strip_suffix(')').unwrap_or(reason).to_owned()),
            ),
            None => (rest, None),
        };
        Some(Reported {
            flag,
            summary: summary.to_owned(),
            reason,
        })
    }

    fn replaced(&self) -> Replaced {
        if self.summary == "[new branch]" {
            return Replaced::Nothing;
        }
        match self.summary.split_once("..") {
            Some((old, _)) if Oid::from_str(old).is_ok() && old.len() >= 40 => {
                Replaced::Commit(old.to_owned())
            }
            _ => Replaced::Unknown,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn porcelain_lines_are_read_for_the_pushed_reference_only() {
        let old = "3c4bd13504ebe199f8370066adaa4f533da0ea07";
        let new = "2c1c074d2fce8eea8cf1599b5e72e17dddba69b6";
        let line = format!(" \t{new}:refs/heads/main\t{old}..{new}");
        let r = Reported::parse(&line, "refs/heads/main").unwrap();
        assert_eq!(r.flag, ' ');
        assert!(matches!(r.replaced(), Replaced::Commit(o) if o == old));
        assert!(Reported::parse(&line, "refs/heads/other").is_none());

        let forced = format!("+\t{new}:refs/heads/main\t{old}...{new} (forced update)");
        let r = Reported::parse(&forced, "refs/heads/main").unwrap();
        assert!(matches!(r.replaced(), Replaced::Commit(o) if o == old));

        let created = format!("*\t{new}:refs/heads/main\t[new branch]");
        let r = Reported::parse(&created, "refs/heads/main").unwrap();
        assert!(matches!(r.replaced(), Replaced::Nothing));

        let refused =
            format!("!\t{new}:refs/heads/main\t[remote rejected] (pre-receive hook declined)");
        let r = Reported::parse(&refused, "refs/heads/main").unwrap();
        assert_eq!(r.flag, '!');
        assert_eq!(r.reason.as_deref(), Some("pre-receive hook declined"));
    }

    #[test]
    fn only_directories_and_file_urls_are_local() {
        let dir = std::env::temp_dir();
        let text = dir.display().to_string();
        assert_eq!(local_path(&text), Some(dir));
        assert_eq!(
            local_path("file:///srv/git/r.git"),
            Some(PathBuf::from("/srv/git/r.git"))
        );
        assert_eq!(local_path("git://127.0.0.1:9418/r.git"), None);
        assert_eq!(local_path("https://git.example/r.git"), None);
        assert_eq!(local_path("git@git.example:org/r.git"), None);
    }
}
