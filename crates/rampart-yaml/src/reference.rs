//! The YAML library's (serde_yaml_ng's) reading alone, without the fast path: what the fast
//! path is tested and measured against, here so that those tests and benchmarks need no
//! YAML library of their own.

use serde_json::Value;

use crate::{YamlError, collect_documents, error::from_library};

/// Every document of `text` as the library reads it (null documents kept).
pub fn documents(text: &str) -> Result<Vec<Value>, YamlError> {
    collect_documents(serde_yaml_ng::Deserializer::from_str(text))
}

/// The one document of `text` read as `T` by the library.
pub fn typed<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, YamlError> {
    serde_yaml_ng::from_str(text).map_err(from_library)
}
