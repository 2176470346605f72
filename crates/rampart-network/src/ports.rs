//! Protocols and sets of ports.

use std::collections::BTreeSet;
use std::fmt;

use serde::{Deserialize, Serialize};

use crate::ranges::{self, Range};

/// The transport protocols a NetworkPolicy port can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[allow(clippy::upper_case_acronyms)] // spelled as Kubernetes spells them
pub enum Protocol {
    /// TCP, the default of a NetworkPolicy port.
    TCP,
    /// UDP.
    UDP,
    /// SCTP.
    SCTP,
}

impl Protocol {
    /// Every protocol, in the order of the derived `Ord`.
    pub const ALL: [Protocol; 3] = [Protocol::TCP, Protocol::UDP, Protocol::SCTP];

    /// Parses the Kubernetes spelling (`"TCP"`, `"UDP"`, `"SCTP"`; case-sensitive as the API).
    pub fn parse(text: &str) -> Option<Protocol> {
        match text {
            "TCP" => Some(Protocol::TCP),
            "UDP" => Some(Protocol::UDP),
            "SCTP" => Some(Protocol::SCTP),
            _ => None,
        }
    }

    /// The Kubernetes spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::TCP => "TCP",
            Protocol::UDP => "UDP",
            Protocol::SCTP => "SCTP",
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    /// Rank in displayed lists: `53/UDP, 53/TCP` as DNS is usually written.
    fn display_rank(self) -> u8 {
        match self {
            Protocol::UDP => 0,
            Protocol::TCP => 1,
            Protocol::SCTP => 2,
        }
    }
}

impl fmt::Display for Protocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The first and last port of a full protocol range (port 0 is no Kubernetes port).
pub(crate) const FULL: Range<u16> = (1, u16::MAX);

/// Ports per protocol as sorted disjoint merged ranges, plus named ports that could not be
/// resolved (the destination pod does not declare them).
///
/// Canonical: two sets that contain the same ports are equal. A named port is dropped where
/// its protocol already has every port (it would add nothing).
///
/// ```
/// use rampart_network::{PortSet, Protocol};
/// let mut dns = PortSet::new();
/// dns.add_range(Protocol::TCP, 53, 53);
/// dns.add_range(Protocol::UDP, 53, 53);
/// dns.add_range(Protocol::TCP, 8000, 8080);
/// assert_eq!(dns.to_string(), "53/UDP, 53/TCP, 8000-8080/TCP");
/// assert!(dns.contains(Protocol::TCP, 8042));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PortSet {
    /// Indexed by [`Protocol::index`].
    ranges: [Vec<Range<u16>>; 3],
    named: BTreeSet<(Protocol, String)>,
}

