//! Input values in messages: a short excerpt on one line, never a secret. Every
//! [`Diagnostic`](crate::Diagnostic) passes its text through [`quote_excerpts`], so a
//! message cannot echo a file's content, however the value reached it (a serde error or a
//! validation message).

use crate::secret_shape::looks_like_secret;

/// The most characters of a value a message quotes, `…` included.
pub const MAX_EXCERPT_CHARS: usize = 40;

/// The same for a help line, whose examples (commands, settings) run longer.
pub const MAX_HELP_EXCERPT_CHARS: usize = 80;

/// What a message quotes instead of a value that looks like a secret.
pub const REDACTED: &str = "[redacted]";

/// The most characters of unquoted text in a row. Rampart's own wording is far shorter; a
/// value holding a quote character could otherwise leave the quotes and run on unbounded.
const MAX_UNQUOTED_CHARS: usize = 400;

/// `value` as a message may quote it: [`REDACTED`] when it looks like a secret, else its
/// first line, at most [`MAX_EXCERPT_CHARS`] characters, ending in `…` when cut.
///
/// ```
/// use rampart_model::excerpt::excerpt;
/// assert_eq!(excerpt("shop"), "shop");
/// assert_eq!(excerpt("bad\nkind: Secret"), "bad…");
/// assert_eq!(excerpt(&"a".repeat(100)).chars().count(), 40);
/// ```
pub fn excerpt(value: &str) -> String {
    excerpt_within(value, MAX_EXCERPT_CHARS)
}

/// [`excerpt`] with at most `limit` characters.
pub fn excerpt_within(value: &str, limit: usize) -> String {
    if looks_like_secret(value) {
        return REDACTED.to_owned();
    }
    let line = value.split(['\n', '\r']).next().unwrap_or_default();
    let mut chars: Vec<char> = line
        .chars()
        .map(|c| if c.is_control() { '\u{FFFD}' } else { c })
        .collect();
    let cut = line.len() < value.len() || chars.len() > limit;
    if cut {
        chars.truncate(limit.saturating_sub(1));
        chars.push('…');
    }
    chars.into_iter().collect()
}

/// `message` with every quoted value replaced by its [`excerpt`]: spans in backticks (the
/// way Rampart and serde quote names and values) and double-quoted strings in Rust's
/// escaped form (serde's `invalid type: string "…"`). A quote left open quotes the rest.
/// Line breaks outside quotes become spaces, so a message is always one line.
///
/// ```
/// use rampart_model::excerpt::quote_excerpts;
/// let long = format!("invalid type: string \"{}\", expected a map", "x".repeat(5000));
/// assert_eq!(
///     quote_excerpts(&long),
///     format!("invalid type: string \"{}…\", expected a map", "x".repeat(39))
/// );
/// ```
pub fn quote_excerpts(message: &str) -> String {
    quote_excerpts_within(message, MAX_EXCERPT_CHARS)
}

/// [`quote_excerpts`] with excerpts of at most `limit` characters.
pub fn quote_excerpts_within(message: &str, limit: usize) -> String {
    let mut out = String::with_capacity(message.len().min(1024));
    let mut rest = message;
    while let Some(at) = rest.find(['`', '"']) {
        push_unquoted(&mut out, &rest[..at]);
        let body = &rest[at + 1..];
        if rest[at..].starts_with('`') {
            let (value, after) = match body.find('`') {
                Some(end) => (&body[..end], &body[end + 1..]),
                None => (body, ""),
            };
            out.push('`');
            out.push_str(&excerpt_within(value, limit));
            out.push('`');
            rest = after;
        } else {
            let (value, after) = unescape_until_quote(body);
            out.push_str(&format!("{:?}", excerpt_within(&value, limit)));
            rest = after;
        }
    }
    push_unquoted(&mut out, rest);
    out
}

fn push_unquoted(out: &mut String, text: &str) {
    let mut chars = text.chars().map(|c| if c.is_control() { ' ' } else { c });
    out.extend(chars.by_ref().take(MAX_UNQUOTED_CHARS));
    if chars.next().is_some() {
        out.push('…');
    }
}

/// Decodes a string written with Rust's `{:?}` up to its closing quote; returns the value
/// and what follows the quote.
fn unescape_until_quote(body: &str) -> (String, &str) {
    let mut value = String::new();
    let mut chars = body.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (value, &body[i + 1..]),
            '\\' => match chars.next() {
                Some((_, 'n')) => value.push('\n'),
                Some((_, 'r')) => value.push('\r'),
                Some((_, 't')) => value.push('\t'),
                Some((_, '0')) => value.push('\0'),
                Some((_, 'u')) => {
                    // \u{XXXX}
                    let mut hex = String::new();
                    for (_, h) in chars.by_ref() {
                        match h {
                            '{' => {}
                            '}' => break,
                            h => hex.push(h),
                        }
                    }
                    let decoded = u32::from_str_radix(&hex, 16).ok().and_then(char::from_u32);
                    value.push(decoded.unwrap_or('\u{FFFD}'));
                }
                Some((_, other)) => value.push(other),
                None => {}
            },
            c => value.push(c),
        }
    }
    (value, "")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_single_line_values_are_quoted_whole() {
        assert_eq!(
            quote_excerpts("unknown app `ghost`; use `api`"),
            "unknown app `ghost`; use `api`"
        );
        assert_eq!(
            quote_excerpts("invalid type: string \"a\\\"b\", expected u16"),
            "invalid type: string \"a\\\"b\", expected u16"
        );
    }

    #[test]
    fn long_values_are_cut_to_the_limit_with_an_ellipsis() {
        let long = "y".repeat(500);
        let got = quote_excerpts(&format!("`{long}` is not an RFC 1123 label"));
        assert_eq!(
            got,
            format!("`{}…` is not an RFC 1123 label", "y".repeat(39))
        );
    }

    #[test]
    fn values_stop_at_their_first_line() {
        assert_eq!(
            quote_excerpts("`bad\nkind: Secret` is not an RFC 1123 label"),
            "`bad…` is not an RFC 1123 label"
        );
        assert_eq!(
            quote_excerpts("invalid type: string \"line one\\nline two\", expected a map"),
            "invalid type: string \"line one…\", expected a map"
        );
    }

    #[test]
    fn secret_looking_values_are_redacted() {
        let got = quote_excerpts("`hvs.CAESIJ2aVq7Xb3k9Lm4Np8Qr5St6Uv` is not a valid label value");
        assert_eq!(got, "`[redacted]` is not a valid label value");
    }

    #[test]
    fn an_open_quote_quotes_the_rest() {
        let got = quote_excerpts(&format!("unknown field `{}", "z".repeat(100)));
        assert_eq!(got, format!("unknown field `{}…`", "z".repeat(39)));
    }

    #[test]
    fn unquoted_text_is_one_line_and_bounded() {
        assert_eq!(quote_excerpts("a\nb"), "a b");
        let got = quote_excerpts(&"w".repeat(1000));
        assert_eq!(got.chars().count(), MAX_UNQUOTED_CHARS + 1);
    }
}
