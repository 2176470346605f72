//! rampart-git against real repositories, in one test binary (one link, one set of debug info).
mod commit;
mod common;
mod contents;
mod guard;
mod plan_and_drift;
