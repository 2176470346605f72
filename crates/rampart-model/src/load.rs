//! Parsing input files into typed values, turning every failure into a located [`Diagnostic`].

use crate::diagnostic::{Diagnostic, Diagnostics};
use crate::locate::SourceMap;
use serde::de::DeserializeOwned;

/// Collects the diagnostics of one file, locating each by its field path. The source is
/// only indexed when something is wrong, so valid files cost one parse.
pub struct Report<'a> {
    file: &'a str,
    text: &'a str,
    found: Vec<(String, String, String)>,
}

impl<'a> Report<'a> {
    /// A report for `file`, whose content is `text`.
    pub fn new(file: &'a str, text: &'a str) -> Self {
        Report {
            file,
            text,
            found: Vec::new(),
        }
    }

    /// Records that the field at `path` is wrong.
    pub fn error(&mut self, path: &str, message: impl Into<String>, help: impl Into<String>) {
        self.found
            .push((path.to_string(), message.into(), help.into()));
    }

    /// Everything recorded, located in the source, or `Ok` when nothing was.
    pub fn finish(self) -> Result<(), Diagnostics> {
        if self.found.is_empty() {
            return Ok(());
        }
        let map = SourceMap::new(self.text);
        let located = self
            .found
            .into_iter()
            .map(|(path, message, help)| {
                let (line, column) = map.locate(&path);
                let field = if path.is_empty() { "document" } else { &path };
                Diagnostic::new(
                    self.file,
                    line,
                    column,
                    &format!("{field}: {message}"),
                    &help,
                )
            })
            .collect();
        Err(Diagnostics(located))
    }
}

/// Deserialises `text` (one YAML document) into `T`, refusing unknown fields, duplicate
/// keys and text over the [`crate::limits`] of an input file.
pub fn parse_document<T: DeserializeOwned>(file: &str, text: &str) -> Result<T, Diagnostics> {
    match rampart_yaml::read_typed::<T>(text, &crate::limits::INPUT) {
        Ok(typed) => Ok(typed),
        Err(rampart_yaml::Error::Refused(r)) => {
            Err(Diagnostic::new(file, r.line, r.column, &r.to_string(), &r.help).into())
        }
        Err(rampart_yaml::Error::Yaml(e)) => Err(yaml_error(file, text, &e).into()),
    }
}

/// `bytes` as text, or the refusal of invalid UTF-8 located at its first invalid byte.
pub fn utf8_text<'a>(file: &str, bytes: &'a [u8]) -> Result<&'a str, Diagnostics> {
    std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line_start = valid.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + String::from_utf8_lossy(&valid[line_start..])
            .chars()
            .count();
        Diagnostic::new(
            file,
            line,
            column,
            "the file is not valid UTF-8",
            "save it as UTF-8 (Rampart reads YAML as UTF-8 only)",
        )
        .into()
    })
}

/// The refusal of an input file over [`crate::limits::MAX_INPUT_BYTES`], found before it
/// was read whole.
pub fn too_large(file: &str) -> Diagnostics {
    let r = rampart_yaml::limits::too_large(crate::limits::MAX_INPUT_BYTES);
    Diagnostic::new(file, r.line, r.column, &r.message, &r.help).into()
}

