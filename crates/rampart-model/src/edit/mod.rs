//! Lossless edits of a request file: the rotation engine changes one secret's pinned
//! `version` and every other byte stays as the user wrote it (comments, key order, quoting,
//! indentation, flow or block style, line endings). The document is never re-serialised:
//! yaml-rust2's parser events locate the exact span, which is replaced in the text, and the
//! result is read back to prove it is the same request with only that version changed.
//!
//! How `version` changes:
//! - one version for every environment, and every environment gets the new one: the scalar
//!   is replaced, in its quoting style (a plain `3` stays plain; a value plain YAML would
//!   read differently is double-quoted);
//! - one version for every environment, but only some get the new one: the scalar becomes a
//!   per-environment map in flow style on the same line, every environment listed in
//!   rampart.yaml's order, e.g. `version: {dev: 8, staging: 3, prod: 3}` (flow style fits
//!   wherever a scalar stood, also inside a flow-style secret);
//! - already a map (block or flow): only the targeted entries' values are replaced; a
//!   missing entry is appended after the last one (in a block map on a line of its own,
//!   indented like the others).
//!
//! ```
//! use rampart_model::edit::{VersionEdit, set_secret_version};
//! let text = "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: shop\nteam: t\napps:\n  - name: api\n    secrets:\n      - name: db\n        backend: vault\n        remoteKey: shop/db\n        properties: [password]\n        version: 3   # pinned\n";
//! let edit = VersionEdit { app: "api", secret: "db", version: "4", environments: &["dev"], all_environments: &["dev", "prod"] };
//! let out = set_secret_version(text, &edit).unwrap();
//! assert!(out.ends_with("        version: {dev: 4, prod: 3}   # pinned\n"));
//! ```

mod format;
mod span;

use crate::request::NamespaceRequest;
use crate::secret::{PinnedVersion, PinnedVersions};
use format::{key, scalar};
use rampart_yaml::edit::tree::{self, Lines, Mark, Node, ScalarStyle, SingleError};
use span::{insertion, scalar_span};
use std::collections::BTreeMap;

/// Which pin to change, and to what.
#[derive(Debug, Clone, Copy)]
pub struct VersionEdit<'a> {
    /// `apps[].name`.
    pub app: &'a str,
    /// `apps[].secrets[].name`.
    pub secret: &'a str,
    /// The new version (KV v2 version number or AWS VersionId, without `uuid/`).
    pub version: &'a str,
    /// Environments that get `version`; the others keep the version pinned now.
    pub environments: &'a [&'a str],
    /// Every environment of rampart.yaml, in its order.
    pub all_environments: &'a [&'a str],
}

/// Why a version could not be edited; the text is then left as it was.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    /// The text is not valid YAML.
    #[error("line {line}, column {column}: {message}")]
    Syntax {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// The parser's message.
        message: String,
    },
    /// More than one YAML document (`---`): a request file holds one.
    #[error("the file holds more than one YAML document; a request file holds exactly one")]
    MultipleDocuments,
    /// An anchor (`&a`) or alias (`*a`): an edit could change every node sharing it.
    #[error(
        "line {line}, column {column}: anchors and aliases are not supported in a request Rampart edits; write the values out"
    )]
    AnchorOrAlias {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// The text does not deserialise as a namespace request.
    #[error("the file is not a namespace request: {0}")]
    NotARequest(String),
    /// No app, or more than one, has this name.
    #[error("{found} apps are named `{app}`; expected one")]
    App {
        /// The app looked for.
        app: String,
        /// How many were found.
        found: usize,
    },
    /// No secret, or more than one, of the app has this name.
    #[error("{found} secrets of app `{app}` are named `{secret}`; expected one")]
    Secret {
        /// The app.
        app: String,
        /// The secret looked for.
        secret: String,
        /// How many were found.
        found: usize,
    },
    /// The `version` is written in a way this edit does not handle.
    #[error(
        "line {line}, column {column}: the version of secret `{secret}` is {what}, which Rampart does not edit; write it as a plain or quoted scalar or a map of them"
    )]
    UnsupportedVersion {
        /// The secret.
        secret: String,
        /// What was found, e.g. "a block scalar".
        what: &'static str,
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
    },
    /// A target environment is not in `all_environments`.
    #[error("`{0}` is not an environment of rampart.yaml")]
    UnknownEnvironment(String),
    /// `environments` is empty.
    #[error("no environment was given to set the version in")]
    NoEnvironment,
    /// The edited text did not read back as the expected request (a bug; nothing is written).
    #[error("the edited file does not read back as the same request with only the new version")]
    Verification,
}

