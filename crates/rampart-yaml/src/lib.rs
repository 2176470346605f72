//! Every YAML read (and the few writes outside rendered files) of Rampart: serde_yaml_ng's
//! parse of YAML into [`serde_json::Value`] or a typed value, fast for the YAML Rampart
//! renders, with errors of this crate's own types ([`YamlError`], [`Error`]) so that no
//! other crate depends on a YAML library.
//!
//! [`from_str`] and [`documents`] give exactly what serde_yaml_ng 0.10 gives (values,
//! errors and their locations; its code is serde_yaml 0.9.34's, on the same libyaml port): a
//! hand-written parser handles a conservative subset of block YAML and declines anything
//! else, which then goes to serde_yaml_ng unchanged. The subset: block
//! mappings and sequences (compact `- key: v` and `- - x`, sequences at their key's
//! indentation), `---` and `...` lines, comments, blank lines, single-line plain, single-
//! and double-quoted scalars, literal block scalars (`|`, `|-`, `|+`), and flow collections
//! that close on their line. Plain scalars resolve as serde_yaml_ng resolves them for null,
//! booleans, decimal integers and simple decimal fractions; any other scalar that might be
//! a number, and anchors, aliases, tags, directives, `?` keys, folded scalars, multi-line
//! scalars, tabs in the layout, duplicate keys and more, make the fast path decline.

mod block;
pub mod edit;
mod error;
mod flow;
pub mod limits;
mod lines;
pub mod locate;
pub mod reference;
mod scalar;
pub mod structure;

use serde::Deserialize;
use serde_json::Value;

use error::from_library;
pub use error::{Error, YamlError};
use lines::Kind;

/// Deepest nesting the fast path handles (serde_yaml_ng stops at 128).
const MAX_DEPTH: usize = 100;
/// Longest key, from its start to its `:` (libyaml gives up on longer simple keys at 1024).
const MAX_KEY_LEN: usize = 1000;

/// Parses one YAML document, as `serde_yaml_ng::from_str::<Value>(text)` does.
pub fn from_str(text: &str) -> Result<Value, YamlError> {
    match fast_from_str(text) {
        Some(value) => Ok(value),
        None => serde_yaml_ng::from_str(text).map_err(from_library),
    }
}

/// [`from_str`] of bytes, as `serde_yaml_ng::from_slice::<Value>(bytes)` reads them (text
/// that is not UTF-8 is the library's error).
pub fn from_slice(bytes: &[u8]) -> Result<Value, YamlError> {
    match std::str::from_utf8(bytes).ok().and_then(fast_from_str) {
        Some(value) => Ok(value),
        None => serde_yaml_ng::from_slice(bytes).map_err(from_library),
    }
}

/// Parses every document of a YAML stream, as deserializing each item of
/// `serde_yaml_ng::Deserializer::from_str(text)` does; null documents are kept. The first
/// error ends the parse.
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    match fast_documents(text) {
        Some(docs) => Ok(docs),
        None => collect_documents(serde_yaml_ng::Deserializer::from_str(text)),
    }
}

/// [`documents`] of bytes, as `serde_yaml_ng::Deserializer::from_slice(bytes)` reads them
/// (text that is not UTF-8 is the library's error). An empty stream has no document.
pub fn documents_from_slice(bytes: &[u8]) -> Result<Vec<Value>, YamlError> {
    if let Some(docs) = std::str::from_utf8(bytes).ok().and_then(fast_documents) {
        return Ok(docs);
    }
    collect_documents(serde_yaml_ng::Deserializer::from_slice(bytes))
}

pub(crate) fn collect_documents(
    stream: serde_yaml_ng::Deserializer<'_>,
) -> Result<Vec<Value>, YamlError> {
    stream
        .map(|document| Value::deserialize(document).map_err(from_library))
        .collect()
}

