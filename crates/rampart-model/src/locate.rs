//! Field paths to line and column in the YAML source: rampart-yaml's source map, so that
//! semantic errors found after deserialisation can still point at the text.

pub use rampart_yaml::locate::SourceMap;
