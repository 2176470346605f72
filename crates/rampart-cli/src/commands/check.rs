//! `rampart check`: the security checklist as a linter for any Kubernetes YAML.

use crate::cli::{CheckArgs, CheckFormat, FailOn, ReportArgs};
use crate::output::{out, outln};
use crate::walk::{Input, inputs_under, is_manifest, read_stdin, shown};
use anyhow::Result;
use rampart_policy::{
    Checked, Date, ExceptionPolicy, Finding, MAX_MANIFEST_BYTES, Options, PolicyError, Severity,
    Standing, report, too_large,
};
use rayon::prelude::*;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::EXIT_INVALID_INPUT;

/// How standard input is named in findings and errors.
const STDIN_NAME: &str = "<stdin>";

/// The policy options of `check` and `audit`: exceptions are judged on `--today`, else on
/// today's date in UTC.
pub(super) fn policy_options(report: &ReportArgs) -> Options {
    let today = report.today.unwrap_or_else(|| {
        let seconds = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        Date::from_days_since_epoch((seconds / 86_400) as i64)
    });
    Options {
        allowed_registries: report.allowed_registries.clone(),
        exceptions: ExceptionPolicy {
            today: Some(today),
            max_days: report.max_exception_days,
        },
    }
}

pub(super) fn run(args: CheckArgs) -> Result<ExitCode> {
    let options = policy_options(&args.report);
    let mut checked = Checked::default();
    // Every input error, also printed on stderr; SARIF carries them as notifications.
    let mut input_errors: Vec<String> = Vec::new();
    let mut files = 0usize;
    // Shown name → path of every file read, for --fix.
    let mut paths = std::collections::BTreeMap::new();
    for root in &args.paths {
        let mut sources = Vec::new();
        if root == Path::new("-") {
            match read_stdin(MAX_MANIFEST_BYTES as u64)? {
                Some(bytes) => sources.push(Source::Stdin(bytes)),
                None => input_error(&mut input_errors, too_large(STDIN_NAME).to_string()),
            }
        } else {
            match inputs_under(root, |path| is_manifest(path, MANIFESTS)) {
                Ok(inputs) => sources.extend(inputs.into_iter().map(Source::File)),
                Err(e) => input_error(&mut input_errors, format!("{}: error: {e}", shown(root))),
            }
        }
        files += sources.len();
        for source in &sources {
            if let Source::File(input) = source {
                paths.insert(source.name(), input.path.clone());
            }
        }
        // Each file is read, parsed and checked on some core, its documents dropped, and
        // the results joined in file order as they come.
        let part = sources
            .par_iter()
            .map(|source| Part::of(source, &options))
            .reduce(Part::default, Part::then);
        // Unreadable files first, then documents that could not be parsed, as listed.
        for error in part.unreadable.into_iter().chain(part.unparsable) {
            input_error(&mut input_errors, error);
        }
        checked = checked.then(part.checked);
    }
    tracing::info!(files, "read");
    if args.exceptions {
        return Ok(report_exceptions(
            &checked,
            args.report.format,
            &input_errors,
        ));
    }
    let documents = checked.documents();
    let mut findings = checked.findings();
    if args.fix {
        let outcome = super::check_fix::fix(findings, &paths, args.dry_run);
        if args.dry_run {
            return Ok(exit_code(
                &outcome.remaining,
                args.report.fail_on,
                &input_errors,
            ));
        }
        if !outcome.added.is_empty() && !args.paths.iter().any(|p| p == Path::new("-")) {
            // A file added changes what other objects are judged by: a new default deny
            // leaves pods that no policy allows anything (a decision, so "needs you"). What
            // is left is then what a check of the fixed and added files finds. (Edits only
            // add what their own findings ask for: without new files, the rest stands.)
            let mut paths = args.paths.clone();
            // Files added beside files named on the command line are checked too.
            let named =
                |file: &PathBuf| args.paths.iter().any(|p| p.is_dir() && file.starts_with(p));
            paths.extend(outcome.added.into_iter().filter(|f| !named(f)));
            return run(CheckArgs {
                paths,
                fix: false,
                dry_run: false,
                ..args
            });
        }
        return Ok(report_findings(
            &outcome.remaining,
            documents,
            args.report.format,
            args.report.fail_on,
            &input_errors,
        ));
    }
    if matches!(args.report.format, CheckFormat::Json | CheckFormat::Sarif) {
        super::check_fix::attach_text_edits(&mut findings, &paths);
    }
    Ok(report_findings(
        &findings,
        documents,
        args.report.format,
        args.report.fail_on,
        &input_errors,
    ))
}

