//! Runs checks from the current network namespace: each in its own thread, retried until it
//! holds or the wait runs out, and reported as one line each.

use crate::check::{Check, Target};
use serde_json::{Value, json};
use std::io::ErrorKind;
use std::net::{IpAddr, SocketAddr, TcpStream, ToSocketAddrs};
use std::time::{Duration, Instant};

/// Pause between two attempts of a check that does not hold yet.
const RETRY_PAUSE: Duration = Duration::from_secs(2);

/// How checks are run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// How long one connection attempt waits for any answer. A closed check holds when this
    /// passes in silence, so it should exceed the slowest answer expected in the cluster.
    pub timeout: Duration,
    /// How long checks that do not hold are tried again (every two seconds): for servers
    /// still starting and NetworkPolicies still being programmed by the CNI.
    pub wait: Duration,
    /// How long to wait before the first attempt.
    pub delay: Duration,
}

/// What one attempt saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The name resolved to these addresses.
    Resolved {
        /// The addresses, in the resolver's order, without repeats.
        addresses: Vec<IpAddr>,
        /// Time taken.
        elapsed: Duration,
    },
    /// The name did not resolve.
    NotResolved {
        /// The resolver's error.
        error: String,
        /// Time taken.
        elapsed: Duration,
    },
    /// The TCP handshake completed.
    Connected {
        /// The address connected to.
        address: SocketAddr,
        /// Time taken.
        elapsed: Duration,
    },
    /// A reset (or ICMP port unreachable) came back: something answered, nothing listened.
    Refused {
        /// The address tried.
        address: SocketAddr,
        /// Time taken.
        elapsed: Duration,
    },
    /// Nothing came back before the timeout: the packets were dropped.
    NoAnswer {
        /// The address tried.
        address: SocketAddr,
        /// The timeout that passed.
        timeout: Duration,
    },
    /// An ICMP host or network unreachable came back, or there is no route.
    Unreachable {
        /// The address tried.
        address: SocketAddr,
        /// The system's error.
        error: String,
        /// Time taken.
        elapsed: Duration,
    },
    /// Any other error of the attempt.
    Error {
        /// The address tried.
        address: SocketAddr,
        /// The system's error.
        error: String,
        /// Time taken.
        elapsed: Duration,
    },
}

impl Outcome {
    /// A short, stable name for machines: `connected`, `refused`, `no-answer`, ….
    pub fn name(&self) -> &'static str {
        match self {
            Outcome::Resolved { .. } => "resolved",
            Outcome::NotResolved { .. } => "not-resolved",
            Outcome::Connected { .. } => "connected",
            Outcome::Refused { .. } => "refused",
            Outcome::NoAnswer { .. } => "no-answer",
            Outcome::Unreachable { .. } => "unreachable",
            Outcome::Error { .. } => "error",
        }
    }

    fn address(&self) -> Option<SocketAddr> {
        match self {
            Outcome::Connected { address, .. }
            | Outcome::Refused { address, .. }
            | Outcome::NoAnswer { address, .. }
            | Outcome::Unreachable { address, .. }
            | Outcome::Error { address, .. } => Some(*address),
            Outcome::Resolved { .. } | Outcome::NotResolved { .. } => None,
        }
    }

    fn elapsed(&self) -> Duration {
        match self {
            Outcome::Resolved { elapsed, .. }
            | Outcome::NotResolved { elapsed, .. }
            | Outcome::Connected { elapsed, .. }
            | Outcome::Refused { elapsed, .. }
            | Outcome::Unreachable { elapsed, .. }
            | Outcome::Error { elapsed, .. } => *elapsed,
            Outcome::NoAnswer { timeout, .. } => *timeout,
        }
    }
}

/// The result of one check: its last attempt, and whether the expectation holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// The check.
    pub check: Check,
    /// What its last attempt saw.
    pub outcome: Outcome,
    /// Whether the expectation holds.
    pub holds: bool,
    /// How many attempts were made.
    pub attempts: u32,
}

