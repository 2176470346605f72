//! The signals that stop the service.

use crate::error::{Context, Result};
use tokio::signal::unix::{SignalKind, signal};

/// SIGTERM or SIGINT.
pub(crate) struct Stop {
    term: tokio::signal::unix::Signal,
    int: tokio::signal::unix::Signal,
}

impl Stop {
    pub(crate) fn new() -> Result<Stop> {
        Ok(Stop {
            term: signal(SignalKind::terminate()).context("cannot handle SIGTERM")?,
            int: signal(SignalKind::interrupt()).context("cannot handle SIGINT")?,
        })
    }

    pub(crate) async fn wait(&mut self) {
        tokio::select! {
            _ = self.term.recv() => {}
            _ = self.int.recv() => {}
        }
    }
}