/// The part `check` and `audit` share: prints the `findings` of `documents` documents on
/// stdout in `format` and returns the exit code: 2 when `input_errors` (already printed on
/// stderr) left input unchecked, 1 when a finding reaches `fail_on`, else 0.
pub(super) fn report_findings(
    findings: &[Finding],
    documents: usize,
    format: CheckFormat,
    fail_on: FailOn,
    input_errors: &[String],
) -> ExitCode {
    tracing::info!(documents, findings = findings.len(), "checked");
    match format {
        CheckFormat::Json => out!("{}", report::json(findings)),
        CheckFormat::Sarif => out!(
            "{}",
            report::sarif(findings, input_errors, env!("CARGO_PKG_VERSION"))
        ),
        // "ok" would hide the input errors that left documents unchecked.
        CheckFormat::Text if findings.is_empty() && input_errors.is_empty() => {
            outln!("ok: no findings in {documents} document(s)");
        }
        CheckFormat::Text if findings.is_empty() => {
            outln!("no findings in the {documents} document(s) that could be read");
        }
        CheckFormat::Text => {
            out!("{}", report::text_styled(findings, color_stdout()));
            outln!("\n{} finding(s) in {documents} document(s)", findings.len());
        }
    }
    if !input_errors.is_empty() {
        eprintln!(
            "{} input error(s): those files or documents were not checked",
            input_errors.len()
        );
    }
    exit_code(findings, fail_on, input_errors)
}

/// 2 when `input_errors`, 1 when a finding reaches `fail_on`, else 0.
fn exit_code(findings: &[Finding], fail_on: FailOn, input_errors: &[String]) -> ExitCode {
    if !input_errors.is_empty() {
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    let threshold = match fail_on {
        FailOn::Low => Severity::Low,
        FailOn::Medium => Severity::Medium,
        FailOn::High => Severity::High,
    };
    if findings.iter().any(|f| f.severity >= threshold) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// `check --exceptions`: lists every exception; 2 for input errors, 1 when one is expired or
/// invalid, else 0.
fn report_exceptions(checked: &Checked, format: CheckFormat, input_errors: &[String]) -> ExitCode {
    let exceptions = checked.exceptions();
    match format {
        CheckFormat::Json | CheckFormat::Sarif => out!("{}", report::exceptions_json(exceptions)),
        CheckFormat::Text if exceptions.is_empty() => {
            outln!("no exceptions in {} document(s)", checked.documents());
        }
        CheckFormat::Text => {
            out!("{}", report::exceptions_text(exceptions));
            outln!(
                "\n{} exception(s) in {} document(s)",
                exceptions.len(),
                checked.documents()
            );
        }
    }
    if !input_errors.is_empty() {
        return ExitCode::from(EXIT_INVALID_INPUT);
    }
    if exceptions.iter().any(|e| e.standing != Standing::Holds) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Prints an input error on stderr and keeps it for the report.
fn input_error(errors: &mut Vec<String>, error: String) {
    eprintln!("{error}");
    errors.push(error);
}

/// Colours for the text report: only when stdout is a terminal and `NO_COLOR` is unset
/// (<https://no-color.org>).
fn color_stdout() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Some inputs checked, with their errors in input order.
#[derive(Default)]
struct Part {
    checked: Checked,
    /// Inputs that could not be read.
    unreadable: Vec<String>,
    /// Documents that could not be parsed.
    unparsable: Vec<String>,
}

impl Part {
    fn of(source: &Source, options: &Options) -> Part {
        match source.check(options) {
            Ok((checked, errors)) => Part {
                checked,
                unreadable: Vec::new(),
                unparsable: errors.iter().map(ToString::to_string).collect(),
            },
            Err(e) => Part {
                unreadable: vec![format!("{}: error: {e}", source.name())],
                ..Part::default()
            },
        }
    }

    /// These inputs followed by `later`'s.
    fn then(mut self, later: Part) -> Part {
        self.checked = self.checked.then(later.checked);
        self.unreadable.extend(later.unreadable);
        self.unparsable.extend(later.unparsable);
        self
    }
}

/// An input of `check`.
enum Source {
    /// Standard input, already read.
    Stdin(Vec<u8>),
    /// A file, named or found below a directory.
    File(Input),
}

/// What `check` reads below a directory: Kubernetes YAML or JSON, and Terraform (`.hcl`).
const MANIFESTS: &[&str] = &["yaml", "yml", "json", "hcl"];

impl Source {
    /// How the input is named in findings and errors.
    fn name(&self) -> String {
        match self {
            Source::Stdin(_) => STDIN_NAME.to_owned(),
            Source::File(input) => shown(&input.path),
        }
    }

    /// Reads, parses and checks the input.
    fn check(&self, options: &Options) -> std::io::Result<(Checked, Vec<PolicyError>)> {
        let name = self.name();
        let read;
        let bytes = match self {
            Source::Stdin(bytes) => bytes,
            Source::File(input) => match input.read(MAX_MANIFEST_BYTES as u64)? {
                Some(bytes) => {
                    read = bytes;
                    &read
                }
                None => return Ok((Checked::default(), vec![too_large(&name)])),
            },
        };
        Ok(Checked::file(&name, bytes, options))
    }
}
