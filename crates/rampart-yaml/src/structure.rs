//! The structural check of a text the fast path declined, before serde_yaml_ng builds values
//! from it: one walk over serde_yaml_ng's events that keeps nothing, refusing
//!
//! - a key given twice in one mapping (serde_yaml_ng and serde_json keep the last one, so the
//!   value a reviewer reads first would not be the one used), located at both keys;
//! - aliases that expand a document past the size limit (a 1 MB text of 300 aliases of a
//!   1 MiB string would otherwise grow to gigabytes). Every node counts 16 bytes plus its
//!   text, so an alias costs what it expands to.
//!
//! serde_yaml_ng gives an error raised while visiting a node that node's position, so a
//! refusal raised on reading a key is located at that key. The first of two equal keys is
//! found by walking again, stopping at it (one more walk, only when there is a duplicate).

use crate::limits::{Limits, Refusal, human_bytes};
use serde::de::{self, DeserializeSeed, EnumAccess, MapAccess, SeqAccess, VariantAccess, Visitor};
use std::cell::{Cell, RefCell};
use std::collections::HashSet;
use std::fmt;

/// What a node costs besides its text.
const NODE_COST: usize = 16;

/// Why the walk stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Stop {
    /// The documents expanded past the budget.
    Expanded,
    /// Mapping number `map` (in walk order) holds `key` twice.
    Duplicate { map: usize, key: String },
    /// The first occurrence of the duplicate, found by the second walk.
    First,
}

/// One walk's state.
struct Walk {
    budget: Cell<usize>,
    maps: Cell<usize>,
    stop: RefCell<Option<Stop>>,
    /// On the second walk: the mapping and key whose first occurrence to stop at.
    find_first: Option<(usize, String)>,
}

impl Walk {
    fn new(limits: &Limits, find_first: Option<(usize, String)>) -> Walk {
        Walk {
            budget: Cell::new(limits.max_bytes),
            maps: Cell::new(0),
            stop: RefCell::new(None),
            find_first,
        }
    }

    fn spend<E: de::Error>(&self, bytes: usize) -> Result<(), E> {
        match self.budget.get().checked_sub(NODE_COST + bytes) {
            Some(left) => {
                self.budget.set(left);
                Ok(())
            }
            None => Err(self.stopped(Stop::Expanded)),
        }
    }

    fn stopped<E: de::Error>(&self, stop: Stop) -> E {
        *self.stop.borrow_mut() = Some(stop);
        E::custom("stopped")
    }

    /// Walks every document of `text`: the reason it stopped and where, if it did.
    fn run(self, text: &str) -> Result<(), (Stop, usize, usize, serde_yaml_ng::Error)> {
        for document in serde_yaml_ng::Deserializer::from_str(text) {
            if let Err(e) = Node(&self).deserialize(document) {
                let (line, column) = e.location().map_or((1, 1), |l| (l.line(), l.column()));
                return match self.stop.borrow_mut().take() {
                    Some(stop) => Err((stop, line, column, e)),
                    // A syntax error: serde_yaml_ng reports it when it reads the text.
                    None => Ok(()),
                };
            }
        }
        Ok(())
    }
}

/// Refuses a key given twice in one mapping of `text`, and aliases that expand it past
/// `limits.max_bytes`. Syntax errors pass: serde_yaml_ng reports them itself.
pub fn check(text: &str, limits: &Limits) -> Result<(), Refusal> {
    let Err((stop, line, column, _)) = Walk::new(limits, None).run(text) else {
        return Ok(());
    };
    match stop {
        Stop::Expanded => Err(Refusal {
            line,
            column,
            message: format!(
                "aliases (`*name`) expand this document past {}, the limit of an input file; refused at this value",
                human_bytes(limits.max_bytes)
            ),
            help:
                "write the values out instead of repeating large ones through anchors and aliases"
                    .into(),
            first: None,
        }),
        Stop::Duplicate { map, key } => {
            let first = match Walk::new(limits, Some((map, key.clone()))).run(text) {
                Err((Stop::First, l, c, _)) => Some((l, c)),
                _ => None,
            };
            Err(Refusal {
                line,
                column,
                message: format!("duplicate key `{}`", excerpt(&key)),
                help: "keep one of the two entries: YAML readers keep only the last, and a reviewer reads the first".into(),
                first,
            })
        }
        Stop::First => Ok(()),
    }
}

/// At most 40 characters of `key`, on one line: a message never echoes much of the input.
fn excerpt(key: &str) -> String {
    let line = key.lines().next().unwrap_or("");
    let cut: String = line.chars().take(40).collect();
    if cut.len() < key.len() {
        format!("{cut}…")
    } else {
        cut
    }
}

/// Any node: visited, counted, kept nowhere.
#[derive(Clone, Copy)]
struct Node<'w>(&'w Walk);

