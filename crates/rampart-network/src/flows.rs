//! Canonical sets of allowed connections.

use std::collections::BTreeMap;
use std::fmt;

use serde::Serialize;

use crate::ips::{Family, IpSet, cidr_cover};
use crate::ports::PortSet;

/// One side of a flow: a pod, or a range of outside addresses.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Party {
    /// A pod, by namespace and display name.
    Pod {
        /// The pod's namespace.
        namespace: String,
        /// The pod's display name.
        name: String,
    },
    /// Outside addresses, as one CIDR.
    Cidr(String),
}

impl Party {
    /// The pod party `namespace/name`.
    pub fn pod(namespace: &str, name: &str) -> Party {
        Party::Pod {
            namespace: namespace.to_owned(),
            name: name.to_owned(),
        }
    }
}

impl fmt::Display for Party {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Party::Pod { namespace, name } => write!(f, "{namespace}/{name}"),
            Party::Cidr(cidr) => f.write_str(cidr),
        }
    }
}

/// Allowed ports from one party to another.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Flow {
    /// The connecting party.
    pub from: Party,
    /// The party connected to.
    pub to: Party,
    /// The ports allowed (never empty).
    pub ports: PortSet,
}

impl fmt::Display for Flow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} → {} {}", self.from, self.to, self.ports)
    }
}

/// A segment of one address family with the ports allowed to each of its addresses.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Segment {
    first: u128,
    last: u128,
    ports: PortSet,
}

/// Direction of a flow between a pod and outside addresses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Way {
    /// From the pod to the addresses.
    Out,
    /// From the addresses to the pod.
    In,
}

/// Canonical set of allowed flows: two FlowSets are equal iff they allow exactly the same
/// connections, however the policies were written (rules split or merged, a CIDR with
/// `except` vs several CIDRs, port lists vs `endPort` ranges).
///
/// ```
/// use rampart_network::{FlowSet, IpSet, Party, PortSet, Protocol};
/// let mut https = PortSet::new();
/// https.add_range(Protocol::TCP, 443, 443);
/// let (mut a, mut b) = (FlowSet::new(), FlowSet::new());
/// let worker = Party::pod("shop", "worker");
/// a.allow_ips(worker.clone(), &IpSet::parse_cidr("203.0.113.0/24").unwrap(), &https, false);
/// b.allow_ips(worker.clone(), &IpSet::parse_cidr("203.0.113.0/25").unwrap(), &https, false);
/// b.allow_ips(worker, &IpSet::parse_cidr("203.0.113.128/25").unwrap(), &https, false);
/// assert_eq!(a, b);
/// assert_eq!(a.flows()[0].to_string(), "shop/worker → 203.0.113.0/24 443/TCP");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowSet {
    /// Pod → pod, never empty port sets.
    pods: BTreeMap<(Party, Party), PortSet>,
    /// Pod ↔ outside addresses: per pod, direction and family, sorted disjoint segments
    /// with non-empty port sets, adjacent segments with equal ports merged.
    ips: BTreeMap<(Party, Way, Family), Vec<Segment>>,
}

