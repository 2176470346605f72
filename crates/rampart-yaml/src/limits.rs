//! What reading one untrusted YAML text may cost, and the refusals when it would cost more:
//! a text larger than the caller's limit, collections nested deeper than
//! [`MAX_FLOW_DEPTH`], aliases that expand a document past the size limit (see
//! [`crate::structure`]) and a key given twice in one mapping.

use std::fmt;

/// Deepest `[`/`{` nesting read. serde_yaml_ng refuses nesting past 128 itself, but its
/// scanner takes time quadratic in the depth to get there (100,000 levels: 44 s), so
/// deeper text is refused before it is parsed.
pub const MAX_FLOW_DEPTH: usize = 100;

/// The limits of one read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest text, in bytes; also the most its aliases may expand a document to.
    pub max_bytes: usize,
}

/// Why a text was refused before (or instead of) being read, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// 1-based line.
    pub line: usize,
    /// 1-based column.
    pub column: usize,
    /// What is wrong, naming the limit.
    pub message: String,
    /// How to fix it.
    pub help: String,
    /// For a duplicate key: the line and column of its first occurrence.
    pub first: Option<(usize, usize)>,
}

impl Refusal {
    /// This refusal of a text that starts at line `1 + by` of its file, located in the file.
    pub fn shifted(mut self, by: usize) -> Refusal {
        self.line += by;
        if let Some((line, _)) = &mut self.first {
            *line += by;
        }
        self
    }
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.message)?;
        if let Some((line, column)) = self.first {
            write!(f, " (first at line {line} column {column})")?;
        }
        Ok(())
    }
}

/// `bytes` as a person reads a limit: `1 MiB`, `64 KiB`, or bytes.
pub fn human_bytes(bytes: usize) -> String {
    if bytes >= 1 << 20 && bytes.is_multiple_of(1 << 20) {
        format!("{} MiB", bytes >> 20)
    } else if bytes >= 1 << 10 && bytes.is_multiple_of(1 << 10) {
        format!("{} KiB", bytes >> 10)
    } else {
        format!("{bytes} bytes")
    }
}

/// The refusal of a text (or stream) of more than `max_bytes` bytes.
pub fn too_large(max_bytes: usize) -> Refusal {
    Refusal {
        line: 1,
        column: 1,
        message: format!(
            "the file is larger than {}, the limit of an input file",
            human_bytes(max_bytes)
        ),
        help: "split it into smaller files; no Rampart input needs to be this large".into(),
        first: None,
    }
}

/// Refuses `text` when it is longer than `limits` allow or nests `[`/`{` deeper than
/// [`MAX_FLOW_DEPTH`]. One pass over the bytes, no allocation.
///
/// The depth is counted over-generously: brackets in comments and in quoted strings that
/// close on their line are skipped, any other bracket counts, so text that YAML reads as
/// nested no deeper than the limit may still be refused only if it holds more than
/// [`MAX_FLOW_DEPTH`] unclosed brackets in plain or multi-line strings.
pub fn check_text(text: &str, limits: &Limits) -> Result<(), Refusal> {
    if text.len() > limits.max_bytes {
        return Err(too_large(limits.max_bytes));
    }
    let mut depth = 0;
    for (index, line) in text.split('\n').enumerate() {
        check_line_depth(line, index + 1, &mut depth)?;
    }
    Ok(())
}

/// Counts the brackets of one line into `depth`, refusing past [`MAX_FLOW_DEPTH`]. The depth
/// carries over lines, since flow collections may span lines.
///
/// Only what YAML surely reads as a comment or a quoted string is skipped: `#` at the start
/// of the line or after a space or tab, and a quote there or after `[`, `{` or `,` (a quote
/// anywhere else is part of a plain scalar, and brackets after it may nest).
fn check_line_depth(line: &str, number: usize, depth: &mut usize) -> Result<(), Refusal> {
    let bytes = line.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        let after = if i == 0 { b' ' } else { bytes[i - 1] };
        let separated = matches!(after, b' ' | b'\t');
        match b {
            b'#' if separated => return Ok(()),
            b'"' | b'\'' if separated || matches!(after, b'[' | b'{' | b',') => {
                if let Some(end) = quoted_end(bytes, i) {
                    i = end + 1;
                    continue;
                }
            }
            b'[' | b'{' => {
                *depth += 1;
                if *depth > MAX_FLOW_DEPTH {
                    return Err(Refusal {
                        line: number,
                        column: line[..i].chars().count() + 1,
                        message: format!(
                            "collections nested more than {MAX_FLOW_DEPTH} levels deep (the limit)"
                        ),
                        help: "flatten the structure; no Rampart input nests this deep".into(),
                        first: None,
                    });
                }
            }
            b']' | b'}' => *depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

/// Where the quoted string opened at `bytes[open]` closes on this line, if it does.
fn quoted_end(bytes: &[u8], open: usize) -> Option<usize> {
    let quote = bytes[open];
    let mut i = open + 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote == b'"' => i += 2,
            b'\'' if quote == b'\'' && bytes.get(i + 1) == Some(&b'\'') => i += 2,
            b if b == quote => return Some(i),
            _ => i += 1,
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits { max_bytes: 1 << 20 };

    #[test]
    fn deep_flow_nesting_is_refused_at_its_line_and_column() {
        let deep = format!("a: 1\nb: {}{}\n", "[".repeat(150), "]".repeat(150));
        let refused = check_text(&deep, &LIMITS).unwrap_err();
        assert_eq!((refused.line, refused.column), (2, 4 + MAX_FLOW_DEPTH));
        assert!(refused.message.contains("100 levels"), "{refused}");
        let ok = format!("a: {}{}\n", "{b: [".repeat(40), "]}".repeat(40));
        check_text(&ok, &LIMITS).unwrap();
    }

    #[test]
    fn brackets_in_comments_and_quoted_strings_do_not_count() {
        let text = format!("a: \"{0}\"\nb: '{0}'\n# {0}\nc: x # {0}\n", "[".repeat(500));
        check_text(&text, &LIMITS).unwrap();
        // A quote or `#` inside a plain scalar hides nothing.
        for hiding in ["a: x\"", "[-\"", "[-#", "a: [x#"] {
            let text = format!("{hiding}{}\"\n", "[".repeat(500));
            assert!(check_text(&text, &LIMITS).is_err(), "{hiding}");
        }
    }

    #[test]
    fn a_text_over_the_size_limit_is_refused() {
        let refused = check_text(&"a".repeat(11), &Limits { max_bytes: 10 }).unwrap_err();
        assert!(
            refused.message.contains("larger than 10 bytes"),
            "{refused}"
        );
        assert_eq!(human_bytes(1 << 20), "1 MiB");
        assert_eq!(human_bytes(64 << 10), "64 KiB");
    }
}
