//! Network-policy probes (checklist 2.6: test network policies before production).
//!
//! `rampart render` adds a probe Job per app to environments with `networkTests: true`. Its
//! pod wears the app's labels, so the app's NetworkPolicies apply to it, and runs
//! `rampart probe` with the checks [`Check`] describes: every declared flow must be open (a
//! TCP connection is established), a sample of undeclared flows must be closed (the attempt
//! gets no answer at all: a drop), and the cluster DNS must resolve names. Each check is
//! reported as one line; the process exits 0 only when every check holds, so the Job's
//! status is the verdict.
//!
//! Only TCP is probed. UDP and SCTP have no handshake that tells "delivered" from
//! "dropped"; DNS resolution is the one UDP flow checked (port 53, to the cluster DNS).
//!
//! ```no_run
//! use rampart_probe::{Check, Options, Target, run};
//! use std::time::Duration;
//! let checks = [
//!     Check::Resolve("kubernetes.default.svc".into()),
//!     Check::Open(Target::new("api.shop.svc", 8080)),
//!     Check::Closed(Target::new("kubernetes.default.svc", 443)),
//! ];
//! let options = Options { timeout: Duration::from_secs(3), wait: Duration::ZERO, delay: Duration::ZERO };
//! for report in run(&checks, &options) {
//!     println!("{}", report.line(Some("web")));
//! }
//! ```

mod check;
mod run;

pub use check::{Check, Target, TargetError};
pub use run::{
    Options, Outcome, Report, attempt, run, summary_json, summary_line, unprobed_json,
    unprobed_line,
};
