//! A throw-away PostgreSQL cluster: `initdb` into a temp dir, `pg_ctl start` on a free
//! loopback port with SCRAM password authentication.

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use tempfile::TempDir;

use crate::process;

/// The superuser `initdb` creates.
const ADMIN_USER: &str = "admin";
/// The database every cluster has.
const DATABASE: &str = "postgres";
/// The loopback address the server listens on.
const HOST: &str = "127.0.0.1";
/// How many ports a start tries when the server loses the race for one.
const PORT_ATTEMPTS: u32 = 3;

/// A running PostgreSQL cluster of its own (data, socket and logs in a temp dir), listening
/// on 127.0.0.1 with password (SCRAM-SHA-256) authentication; stopped and removed on drop.
///
/// The server binaries (`initdb`, `pg_ctl`, 15 or later) are found through
/// `RAMPART_PG_BINDIR`, `initdb` on `PATH`, `pg_config --bindir`, then the highest
/// `/usr/lib/postgresql/*/bin`. As root (where `initdb` refuses to run) the cluster runs as
/// the `postgres` user (or `nobody`) through `setpriv`.
#[derive(Debug)]
pub struct Postgres {
    bin_dir: PathBuf,
    run_as: Option<RunAs>,
    port: u16,
    password: String,
    running: bool,
    // Dropped last (after `Drop::drop` stopped the server).
    dir: TempDir,
}

/// The unprivileged user a root process runs the cluster as.
#[derive(Debug, Clone)]
struct RunAs {
    name: String,
    uid: u32,
    gid: u32,
}

impl Postgres {
    /// Creates a cluster with a superuser [`admin_user`](Self::admin_user) and a random
    /// password, starts it (`pg_ctl start -w`, 30 s timeout) and returns once it accepts
    /// connections.
    ///
    /// Panics when the PostgreSQL server binaries are missing (saying how to install them) or
    /// when `initdb` or the start fails (with the command and the end of its logs).
    pub fn start() -> Self {
        let bin_dir = bin_dir();
        let dir = tempfile::Builder::new()
            .prefix("rampart-postgres-")
            .tempdir()
            .unwrap_or_else(|e| {
                panic!("rampart-testkit: cannot create a temp dir for PostgreSQL: {e}")
            });
        let run_as = run_as_if_root(dir.path());
        let mut pg = Postgres {
            bin_dir,
            run_as,
            port: 0,
            password: process::random_hex(16),
            running: false,
            dir,
        };

        let pwfile = pg.dir().join("pwfile");
        write_owned(&pwfile, &pg.password, pg.run_as.as_ref());
        let mut initdb = pg.tool("initdb");
        initdb
            .arg("-D")
            .arg(pg.data_dir())
            .args([
                "-U",
                ADMIN_USER,
                "--auth=scram-sha-256",
                "--no-locale",
                "-E",
                "UTF8",
            ])
            .args(["--no-sync", "--no-instructions"])
            .arg(format!("--pwfile={}", pwfile.display()));
        pg.run_checked(initdb);

        let server_log = pg.server_log();
        for attempt in 1..=PORT_ATTEMPTS {
            let port = process::free_port();
            let seen = std::fs::metadata(&server_log).map(|m| m.len()).unwrap_or(0);
            let mut start = pg.tool("pg_ctl");
            let options = format!(
                "-p {port} -k {} -c listen_addresses={HOST} -c fsync=off -c full_page_writes=off",
                pg.dir().display()
            );
            start
                .args([
                    "start",
                    "-w",
                    "-t",
                    &process::START_TIMEOUT.as_secs().to_string(),
                    "-D",
                ])
                .arg(pg.data_dir())
                .arg("-l")
                .arg(&server_log)
                .args(["-o", &options]);
            if pg.try_run(&mut start) {
                pg.port = port;
                pg.running = true;
                return pg;
            }
            if attempt == PORT_ATTEMPTS || !lost_race_since(&server_log, seen) {
                pg.fail(&start);
            }
        }
        unreachable!("the last attempt panics instead of retrying")
    }

    /// The address to connect to: `127.0.0.1`.
    pub fn host(&self) -> &str {
        HOST
    }

    /// The port on 127.0.0.1.
    pub fn port(&self) -> u16 {
        self.port
    }

