//! Byte spans in the source: where a scalar starts and ends, and where entries missing
//! from a version map are inserted.

use super::{EditError, VersionEdit};
use rampart_yaml::edit::tree::{Lines, Mark, Node, ScalarStyle, quoted_scalar_end};

/// Byte range of a scalar in `text`, quotes included.
pub(super) fn scalar_span(
    text: &str,
    lines: &Lines,
    node: &Node,
    secret: &str,
) -> Result<(usize, usize), EditError> {
    let Node::Scalar {
        value, style, mark, ..
    } = node
    else {
        return Err(EditError::Verification);
    };
    let unsupported = |what| EditError::UnsupportedVersion {
        secret: secret.into(),
        what,
        line: mark.0,
        column: mark.1 + 1,
    };
    let start = lines.offset(text, *mark);
    let end = match style {
        ScalarStyle::Plain => {
            if !text[start..].starts_with(value.as_str()) || value.is_empty() {
                return Err(unsupported("a plain scalar over several lines"));
            }
            start + value.len()
        }
        ScalarStyle::DoubleQuoted | ScalarStyle::SingleQuoted => {
            quoted_scalar_end(text, start, *style, false).ok_or(EditError::Verification)?
        }
        ScalarStyle::Literal | ScalarStyle::Folded => return Err(unsupported("a block scalar")),
    };
    Ok((start, end))
}

/// Where and what to insert for entries missing from a version map.
pub(super) fn insertion(
    text: &str,
    lines: &Lines,
    entries: &[(Node, Node)],
    mark: Mark,
    flow: bool,
    missing: &[String],
    edit: &VersionEdit,
) -> Result<((usize, usize), String), EditError> {
    let Some((first_key, _)) = entries.first() else {
        return if flow {
            let at = lines.offset(text, mark) + 1;
            Ok(((at, at), missing.join(", ")))
        } else {
            Err(EditError::Verification)
        };
    };
    let (_, last) = entries.last().expect("entries is not empty");
    let (_, end) = scalar_span(text, lines, last, edit.secret)?;
    if flow {
        return Ok(((end, end), format!(", {}", missing.join(", "))));
    }
    // After the last entry's line (its comment stays with it), indented like the first key.
    let eol = text[end..]
        .find(['\r', '\n'])
        .map_or(text.len(), |i| end + i);
    let newline = if text.contains("\r\n") { "\r\n" } else { "\n" };
    let indent = " ".repeat(first_key.mark().1);
    let inserted: String = missing
        .iter()
        .map(|entry| format!("{newline}{indent}{entry}"))
        .collect();
    Ok(((eol, eol), inserted))
}