impl Report {
    /// The log line: `open     web -> api.shop.svc:8080/TCP  ok  connected to 10.96.4.2:8080 in 2 ms`.
    /// `from` names the app whose labels the probe wears.
    pub fn line(&self, from: Option<&str>) -> String {
        let verdict = if self.holds { "ok" } else { "FAILED" };
        let again = match self.attempts {
            1 => String::new(),
            n => format!(" (attempt {n})"),
        };
        format!(
            "{:<8} {}{}  {verdict}  {}{again}",
            self.check.kind(),
            from_prefix(from),
            self.check.shown(),
            self.detail()
        )
    }

    /// The same as one JSON object, for log collectors (`--log-format json`).
    pub fn json(&self, from: Option<&str>) -> Value {
        let mut v = json!({
            "check": self.check.kind(),
            "from": from,
            "target": self.check.subject(),
            "protocol": match self.check { Check::Resolve(_) => "DNS", _ => "TCP" },
            "holds": self.holds,
            "outcome": self.outcome.name(),
            "elapsed_ms": self.outcome.elapsed().as_millis() as u64,
            "attempts": self.attempts,
            "detail": self.detail(),
        });
        if let Some(address) = self.outcome.address() {
            v["address"] = json!(address.to_string());
        }
        if let Outcome::Resolved { addresses, .. } = &self.outcome {
            v["addresses"] = json!(
                addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
            );
        }
        v
    }

    /// What the last attempt saw, and what that means for this check.
    fn detail(&self) -> String {
        let closed = matches!(self.check, Check::Closed(_));
        match &self.outcome {
            Outcome::Resolved { addresses, elapsed } => format!(
                "resolved to {} in {}",
                addresses
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
                show(*elapsed)
            ),
            Outcome::NotResolved { error, elapsed } => {
                format!("not resolved after {}: {error}", show(*elapsed))
            }
            Outcome::Connected { address, elapsed } if closed => format!(
                "connected to {address} in {}: the policies let this flow through",
                show(*elapsed)
            ),
            Outcome::Connected { address, elapsed } => {
                format!("connected to {address} in {}", show(*elapsed))
            }
            Outcome::Refused { address, elapsed } if closed => format!(
                "refused by {address} in {}: an answer came back, so nothing dropped the flow \
                 (or the Service has no ready endpoints and its proxy answered, or the CNI rejects instead of dropping)",
                show(*elapsed)
            ),
            Outcome::Refused { address, elapsed } => format!(
                "refused by {address} in {}: nothing listens there, or the Service has no ready endpoints",
                show(*elapsed)
            ),
            Outcome::NoAnswer { address, timeout } if closed => {
                format!(
                    "no answer from {address} within {}: dropped",
                    show(*timeout)
                )
            }
            Outcome::NoAnswer { address, timeout } => format!(
                "no answer from {address} within {}: dropped by a policy, or nothing at that address",
                show(*timeout)
            ),
            Outcome::Unreachable {
                address,
                error,
                elapsed,
            } => format!("{address} unreachable after {}: {error}", show(*elapsed)),
            Outcome::Error {
                address,
                error,
                elapsed,
            } => format!("{address} after {}: {error}", show(*elapsed)),
        }
    }
}

/// The log line of a declared flow that is not probed, and why:
/// `unprobed api -> 10.40.0.0/16:5432/TCP  skipped  a range: no address in it is known to answer`.
pub fn unprobed_line(from: Option<&str>, what: &str) -> String {
    format!("{:<8} {}{what}", "unprobed", from_prefix(from))
}

/// [`unprobed_line`] as one JSON object.
pub fn unprobed_json(from: Option<&str>, what: &str) -> Value {
    json!({"check": "unprobed", "from": from, "detail": what})
}

/// The closing line: how many checks hold.
pub fn summary_line(from: Option<&str>, reports: &[Report]) -> String {
    let held = reports.iter().filter(|r| r.holds).count();
    let failed = reports.len() - held;
    let who = from.map(|f| format!(" {f}")).unwrap_or_default();
    if failed == 0 {
        format!("netprobe{who}: all {held} checks hold")
    } else {
        format!("netprobe{who}: {failed} of {} checks FAILED", reports.len())
    }
}