/// Returns `text` with the pinned version of `edit.secret` (of `edit.app`) set to
/// `edit.version` in `edit.environments`, every other byte unchanged. See the module
/// documentation for how scalars and maps change.
pub fn set_secret_version(text: &str, edit: &VersionEdit) -> Result<String, EditError> {
    set_secret_versions(text, std::slice::from_ref(edit))
}

/// [`set_secret_version`] for several pins of one file, applied in order (two edits of
/// one secret in different environments combine), proved once: the result must read back
/// as the request with exactly these versions changed. All or nothing.
pub fn set_secret_versions(text: &str, edits: &[VersionEdit]) -> Result<String, EditError> {
    for edit in edits {
        if edit.environments.is_empty() {
            return Err(EditError::NoEnvironment);
        }
        if let Some(env) = edit
            .environments
            .iter()
            .find(|e| !edit.all_environments.contains(e))
        {
            return Err(EditError::UnknownEnvironment(env.to_string()));
        }
    }
    let mut expected: NamespaceRequest = match rampart_yaml::typed_from_str(text) {
        Ok(request) => request,
        // A YAML error is reported as the event parser words it (line and column).
        Err(e) => {
            return Err(parse(text, &Lines::new(text))
                .err()
                .unwrap_or(EditError::NotARequest(e.to_string())));
        }
    };
    let mut out = text.to_owned();
    let mut secrets: Vec<(&str, &str)> = edits.iter().map(|e| (e.app, e.secret)).collect();
    secrets.sort_unstable();
    secrets.dedup();
    if secrets.len() == edits.len() {
        // Each edit has a version node of its own: one parse locates them all.
        let lines = Lines::new(text);
        let root = parse(text, &lines)?
            .ok_or_else(|| EditError::NotARequest("the file is empty".into()))?;
        let mut replacements = Vec::new();
        for edit in edits {
            replacements.extend(replacements_for(text, &root, &lines, edit)?);
        }
        out = splice(text, replacements);
    } else {
        // Edits of one secret build on each other (a scalar becomes a map, then changes).
        for edit in edits {
            let lines = Lines::new(&out);
            let root = parse(&out, &lines)?
                .ok_or_else(|| EditError::NotARequest("the file is empty".into()))?;
            out = splice(&out, replacements_for(&out, &root, &lines, edit)?);
        }
    }
    for edit in edits {
        expect(&mut expected, edit);
    }
    let after: NamespaceRequest =
        rampart_yaml::typed_from_str(&out).map_err(|_| EditError::Verification)?;
    if after == expected {
        Ok(out)
    } else {
        Err(EditError::Verification)
    }
}

/// The document's node tree (rampart-yaml's, tagged nodes kept).
fn parse(text: &str, lines: &Lines) -> Result<Option<Node>, EditError> {
    tree::parse_single(text, lines).map_err(|e| match e {
        SingleError::Syntax { mark, message } => EditError::Syntax {
            line: mark.0,
            column: mark.1 + 1,
            message,
        },
        SingleError::MultipleDocuments => EditError::MultipleDocuments,
        SingleError::AnchorOrAlias { mark } => EditError::AnchorOrAlias {
            line: mark.0,
            column: mark.1 + 1,
        },
    })
}

/// A byte range of the text and what replaces it.
type Replacement = ((usize, usize), String);

