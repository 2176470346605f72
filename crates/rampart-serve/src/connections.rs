//! A bound on the HTTP port's open connections. When the bound is reached, the oldest open
//! connection is closed to make room for the new one: a client holding hundreds of idle
//! connections cannot keep a kubelet probe or a scraper out, and the service never runs out
//! of file descriptors for its repository and backends because of its HTTP port.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use tokio::sync::Notify;

/// Descriptors kept for everything but the HTTP port (repository, packs, backends, logs).
const RESERVED_FILES: u64 = 64;
/// Never more connections than this, however high the open-file limit.
const MOST: usize = 1024;
/// Never fewer: a probe and a scraper at once, with room to spare.
const FEWEST: usize = 8;

/// How many connections to hold at most with `open_files` descriptors allowed: half of
/// what is left after the reserve, between 8 and 1,024.
pub fn cap_for(open_files: u64) -> usize {
    let half = open_files.saturating_sub(RESERVED_FILES) / 2;
    usize::try_from(half).unwrap_or(MOST).clamp(FEWEST, MOST)
}

/// The open connections, oldest first.
#[derive(Clone)]
pub struct Connections {
    inner: Arc<Mutex<Open>>,
}

struct Open {
    cap: usize,
    next_id: u64,
    slots: VecDeque<(u64, Arc<Notify>)>,
}

/// One admitted connection; dropping it frees its place.
pub struct Slot {
    id: u64,
    closed: Arc<Notify>,
    inner: Arc<Mutex<Open>>,
}

impl Connections {
    /// At most `cap` connections (at least one).
    pub fn new(cap: usize) -> Connections {
        Connections {
            inner: Arc::new(Mutex::new(Open {
                cap: cap.max(1),
                next_id: 0,
                slots: VecDeque::new(),
            })),
        }
    }

    /// A place for a new connection, closing the oldest one if every place is taken.
    pub fn admit(&self) -> Slot {
        let mut open = self.lock();
        while open.slots.len() >= open.cap {
            close_oldest(&mut open);
        }
        let (id, closed) = (open.next_id, Arc::new(Notify::new()));
        open.next_id += 1;
        open.slots.push_back((id, closed.clone()));
        Slot {
            id,
            closed,
            inner: self.inner.clone(),
        }
    }

    /// Closes the oldest connection (when accepting failed for want of descriptors).
    pub fn shed_oldest(&self) {
        close_oldest(&mut self.lock());
    }

    /// The most connections held open at once.
    pub fn cap(&self) -> usize {
        self.lock().cap
    }

    /// How many connections are open now.
    #[cfg(test)]
    fn open(&self) -> usize {
        self.lock().slots.len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Open> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

fn close_oldest(open: &mut Open) {
    if let Some((_, closed)) = open.slots.pop_front() {
        // A stored permit: the connection sees it even if it is not waiting yet.
        closed.notify_one();
    }
}

impl Slot {
    /// Completes when this connection was closed to make room for a newer one.
    pub async fn closed(&self) {
        self.closed.notified().await
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut open = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(at) = open.slots.iter().position(|(id, _)| *id == self.id) {
            open.slots.remove(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_keeps_a_reserve_and_stays_in_bounds() {
        assert_eq!(cap_for(128), 32);
        assert_eq!(cap_for(1024), 480);
        assert_eq!(cap_for(0), FEWEST);
        assert_eq!(cap_for(u64::MAX), MOST);
    }

    #[tokio::test]
    async fn a_full_set_closes_its_oldest_connection_and_frees_places_on_drop() {
        let connections = Connections::new(2);
        let first = connections.admit();
        let second = connections.admit();
        let third = connections.admit();
        assert_eq!(connections.open(), 2);
        // The oldest is told to close; the others are not.
        tokio::time::timeout(std::time::Duration::from_secs(1), first.closed())
            .await
            .expect("the oldest connection is closed");
        let not_closed =
            tokio::time::timeout(std::time::Duration::from_millis(50), second.closed()).await;
        assert!(not_closed.is_err(), "the second connection stays open");
        drop(third);
        assert_eq!(connections.open(), 1);
        drop(second);
        drop(first);
        assert_eq!(connections.open(), 0);
    }
}
