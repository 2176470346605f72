//! Writing a version or an environment name as YAML, in the style of the text around it.

use rampart_yaml::edit::tree::ScalarStyle;

/// `value` written in `style`; plain only where plain YAML reads it back as the same version.
pub(super) fn scalar(value: &str, style: ScalarStyle) -> String {
    match style {
        ScalarStyle::SingleQuoted => format!("'{}'", value.replace('\'', "''")),
        ScalarStyle::Plain if plain_reads_back(value, true) => value.to_string(),
        _ => double_quoted(value),
    }
}

/// An environment name as a map key.
pub(super) fn key(name: &str) -> String {
    if plain_reads_back(name, false) {
        name.to_string()
    } else {
        double_quoted(name)
    }
}

fn double_quoted(value: &str) -> String {
    let mut out = String::from("\"");
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// True when `value` written plain reads back as the string `value` (or, with
/// `numbers`, as a number that prints as `value`, which a version also is).
pub(super) fn plain_reads_back(value: &str, numbers: bool) -> bool {
    let charset = !value.is_empty()
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    charset
        && match rampart_yaml::from_str(value) {
            Ok(serde_json::Value::String(s)) => s == value,
            Ok(serde_json::Value::Number(n)) => {
                numbers && (n.is_u64() || n.is_i64()) && n.to_string() == value
            }
            _ => false,
        }
}
