//! Block mappings and sequences, one document's lines at a time.
//!
//! A node starts at a column of a line: at its indentation for a node on a line of its own,
//! further right for a compact node after `- `. Siblings follow on later lines at exactly
//! that column; a line indented less ends the collection, one indented more after a
//! complete entry is a continuation the fast path does not handle (it declines).

use serde_json::{Map, Value};

use crate::flow;
use crate::lines::{Kind, Line};
use crate::scalar::{double_quoted, plain_may_start, resolve_plain, single_quoted};
use crate::{MAX_DEPTH, MAX_KEY_LEN};

/// Parses the content lines of one document, `lines[start..end]` (no markers among them);
/// `Some(None)` when there are none.
pub(crate) fn document(lines: &[Line<'_>], start: usize, end: usize) -> Option<Option<Value>> {
    let mut block = Block {
        lines,
        pos: start,
        end,
        depth: 0,
    };
    let Some(first) = block.next_content(start) else {
        return Some(None);
    };
    block.pos = first;
    let value = block.node(lines[first].indent)?;
    // The node must take every content line of the document.
    match block.next_content(block.pos) {
        None => Some(Some(value)),
        Some(_) => None,
    }
}

struct Block<'a, 'l> {
    lines: &'l [Line<'a>],
    /// The line being parsed.
    pos: usize,
    /// End of the document's lines.
    end: usize,
    depth: usize,
}

impl<'a> Block<'a, '_> {
    /// The first line from `from` on that is neither blank nor a comment.
    fn next_content(&self, from: usize) -> Option<usize> {
        (from..self.end).find(|&i| !matches!(self.lines[i].kind, Kind::Blank | Kind::Comment))
    }

    /// The line after the current collection's entry, if it is a sibling at `col`; `None`
    /// ends the collection; `Err` for a line indented further (a continuation).
    fn next_sibling(&mut self, col: usize) -> Result<bool, ()> {
        match self.next_content(self.pos) {
            Some(i) if self.lines[i].indent == col => {
                self.pos = i;
                Ok(true)
            }
            Some(i) if self.lines[i].indent > col => Err(()),
            _ => Ok(false),
        }
    }

    /// A block mapping or sequence starting at column `col` of line `pos`.
    fn node(&mut self, col: usize) -> Option<Value> {
        let line = self.lines[self.pos];
        if line.kind != Kind::Content || self.depth >= MAX_DEPTH {
            return None;
        }
        self.depth += 1;
        let value = if is_entry(line.from(col)) {
            self.sequence(col)
        } else {
            self.mapping(col)
        };
        self.depth -= 1;
        value
    }

    fn sequence(&mut self, col: usize) -> Option<Value> {
        let mut items = Vec::new();
        loop {
            let line = self.lines[self.pos];
            let rest = line.from(col);
            if line.kind != Kind::Content || !is_entry(rest) {
                return None;
            }
            let after = &rest[1..];
            let inner = after.trim_start_matches(' ');
            let inner_col = col + 1 + (after.len() - inner.len());
            let item = if inner.is_empty() || inner.starts_with('#') {
                self.pos += 1;
                self.value_below(col, false)?
            } else if is_entry(inner) || looks_like_key(inner) {
                self.node(inner_col)?
            } else {
                self.inline(inner, col)?
            };
            items.push(item);
            match self.next_sibling(col) {
                Ok(true) if is_entry(self.lines[self.pos].from(col)) => {}
                Ok(_) => return Some(Value::Array(items)),
                Err(()) => return None,
            }
        }
    }

    fn mapping(&mut self, col: usize) -> Option<Value> {
        let mut map = Map::new();
        loop {
            let line = self.lines[self.pos];
            if line.kind != Kind::Content {
                return None;
            }
            let (key, after) = key(line.from(col))?;
            let inner = after.trim_start_matches(' ');
            let value = if inner.is_empty() || inner.starts_with('#') {
                self.pos += 1;
                self.value_below(col, true)?
            } else {
                self.inline(inner, col)?
            };
            if map.insert(key, value).is_some() {
                return None;
            }
            match self.next_sibling(col) {
                Ok(true) => {}
                Ok(false) => return Some(Value::Object(map)),
                Err(()) => return None,
            }
        }
    }

    /// The value of `key:` or `-` with nothing after it on its line: a node indented below
    /// it, a sequence at the key's own column (`indentless`), or null.
    fn value_below(&mut self, col: usize, indentless: bool) -> Option<Value> {
        match self.next_content(self.pos) {
            Some(i) if self.lines[i].indent > col => {
                self.pos = i;
                self.node(self.lines[i].indent)
            }
            Some(i)
                if indentless
                    && self.lines[i].indent == col
                    && is_entry(self.lines[i].from(col)) =>
            {
                self.pos = i;
                self.node(col)
            }
            _ => Some(Value::Null),
        }
    }

    /// A value that starts on the current line at `s` (not blank, no comment) inside a
    /// collection at column `col`; moves past its last line.
    fn inline(&mut self, s: &'a str, col: usize) -> Option<Value> {
        let (value, rest) = match s.as_bytes()[0] {
            b'|' => return self.block_scalar(&s[1..], col, false),
            b'>' => return self.block_scalar(&s[1..], col, true),
            b'{' | b'[' => {
                let (value, used) = flow::collection(s, self.depth)?;
                (value, &s[used..])
            }
            b'"' => {
                let (value, used) = double_quoted(s)?;
                (Value::String(value), &s[used..])
            }
            b'\'' => {
                let (value, used) = single_quoted(s)?;
                (Value::String(value), &s[used..])
            }
            _ => {
                let (scalar, stop, _) = plain(s)?;
                if stop == Stop::Colon {
                    return None;
                }
                (resolve_plain(scalar)?, "")
            }
        };
        if !line_ends(rest) {
            return None;
        }
        self.pos += 1;
        Some(value)
    }

    /// A literal (`|`) or `folded` (`>`) block scalar whose header after the indicator is
    /// `header`, in a collection at column `col`. Its indentation is that of its first line,
    /// which must hold text.
    fn block_scalar(&mut self, header: &str, col: usize, folded: bool) -> Option<Value> {
        let (chomp, rest) = match header.as_bytes().first() {
            Some(&c @ (b'-' | b'+')) => (c, &header[1..]),
            _ => (b' ', header),
        };
        if !line_ends(rest) {
            return None;
        }
        let first = self
            .lines
            .get(self.pos + 1)
            .filter(|_| self.pos + 1 < self.end)?;
        let indent = first.indent;
        if indent <= col || matches!(first.from(indent).as_bytes().first(), None | Some(b'\t')) {
            return None;
        }
        let mut value = String::new();
        let (mut empty_lines, mut last_terminated, mut last_indented) = (0, false, false);
        let mut i = self.pos + 1;
        while i < self.end {
            let line = self.lines[i];
            let spaces = line.indent;
            let text = line.from(spaces);
            if text.is_empty() {
                // Blank; spaces beyond the indentation would be content.
                if spaces >= indent {
                    return None;
                }
                empty_lines += usize::from(line.terminated);
            } else if spaces >= indent {
                let content = line.from(indent);
                // Folding joins two lines that do not start with white space: with a space,
                // or with just the empty lines between them.
                let indented = content.starts_with([' ', '\t']);
                if i > self.pos + 1 {
                    if !(folded && !last_indented && !indented) {
                        value.push('\n');
                    } else if empty_lines == 0 {
                        value.push(' ');
                    }
                    value.extend(std::iter::repeat_n('\n', empty_lines));
                }
                value.push_str(content);
                (empty_lines, last_terminated, last_indented) = (0, line.terminated, indented);
            } else if text.starts_with('\t') {
                return None;
            } else {
                break;
            }
            i += 1;
        }
        if chomp != b'-' && last_terminated {
            value.push('\n');
            if chomp == b'+' {
                value.extend(std::iter::repeat_n('\n', empty_lines));
            }
        }
        self.pos = i;
        Some(Value::String(value))
    }
}

