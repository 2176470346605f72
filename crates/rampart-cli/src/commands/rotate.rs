//! `rampart rotate`: one pass over the secrets with a rotation policy — rotate what is due
//! in its backend, then pin the new versions in the requests and deliver them like a render.

use super::Result;
use super::{EXIT_INVALID_INPUT, lock_repository, print_event};
use crate::cli::RotateArgs;
use crate::output::outln;
use crate::rotation::{self, Planned};
use rampart_deliver::inputs::{self, Inputs};
use rampart_deliver::pins::{PinDelivery, deliver_pins, new_pins};
use rampart_deliver::remote_pins::keep_remote_pins;
use rampart_git::FileSet;
use rampart_rotate::{Outcome, RotateError};
use std::io::IsTerminal;
use std::process::ExitCode;

pub(super) fn run(args: RotateArgs) -> Result<ExitCode> {
    let repo = &args.repo.repo;
    // Held from reading the requests to writing the pins: no render or new in between.
    let _lock = lock_repository(repo, "rampart rotate", &args.commit)?;
    let read_at = rampart_git::branch_tip(repo, args.commit.branch.as_deref()).ok();
    let local = inputs::read_worktree(repo, &FileSet::new())?;
    let inputs = Inputs::from_files(repo, &local)?;
    let mut planned = match rotation::plan(&inputs, args.env.as_deref(), &args.secrets, args.force)
    {
        Ok(planned) => planned,
        Err(message) => {
            eprintln!("error: {message}");
            return Ok(ExitCode::from(EXIT_INVALID_INPUT));
        }
    };
    if planned.is_empty() {
        outln!("nothing to rotate: no secret has a `rotation` policy in the selected environments");
        return Ok(ExitCode::SUCCESS);
    }
    // The remote's pins stay in force until a local commit reaches it: keep them too.
    if let Some(at) = keep_remote_pins(repo, &inputs, &mut planned)? {
        tracing::info!(%at, "the rotation keeps the versions the remote base branch pins");
    }

    let total = planned.len();
    let progress = std::io::stderr().is_terminal();
    let done = std::sync::atomic::AtomicUsize::new(0);
    let started = std::time::Instant::now();
    let results = rotation::run(
        &inputs,
        &planned,
        usize::from(args.concurrency),
        args.dry_run,
        |id, r, _| {
            let n = done.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1;
            if progress {
                eprintln!("[{n}/{total}] {id}: {}", describe(r));
            }
        },
    )?;
    tracing::info!(
        elapsed_ms = started.elapsed().as_millis() as u64,
        secrets = total,
        "rotation pass done"
    );

    print_summary(&planned, &results);
    let failed = results.iter().filter(|r| r.is_err()).count();
    let pins = new_pins(&planned, &results);
    if !args.dry_run && !pins.is_empty() {
        let topic = branch_topic(&args);
        deliver_pins(
            PinDelivery {
                repo,
                local: &local,
                inputs: &inputs,
                pins: &pins,
                mode: args.delivery.mode(),
                options: &args.commit.options(),
                blueprints: args.repo.blueprints.as_ref(),
                env: args.env.as_deref(),
                topic: &topic,
                read_at,
                inputs_from: None,
            },
            &mut print_event,
        )?;
    }
    if failed > 0 {
        eprintln!(
            "{failed} of {total} secret(s) failed; the others are done{}",
            if pins.is_empty() { "" } else { " and pinned" }
        );
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}

/// The topic of the branch a pushed or proposed rotation goes to: one per selection, so
/// a run while the last one's pull request is open updates that pull request (the pins it
/// held are pinned again: their versions are still ahead of the base branch), and a run
/// over other secrets never rewrites a branch with pins it did not select.
fn branch_topic(args: &RotateArgs) -> String {
    let mut topic = format!("rotate-{}", args.env.as_deref().unwrap_or("all"));
    if !args.secrets.is_empty() {
        let mut selected: Vec<&str> = args.secrets.iter().map(String::as_str).collect();
        selected.sort_unstable();
        selected.dedup();
        let id = rampart_git::blob_id(selected.join("\n").as_bytes()).to_string();
        topic.push_str("-selected-");
        topic.push_str(&id[..8]);
    }
    topic
}

fn describe(result: &Result<Outcome, RotateError>) -> String {
    match result {
        Ok(outcome) => match outcome.new_pin() {
            Some((old, new)) => format!("{} {old} → {new}", outcome.label()),
            None => outcome.label().to_owned(),
        },
        Err(e) => format!("failed: {e}"),
    }
}

fn print_summary(planned: &[Planned], results: &[Result<Outcome, RotateError>]) {
    let rows: Vec<[String; 4]> = planned
        .iter()
        .zip(results)
        .map(|(p, r)| {
            let versions = match r.as_ref().ok().and_then(Outcome::new_pin) {
                Some((old, new)) => format!("{old} → {new}"),
                None => p.pinned.clone(),
            };
            let outcome = match r {
                Ok(o) => o.label().to_owned(),
                Err(e) => format!("failed: {e}"),
            };
            [
                format!("{}/{}", p.id.namespace, p.id.secret),
                p.id.environment.clone(),
                versions,
                outcome,
            ]
        })
        .collect();
    let header = ["SECRET", "ENVIRONMENT", "VERSION", "OUTCOME"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: [&str; 4]| {
        let mut out = String::new();
        for (i, cell) in cells.iter().enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(cell);
                out.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        outln!("{out}");
    };
    line(header);
    for row in &rows {
        line([&row[0], &row[1], &row[2], &row[3]]);
    }
}
