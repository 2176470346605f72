//! The evaluator's integration tests: one binary, one module per area.

mod common;
mod fixtures;
mod flowset;
mod ips;
/// The manifest loader of the `netmap` example, shared with the fixture tests.
#[path = "../../examples/netmap/load.rs"]
mod load;
mod parse;
mod peers;
mod verdicts;