impl PortSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every port (1–65535) of every protocol.
    pub fn all() -> Self {
        let mut set = Self::new();
        for protocol in Protocol::ALL {
            set.add_range(protocol, FULL.0, FULL.1);
        }
        set
    }

    /// Adds ports `first..=last` (nothing if `last < first`; port 0 is ignored).
    pub fn add_range(&mut self, protocol: Protocol, first: u16, last: u16) {
        let first = first.max(FULL.0);
        if last < first {
            return;
        }
        let list = &mut self.ranges[protocol.index()];
        list.push((first, last));
        ranges::normalize(list);
        self.drop_redundant_names();
    }

    /// Adds a named port that no container port resolved.
    pub fn add_named(&mut self, protocol: Protocol, name: &str) {
        if !self.is_full(protocol) {
            self.named.insert((protocol, name.to_owned()));
        }
    }

    /// Adds every port of `other`.
    pub fn union(&mut self, other: &PortSet) {
        for protocol in Protocol::ALL {
            let i = protocol.index();
            if !other.ranges[i].is_empty() {
                self.ranges[i] = ranges::union(&self.ranges[i], &other.ranges[i]);
            }
        }
        self.named.extend(other.named.iter().cloned());
        self.drop_redundant_names();
    }

    /// The ports in both sets. A named port survives where the other set has it too, or has
    /// every port of its protocol.
    pub fn intersect(&self, other: &PortSet) -> PortSet {
        let mut out = PortSet::new();
        for protocol in Protocol::ALL {
            let i = protocol.index();
            out.ranges[i] = ranges::intersect(&self.ranges[i], &other.ranges[i]);
        }
        let kept = |named: &(Protocol, String), theirs: &PortSet| {
            theirs.named.contains(named) || theirs.is_full(named.0)
        };
        out.named = self
            .named
            .iter()
            .filter(|n| kept(n, other))
            .cloned()
            .collect();
        out.named
            .extend(other.named.iter().filter(|n| kept(n, self)).cloned());
        out.drop_redundant_names();
        out
    }

    /// The ports of `self` that are not in `other`. A named port is removed by the same name
    /// or by every port of its protocol.
    pub fn minus(&self, other: &PortSet) -> PortSet {
        let mut out = PortSet::new();
        for protocol in Protocol::ALL {
            let i = protocol.index();
            out.ranges[i] = ranges::minus(&self.ranges[i], &other.ranges[i]);
        }
        out.named = self
            .named
            .iter()
            .filter(|n| !other.named.contains(*n) && !other.is_full(n.0))
            .cloned()
            .collect();
        out
    }

    /// Whether the set holds no port at all.
    pub fn is_empty(&self) -> bool {
        self.ranges.iter().all(Vec::is_empty) && self.named.is_empty()
    }

    /// Whether the numeric `port` of `protocol` is in the set.
    pub fn contains(&self, protocol: Protocol, port: u16) -> bool {
        ranges::contains(&self.ranges[protocol.index()], port)
    }

    /// Whether the set holds every port of every protocol.
    pub fn is_all(&self) -> bool {
        Protocol::ALL.iter().all(|&p| self.is_full(p))
    }

    /// The numeric ranges of one protocol.
    pub fn ranges(&self, protocol: Protocol) -> &[(u16, u16)] {
        &self.ranges[protocol.index()]
    }

    /// The unresolved named ports.
    pub fn named(&self) -> impl Iterator<Item = (Protocol, &str)> {
        self.named.iter().map(|(p, n)| (*p, n.as_str()))
    }

    fn is_full(&self, protocol: Protocol) -> bool {
        self.ranges[protocol.index()].first() == Some(&FULL)
    }

    fn drop_redundant_names(&mut self) {
        if !self.named.is_empty() {
            let full: Vec<bool> = Protocol::ALL.iter().map(|&p| self.is_full(p)).collect();
            self.named.retain(|(p, _)| !full[p.index()]);
        }
    }

    /// One display item per range or name, in display order.
    fn items(&self) -> Vec<String> {
        let mut numeric: Vec<(u16, u8, String)> = Vec::new();
        for protocol in Protocol::ALL {
            if self.is_full(protocol) {
                numeric.push((0, protocol.display_rank(), format!("all {protocol} ports")));
                continue;
            }
            for &(first, last) in &self.ranges[protocol.index()] {
                let text = if first == last {
                    format!("{first}/{protocol}")
                } else {
                    format!("{first}-{last}/{protocol}")
                };
                numeric.push((first, protocol.display_rank(), text));
            }
        }
        numeric.sort();
        let mut items: Vec<String> = numeric.into_iter().map(|(_, _, text)| text).collect();
        items.extend(self.named.iter().map(|(p, n)| format!("{n}/{p}")));
        items
    }
}

impl fmt::Display for PortSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_all() {
            return f.write_str("all ports");
        }
        if self.is_empty() {
            return f.write_str("no ports");
        }
        f.write_str(&self.items().join(", "))
    }
}

/// Serialized as the displayed items: `["53/UDP", "8000-8080/TCP", "http/TCP"]`, and
/// `["all ports"]` for [`PortSet::all`].
impl Serialize for PortSet {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if self.is_all() {
            return serializer.collect_seq(["all ports"]);
        }
        serializer.collect_seq(self.items())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_ports_are_kept_only_where_they_add_something() {
        let mut a = PortSet::new();
        a.add_named(Protocol::TCP, "http");
        let mut tcp = PortSet::new();
        tcp.add_range(Protocol::TCP, 1, 65535);
        assert_eq!(a.intersect(&tcp).to_string(), "http/TCP");
        assert!(a.minus(&tcp).is_empty());
        a.union(&tcp);
        assert_eq!(a, tcp);
        assert_eq!(a.to_string(), "all TCP ports");
    }
}
