//! The evaluator's integration tests: one binary, one module per area.

mod common;
mod flowset;
mod ips;
mod parse;
mod peers;
mod verdicts;