impl FlowSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Allows `ports` from one party to another. Pod → pod is stored per pair; a
    /// [`Party::Cidr`] on one side is the same as [`FlowSet::allow_ips`]; a CIDR that does not
    /// parse, or CIDR → CIDR, adds nothing.
    pub fn allow(&mut self, from: Party, to: Party, ports: &PortSet) {
        if ports.is_empty() {
            return;
        }
        match (from, to) {
            (from @ Party::Pod { .. }, to @ Party::Pod { .. }) => {
                self.pods.entry((from, to)).or_default().union(ports);
            }
            (pod @ Party::Pod { .. }, Party::Cidr(cidr)) => {
                if let Ok(ips) = IpSet::parse_cidr(&cidr) {
                    self.allow_ips(pod, &ips, ports, false);
                }
            }
            (Party::Cidr(cidr), pod @ Party::Pod { .. }) => {
                if let Ok(ips) = IpSet::parse_cidr(&cidr) {
                    self.allow_ips(pod, &ips, ports, true);
                }
            }
            (Party::Cidr(_), Party::Cidr(_)) => {}
        }
    }

    /// Allows `ports` from a pod party to an outside IP range (or, with `inbound`, from that
    /// range to the pod).
    pub fn allow_ips(&mut self, pod: Party, ips: &IpSet, ports: &PortSet, inbound: bool) {
        if ports.is_empty() || ips.is_empty() {
            return;
        }
        let way = if inbound { Way::In } else { Way::Out };
        for family in Family::BOTH {
            let ranges = ips.family_ranges(family);
            if ranges.is_empty() {
                continue;
            }
            let segments = self.ips.entry((pod.clone(), way, family)).or_default();
            for &(first, last) in ranges {
                update(segments, first, last, |old| {
                    let mut new = old.clone();
                    new.union(ports);
                    new
                });
            }
        }
    }

    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.pods.is_empty() && self.ips.is_empty()
    }

    /// The flows, canonical and sorted: pod → pod merged per pair (in party order), then per
    /// pod its flows to outside addresses and then from them, IPv4 before IPv6, in address
    /// order. Outside addresses are minimal CIDRs, one flow per (pod, CIDR) with the ports
    /// allowed to every address of that CIDR; adjacent address ranges with identical port
    /// sets are merged before the CIDR cover is taken.
    pub fn flows(&self) -> Vec<Flow> {
        let mut out: Vec<Flow> = self
            .pods
            .iter()
            .map(|((from, to), ports)| Flow {
                from: from.clone(),
                to: to.clone(),
                ports: ports.clone(),
            })
            .collect();
        for ((pod, way, family), segments) in &self.ips {
            for segment in segments {
                for cidr in cidr_cover(*family, segment.first, segment.last) {
                    let (from, to) = match way {
                        Way::Out => (pod.clone(), Party::Cidr(cidr)),
                        Way::In => (Party::Cidr(cidr), pod.clone()),
                    };
                    out.push(Flow {
                        from,
                        to,
                        ports: segment.ports.clone(),
                    });
                }
            }
        }
        out
    }

    /// Connections in `self` but not in `other`, as canonical flows (e.g. a port range
    /// difference).
    pub fn minus(&self, other: &FlowSet) -> Vec<Flow> {
        self.difference(other).flows()
    }

    /// Connections in `self` but not in `other`, as a set.
    pub fn difference(&self, other: &FlowSet) -> FlowSet {
        let mut out = FlowSet::new();
        for (pair, ports) in &self.pods {
            let left = match other.pods.get(pair) {
                Some(theirs) => ports.minus(theirs),
                None => ports.clone(),
            };
            if !left.is_empty() {
                out.pods.insert(pair.clone(), left);
            }
        }
        for (key, segments) in &self.ips {
            let mut mine = segments.clone();
            for theirs in other.ips.get(key).into_iter().flatten() {
                update(&mut mine, theirs.first, theirs.last, |old| {
                    old.minus(&theirs.ports)
                });
            }
            if !mine.is_empty() {
                out.ips.insert(key.clone(), mine);
            }
        }
        out
    }
}

/// Replaces the ports of every address in `first..=last` by `change(old ports)` (addresses
/// without a segment have the empty set), then restores the canonical form: no empty
/// segment, adjacent segments with equal ports merged.
fn update(
    segments: &mut Vec<Segment>,
    first: u128,
    last: u128,
    change: impl Fn(&PortSet) -> PortSet,
) {
    let mut out: Vec<Segment> = Vec::with_capacity(segments.len() + 2);
    let gap = change(&PortSet::new());
    // The first address of `first..=last` not yet handed to `out`; `None` once all are.
    let mut cursor = Some(first);
    let fill_gap = |out: &mut Vec<Segment>, from: u128, to: u128| {
        if from <= to && !gap.is_empty() {
            out.push(Segment {
                first: from,
                last: to,
                ports: gap.clone(),
            });
        }
    };
    for seg in segments.drain(..) {
        if seg.last < first {
            out.push(seg);
            continue;
        }
        if seg.first > last {
            if let Some(c) = cursor.take() {
                fill_gap(&mut out, c, last);
            }
            out.push(seg);
            continue;
        }
        // `seg` overlaps the range.
        if seg.first < first {
            out.push(Segment {
                first: seg.first,
                last: first - 1,
                ports: seg.ports.clone(),
            });
        }
        let overlap = (seg.first.max(first), seg.last.min(last));
        if let Some(c) = cursor
            && c < overlap.0
        {
            fill_gap(&mut out, c, overlap.0 - 1);
        }
        out.push(Segment {
            first: overlap.0,
            last: overlap.1,
            ports: change(&seg.ports),
        });
        cursor = if overlap.1 >= last {
            None
        } else {
            Some(overlap.1 + 1)
        };
        if seg.last > last {
            out.push(Segment {
                first: last + 1,
                last: seg.last,
                ports: seg.ports,
            });
        }
    }
    if let Some(c) = cursor {
        fill_gap(&mut out, c, last);
    }
    // Canonical form.
    for seg in out {
        if seg.ports.is_empty() {
            continue;
        }
        match segments.last_mut() {
            Some(prev)
                if prev.ports == seg.ports && prev.last.checked_add(1) == Some(seg.first) =>
            {
                prev.last = seg.last;
            }
            _ => segments.push(seg),
        }
    }
}
