//! `git daemon` serving bare repositories with pushes enabled: a remote reached through
//! git's own `receive-pack`, which compares each reference's old value under its lock
//! (compare-and-swap) and runs the repository's hooks, as a Git server does.

use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;

use tempfile::TempDir;

use crate::process::{self, ServerProcess};

/// A running `git daemon --enable=receive-pack` on a free loopback port, serving the
/// repositories below one directory; killed when dropped.
#[derive(Debug)]
pub struct GitDaemon {
    // Dropped first: the server stops before its log directory is removed.
    server: ServerProcess,
    port: u16,
    base: PathBuf,
    _logs: TempDir,
}

impl GitDaemon {
    /// Serves every repository below `base` (`git://127.0.0.1:PORT/<path below base>`),
    /// fetches and pushes, and waits until the port accepts connections.
    ///
    /// Panics when git (with its `git-daemon` program) is missing, naming the package, or
    /// when the daemon does not start within 30 s (with its command and log).
    pub fn serve(base: &Path) -> Self {
        let exec_path = Command::new("git")
            .arg("--exec-path")
            .output()
            .ok()
            .filter(|out| out.status.success())
            .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()))
            .unwrap_or_else(|| {
                panic!(
                    "rampart-testkit: `git` is not on PATH; install git (e.g. apt-get install git)"
                )
            });
        // The daemon program itself: killing the `git daemon` wrapper would leave it running.
        let program = exec_path.join("git-daemon");
        if !process::is_executable(&program) {
            panic!(
                "rampart-testkit: {} is missing; install git with its daemon program (scripts/test.sh needs it too)",
                program.display()
            );
        }
        let logs = tempfile::Builder::new()
            .prefix("rampart-git-daemon-")
            .tempdir()
            .unwrap_or_else(|e| panic!("rampart-testkit: cannot create a temp dir: {e}"));
        let log = logs.path().join("git-daemon.log");
        let (server, port) = process::spawn_until_ready(
            "git daemon",
            &log,
            |port| {
                let mut cmd = Command::new(&program);
                cmd.args([
                    "--reuseaddr",
                    "--listen=127.0.0.1",
                    "--export-all",
                    "--enable=receive-pack",
                    "--informative-errors",
                ])
                .arg(format!("--port={port}"))
                .arg(format!("--base-path={}", base.display()))
                .arg(base);
                cmd
            },
            |port| TcpStream::connect(("127.0.0.1", port)).is_ok(),
        );
        GitDaemon {
            server,
            port,
            base: base.to_path_buf(),
            _logs: logs,
        }
    }

    /// The URL of the repository at `path` below the served directory, e.g.
    /// `git://127.0.0.1:PORT/remote.git`.
    pub fn url(&self, path: &str) -> String {
        format!(
            "git://127.0.0.1:{}/{}",
            self.port,
            path.trim_start_matches('/')
        )
    }

    /// The directory served.
    pub fn base(&self) -> &Path {
        &self.base
    }

    /// Stops the daemon (SIGKILL); later fetches and pushes fail to connect.
    pub fn stop(&mut self) {
        self.server.kill();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn git(dir: &Path, args: &[&str]) -> String {
        let out = Command::new("git")
            .args(args)
            .current_dir(dir)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "git {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn a_push_through_the_daemon_reaches_the_bare_repository_and_stops_with_it() {
        let dir = tempfile::tempdir().unwrap();
        git(dir.path(), &["init", "-q", "--bare", "-b", "main", "r.git"]);
        git(dir.path(), &["init", "-q", "-b", "main", "w"]);
        let work = dir.path().join("w");
        git(
            &work,
            &[
                "-c",
                "user.name=T",
                "-c",
                "user.email=t@example.com",
                "commit",
                "-q",
                "--allow-empty",
                "-m",
                "one",
            ],
        );
        let mut daemon = GitDaemon::serve(dir.path());
        assert_eq!(daemon.base(), dir.path());
        let url = daemon.url("r.git");
        git(&work, &["push", "-q", &url, "main"]);
        assert_eq!(
            git(&dir.path().join("r.git"), &["rev-parse", "main"]),
            git(&work, &["rev-parse", "main"])
        );
        daemon.stop();
        let refused = Command::new("git")
            .args(["ls-remote", &url])
            .current_dir(&work)
            .output()
            .unwrap();
        assert!(!refused.status.success(), "the daemon is gone");
    }
}