/// The fast path of [`from_str`] alone: `None` where it declines (or the text does not
/// hold exactly one document).
pub fn fast_from_str(text: &str) -> Option<Value> {
    let mut docs = fast_documents(text)?;
    if docs.len() == 1 { docs.pop() } else { None }
}

/// `T` from the one YAML document `text`, as `serde_yaml_ng::from_str::<T>(text)` reads
/// it: the fast path's value converted to `T` where both succeed, else the library's own
/// reading (and its error, with its location). Where the fast path's value does not convert
/// (e.g. an unquoted `123` for a string field, which YAML reads as the string "123"), the
/// library decides.
pub fn typed_from_str<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    if let Some(typed) = fast_from_str(text).and_then(|v| serde_json::from_value(v).ok()) {
        return Ok(typed);
    }
    serde_yaml_ng::from_str(text).map_err(from_library)
}

/// `value` written as one block-style YAML document, as `serde_yaml_ng::to_string` writes
/// it (Rampart's rendered files use its own emitter instead: see rampart-render's
/// `canonical`).
pub fn to_string<T: serde::Serialize + ?Sized>(value: &T) -> Result<String, YamlError> {
    serde_yaml_ng::to_string(value).map_err(from_library)
}

/// [`typed_from_str`] for untrusted text: refused when it is larger than `limits` allow,
/// nests too deep, repeats a key in a mapping or expands through aliases past the limit,
/// in time and memory bounded by its size. The fast path, which declines aliases,
/// duplicate keys and deep nesting, needs no other check.
pub fn read_typed<T: serde::de::DeserializeOwned>(
    text: &str,
    limits: &limits::Limits,
) -> Result<T, Error> {
    limits::check_text(text, limits).map_err(Error::Refused)?;
    let fast = fast_from_str(text);
    if fast.is_none() {
        structure::check(text, limits).map_err(Error::Refused)?;
    }
    if let Some(typed) = fast.and_then(|v| serde_json::from_value(v).ok()) {
        return Ok(typed);
    }
    serde_yaml_ng::from_str(text).map_err(|e| Error::Yaml(from_library(e)))
}

/// [`from_str`] for untrusted text, checked as [`read_typed`] checks it.
pub fn read_value(text: &str, limits: &limits::Limits) -> Result<Value, Error> {
    limits::check_text(text, limits).map_err(Error::Refused)?;
    if let Some(value) = fast_from_str(text) {
        return Ok(value);
    }
    structure::check(text, limits).map_err(Error::Refused)?;
    serde_yaml_ng::from_str(text).map_err(|e| Error::Yaml(from_library(e)))
}

/// The fast path of [`documents`] alone: `None` where it declines.
pub fn fast_documents(text: &str) -> Option<Vec<Value>> {
    let lines = lines::split(text)?;
    let mut docs = Vec::new();
    let (mut start, mut explicit) = (0, false);
    loop {
        let end = (start..lines.len())
            .find(|&i| matches!(lines[i].kind, Kind::DocStart | Kind::DocEnd))
            .unwrap_or(lines.len());
        let body = block::document(&lines, start, end)?;
        let has_content = body.is_some();
        match body {
            Some(value) => docs.push(value),
            None if explicit => docs.push(Value::Null),
            None => {}
        }
        let mut next = end;
        if next < lines.len() && lines[next].kind == Kind::DocEnd {
            // `...` ends a document; only comments, blank lines and `---` may follow.
            if !has_content && !explicit {
                return None;
            }
            next = (next + 1..lines.len())
                .find(|&i| !matches!(lines[i].kind, Kind::Blank | Kind::Comment))
                .unwrap_or(lines.len());
            if next < lines.len() && lines[next].kind != Kind::DocStart {
                return None;
            }
        }
        if next == lines.len() {
            break;
        }
        (start, explicit) = (next + 1, true);
    }
    // A stream with no document at all reads as one null document.
    if docs.is_empty() {
        docs.push(Value::Null);
    }
    Some(docs)
}
