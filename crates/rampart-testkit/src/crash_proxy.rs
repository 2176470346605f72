//! A loopback HTTP proxy that SIGKILLs a process when a given request arrives: a crash at an
//! exact step of a client's conversation with a server, with no hook in the client.
//!
//! The proxy reads each request (head and `Content-Length` body; the clients under test
//! send no chunked requests), counts it, and forwards it — except the `kill_at`-th, before
//! which it kills the registered process and drops the connection. Responses are copied
//! back unchanged.

use std::io::{self, BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::process::Child;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;

/// The proxy; it stops accepting when dropped (connections in flight end with the process).
pub struct CrashProxy {
    port: u16,
    kill_at: Arc<AtomicUsize>,
    cut_from: Arc<AtomicUsize>,
    seen: Arc<AtomicUsize>,
    victim: Arc<Mutex<Option<Child>>>,
    killed: Arc<AtomicUsize>,
    term_on: Arc<Mutex<Option<(String, u32)>>>,
}

impl CrashProxy {
    /// Listens on a free loopback port and forwards to `127.0.0.1:upstream`. `kill_at`:
    /// the 1-based request before which the victim is killed (`None`: never).
    pub fn start(upstream: u16, kill_at: Option<usize>) -> CrashProxy {
        let (listener, port) = crate::process::loopback_listener("the proxy");
        let seen = Arc::new(AtomicUsize::new(0));
        let kill_at = Arc::new(AtomicUsize::new(kill_at.unwrap_or(0)));
        let cut_from = Arc::new(AtomicUsize::new(0));
        let victim: Arc<Mutex<Option<Child>>> = Arc::new(Mutex::new(None));
        let killed = Arc::new(AtomicUsize::new(0));
        let term_on = Arc::new(Mutex::new(None));
        let steps = Steps {
            seen: seen.clone(),
            kill_at: kill_at.clone(),
            cut_from: cut_from.clone(),
            victim: victim.clone(),
            killed: killed.clone(),
            term_on: term_on.clone(),
        };
        thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let steps = steps.clone();
                thread::spawn(move || {
                    let _ = relay(client, upstream, &steps);
                });
            }
        });
        CrashProxy {
            port,
            kill_at,
            cut_from,
            seen,
            victim,
            killed,
            term_on,
        }
    }

    /// Sends SIGTERM to process `pid` when the next request whose head starts with
    /// `request_start` (e.g. `POST /v1/secret/data/`) arrives, then forwards that request
    /// as usual: a stop asked for in the middle of a conversation. Once.
    pub fn term_on(&self, request_start: &str, pid: u32) {
        *self.term_on.lock().unwrap_or_else(|p| p.into_inner()) =
            Some((request_start.to_owned(), pid));
    }

    /// Whether the SIGTERM of [`CrashProxy::term_on`] was sent.
    pub fn termed(&self) -> bool {
        self.term_on
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Registers the process to kill.
    pub fn watch(&self, child: Child) {
        *self.victim.lock().unwrap_or_else(|p| p.into_inner()) = Some(child);
    }

    /// Takes the process back (to wait for it).
    pub fn release(&self) -> Option<Child> {
        self.victim.lock().unwrap_or_else(|p| p.into_inner()).take()
    }

    /// Requests seen so far (the killed one included).
    pub fn requests(&self) -> usize {
        self.seen.load(Ordering::SeqCst)
    }

    /// Kills no more and cuts no more: every request is forwarded from now on.
    pub fn disarm(&self) {
        self.kill_at.store(0, Ordering::SeqCst);
        self.cut_from.store(0, Ordering::SeqCst);
    }

    /// From the `n`-th request on (1-based), drops every request unanswered, as a server
    /// that went away mid-conversation.
    pub fn cut_from(&self, n: usize) {
        self.cut_from.store(n, Ordering::SeqCst);
    }

    /// Starts over for another run through the same proxy: counts requests from zero, kills
    /// a newly watched victim before the `kill_at`-th (`None`: never), forgets the last one.
    pub fn arm(&self, kill_at: Option<usize>) {
        self.seen.store(0, Ordering::SeqCst);
        self.killed.store(0, Ordering::SeqCst);
        self.cut_from.store(0, Ordering::SeqCst);
        self.kill_at.store(kill_at.unwrap_or(0), Ordering::SeqCst);
        *self.victim.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Waits until the victim was killed (`Ok`) or exited by itself (`Err` with its
    /// status).
    pub fn wait_for_kill(&self) -> Result<(), std::process::ExitStatus> {
        loop {
            if self.killed() {
                return Ok(());
            }
            {
                let mut guard = self.victim.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(Ok(Some(status))) = guard.as_mut().map(Child::try_wait) {
                    drop(guard);
                    if self.killed() {
                        return Ok(());
                    }
                    return Err(status);
                }
            }
            thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Whether the victim was killed.
    pub fn killed(&self) -> bool {
        self.killed.load(Ordering::SeqCst) > 0
    }
}

/// The proxy's shared state, one clone per connection.
#[derive(Clone)]
struct Steps {
    seen: Arc<AtomicUsize>,
    kill_at: Arc<AtomicUsize>,
    cut_from: Arc<AtomicUsize>,
    victim: Arc<Mutex<Option<Child>>>,
    killed: Arc<AtomicUsize>,
    term_on: Arc<Mutex<Option<(String, u32)>>>,
}

fn relay(client: TcpStream, upstream: u16, steps: &Steps) -> io::Result<()> {
    let Steps {
        seen,
        kill_at,
        cut_from,
        victim,
        killed,
        term_on,
    } = steps;
    let server = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut back_from = server.try_clone()?;
    let mut back_to = client.try_clone()?;
    thread::spawn(move || {
        let _ = io::copy(&mut back_from, &mut back_to);
        let _ = back_to.shutdown(Shutdown::Write);
    });
    let mut reader = BufReader::new(client);
    let mut to_server = server;
    loop {
        let mut head = Vec::new();
        let mut length = 0usize;
        loop {
            let mut line = String::new();
            if reader.read_line(&mut line)? == 0 {
                return Ok(()); // the client closed the connection
            }
            if let Some((name, value)) = line.split_once(':')
                && name.trim().eq_ignore_ascii_case("content-length")
            {
                length = value.trim().parse().unwrap_or(0);
            }
            let end = line == "\r\n";
            head.extend_from_slice(line.as_bytes());
            if end {
                break;
            }
        }
        let mut body = vec![0; length];
        reader.read_exact(&mut body)?;
        let n = seen.fetch_add(1, Ordering::SeqCst) + 1;
        let cut = cut_from.load(Ordering::SeqCst);
        if cut != 0 && n >= cut {
            // The "server" is gone: the connection closes unanswered (both directions: the
            // response copier holds a clone of the socket).
            let _ = reader.get_ref().shutdown(Shutdown::Both);
            return Ok(());
        }
        if n == kill_at.load(Ordering::SeqCst) {
            // The victim is registered right after it is spawned: wait for that.
            for _ in 0..500 {
                let mut guard = victim.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(child) = guard.as_mut() {
                    let _ = child.kill();
                    let _ = child.wait();
                    killed.fetch_add(1, Ordering::SeqCst);
                    break;
                }
                drop(guard);
                thread::sleep(std::time::Duration::from_millis(2));
            }
            return Ok(());
        }
        {
            let mut armed = term_on.lock().unwrap_or_else(|p| p.into_inner());
            if armed
                .as_ref()
                .is_some_and(|(start, _)| head.starts_with(start.as_bytes()))
                && let Some((_, pid)) = armed.take()
            {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            }
        }
        to_server.write_all(&head)?;
        to_server.write_all(&body)?;
    }
}
