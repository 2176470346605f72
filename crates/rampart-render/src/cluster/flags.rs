//! The plain kube-apiserver flags file: one `--name=value` per line, `#` comments.

/// Parses a flags file into (name, value) pairs in file order, refusing anything but
/// `--name=value` lines (a value with whitespace would split into two arguments) and
/// repeated flags.
pub fn parse_flags(text: &str) -> Result<Vec<(String, String)>, String> {
    let mut flags: Vec<(String, String)> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let bad = |why: &str| format!("line {}: `{line}`: {why}", i + 1);
        let Some((name, value)) = line.strip_prefix("--").and_then(|l| l.split_once('=')) else {
            return Err(bad("not a --name=value flag"));
        };
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        if !name_ok {
            return Err(bad(
                "the flag name is not lowercase letters, digits and `-`",
            ));
        }
        if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(bad("the value is empty or holds whitespace"));
        }
        if flags.iter().any(|(n, _)| n == name) {
            return Err(bad("the flag is set twice"));
        }
        flags.push((name.to_string(), value.to_string()));
    }
    Ok(flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_parse_and_refuse_what_a_shell_would_split() {
        let flags = parse_flags("# c\n\n--a=1\n--audit-log-path=/var/log/a.log\n").unwrap();
        assert_eq!(
            flags,
            vec![
                ("a".into(), "1".into()),
                ("audit-log-path".into(), "/var/log/a.log".into())
            ]
        );
        for bad in [
            "-a=1",
            "--a",
            "--a=",
            "--a=1 --b=2",
            "--A=1",
            "--a=1\n--a=2",
        ] {
            assert!(parse_flags(bad).is_err(), "{bad}");
        }
    }
}