impl<'de> DeserializeSeed<'de> for Node<'_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Node<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any YAML node")
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_i128<E: de::Error>(self, _: i128) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_u128<E: de::Error>(self, _: u128) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.0.spend(v.len())
    }
    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<(), E> {
        self.0.spend(v.len())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.0.spend(0)
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        self.0.spend(0)?;
        while seq.next_element_seed(self)?.is_some() {}
        Ok(())
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        self.0.spend(0)?;
        let index = self.0.maps.get();
        self.0.maps.set(index + 1);
        let mut seen = HashSet::new();
        while map
            .next_key_seed(Key {
                walk: self.0,
                map: index,
                seen: &mut seen,
            })?
            .is_some()
        {
            map.next_value_seed(self)?;
        }
        Ok(())
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        // A tagged node (`!tag value`): its value is walked like any other.
        let ((), variant) = data.variant_seed(self)?;
        variant.newtype_variant_seed(self)
    }
}

/// A mapping key: walked as a node, and refused when its mapping already had it.
struct Key<'w, 's> {
    walk: &'w Walk,
    map: usize,
    seen: &'s mut HashSet<String>,
}

impl<'de> DeserializeSeed<'de> for Key<'_, '_> {
    type Value = ();
    fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl Key<'_, '_> {
    /// Records the key `text` of this mapping; a key seen before stops the walk.
    fn record<E: de::Error>(self, text: String) -> Result<(), E> {
        self.walk.spend(text.len())?;
        if let Some((map, key)) = &self.walk.find_first
            && *map == self.map
            && *key == text
        {
            return Err(self.walk.stopped(Stop::First));
        }
        if self.seen.contains(&text) {
            return Err(self.walk.stopped(Stop::Duplicate {
                map: self.map,
                key: text,
            }));
        }
        self.seen.insert(text);
        Ok(())
    }
}

impl<'de> Visitor<'de> for Key<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a mapping key")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.record(v.to_string())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.record(v.to_string())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.record(v.to_string())
    }
    fn visit_i128<E: de::Error>(self, v: i128) -> Result<(), E> {
        self.record(v.to_string())
    }
    fn visit_u128<E: de::Error>(self, v: u128) -> Result<(), E> {
        self.record(v.to_string())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.record(v.to_string())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.record(v.to_owned())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.record("null".to_owned())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.record("null".to_owned())
    }
    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        self.deserialize(d)
    }
    // Sequences, mappings and tagged nodes as keys are walked but never compared.
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        Node(self.walk).visit_seq(seq)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        Node(self.walk).visit_map(map)
    }
    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<(), A::Error> {
        Node(self.walk).visit_enum(data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_bytes: 1 << 20 };

    #[test]
    fn duplicate_keys_are_refused_at_both_lines_at_every_level() {
        let text = "a: 1\nlabels: {x: one, y: 2, x: two}\n";
        let refused = check(text, &LIMITS).unwrap_err();
        assert_eq!((refused.line, refused.column), (2, 24), "{refused:?}");
        assert_eq!(
            refused.to_string(),
            "duplicate key `x` (first at line 2 column 10)"
        );
        let text = "name: a\nquota:\n  pods: \"30\"\n  cpu: 1\n  pods: \"3000\"\n";
        let refused = check(text, &LIMITS).unwrap_err();
        assert_eq!((refused.line, refused.column), (5, 3), "{refused:?}");
        assert_eq!(refused.first, Some((3, 3)), "{refused:?}");
        let text = "name: a\nteam: b\nname: c\n";
        let refused = check(text, &LIMITS).unwrap_err();
        assert_eq!(refused.line, 3, "{refused:?}");
        assert!(
            refused
                .to_string()
                .contains("`name` (first at line 1 column 1)")
        );
        // The same key in two mappings is no duplicate; nor is it across documents.
        check("a: {x: 1}\nb: {x: 1}\n---\na: 2\n", &LIMITS).unwrap();
    }

    #[test]
    fn aliases_expanding_past_the_limit_are_refused_in_bounded_memory() {
        let big = "x".repeat(64 << 10);
        let aliases: String = (0..100).map(|i| format!("k{i}: *big\n")).collect();
        let text = format!("big: &big {big}\n{aliases}");
        let refused = check(&text, &LIMITS).unwrap_err();
        assert!(refused.message.contains("past 1 MiB"), "{refused:?}");
        // A billion laughs of empty strings runs out of budget too.
        let mut laughs =
            String::from("a0: &a0 [\"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\", \"\"]\n");
        for i in 1..10 {
            let prev = format!("*a{}", i - 1);
            laughs.push_str(&format!("a{i}: &a{i} [{}]\n", vec![prev; 10].join(", ")));
        }
        assert!(check(&laughs, &LIMITS).is_err());
        // A few small aliases pass.
        check("a: &x {b: 1}\nc: *x\nd: *x\n", &LIMITS).unwrap();
    }

    #[test]
    fn syntax_errors_are_left_to_serde_yaml() {
        check("a: [1, 2\n", &LIMITS).unwrap();
        check("a: *nowhere\n", &LIMITS).unwrap();
    }
}