/// [`summary_line`] as one JSON object.
pub fn summary_json(from: Option<&str>, reports: &[Report]) -> Value {
    let held = reports.iter().filter(|r| r.holds).count();
    json!({"summary": {"from": from, "checks": reports.len(), "hold": held, "failed": reports.len() - held}})
}

fn from_prefix(from: Option<&str>) -> String {
    from.map(|f| format!("{f} -> ")).unwrap_or_default()
}

/// `3 ms`, `2.5 s`.
fn show(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms} ms")
    } else if ms.is_multiple_of(1000) {
        format!("{} s", ms / 1000)
    } else {
        format!("{:.1} s", d.as_secs_f64())
    }
}

/// Runs every check at once (each in its own thread), after `options.delay`, and returns
/// their reports in the order of `checks`.
pub fn run(checks: &[Check], options: &Options) -> Vec<Report> {
    std::thread::sleep(options.delay);
    let deadline = Instant::now() + options.wait;
    std::thread::scope(|scope| {
        let running: Vec<_> = checks
            .iter()
            .map(|check| scope.spawn(move || until_held(check, options, deadline)))
            .collect();
        running
            .into_iter()
            .map(|t| {
                t.join()
                    .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
            })
            .collect()
    })
}

/// Attempts `check` until it holds or `deadline` has passed.
fn until_held(check: &Check, options: &Options, deadline: Instant) -> Report {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let (outcome, holds) = attempt(check, options.timeout);
        let now = Instant::now();
        if holds || now >= deadline {
            return Report {
                check: check.clone(),
                outcome,
                holds,
                attempts,
            };
        }
        std::thread::sleep(RETRY_PAUSE.min(deadline - now));
    }
}

/// One attempt of `check`, and whether it holds.
///
/// An open check holds when one of the target's addresses completes the handshake. A
/// closed check holds when every address stays silent until the timeout; a refusal is an
/// answer, so it does not.
pub fn attempt(check: &Check, timeout: Duration) -> (Outcome, bool) {
    let timeout = timeout.max(Duration::from_millis(1));
    match check {
        Check::Resolve(name) => {
            let outcome = resolve(name);
            let holds = matches!(outcome, Outcome::Resolved { .. });
            (outcome, holds)
        }
        Check::Open(target) => {
            let outcomes = match connect_all(target, timeout) {
                Ok(outcomes) => outcomes,
                Err(not_resolved) => return (not_resolved, false),
            };
            match outcomes
                .iter()
                .position(|o| matches!(o, Outcome::Connected { .. }))
            {
                Some(i) => (outcomes[i].clone(), true),
                None => (first(outcomes), false),
            }
        }
        Check::Closed(target) => {
            let outcomes = match connect_all(target, timeout) {
                Ok(outcomes) => outcomes,
                Err(not_resolved) => return (not_resolved, false),
            };
            match outcomes
                .iter()
                .position(|o| !matches!(o, Outcome::NoAnswer { .. }))
            {
                Some(i) => (outcomes[i].clone(), false),
                None => (first(outcomes), true),
            }
        }
    }
}

fn first(mut outcomes: Vec<Outcome>) -> Outcome {
    outcomes.swap_remove(0)
}

fn resolve(name: &str) -> Outcome {
    let started = Instant::now();
    match (name, 0).to_socket_addrs() {
        Ok(found) => {
            let mut addresses: Vec<IpAddr> = Vec::new();
            for a in found {
                if !addresses.contains(&a.ip()) {
                    addresses.push(a.ip());
                }
            }
            if addresses.is_empty() {
                return Outcome::NotResolved {
                    error: "no address".to_owned(),
                    elapsed: started.elapsed(),
                };
            }
            Outcome::Resolved {
                addresses,
                elapsed: started.elapsed(),
            }
        }
        Err(e) => Outcome::NotResolved {
            error: e.to_string(),
            elapsed: started.elapsed(),
        },
    }
}

