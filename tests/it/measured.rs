//! Runs of the binary measured by the test itself: wall time and the peak resident memory
//! of that one child, read from its `/proc/<pid>/status` (`VmHWM`, the high-water mark)
//! every millisecond until it exits: growth past a bound of hundreds of MB takes far longer
//! than that.

use crate::support::{Run, rampart_bin};
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run with what it cost.
#[derive(Debug)]
pub struct Measured {
    pub run: Run,
    pub elapsed: Duration,
    /// Peak resident set size, in bytes.
    pub max_rss: u64,
}

/// What a measured run reads on standard input.
pub enum Input<'a> {
    /// Nothing (`/dev/null`).
    None,
    /// These bytes, then end of file.
    Bytes(&'a [u8]),
    /// This file or device (e.g. `/dev/zero`: endless).
    File(&'a Path),
    /// `chunk` over and over until the reader stops reading (`yes`).
    Endless(&'a [u8]),
}

/// Runs `rampart ARGS` in `cwd` with `input` on stdin.
pub fn rampart_measured(cwd: &Path, args: &[&str], input: Input<'_>) -> Measured {
    let stdin = match &input {
        Input::None => Stdio::null(),
        Input::File(path) => Stdio::from(std::fs::File::open(path).expect("open stdin file")),
        Input::Bytes(_) | Input::Endless(_) => Stdio::piped(),
    };
    let started = Instant::now();
    let mut child = Command::new(rampart_bin())
        .args(args)
        .current_dir(cwd)
        .env_remove("RAMPART_REPO")
        .env_remove("RAMPART_BRANCH")
        .env_remove("RAMPART_AUTHOR")
        .env_remove("RAMPART_BLUEPRINTS")
        .stdin(stdin)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run rampart");
    let writer = child.stdin.take().map(|mut pipe| {
        let (bytes, endless) = match input {
            Input::Bytes(b) => (b.to_vec(), false),
            Input::Endless(b) => (b.repeat((64 << 10) / b.len().max(1)), true),
            _ => (Vec::new(), false),
        };
        std::thread::spawn(move || {
            // A reader that stops early closes the pipe: the write error ends the loop.
            while pipe.write_all(&bytes).is_ok() && endless {}
        })
    });
    let mut stdout = child.stdout.take().expect("stdout piped");
    let mut stderr = child.stderr.take().expect("stderr piped");
    let out = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stdout.read_to_end(&mut s);
        s
    });
    let err = std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = stderr.read_to_end(&mut s);
        s
    });
    let (status, max_rss) = wait_measuring(&mut child);
    let elapsed = started.elapsed();
    if let Some(writer) = writer {
        writer.join().expect("stdin writer");
    }
    let stdout = out.join().expect("stdout reader");
    let stderr = err.join().expect("stderr reader");
    Measured {
        run: Run {
            code: status,
            stdout: String::from_utf8_lossy(&stdout).into_owned(),
            stderr: String::from_utf8_lossy(&stderr).into_owned(),
        },
        elapsed,
        max_rss,
    }
}

/// Waits for `child`: its exit code (128 + signal when killed) and peak RSS.
pub fn wait_measuring(child: &mut std::process::Child) -> (i32, u64) {
    use std::os::unix::process::ExitStatusExt;
    let status_file = format!("/proc/{}/status", child.id());
    let mut max_rss = 0;
    loop {
        if let Some(peak) = std::fs::read_to_string(&status_file)
            .ok()
            .as_deref()
            .and_then(high_water_mark)
        {
            max_rss = max_rss.max(peak);
        }
        if let Some(status) = child.try_wait().expect("wait for rampart") {
            let code = status
                .code()
                .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
            return (code, max_rss);
        }
        std::thread::sleep(Duration::from_millis(1));
    }
}

/// `VmHWM` of a `/proc/<pid>/status` text, in bytes.
fn high_water_mark(status: &str) -> Option<u64> {
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}
