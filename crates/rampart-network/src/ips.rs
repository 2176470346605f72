//! Sets of IP addresses and their CIDR covers.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::ranges::{self, Range};

/// An address family; IPv4 addresses are widened to `u128` but never mixed with IPv6.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Family {
    V4,
    V6,
}

impl Family {
    pub(crate) const BOTH: [Family; 2] = [Family::V4, Family::V6];

    pub(crate) fn bits(self) -> u32 {
        match self {
            Family::V4 => 32,
            Family::V6 => 128,
        }
    }

    pub(crate) fn max(self) -> u128 {
        match self {
            Family::V4 => u128::from(u32::MAX),
            Family::V6 => u128::MAX,
        }
    }

    fn index(self) -> usize {
        self as usize
    }

    pub(crate) fn address(self, value: u128) -> IpAddr {
        match self {
            // IPv4 values never exceed u32::MAX; the fallback is unreachable.
            Family::V4 => IpAddr::V4(Ipv4Addr::from(u32::try_from(value).unwrap_or(u32::MAX))),
            Family::V6 => IpAddr::V6(Ipv6Addr::from(value)),
        }
    }
}

fn split(ip: IpAddr) -> (Family, u128) {
    match ip {
        IpAddr::V4(v4) => (Family::V4, u128::from(u32::from(v4))),
        IpAddr::V6(v6) => (Family::V6, u128::from(v6)),
    }
}

/// A set of IPv4/IPv6 addresses (separate families), as sorted disjoint ranges.
///
/// ```
/// use rampart_network::IpSet;
/// let private = IpSet::parse_cidr("10.0.0.0/8").unwrap();
/// let rest = private.minus(&IpSet::parse_cidr("10.0.0.0/9").unwrap());
/// assert_eq!(rest.cidrs(), ["10.128.0.0/9"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct IpSet {
    /// Indexed by [`Family::index`].
    ranges: [Vec<Range<u128>>; 2],
}

impl IpSet {
    /// The empty set.
    pub fn new() -> Self {
        Self::default()
    }

    /// Every IPv4 and IPv6 address.
    pub fn all() -> Self {
        let mut set = Self::new();
        for family in Family::BOTH {
            set.ranges[family.index()].push((0, family.max()));
        }
        set
    }

    /// Parses `"10.0.0.0/8"` or `"2001:db8::/32"`. Host bits that are not zero are masked
    /// off (`10.1.2.3/8` is `10.0.0.0/8`), as the Kubernetes API accepts them.
    pub fn parse_cidr(cidr: &str) -> Result<IpSet, String> {
        let bad = || format!("`{cidr}` is not a CIDR");
        let (address, prefix) = cidr.split_once('/').ok_or_else(bad)?;
        let ip: IpAddr = address.parse().map_err(|_| bad())?;
        // Digits only: `u32::from_str` would also take a leading `+`.
        if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let prefix: u32 = prefix.parse().map_err(|_| bad())?;
        let (family, value) = split(ip);
        if prefix > family.bits() {
            return Err(bad());
        }
        let host_bits = family.bits() - prefix;
        let host_mask = if host_bits == 128 {
            u128::MAX
        } else {
            (1u128 << host_bits) - 1
        };
        let first = value & !host_mask;
        let mut set = IpSet::new();
        set.ranges[family.index()].push((first, first | host_mask));
        Ok(set)
    }

    /// The set of one address.
    pub fn from_ip(ip: IpAddr) -> IpSet {
        let (family, value) = split(ip);
        let mut set = IpSet::new();
        set.ranges[family.index()].push((value, value));
        set
    }

    /// Adds every address of `other`.
    pub fn union(&mut self, other: &IpSet) {
        for i in 0..2 {
            if !other.ranges[i].is_empty() {
                self.ranges[i] = ranges::union(&self.ranges[i], &other.ranges[i]);
            }
        }
    }

    /// The addresses of `self` that are not in `other`.
    pub fn minus(&self, other: &IpSet) -> IpSet {
        IpSet {
            ranges: [0, 1].map(|i| ranges::minus(&self.ranges[i], &other.ranges[i])),
        }
    }

    /// The addresses in both sets.
    pub fn intersect(&self, other: &IpSet) -> IpSet {
        IpSet {
            ranges: [0, 1].map(|i| ranges::intersect(&self.ranges[i], &other.ranges[i])),
        }
    }

    /// Whether `ip` is in the set.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let (family, value) = split(ip);
        ranges::contains(&self.ranges[family.index()], value)
    }

    /// Whether the set holds no address.
    pub fn is_empty(&self) -> bool {
        self.ranges.iter().all(Vec::is_empty)
    }

    /// Whether every address of `other` is in `self`.
    pub fn covers(&self, other: &IpSet) -> bool {
        other.minus(self).is_empty()
    }

    /// The minimal CIDR cover, IPv4 first, each family in address order.
    pub fn cidrs(&self) -> Vec<String> {
        let mut out = Vec::new();
        for family in Family::BOTH {
            for &(first, last) in &self.ranges[family.index()] {
                out.extend(cidr_cover(family, first, last));
            }
        }
        out
    }

    /// An address of the set (the first one, IPv4 before IPv6), e.g. for a probe.
    pub fn any_address(&self) -> Option<IpAddr> {
        Family::BOTH.into_iter().find_map(|family| {
            self.ranges[family.index()]
                .first()
                .map(|r| family.address(r.0))
        })
    }

    pub(crate) fn family_ranges(&self, family: Family) -> &[Range<u128>] {
        &self.ranges[family.index()]
    }
}

impl fmt::Display for IpSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.cidrs().join(", "))
    }
}

/// The fewest CIDRs whose union is exactly `first..=last` of `family`.
pub(crate) fn cidr_cover(family: Family, first: u128, last: u128) -> Vec<String> {
    let bits = family.bits();
    let mut out = Vec::new();
    let mut start = first;
    loop {
        // The largest aligned block at `start` that does not pass `last`.
        let mut size = start.trailing_zeros().min(bits);
        while size > 0 && block_last(start, size) > last {
            size -= 1;
        }
        out.push(format!("{}/{}", family.address(start), bits - size));
        let end = block_last(start, size);
        match end.checked_add(1) {
            Some(next) if end < last => start = next,
            _ => break,
        }
    }
    out
}

/// The last address of the block of `2^size` addresses at `start`.
fn block_last(start: u128, size: u32) -> u128 {
    if size >= 128 {
        u128::MAX
    } else {
        start | ((1u128 << size) - 1)
    }
}
