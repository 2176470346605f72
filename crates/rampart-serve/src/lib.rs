//! `rampart serve`: the rotation service. It keeps every secret's rotation schedule
//! (re-read from the repository on an interval, so a schedule changed in Git applies
//! without a restart), rotates what comes due through the rotation engine with jitter,
//! bounded concurrency and back-off, and delivers the new pins through the same path as
//! `rampart rotate`. One instance per repository is active (a lock beside the repository
//! lock; the others wait on standby). `/healthz`, `/readyz` and `/metrics` are served on
//! one port. SIGTERM or SIGINT: nothing new starts, the pass in flight finishes (within the
//! grace period), and the process exits 0.

mod http;
mod metrics;
mod pass;
mod schedule;
mod service;

pub use metrics::Metrics;
pub use pass::Source;
pub use schedule::{Schedule, Timing, jitter};
pub use service::{ServeOptions, run};