fn yaml_error(file: &str, text: &str, e: &rampart_yaml::YamlError) -> Diagnostic {
    let (line, column) = e.location().unwrap_or((1, 1));
    // The location is already in front.
    let message = e.message().to_string();
    let help = if message.contains("unknown field") {
        "remove the field or fix its spelling; the accepted fields are listed above".to_string()
    } else if message.contains("unknown variant") && message.contains(".backend:") {
        "use `vault` (HashiCorp Vault or OpenBao, KV v2) or `aws` (AWS Secrets Manager); other backends are not supported".to_string()
    } else if message.contains("unknown variant") {
        "use one of the values listed above".to_string()
    } else if message.contains("missing field") {
        "add the field; see the request reference in the README".to_string()
    } else if text.trim().is_empty() {
        "the file is empty: write a request (`rampart new` creates a commented one)".to_string()
    } else if message.contains("unexpected end of stream") {
        "the file ends inside a quoted string or a [ ]/{ } collection: close the quote or bracket"
            .to_string()
    } else if e.location().is_some() && message.contains("invalid type") {
        "give the field a value of the expected type".to_string()
    } else {
        "fix the YAML syntax at this position (check indentation, quotes and `:`)".to_string()
    };
    Diagnostic::new(file, line, column, &message, &help)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::request::NamespaceRequest;

    /// `text` read as `T` by the fast path (which must accept it) equals the YAML library's.
    fn read_alike<T: DeserializeOwned + PartialEq + std::fmt::Debug>(text: &str) {
        let fast = rampart_yaml::fast_from_str(text)
            .and_then(|v| serde_json::from_value::<T>(v).ok())
            .expect("the fast path reads it");
        assert_eq!(fast, rampart_yaml::reference::typed::<T>(text).unwrap());
        assert_eq!(rampart_yaml::typed_from_str::<T>(text).unwrap(), fast);
    }

    #[test]
    fn inputs_read_by_the_fast_path_equal_serde_yaml() {
        read_alike::<NamespaceRequest>(include_str!("../../../examples/shop.yaml"));
        read_alike::<crate::RepoConfig>(include_str!("../../../examples/rampart.yaml"));
        for env in [
            include_str!("../../../environments/dev.yaml"),
            include_str!("../../../environments/staging.yaml"),
            include_str!("../../../environments/prod.yaml"),
        ] {
            read_alike::<crate::Environment>(env);
        }
    }

    #[test]
    fn where_the_fast_value_does_not_fit_serde_yaml_decides() {
        // An unquoted number for a string field: serde_yaml reads the string "7".
        let text = "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: a\nteam: 7\n";
        let req = parse_document::<NamespaceRequest>("specs/a.yaml", text).unwrap();
        assert_eq!(req.team, "7");
        // A quoted number for a port stays an error, located by serde_yaml.
        let text = "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: a\nteam: b\napps:\n  - name: web\n    ports: [{name: http, port: \"80\"}]\n";
        let err = parse_document::<NamespaceRequest>("specs/a.yaml", text).unwrap_err();
        let d = &err.0[0];
        assert_eq!((d.line, d.column), (7, 32), "{d}");
        assert!(d.message.contains("invalid type: string \"80\""), "{d}");
    }

    #[test]
    fn unknown_field_is_located_and_named() {
        let text = "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: a\nteam: b\nappz: []\n";
        let err = parse_document::<NamespaceRequest>("specs/a.yaml", text).unwrap_err();
        let d = &err.0[0];
        assert_eq!((d.line, d.column), (5, 1), "{d}");
        assert!(d.message.contains("unknown field `appz`"), "{d}");
        assert!(d.to_string().starts_with("specs/a.yaml:5:1: error:"), "{d}");
    }

    #[test]
    fn invalid_utf8_is_located_at_its_first_byte() {
        let err = utf8_text("specs/a.yaml", b"name: a\nteam: b\xff\n").unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (2, 8), "{err}");
        assert!(err.0[0].message.contains("not valid UTF-8"), "{err}");
    }

    #[test]
    fn duplicate_keys_and_limits_are_refused_with_their_location() {
        let text =
            "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: a\nteam: b\nname: c\n";
        let err = parse_document::<NamespaceRequest>("specs/a.yaml", text).unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (5, 1), "{err}");
        assert!(
            err.0[0]
                .message
                .contains("duplicate key `name` (first at line 3"),
            "{err}"
        );
        let text = format!(
            "name: a\nteam: {}\n",
            "x".repeat(crate::limits::MAX_INPUT_BYTES)
        );
        let err = parse_document::<NamespaceRequest>("specs/a.yaml", &text).unwrap_err();
        assert!(err.0[0].message.contains("larger than 1 MiB"), "{err}");
    }

    #[test]
    fn syntax_error_is_located() {
        let text = "name: a\nteam: \"unterminated\n";
        let err = parse_document::<NamespaceRequest>("x.yaml", text).unwrap_err();
        assert!(err.0[0].line >= 2, "{}", err);
        assert!(err.0[0].help.contains("close the quote"), "{}", err);
        let err = parse_document::<NamespaceRequest>("x.yaml", "name: a\nteam: [b]\n").unwrap_err();
        assert_eq!((err.0[0].line, err.0[0].column), (2, 7), "{}", err);
        assert!(err.0[0].message.contains("invalid type"), "{}", err);
    }
}
