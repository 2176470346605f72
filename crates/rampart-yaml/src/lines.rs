//! The input as classified lines, after checking that it holds no character the YAML
//! reader rejects or treats as a line break besides `\n`.

/// What a line is to the block parser.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Kind {
    /// Nothing but spaces.
    Blank,
    /// Spaces, then `#`.
    Comment,
    /// A node, a key or a sequence entry (or content of a literal block scalar).
    Content,
    /// `---` at column 0, alone or before a comment.
    DocStart,
    /// `...` at column 0, alone or before a comment.
    DocEnd,
    /// Anything the fast path does not handle outside a literal block scalar: a tab in the
    /// indentation, a directive, `---`/`...` followed by content.
    Unsupported,
}

/// One line of the input, without its line break.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Line<'a> {
    pub text: &'a str,
    /// Leading spaces.
    pub indent: usize,
    pub kind: Kind,
    /// Whether a `\n` follows the line (false only for a last line without one).
    pub terminated: bool,
}

impl<'a> Line<'a> {
    /// The text from column `col` on (empty past the end).
    pub fn from(&self, col: usize) -> &'a str {
        self.text.get(col..).unwrap_or("")
    }
}

/// Splits `text` into lines; `None` when it holds a character that makes the YAML reader
/// fail or that YAML 1.1 reads as a line break or byte order mark (`\r`, NEL, U+2028,
/// U+2029, U+FEFF), so that only `\n` ends a line.
pub(crate) fn split(text: &str) -> Option<Vec<Line<'_>>> {
    if !plain_characters(text.as_bytes()) {
        return None;
    }
    let mut lines = Vec::with_capacity(text.len() / 24 + 1);
    let mut rest = text;
    while !rest.is_empty() {
        let (line, next, terminated) = match rest.find('\n') {
            Some(i) => (&rest[..i], &rest[i + 1..], true),
            None => (rest, "", false),
        };
        lines.push(classify(line, terminated));
        rest = next;
    }
    Some(lines)
}

fn classify(text: &str, terminated: bool) -> Line<'_> {
    let indent = text.bytes().position(|b| b != b' ').unwrap_or(text.len());
    let rest = &text[indent..];
    let kind = match rest.as_bytes().first() {
        None => Kind::Blank,
        Some(b'#') => Kind::Comment,
        Some(b'\t') => Kind::Unsupported,
        Some(b'%') if indent == 0 => Kind::Unsupported,
        Some(b'-') if indent == 0 && rest.starts_with("---") => marker(rest, Kind::DocStart),
        Some(b'.') if indent == 0 && rest.starts_with("...") => marker(rest, Kind::DocEnd),
        Some(_) => Kind::Content,
    };
    Line {
        text,
        indent,
        kind,
        terminated,
    }
}

/// `---` or `...` alone or before a comment; anything else starting with three dashes or
/// dots at column 0 (`--- value`, `---x`) is left to serde_yaml_ng.
fn marker(rest: &str, kind: Kind) -> Kind {
    let after = &rest[3..];
    let tail = after.trim_start_matches(' ');
    if after.is_empty() || (after.starts_with(' ') && (tail.is_empty() || tail.starts_with('#'))) {
        kind
    } else {
        Kind::Unsupported
    }
}

/// True when every character is one the reader accepts and none is a YAML 1.1 line break
/// other than `\n` (or a byte order mark): tab, `\n`, printable ASCII, and non-ASCII
/// characters other than C1 controls, U+2028, U+2029, U+FEFF, U+FFFE and U+FFFF.
fn plain_characters(bytes: &[u8]) -> bool {
    // Whole chunks of printable ASCII, tabs and newlines pass without a closer look (a
    // branch-free test the compiler vectorizes).
    const CHUNK: usize = 32;
    let mut start = 0;
    while start < bytes.len() {
        let end = (start + CHUNK).min(bytes.len());
        let suspicious = bytes[start..end].iter().fold(false, |acc, &b| {
            acc | ((b < 0x20) & (b != b'\n') & (b != b'\t')) | (b >= 0x7f)
        });
        if suspicious && !(start..end).all(|i| character_allowed(bytes, i)) {
            return false;
        }
        start = end;
    }
    true
}

/// Whether the byte at `i` may stand where it is (looking ahead into a UTF-8 sequence).
fn character_allowed(bytes: &[u8], i: usize) -> bool {
    let next = |k: usize| bytes.get(i + k).copied();
    match bytes[i] {
        b'\n' | b'\t' | 0x20..=0x7e => true,
        0x00..=0x1f | 0x7f => false,
        // U+0080..U+009F (C1 controls and NEL).
        0xc2 => !matches!(next(1), Some(0x80..=0x9f)),
        // U+2028, U+2029.
        0xe2 => !(next(1) == Some(0x80) && matches!(next(2), Some(0xa8 | 0xa9))),
        // U+FEFF, U+FFFE, U+FFFF.
        0xef => !matches!(
            (next(1), next(2)),
            (Some(0xbb), Some(0xbf)) | (Some(0xbf), Some(0xbe | 0xbf))
        ),
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_breaks_and_controls_yaml_treats_specially() {
        for bad in [
            "a\r\n",
            "\u{85}",
            "\u{2028}",
            "\u{2029}",
            "\u{feff}a",
            "\u{1}",
            "\u{7f}",
            "\u{9f}",
            "\u{fffe}",
        ] {
            assert!(split(bad).is_none(), "{bad:?}");
        }
        for good in ["a\tb\n", "é\u{a0}\u{2027}\u{fffd}😀"] {
            assert!(split(good).is_some(), "{good:?}");
        }
    }

    #[test]
    fn classifies_markers_comments_and_tabs() {
        let kinds: Vec<Kind> =
            split("---\n--- # c\n---x\n--- a\n...\n  # c\n\t- a\n%YAML\n   \nk: v")
                .unwrap()
                .iter()
                .map(|l| l.kind)
                .collect();
        use Kind::*;
        assert_eq!(
            kinds,
            [
                DocStart,
                DocStart,
                Unsupported,
                Unsupported,
                DocEnd,
                Comment,
                Unsupported,
                Unsupported,
                Blank,
                Content
            ]
        );
    }
}
