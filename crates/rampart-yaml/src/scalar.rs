//! Scalars: how serde_yaml_ng 0.9 resolves an untagged plain scalar into a JSON value (for the
//! cases verified here; the others decline), and single-line quoted scalars.

use serde_json::Value;

/// The value serde_yaml_ng gives the plain scalar `s` (non-empty, already trimmed), or `None`
/// for a form whose resolution the fast path does not reproduce (hex, octal, binary,
/// leading zeros, `+`, exponents, `.inf`, `.nan`, out-of-range integers, …).
pub(crate) fn resolve_plain(s: &str) -> Option<Value> {
    match s {
        "~" | "null" | "Null" | "NULL" => return Some(Value::Null),
        "true" | "True" | "TRUE" => return Some(Value::Bool(true)),
        "false" | "False" | "FALSE" => return Some(Value::Bool(false)),
        _ => {}
    }
    match s.as_bytes()[0] {
        b'0'..=b'9' | b'-' | b'+' | b'.' => {
            if let Some(number) = decimal(s) {
                return Some(number);
            }
            if could_be_number(s) {
                return None;
            }
        }
        // Rust's float parser reads `inf`, `infinity` and `nan` in any case.
        b'i' | b'I' | b'n' | b'N' if could_be_number(s) => return None,
        _ => {}
    }
    Some(Value::String(s.to_owned()))
}

/// `0`, `[1-9][0-9]*` within u64, `-[0-9]+` without leading zeros within i64, or a finite
/// `-?[0-9]+.[0-9]+`: the forms serde_yaml_ng reads as u64, i64 and f64 respectively.
fn decimal(s: &str) -> Option<Value> {
    let (negative, unsigned) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (int, fraction) = match unsigned.split_once('.') {
        Some((int, fraction)) => (int, Some(fraction)),
        None => (unsigned, None),
    };
    if int.is_empty() || !int.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    if let Some(fraction) = fraction {
        if fraction.is_empty() || !fraction.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let float: f64 = s.parse().ok()?;
        return float.is_finite().then(|| Value::from(float));
    }
    if int.len() > 1 && int.starts_with('0') {
        return None;
    }
    let magnitude: u64 = int.parse().ok()?;
    if !negative {
        return Some(Value::from(magnitude));
    }
    let value = i64::try_from(-i128::from(magnitude)).ok()?;
    Some(Value::from(value))
}

/// True for every scalar serde_yaml_ng might read as an integer or a float (a superset: any
/// sign prefix, a radix prefix, anything Rust's float parser accepts, `.inf`, `.nan`).
fn could_be_number(s: &str) -> bool {
    let t = s.trim_start_matches(['+', '-']);
    t.starts_with("0x")
        || t.starts_with("0o")
        || t.starts_with("0b")
        || t.parse::<f64>().is_ok()
        || t.eq_ignore_ascii_case(".inf")
        || t.eq_ignore_ascii_case(".nan")
}

/// Whether a plain scalar may start at `s` (non-empty): not with an indicator, except `-`
/// before a character that is not blank (nor, in a flow collection, a flow indicator).
pub(crate) fn plain_may_start(s: &str, flow: bool) -> bool {
    let b = s.as_bytes();
    match b[0] {
        b'-' => match b.get(1) {
            None | Some(b' ' | b'\t') => false,
            Some(b',' | b'[' | b']' | b'{' | b'}') => !flow,
            Some(_) => true,
        },
        b'?' | b':' | b',' | b'[' | b']' | b'{' | b'}' | b'#' | b'&' | b'*' | b'!' | b'|'
        | b'>' | b'\'' | b'"' | b'%' | b'@' | b'`' | b' ' | b'\t' => false,
        _ => true,
    }
}

/// A single-quoted scalar at the start of `s` that ends on this line: its value and the
/// bytes it spans. `None` if it does not end here or holds a tab.
pub(crate) fn single_quoted(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut out = String::new();
    let (mut i, mut run) = (1, 1);
    loop {
        match b.get(i)? {
            b'\'' => {
                out.push_str(&s[run..i]);
                if b.get(i + 1) == Some(&b'\'') {
                    out.push('\'');
                    i += 2;
                    run = i;
                } else {
                    return Some((out, i + 1));
                }
            }
            b'\t' => return None,
            _ => i += 1,
        }
    }
}

/// A double-quoted scalar at the start of `s` that ends on this line: its value and the
/// bytes it spans. Every escape YAML 1.1 defines is decoded; `None` for an unknown or
/// invalid escape, a raw tab, or a scalar that goes on past this line.
pub(crate) fn double_quoted(s: &str) -> Option<(String, usize)> {
    let b = s.as_bytes();
    let mut out = String::new();
    let (mut i, mut run) = (1, 1);
    loop {
        match b.get(i)? {
            b'"' => {
                out.push_str(&s[run..i]);
                return Some((out, i + 1));
            }
            b'\\' => {
                out.push_str(&s[run..i]);
                let (c, used) = escape(&s[i + 1..])?;
                out.push(c);
                i += 1 + used;
                run = i;
            }
            b'\t' => return None,
            _ => i += 1,
        }
    }
}

/// The character an escape stands for (`s` follows the backslash) and its length.
fn escape(s: &str) -> Option<(char, usize)> {
    let c = match *s.as_bytes().first()? {
        b'0' => '\0',
        b'a' => '\u{7}',
        b'b' => '\u{8}',
        b't' => '\t',
        b'n' => '\n',
        b'v' => '\u{b}',
        b'f' => '\u{c}',
        b'r' => '\r',
        b'e' => '\u{1b}',
        b' ' => ' ',
        b'"' => '"',
        b'/' => '/',
        b'\\' => '\\',
        b'N' => '\u{85}',
        b'_' => '\u{a0}',
        b'L' => '\u{2028}',
        b'P' => '\u{2029}',
        b'x' => return hex(s, 2),
        b'u' => return hex(s, 4),
        b'U' => return hex(s, 8),
        _ => return None,
    };
    Some((c, 1))
}

/// `\x`, `\u` or `\U` with exactly `digits` hex digits naming a Unicode scalar value.
fn hex(s: &str, digits: usize) -> Option<(char, usize)> {
    let hex = s.get(1..1 + digits)?;
    if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let c = char::from_u32(u32::from_str_radix(hex, 16).ok()?)?;
    Some((c, 1 + digits))
}