    /// The superuser's name.
    pub fn admin_user(&self) -> &str {
        ADMIN_USER
    }

    /// The superuser's password, random per cluster (hex, so it needs no quoting).
    pub fn admin_password(&self) -> &str {
        &self.password
    }

    /// The database every cluster has: `postgres`.
    pub fn database(&self) -> &str {
        DATABASE
    }

    /// A connection URL for the superuser: `postgresql://admin:PASSWORD@127.0.0.1:PORT/postgres`.
    pub fn url(&self) -> String {
        format!(
            "postgresql://{ADMIN_USER}:{}@{HOST}:{}/{DATABASE}",
            self.password, self.port
        )
    }

    /// The directory of the server binaries in use (it also holds `psql`).
    pub fn bin_dir(&self) -> &Path {
        &self.bin_dir
    }

    /// The cluster's directory: `data/`, the socket, `postgres.log` and `pg_ctl.log`.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Stops the server (`pg_ctl stop -m fast`); its port then refuses connections. Does
    /// nothing when it is already stopped; panics, with the logs, when the stop fails.
    pub fn stop(&mut self) {
        if self.running {
            let stop = self.stop_command("fast");
            self.run_checked(stop);
            self.running = false;
        }
    }

    fn data_dir(&self) -> PathBuf {
        self.dir().join("data")
    }

    fn server_log(&self) -> PathBuf {
        self.dir().join("postgres.log")
    }

    fn tools_log(&self) -> PathBuf {
        self.dir().join("pg_ctl.log")
    }

    fn stop_command(&self, mode: &str) -> Command {
        let mut stop = self.tool("pg_ctl");
        stop.args(["stop", "-w", "-m", mode, "-D"])
            .arg(self.data_dir());
        stop
    }

    /// A server tool, run as the unprivileged user when we are root.
    fn tool(&self, name: &str) -> Command {
        let exe = self.bin_dir.join(name);
        match &self.run_as {
            None => Command::new(exe),
            Some(user) => {
                let mut cmd = Command::new("setpriv");
                cmd.arg(format!("--reuid={}", user.uid))
                    .arg(format!("--regid={}", user.gid))
                    .args(["--clear-groups", "--"])
                    .arg(exe);
                cmd
            }
        }
    }

    /// Runs a tool with its output appended to `pg_ctl.log`; whether it succeeded.
    fn try_run(&self, cmd: &mut Command) -> bool {
        let (stdout, stderr) = process::log_stdio(&self.tools_log());
        let line = process::command_line(cmd);
        let status = cmd
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status();
        match status {
            Ok(status) => status.success(),
            Err(e) => {
                let hint = match &self.run_as {
                    Some(user) => format!(
                        " (as root the testkit runs PostgreSQL as `{}` through setpriv, from util-linux)",
                        user.name
                    ),
                    None => String::new(),
                };
                panic!("rampart-testkit: cannot run `{line}`{hint}: {e}")
            }
        }
    }

    /// Runs a tool and panics, with the command and both logs, when it fails.
    fn run_checked(&self, mut cmd: Command) {
        if !self.try_run(&mut cmd) {
            self.fail(&cmd);
        }
    }

    /// Panics with the command that failed and the end of both logs.
    fn fail(&self, cmd: &Command) -> ! {
        panic!(
            "rampart-testkit: PostgreSQL command failed.\ncommand: {}\n{}\n{}",
            process::command_line(cmd),
            process::log_tail(&self.tools_log()),
            process::log_tail(&self.server_log())
        )
    }
}

impl Drop for Postgres {
    fn drop(&mut self) {
        if self.running {
            // Best effort: a fast stop, or an immediate one if that fails.
            if !self.try_run(&mut self.stop_command("fast")) {
                self.try_run(&mut self.stop_command("immediate"));
            }
            self.running = false;
        }
    }
}

/// Whether the server log, past its first `seen` bytes, says the port was taken.
fn lost_race_since(log: &Path, seen: u64) -> bool {
    let text = std::fs::read(log).unwrap_or_default();
    let new =
        String::from_utf8_lossy(text.get(seen as usize..).unwrap_or_default()).to_ascii_lowercase();
    new.contains("address already in use")
}

