//! Command output on stdout. `println!` panics when the reader has gone away
//! (`rampart plan | head`); [`outln!`] and [`out!`] write through a locked stdout instead,
//! and a closed pipe ends the output quietly. The command still finishes what it was doing
//! (a commit or a push is not left half-done because nobody reads its report), writes
//! nothing more, and exits with [`EXIT_STDOUT_CLOSED`] — unless it failed on its own, whose
//! exit code is kept.

use std::io::{self, Write};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU8, Ordering};

/// Exit code when stdout's reader went away: 128 + SIGPIPE, what a shell reports for a
/// command a closed pipe ended (`git log | head` under `set -o pipefail`). Not 0: the
/// output was cut off, so a `check` whose findings nobody read must not pass as clean.
pub const EXIT_STDOUT_CLOSED: u8 = 141;

const OPEN: u8 = 0;
const CLOSED: u8 = 1;
const FAILED: u8 = 2;

/// Whether stdout still takes output.
static STATE: AtomicU8 = AtomicU8::new(OPEN);

/// Writes `args` to stdout, or nothing once stdout is closed or failed.
pub fn write_stdout(args: std::fmt::Arguments<'_>) {
    if STATE.load(Ordering::Relaxed) == OPEN {
        record(io::stdout().lock().write_fmt(args));
    }
}

/// Whether the reader of stdout went away (or writing failed): output may stop early.
pub fn is_closed() -> bool {
    STATE.load(Ordering::Relaxed) != OPEN
}

/// Flushes stdout and returns the process's exit code: `code`, or
/// [`EXIT_STDOUT_CLOSED`] when the command succeeded but its reader went away, or 1 when
/// writing to stdout failed otherwise (a full disk).
pub fn finish(code: ExitCode) -> ExitCode {
    if STATE.load(Ordering::Relaxed) == OPEN {
        record(io::stdout().lock().flush());
    }
    match STATE.load(Ordering::Relaxed) {
        _ if code != ExitCode::SUCCESS => code,
        CLOSED => ExitCode::from(EXIT_STDOUT_CLOSED),
        FAILED => ExitCode::FAILURE,
        _ => code,
    }
}

fn record(result: io::Result<()>) {
    match result {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => STATE.store(CLOSED, Ordering::Relaxed),
        Err(e) => {
            eprintln!("error: cannot write to stdout: {e}");
            STATE.store(FAILED, Ordering::Relaxed);
        }
    }
}

/// `println!` for command output: see the [module](self).
macro_rules! outln {
    () => {
        $crate::output::write_stdout(format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!("{}\n", format_args!($($arg)*)))
    };
}

/// `print!` for command output: see the [module](self).
macro_rules! out {
    ($($arg:tt)*) => {
        $crate::output::write_stdout(format_args!($($arg)*))
    };
}

pub(crate) use {out, outln};
