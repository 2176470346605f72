//! Secret values in memory: a map that never prints its content, and fresh random values.

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt;

/// The reserved property Rampart writes into every version it creates: who wrote it, from
/// which version, when. ExternalSecrets copy only the properties a request lists, so it
/// never reaches a pod; it lets a later run recognise its own versions (and resume after a
/// crash) from the version itself, atomically with the value.
pub const MARKER_PROPERTY: &str = "rampart-rotation";

/// The properties of one version of a remote secret. `Debug` prints the property names
/// only, never a value.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretData(BTreeMap<String, String>);

impl SecretData {
    /// Wraps a property map.
    pub fn new(map: BTreeMap<String, String>) -> SecretData {
        SecretData(map)
    }

    /// One property's value.
    pub fn get(&self, property: &str) -> Option<&str> {
        self.0.get(property).map(String::as_str)
    }

    /// Sets one property.
    pub fn set(&mut self, property: &str, value: String) {
        self.0.insert(property.to_owned(), value);
    }

    /// The property map, to send to a backend.
    pub fn as_map(&self) -> &BTreeMap<String, String> {
        &self.0
    }

    /// Rampart's marker, when this version was written by Rampart.
    pub fn marker(&self) -> Option<Marker> {
        Marker::parse(self.get(MARKER_PROPERTY)?)
    }

    /// A short digest of every property, to compare what was written with what is read
    /// back without holding both values in messages.
    pub fn digest(&self) -> String {
        let mut hash = Sha256::new();
        for (k, v) in &self.0 {
            hash.update((k.len() as u64).to_le_bytes());
            hash.update(k.as_bytes());
            hash.update((v.len() as u64).to_le_bytes());
            hash.update(v.as_bytes());
        }
        hash.finalize()[..8]
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Every value, for tests and log scrubbing: which strings must never be printed.
    pub fn values(&self) -> impl Iterator<Item = &str> {
        self.0.values().map(String::as_str)
    }
}

impl fmt::Debug for SecretData {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set()
            .entries(self.0.keys().map(|k| format!("{k}=[redacted]")))
            .finish()
    }
}

/// What Rampart records in [`MARKER_PROPERTY`]: `rampart v1 from=<version> at=<RFC 3339>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    /// The version this one replaced.
    pub from: String,
    /// When it was written.
    pub at: String,
}

/// Who wrote a version, from its properties (`None`: they could not be read): Rampart
/// (with the version it replaced and when) or another writer. Never a value.
pub(crate) fn writer_of(data: Option<SecretData>) -> String {
    match data.as_ref().map(SecretData::marker) {
        Some(Some(m)) => format!("rampart (a rotation from version {} at {})", m.from, m.at),
        Some(None) => "another writer (it carries no rampart marker)".to_owned(),
        None => "a writer rampart cannot tell (the version could not be read)".to_owned(),
    }
}

impl Marker {
    /// The property's text.
    pub fn render(&self) -> String {
        format!("rampart v1 from={} at={}", self.from, self.at)
    }

    fn parse(text: &str) -> Option<Marker> {
        let rest = text.strip_prefix("rampart v1 from=")?;
        let (from, at) = rest.split_once(" at=")?;
        Some(Marker {
            from: from.to_owned(),
            at: at.to_owned(),
        })
    }
}

#[cfg(test)]
const ALPHANUMERIC: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// A random string of `length` characters drawn uniformly from `alphabet` with the
/// operating system's CSPRNG (rejection sampling, so no character is favoured).
pub fn random_string(length: usize, alphabet: &str) -> Result<String, getrandom::Error> {
    let chars: Vec<char> = alphabet.chars().collect();
    assert!(
        !chars.is_empty() && chars.len() <= 256,
        "alphabet of 1..=256 characters (validated with the request)"
    );
    let n = chars.len();
    // The largest multiple of n that fits in a byte: bytes at or above it are redrawn.
    let limit = 256 - (256 % n);
    let mut out = String::with_capacity(length);
    let mut buf = [0u8; 64];
    while out.chars().count() < length {
        getrandom::fill(&mut buf)?;
        for &b in &buf {
            if (b as usize) < limit && out.chars().count() < length {
                out.push(chars[b as usize % n]);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_values() {
        let mut data = SecretData::default();
        data.set("password", "hunter2-very-secret".into());
        let shown = format!("{data:?}");
        assert_eq!(shown, "{\"password=[redacted]\"}");
    }

    #[test]
    fn random_strings_have_the_length_and_alphabet_asked_for() {
        let s = random_string(40, ALPHANUMERIC).unwrap_or_default();
        assert_eq!(s.chars().count(), 40);
        assert!(s.chars().all(|c| ALPHANUMERIC.contains(c)), "{s}");
        let hex = random_string(1000, "0123456789abcdef").unwrap_or_default();
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        // All 16 digits appear in 1,000 draws (the chance one is missing is ~1e-26).
        for c in "0123456789abcdef".chars() {
            assert!(hex.contains(c), "{c} never drawn");
        }
        assert_ne!(
            random_string(32, ALPHANUMERIC).ok(),
            random_string(32, ALPHANUMERIC).ok()
        );
    }

    #[test]
    fn markers_round_trip() {
        let m = Marker {
            from: "7".into(),
            at: "2026-12-01T03:00:00Z".into(),
        };
        let mut data = SecretData::default();
        data.set(MARKER_PROPERTY, m.render());
        assert_eq!(data.marker(), Some(m));
        data.set(MARKER_PROPERTY, "someone else".into());
        assert_eq!(data.marker(), None);
    }

    #[test]
    fn digests_differ_when_any_property_does() {
        let mut a = SecretData::default();
        a.set("user", "app".into());
        a.set("password", "x".into());
        let mut b = a.clone();
        assert_eq!(a.digest(), b.digest());
        b.set("password", "y".into());
        assert_ne!(a.digest(), b.digest());
        assert_eq!(a.digest().len(), 16);
    }
}