/// `-` followed by a space or the end of the line: a block sequence entry.
fn is_entry(s: &str) -> bool {
    s.starts_with('-') && matches!(s.as_bytes().get(1), None | Some(b' '))
}

/// Whether `s` starts with a key and `: ` (or `:` at the end of the line); a cheap test
/// that decides between a compact mapping and a scalar after `- `.
fn looks_like_key(s: &str) -> bool {
    let rest = match s.as_bytes()[0] {
        b'"' => double_quoted(s).map(|(_, used)| &s[used..]),
        b'\'' => single_quoted(s).map(|(_, used)| &s[used..]),
        _ => return matches!(plain(s), Some((_, Stop::Colon, _))),
    };
    rest.is_some_and(|r| is_value_indicator(r.trim_start_matches(' ')))
}

/// `:` followed by a space or the end of the line.
fn is_value_indicator(s: &str) -> bool {
    s.starts_with(':') && matches!(s.as_bytes().get(1), None | Some(b' '))
}

/// A key at the start of `s` and what follows its `:`.
fn key(s: &str) -> Option<(String, &str)> {
    let (key, rest) = match s.as_bytes().first()? {
        b'"' => double_quoted(s).map(|(k, used)| (k, s[used..].trim_start_matches(' ')))?,
        b'\'' => single_quoted(s).map(|(k, used)| (k, s[used..].trim_start_matches(' ')))?,
        _ => match plain(s)? {
            (key, Stop::Colon, end) => (key.to_owned(), &s[end..]),
            _ => return None,
        },
    };
    let colon_at = s.len() - rest.len();
    if colon_at > MAX_KEY_LEN || !is_value_indicator(rest) {
        return None;
    }
    Some((key, &rest[1..]))
}

/// How a plain scalar in block context ends.
#[derive(PartialEq, Eq)]
enum Stop {
    /// At the end of the line.
    End,
    /// Before ` #`.
    Comment,
    /// Before `: ` or a final `:`.
    Colon,
}

/// The plain scalar at the start of `s` (trailing spaces trimmed), how it stops and where
/// (the index of the ` #`, `:` or end); `None` if no plain scalar may start there or it holds
/// a tab.
fn plain(s: &str) -> Option<(&str, Stop, usize)> {
    if !plain_may_start(s, false) {
        return None;
    }
    let b = s.as_bytes();
    let mut stop = Stop::End;
    let mut end = 0;
    while end < b.len() {
        match b[end] {
            b'\t' => return None,
            // A plain scalar never starts with `#`, so `end > 0`.
            b'#' if b[end - 1] == b' ' => {
                stop = Stop::Comment;
                end -= 1;
                break;
            }
            b':' if end + 1 == b.len() || b[end + 1] == b' ' => {
                stop = Stop::Colon;
                break;
            }
            _ => end += 1,
        }
    }
    Some((s[..end].trim_end_matches(' '), stop, end))
}

/// Nothing but spaces, or spaces and a comment, is left on the line.
fn line_ends(rest: &str) -> bool {
    let trimmed = rest.trim_start_matches(' ');
    trimmed.is_empty() || (trimmed.len() < rest.len() && trimmed.starts_with('#'))
}
