//! Literal prefilters: the literals a pattern cannot match without are looked up (a fast
//! substring search) before the pattern runs, so that most texts and lines are never handed
//! to a regex. A prefilter only ever skips a pattern where it cannot match.

/// A text in ASCII lower case, for case-insensitive literal tests. The `(?i)` patterns fold
/// case by Unicode's rules, under which two non-ASCII characters match ASCII letters: `ſ`
/// (U+017F, an `s`) and `K` (U+212A, a `k`). In a text holding either nothing is skipped.
pub(super) struct Folded {
    lower: String,
    exotic: bool,
}

impl Folded {
    pub(super) fn new(text: &str) -> Self {
        Folded {
            lower: text.to_ascii_lowercase(),
            exotic: !text.is_ascii() && (text.contains('\u{17F}') || text.contains('\u{212A}')),
        }
    }

    /// Whether the text may contain `literal` (ASCII, in lower case) in any letter case.
    pub(super) fn may_contain(&self, literal: &str) -> bool {
        self.exotic || self.lower.contains(literal)
    }

    /// The text in lower case, with the same byte offsets; `None` where a case-insensitive
    /// pattern may match what a lower-case literal search would not find.
    pub(super) fn lower(&self) -> Option<&str> {
        (!self.exotic).then_some(self.lower.as_str())
    }
}

/// The line of `text` around byte `at`: (start, end), the end at its `\n` or the text's end.
pub(super) fn line_around(text: &str, at: usize) -> (usize, usize) {
    let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
    let end = text[at..].find('\n').map_or(text.len(), |i| at + i);
    (start, end)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`Folded`] relies on: no other character matches an ASCII letter case-insensitively.
    #[test]
    fn only_long_s_and_kelvin_fold_to_ascii_letters() {
        let letter = regex::Regex::new("(?i)^[a-z]$").expect("regex");
        let mut buf = [0u8; 4];
        let folding: Vec<char> = (0x80..=0x10_FFFF)
            .filter_map(char::from_u32)
            .filter(|c| letter.is_match(c.encode_utf8(&mut buf)))
            .collect();
        assert_eq!(folding, ['\u{17F}', '\u{212A}']);
    }

    #[test]
    fn folded_text_and_lines() {
        let f = Folded::new("A: B\nToKeN: x");
        assert!(f.may_contain("token") && !f.may_contain("secret"));
        assert!(Folded::new("\u{17F}ecret").may_contain("secret"));
        assert_eq!(Folded::new("\u{212A}").lower(), None);
        assert_eq!(line_around("ab\ncd\nef", 4), (3, 5));
        assert_eq!(line_around("ab\ncd", 3), (3, 5));
        assert_eq!(line_around("ab", 0), (0, 2));
    }
}