/// When this process is root (the owner of the directory it just created is uid 0), the user
/// to run the cluster as, with `dir` handed to it; `initdb` refuses to run as root.
fn run_as_if_root(dir: &Path) -> Option<RunAs> {
    let owner = dir
        .metadata()
        .unwrap_or_else(|e| panic!("rampart-testkit: cannot stat {}: {e}", dir.display()))
        .uid();
    if owner != 0 {
        return None;
    }
    let user = ["postgres", "nobody"]
        .iter()
        .find_map(|name| Some(RunAs { name: name.to_string(), uid: id(name, "-u")?, gid: id(name, "-g")? }))
        .unwrap_or_else(|| {
            panic!("rampart-testkit: running as root, initdb refuses root, and neither user `postgres` nor `nobody` exists")
        });
    std::os::unix::fs::chown(dir, Some(user.uid), Some(user.gid)).unwrap_or_else(|e| {
        panic!(
            "rampart-testkit: cannot hand {} to `{}`: {e}",
            dir.display(),
            user.name
        )
    });
    Some(user)
}

/// `id FLAG NAME` as a number, or `None` when the user does not exist.
fn id(name: &str, flag: &str) -> Option<u32> {
    let out = Command::new("id")
        .args([flag, name])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().parse().ok())?
}

/// Writes a private file, owned by the cluster's user when we are root.
fn write_owned(path: &Path, contents: &str, owner: Option<&RunAs>) {
    std::fs::write(path, contents)
        .unwrap_or_else(|e| panic!("rampart-testkit: cannot write {}: {e}", path.display()));
    if let Some(user) = owner {
        std::os::unix::fs::chown(path, Some(user.uid), Some(user.gid)).unwrap_or_else(|e| {
            panic!(
                "rampart-testkit: cannot hand {} to `{}`: {e}",
                path.display(),
                user.name
            )
        });
    }
}

/// Whether `dir` holds the server tools the testkit runs.
fn has_server_tools(dir: &Path) -> bool {
    process::is_executable(&dir.join("initdb")) && process::is_executable(&dir.join("pg_ctl"))
}

/// The PostgreSQL server binary directory: `RAMPART_PG_BINDIR`, the directory of `initdb` on
/// `PATH` (symlinks resolved), `pg_config --bindir`, then the highest
/// `/usr/lib/postgresql/<version>/bin`.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RAMPART_PG_BINDIR") {
        let dir = PathBuf::from(dir);
        if has_server_tools(&dir) {
            return dir;
        }
        panic!(
            "rampart-testkit: RAMPART_PG_BINDIR={} holds no initdb and pg_ctl: point it at \
             PostgreSQL's server binaries (15 or later, e.g. /usr/lib/postgresql/15/bin after \
             `apt-get install postgresql`) or unset it to search PATH, `pg_config --bindir` and \
             /usr/lib/postgresql/*/bin",
            dir.display()
        );
    }
    let on_path = process::find_on_path("initdb")
        .into_iter()
        .flat_map(|initdb| {
            let real = initdb
                .canonicalize()
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            real.into_iter()
                .chain(initdb.parent().map(Path::to_path_buf))
        });
    let pg_config = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    on_path
        .chain(pg_config)
        .chain(debian_bin_dirs())
        .find(|dir| has_server_tools(dir))
        .unwrap_or_else(|| {
            panic!(
                "rampart-testkit: PostgreSQL's server binaries (initdb, pg_ctl; version 15 or later) \
                 were not found in $RAMPART_PG_BINDIR, on PATH, in `pg_config --bindir` or in \
                 /usr/lib/postgresql/*/bin. Install PostgreSQL (e.g. `apt-get install postgresql`) \
                 or set RAMPART_PG_BINDIR to the directory that holds initdb; scripts/test.sh finds \
                 them and fails with the same advice."
            )
        })
}

/// `/usr/lib/postgresql/<version>/bin`, highest version first (where Debian and Ubuntu, and
/// so GitHub's ubuntu runners, install the server binaries without putting them on PATH).
fn debian_bin_dirs() -> Vec<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_string_lossy().parse().ok()?;
            Some((version, entry.path().join("bin")))
        })
        .collect();
    versions.sort_by_key(|(version, _)| std::cmp::Reverse(*version));
    versions.into_iter().map(|(_, dir)| dir).collect()
}
