//! Address sets: parsing, set operations, CIDR covers, IPv6.

use std::net::IpAddr;

use rampart_network::IpSet;

fn set(cidrs: &[&str]) -> IpSet {
    let mut out = IpSet::new();
    for cidr in cidrs {
        out.union(&IpSet::parse_cidr(cidr).unwrap());
    }
    out
}

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

#[test]
fn except_leaves_the_minimal_cover() {
    let rest = set(&["10.0.0.0/8"]).minus(&set(&["10.1.0.0/16"]));
    assert_eq!(
        rest.cidrs(),
        [
            "10.0.0.0/16",
            "10.2.0.0/15",
            "10.4.0.0/14",
            "10.8.0.0/13",
            "10.16.0.0/12",
            "10.32.0.0/11",
            "10.64.0.0/10",
            "10.128.0.0/9"
        ]
    );
    // The cover is exactly the set again.
    assert_eq!(
        set(&rest.cidrs().iter().map(String::as_str).collect::<Vec<_>>()),
        rest
    );
    assert!(rest.contains(ip("10.0.255.255")) && !rest.contains(ip("10.1.0.0")));
    assert!(!rest.contains(ip("10.1.255.255")) && rest.contains(ip("10.2.0.0")));
    assert_eq!(rest.any_address(), Some(ip("10.0.0.0")));
}

#[test]
fn adjacent_and_overlapping_blocks_merge() {
    assert_eq!(
        set(&["10.0.0.0/25", "10.0.0.128/25"]).cidrs(),
        ["10.0.0.0/24"]
    );
    assert_eq!(
        set(&["10.0.0.0/24", "10.0.0.0/25", "10.0.1.0/24"]).cidrs(),
        ["10.0.0.0/23"]
    );
    // Not aligned: two blocks stay two.
    assert_eq!(
        set(&["10.0.1.0/24", "10.0.2.0/24"]).cidrs(),
        ["10.0.1.0/24", "10.0.2.0/24"]
    );
    assert_eq!(set(&["0.0.0.0/1", "128.0.0.0/1"]).cidrs(), ["0.0.0.0/0"]);
}

#[test]
fn host_bits_are_masked() {
    assert_eq!(
        IpSet::parse_cidr("10.1.2.3/8").unwrap(),
        set(&["10.0.0.0/8"])
    );
    assert_eq!(
        IpSet::parse_cidr("192.0.2.7/32").unwrap().cidrs(),
        ["192.0.2.7/32"]
    );
    assert_eq!(
        IpSet::parse_cidr("2001:db8::1/32").unwrap().cidrs(),
        ["2001:db8::/32"]
    );
}

#[test]
fn malformed_cidrs() {
    for bad in [
        "10.0.0.0/33",
        "10.0.0.0",
        "10.0.0/8",
        "10.0.0.0/+8",
        "10.0.0.0/",
        "::/129",
        "x/1",
        "",
    ] {
        assert_eq!(
            IpSet::parse_cidr(bad),
            Err(format!("`{bad}` is not a CIDR")),
            "{bad}"
        );
    }
}

#[test]
fn ipv6_and_ipv4_stay_apart() {
    let everything_but_docs = set(&["::/0"]).minus(&set(&["2001:db8::/32"]));
    assert!(everything_but_docs.contains(ip("2001:db9::1")));
    assert!(!everything_but_docs.contains(ip("2001:db8::1")));
    assert!(!everything_but_docs.contains(ip("10.0.0.1")));
    assert_eq!(everything_but_docs.cidrs().len(), 32);
    assert_eq!(
        everything_but_docs.cidrs()[..3],
        ["::/3", "2000::/16", "2001::/21"]
    );
    assert_eq!(everything_but_docs.cidrs().last().unwrap(), "8000::/1");

    let mut both = set(&["0.0.0.0/0"]);
    both.union(&set(&["::/0"]));
    assert_eq!(both.cidrs(), ["0.0.0.0/0", "::/0"]);
    assert_eq!(both, IpSet::all());
    // Removing all of IPv4 leaves IPv6 untouched.
    assert_eq!(both.minus(&set(&["0.0.0.0/0"])).cidrs(), ["::/0"]);
    assert_eq!(set(&["::/0"]).any_address(), Some(ip("::")));
    assert_eq!(IpSet::new().any_address(), None);
}