/// One edit's text replacements (in `text`, whose tree is `root`), unverified.
fn replacements_for(
    text: &str,
    root: &Node,
    lines: &Lines,
    edit: &VersionEdit,
) -> Result<Vec<Replacement>, EditError> {
    let version = find_version(root, edit)?;
    let unsupported = |what, mark: Mark| EditError::UnsupportedVersion {
        secret: edit.secret.into(),
        what,
        line: mark.0,
        column: mark.1 + 1,
    };
    let mut edits = Vec::new();
    match version {
        Node::Scalar {
            tagged: true, mark, ..
        }
        | Node::Map {
            tagged: true, mark, ..
        } => return Err(unsupported("tagged", *mark)),
        Node::Seq { mark, .. } => return Err(unsupported("a sequence", *mark)),
        // parse_single rejects anchors and aliases, the only opaque nodes it leaves.
        Node::Opaque { mark } => {
            return Err(EditError::AnchorOrAlias {
                line: mark.0,
                column: mark.1 + 1,
            });
        }
        Node::Scalar { value, style, .. } => {
            let span = scalar_span(text, lines, version, edit.secret)?;
            let replacement = if edit
                .all_environments
                .iter()
                .all(|e| edit.environments.contains(e))
            {
                scalar(edit.version, *style)
            } else {
                let entries: Vec<String> = edit
                    .all_environments
                    .iter()
                    .map(|env| {
                        let v = if edit.environments.contains(env) {
                            edit.version
                        } else {
                            value
                        };
                        format!("{}: {}", key(env), scalar(v, *style))
                    })
                    .collect();
                format!("{{{}}}", entries.join(", "))
            };
            edits.push((span, replacement));
        }
        Node::Map {
            entries,
            mark,
            flow,
            ..
        } => {
            let style = entries
                .iter()
                .find_map(|(_, v)| match v {
                    Node::Scalar { style, .. } => Some(*style),
                    _ => None,
                })
                .unwrap_or(ScalarStyle::Plain);
            let mut missing = Vec::new();
            for env in edit.all_environments {
                if !edit.environments.contains(env) {
                    continue;
                }
                match entries.iter().find(|(k, _)| k.as_str() == Some(env)) {
                    Some((_, v @ Node::Scalar { style, tagged, .. })) => {
                        if *tagged {
                            return Err(unsupported("tagged", v.mark()));
                        }
                        let span = scalar_span(text, lines, v, edit.secret)?;
                        edits.push((span, scalar(edit.version, *style)));
                    }
                    Some((_, v)) => return Err(unsupported("a nested collection", v.mark())),
                    None => missing.push(format!("{}: {}", key(env), scalar(edit.version, style))),
                }
            }
            if !missing.is_empty() {
                edits.push(insertion(
                    text, lines, entries, *mark, *flow, &missing, edit,
                )?);
            }
        }
    }
    Ok(edits)
}

/// `text` with non-overlapping `replacements` made.
fn splice(text: &str, mut replacements: Vec<Replacement>) -> String {
    let mut out = text.to_owned();
    replacements.sort_by_key(|((start, _), _)| std::cmp::Reverse(*start));
    for ((start, end), replacement) in replacements {
        out.replace_range(start..end, &replacement);
    }
    out
}

/// The `version` node of the secret, or why it cannot be found.
fn find_version<'n>(root: &'n Node, edit: &VersionEdit) -> Result<&'n Node, EditError> {
    let named = |list: Option<&'n Node>, name: &str| -> Vec<&'n Node> {
        match list {
            Some(Node::Seq { items, .. }) => items
                .iter()
                .filter(|n| n.get("name").and_then(Node::as_str) == Some(name))
                .collect(),
            _ => Vec::new(),
        }
    };
    let apps = named(root.get("apps"), edit.app);
    let [app] = apps[..] else {
        return Err(EditError::App {
            app: edit.app.into(),
            found: apps.len(),
        });
    };
    let secrets = named(app.get("secrets"), edit.secret);
    let [secret] = secrets[..] else {
        return Err(EditError::Secret {
            app: edit.app.into(),
            secret: edit.secret.into(),
            found: secrets.len(),
        });
    };
    secret
        .get("version")
        .ok_or_else(|| EditError::NotARequest(format!("secret `{}` has no version", edit.secret)))
}

/// `before` with the secret's version changed as `edit` asks: what the edited text must
/// read back as.
fn expect(before: &mut NamespaceRequest, edit: &VersionEdit) {
    let new = PinnedVersion(edit.version.to_string());
    for app in before.apps.iter_mut().filter(|a| a.name == edit.app) {
        for s in app.secrets.iter_mut().filter(|s| s.name == edit.secret) {
            s.version = match &s.version {
                PinnedVersions::All(_)
                    if edit
                        .all_environments
                        .iter()
                        .all(|e| edit.environments.contains(e)) =>
                {
                    PinnedVersions::All(new.clone())
                }
                PinnedVersions::All(old) => PinnedVersions::PerEnvironment(
                    edit.all_environments
                        .iter()
                        .map(|e| {
                            let v = if edit.environments.contains(e) {
                                &new
                            } else {
                                old
                            };
                            (e.to_string(), v.clone())
                        })
                        .collect(),
                ),
                PinnedVersions::PerEnvironment(map) => {
                    let mut map: BTreeMap<String, PinnedVersion> = map.clone();
                    for e in edit.environments {
                        map.insert(e.to_string(), new.clone());
                    }
                    PinnedVersions::PerEnvironment(map)
                }
            };
        }
    }
}

#[cfg(test)]
mod tests;
