//! Scenario helpers: a temporary GitOps repository driven through the real `rampart` binary
//! and inspected with the real `git` CLI.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

/// The binary under test.
/// A loopback port nobody listens on right now (for a server a test starts).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The object of `kind` named `name` among `objects` (panics naming it when missing).
pub fn named<'a>(
    objects: &'a [serde_json::Value],
    kind: &str,
    name: &str,
) -> &'a serde_json::Value {
    objects
        .iter()
        .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
        .unwrap_or_else(|| panic!("no {kind} {name}"))
}

pub fn rampart_bin() -> &'static str {
    env!("CARGO_BIN_EXE_rampart")
}

/// Result of one command: exit code and output as text.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        }
    }
}

impl Run {
    /// Asserts success and returns stdout.
    #[track_caller]
    pub fn ok(&self) -> &str {
        assert_eq!(
            self.code, 0,
            "command failed:\nstdout:\n{}\nstderr:\n{}",
            self.stdout, self.stderr
        );
        &self.stdout
    }
}

/// Runs `rampart ARGS` in `cwd`.
pub fn rampart(cwd: &Path, args: &[&str]) -> Run {
    Command::new(rampart_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("RAMPART_REPO")
        .env_remove("RAMPART_BRANCH")
        .env_remove("RAMPART_AUTHOR")
        .env_remove("RAMPART_BLUEPRINTS")
        .output()
        .expect("run rampart")
        .into()
}

/// Runs `git ARGS` in `cwd` and returns stdout; panics on failure.
#[track_caller]
pub fn git(cwd: &Path, args: &[&str]) -> String {
    let out = Command::new("git")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run git");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A test tool that the test command (scripts/test.sh) installs; never skipped.
#[track_caller]
pub fn tool(name: &str) -> PathBuf {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not on PATH: run the tests through scripts/test.sh, which installs it"
            )
        })
}

/// A GitOps repository made by `rampart init` in a temporary directory.
pub struct Repo {
    _tmp: TempDir,
    pub dir: PathBuf,
}

/// Everything observable about a repository: HEAD, status, and every work-tree file.
#[derive(Debug, PartialEq)]
pub struct State {
    head: String,
    status: String,
    files: Vec<(String, Vec<u8>)>,
}

impl State {
    /// This state with `rel` (not in it before) written and staged, holding `content`:
    /// what a delivered `rampart new` leaves in the checkout.
    pub fn with_staged(mut self, rel: &str, content: &[u8]) -> State {
        let mut status: Vec<String> = self.status.lines().map(str::to_owned).collect();
        status.push(format!("A  {rel}"));
        status.sort_by(|a, b| a[3..].cmp(&b[3..]));
        self.status = status.iter().map(|l| format!("{l}\n")).collect();
        self.files.push((rel.to_owned(), content.to_vec()));
        self.files.sort();
        self
    }
}

impl Repo {
    /// `rampart init` into a fresh directory.
    pub fn init() -> Repo {
        let tmp = TempDir::new().expect("tempdir");
        let dir = tmp.path().join("gitops");
        rampart(tmp.path(), &["init", "gitops"]).ok();
        Repo { _tmp: tmp, dir }
    }

    /// Runs rampart inside the repository.
    pub fn rampart(&self, args: &[&str]) -> Run {
        rampart(&self.dir, args)
    }

    /// Runs git inside the repository.
    pub fn git(&self, args: &[&str]) -> String {
        git(&self.dir, args)
    }

    pub fn head(&self) -> String {
        self.git(&["rev-parse", "HEAD"]).trim().to_string()
    }

    pub fn status(&self) -> String {
        self.git(&["status", "--porcelain", "--untracked-files=all"])
    }

    pub fn write(&self, rel: &str, text: &str) {
        let path = self.dir.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        std::fs::read_to_string(self.dir.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
    }

    /// Every file under `rel` (recursively), sorted, as repository-relative paths.
    pub fn files_under(&self, rel: &str) -> Vec<String> {
        let mut out = Vec::new();
        let mut stack = vec![self.dir.join(rel)];
        while let Some(dir) = stack.pop() {
            for entry in std::fs::read_dir(&dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    if !path.ends_with(".git") {
                        stack.push(path);
                    }
                } else {
                    out.push(
                        path.strip_prefix(&self.dir)
                            .unwrap()
                            .to_string_lossy()
                            .into_owned(),
                    );
                }
            }
        }
        out.sort();
        out
    }

    /// Every Kubernetes object of the generated files under `rel` (kustomizations left out).
    pub fn objects_under(&self, rel: &str) -> Vec<serde_json::Value> {
        self.files_under(rel)
            .iter()
            .filter(|f| !f.ends_with("kustomization.yaml"))
            .flat_map(|f| rampart_yaml::reference::documents(&self.read(f)).unwrap())
            .collect()
    }

    pub fn state(&self) -> State {
        State {
            head: self.head(),
            status: self.status(),
            files: self
                .files_under(".")
                .into_iter()
                .map(|f| {
                    let b = std::fs::read(self.dir.join(&f)).unwrap();
                    (f, b)
                })
                .collect(),
        }
    }

    pub fn commit_count(&self) -> usize {
        self.git(&["rev-list", "--count", "HEAD"])
            .trim()
            .parse()
            .unwrap()
    }
}