/// Tries every address of `target` (a Service has one per IP family); `Err` when the name
/// does not resolve.
fn connect_all(target: &Target, timeout: Duration) -> Result<Vec<Outcome>, Outcome> {
    let started = Instant::now();
    let addresses: Vec<SocketAddr> = match (target.host.as_str(), target.port).to_socket_addrs() {
        Ok(found) => {
            let mut unique = Vec::new();
            for a in found {
                if !unique.contains(&a) {
                    unique.push(a);
                }
            }
            unique
        }
        Err(e) => {
            return Err(Outcome::NotResolved {
                error: e.to_string(),
                elapsed: started.elapsed(),
            });
        }
    };
    if addresses.is_empty() {
        return Err(Outcome::NotResolved {
            error: "no address".to_owned(),
            elapsed: started.elapsed(),
        });
    }
    Ok(addresses.into_iter().map(|a| connect(a, timeout)).collect())
}

fn connect(address: SocketAddr, timeout: Duration) -> Outcome {
    let started = Instant::now();
    match TcpStream::connect_timeout(&address, timeout) {
        Ok(stream) => {
            let elapsed = started.elapsed();
            drop(stream);
            Outcome::Connected { address, elapsed }
        }
        Err(e) => {
            let elapsed = started.elapsed();
            match e.kind() {
                ErrorKind::ConnectionRefused => Outcome::Refused { address, elapsed },
                ErrorKind::TimedOut | ErrorKind::WouldBlock => {
                    Outcome::NoAnswer { address, timeout }
                }
                ErrorKind::HostUnreachable | ErrorKind::NetworkUnreachable => {
                    Outcome::Unreachable {
                        address,
                        error: e.to_string(),
                        elapsed,
                    }
                }
                _ => Outcome::Error {
                    address,
                    error: e.to_string(),
                    elapsed,
                },
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rampart_testkit::Blackhole;
    use std::net::TcpListener;

    const SHORT: Duration = Duration::from_millis(300);

    fn options(wait: Duration) -> Options {
        Options {
            timeout: SHORT,
            wait,
            delay: Duration::ZERO,
        }
    }

    /// A loopback port nothing listens on: connecting is refused at once.
    fn refused_port() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    }

    fn local(port: u16) -> Target {
        Target::new("127.0.0.1", port)
    }

    #[test]
    fn open_means_connected_and_closed_means_no_answer_at_all() {
        let listening = TcpListener::bind("127.0.0.1:0").unwrap();
        let open_port = listening.local_addr().unwrap().port();
        let refused = refused_port();
        let hole = Blackhole::new();
        let cases = [
            (Check::Open(local(open_port)), "connected", true),
            (Check::Closed(local(open_port)), "connected", false),
            (Check::Open(local(refused)), "refused", false),
            (Check::Closed(local(refused)), "refused", false),
            (Check::Open(local(hole.port)), "no-answer", false),
            (Check::Closed(local(hole.port)), "no-answer", true),
            (Check::Resolve("localhost".into()), "resolved", true),
            (
                Check::Resolve("no-such-name.invalid".into()),
                "not-resolved",
                false,
            ),
            (
                Check::Open(Target::new("no-such-name.invalid", 80)),
                "not-resolved",
                false,
            ),
        ];
        let checks: Vec<Check> = cases.iter().map(|(c, _, _)| c.clone()).collect();
        let started = Instant::now();
        let reports = run(&checks, &options(Duration::ZERO));
        // All at once: the two silent attempts overlap instead of adding up.
        assert!(started.elapsed() < 2 * SHORT + Duration::from_millis(500));
        for ((check, outcome, holds), report) in cases.iter().zip(&reports) {
            assert_eq!(&report.check, check);
            assert_eq!(report.outcome.name(), *outcome, "{check:?}: {report:?}");
            assert_eq!(report.holds, *holds, "{check:?}: {report:?}");
            assert_eq!(report.attempts, 1, "no wait, no retry");
        }
        let silent = &reports[5].outcome;
        assert_eq!(
            silent.elapsed(),
            SHORT,
            "a drop is only known once the timeout passed"
        );
    }

    #[test]
    fn checks_that_do_not_hold_are_retried_until_the_wait_runs_out() {
        let port = refused_port();
        let server = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(1200));
            let listener = TcpListener::bind(("127.0.0.1", port)).unwrap();
            std::thread::sleep(Duration::from_secs(4));
            drop(listener);
        });
        let reports = run(
            &[Check::Open(local(port))],
            &options(Duration::from_secs(8)),
        );
        assert!(reports[0].holds, "{reports:?}");
        assert!(reports[0].attempts >= 2, "{reports:?}");
        server.join().unwrap();

        let started = Instant::now();
        let reports = run(
            &[Check::Open(local(refused_port()))],
            &options(Duration::from_millis(2500)),
        );
        assert!(!reports[0].holds);
        assert_eq!(reports[0].attempts, 3, "at 0 s, 2 s and 2.5 s");
        assert!(started.elapsed() >= Duration::from_millis(2500));
    }

    #[test]
    fn log_lines_say_what_was_seen_and_what_it_means() {
        let address: SocketAddr = "10.96.4.2:8080".parse().unwrap();
        let target = Target::new("api.shop.svc", 8080);
        let ms = Duration::from_millis;
        let report = |check: Check, outcome: Outcome, holds: bool, attempts: u32| Report {
            check,
            outcome,
            holds,
            attempts,
        };
        let cases = [
            (
                report(
                    Check::Open(target.clone()),
                    Outcome::Connected {
                        address,
                        elapsed: ms(3),
                    },
                    true,
                    1,
                ),
                "open     web -> api.shop.svc:8080/TCP  ok  connected to 10.96.4.2:8080 in 3 ms",
            ),
            (
                report(
                    Check::Open(target.clone()),
                    Outcome::Refused {
                        address,
                        elapsed: ms(1),
                    },
                    false,
                    4,
                ),
                "open     web -> api.shop.svc:8080/TCP  FAILED  refused by 10.96.4.2:8080 in 1 ms: nothing listens there, or the Service has no ready endpoints (attempt 4)",
            ),
            (
                report(
                    Check::Closed(target.clone()),
                    Outcome::NoAnswer {
                        address,
                        timeout: ms(3000),
                    },
                    true,
                    1,
                ),
                "closed   web -> api.shop.svc:8080/TCP  ok  no answer from 10.96.4.2:8080 within 3 s: dropped",
            ),
            (
                report(
                    Check::Closed(target.clone()),
                    Outcome::Connected {
                        address,
                        elapsed: ms(2),
                    },
                    false,
                    1,
                ),
                "closed   web -> api.shop.svc:8080/TCP  FAILED  connected to 10.96.4.2:8080 in 2 ms: the policies let this flow through",
            ),
            (
                report(
                    Check::Open(target),
                    Outcome::NoAnswer {
                        address,
                        timeout: ms(2500),
                    },
                    false,
                    1,
                ),
                "open     web -> api.shop.svc:8080/TCP  FAILED  no answer from 10.96.4.2:8080 within 2.5 s: dropped by a policy, or nothing at that address",
            ),
            (
                report(
                    Check::Resolve("kubernetes.default.svc".into()),
                    Outcome::Resolved {
                        addresses: vec![[10, 96, 0, 1].into()],
                        elapsed: ms(4),
                    },
                    true,
                    1,
                ),
                "resolve  web -> kubernetes.default.svc (DNS)  ok  resolved to 10.96.0.1 in 4 ms",
            ),
        ];
        for (report, line) in &cases {
            assert_eq!(report.line(Some("web")), *line);
            let json = report.json(Some("web"));
            assert_eq!(json["holds"], report.holds);
            assert_eq!(json["outcome"], report.outcome.name());
            assert_eq!(json["from"], "web");
        }
        assert_eq!(
            unprobed_line(Some("api"), "10.40.0.0/16:5432/TCP: a range"),
            "unprobed api -> 10.40.0.0/16:5432/TCP: a range"
        );
        let reports: Vec<Report> = cases.into_iter().map(|(r, _)| r).collect();
        assert_eq!(
            summary_line(Some("web"), &reports),
            "netprobe web: 3 of 6 checks FAILED"
        );
        assert_eq!(
            summary_line(None, &reports[..1]),
            "netprobe: all 1 checks hold"
        );
    }
}
