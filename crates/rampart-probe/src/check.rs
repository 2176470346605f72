//! What a probe checks, as data: the vocabulary `rampart render` writes into a probe Job's
//! arguments and `rampart probe` reads back. Pure: no IO.

use std::fmt;
use std::str::FromStr;

/// A TCP endpoint: a DNS name or an IP address, and a port.
///
/// ```
/// use rampart_probe::Target;
/// let t: Target = "api.shop.svc:8080".parse().unwrap();
/// assert_eq!((t.host.as_str(), t.port), ("api.shop.svc", 8080));
/// let v6: Target = "[fd00::1]:443".parse().unwrap();
/// assert_eq!(v6.to_string(), "[fd00::1]:443");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Target {
    /// A DNS name, an IPv4 address or an IPv6 address (without brackets).
    pub host: String,
    /// The TCP port.
    pub port: u16,
}

/// Why a `HOST:PORT` could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    /// No `:PORT` at the end.
    #[error("`{0}` is not HOST:PORT (an IPv6 address goes in brackets: [fd00::1]:443)")]
    Shape(String),
    /// The port is not a number from 1 to 65535.
    #[error("`{0}`: the port is a number from 1 to 65535")]
    Port(String),
    /// The host is empty or holds characters no name or address has.
    #[error("`{0}`: the host is not a DNS name or an IP address")]
    Host(String),
}

impl Target {
    /// A target from its parts.
    pub fn new(host: impl Into<String>, port: u16) -> Self {
        Target {
            host: host.into(),
            port,
        }
    }
}

impl FromStr for Target {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let shape = || TargetError::Shape(text.to_owned());
        let (host, port) = match text.strip_prefix('[') {
            Some(rest) => {
                let (host, port) = rest.split_once("]:").ok_or_else(shape)?;
                if host.parse::<std::net::Ipv6Addr>().is_err() {
                    return Err(TargetError::Host(text.to_owned()));
                }
                (host, port)
            }
            None => {
                let (host, port) = text.rsplit_once(':').ok_or_else(shape)?;
                if host.contains(':') {
                    return Err(shape());
                }
                (host, port)
            }
        };
        let port = port
            .parse::<u16>()
            .ok()
            .filter(|p| *p != 0)
            .ok_or_else(|| TargetError::Port(text.to_owned()))?;
        let valid_host = !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_' | b':'));
        if !valid_host {
            return Err(TargetError::Host(text.to_owned()));
        }
        Ok(Target::new(host, port))
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.host.contains(':') {
            write!(f, "[{}]:{}", self.host, self.port)
        } else {
            write!(f, "{}:{}", self.host, self.port)
        }
    }
}

/// One expectation about the network, as seen from the probe's pod.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Check {
    /// The name resolves: the cluster DNS answers (over UDP port 53, falling back to TCP),
    /// which the namespace's `allow-dns` policy allows.
    Resolve(String),
    /// A TCP connection to the target is established: the flow is open end to end.
    Open(Target),
    /// A TCP connection attempt to the target gets no answer at all before the timeout:
    /// a NetworkPolicy dropped it.
    Closed(Target),
}

impl Check {
    /// The `rampart probe` flag of this kind of check.
    pub fn flag(&self) -> &'static str {
        match self {
            Check::Resolve(_) => "--resolve",
            Check::Open(_) => "--open",
            Check::Closed(_) => "--closed",
        }
    }

    /// The word that starts the check's log line.
    pub fn kind(&self) -> &'static str {
        match self {
            Check::Resolve(_) => "resolve",
            Check::Open(_) => "open",
            Check::Closed(_) => "closed",
        }
    }

    /// The flag and its value, as `rampart probe` takes them.
    ///
    /// ```
    /// use rampart_probe::{Check, Target};
    /// let check = Check::Closed(Target::new("kubernetes.default.svc", 443));
    /// assert_eq!(check.args(), ["--closed", "kubernetes.default.svc:443"]);
    /// ```
    pub fn args(&self) -> [String; 2] {
        [self.flag().to_owned(), self.subject()]
    }

    /// What is checked: the name, or `HOST:PORT`.
    pub fn subject(&self) -> String {
        match self {
            Check::Resolve(name) => name.clone(),
            Check::Open(t) | Check::Closed(t) => t.to_string(),
        }
    }

    /// The subject as a log line shows it: `HOST:PORT/TCP`, or `NAME (DNS)`.
    pub fn shown(&self) -> String {
        match self {
            Check::Resolve(name) => format!("{name} (DNS)"),
            Check::Open(t) | Check::Closed(t) => format!("{t}/TCP"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_read_and_written() {
        for (text, parsed) in [
            ("api.shop.svc:8080", Ok(Target::new("api.shop.svc", 8080))),
            ("10.40.0.1:5432", Ok(Target::new("10.40.0.1", 5432))),
            ("[fd00::1]:443", Ok(Target::new("fd00::1", 443))),
            ("localhost:1", Ok(Target::new("localhost", 1))),
            ("fd00::1:443", Err(TargetError::Shape("fd00::1:443".into()))),
            (
                "api.shop.svc",
                Err(TargetError::Shape("api.shop.svc".into())),
            ),
            ("[api]:443", Err(TargetError::Host("[api]:443".into()))),
            ("api:0", Err(TargetError::Port("api:0".into()))),
            ("api:65536", Err(TargetError::Port("api:65536".into()))),
            ("api:http", Err(TargetError::Port("api:http".into()))),
            (":80", Err(TargetError::Host(":80".into()))),
            ("a b:80", Err(TargetError::Host("a b:80".into()))),
        ] {
            let got = text.parse::<Target>();
            assert_eq!(got, parsed, "{text}");
            if let Ok(t) = got {
                assert_eq!(t.to_string(), text, "written back as read");
            }
        }
    }

    #[test]
    fn checks_as_arguments_and_log_subjects() {
        let open = Check::Open(Target::new("api.shop.svc", 8080));
        assert_eq!(open.args(), ["--open", "api.shop.svc:8080"]);
        assert_eq!(open.shown(), "api.shop.svc:8080/TCP");
        let dns = Check::Resolve("kubernetes.default.svc".into());
        assert_eq!(dns.args(), ["--resolve", "kubernetes.default.svc"]);
        assert_eq!(dns.shown(), "kubernetes.default.svc (DNS)");
    }
}
