//! `docker/Dockerfile`, checked statically (no Docker engine here): bases pinned by digest,
//! a numeric non-root user, no secrets in build arguments or the environment, the README's
//! release build, OCI labels, and a `.dockerignore` that keeps build output and local tools
//! out of the context.

use std::path::Path;

fn read(rel: &str) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    std::fs::read_to_string(root.join(rel)).unwrap_or_else(|e| panic!("{rel}: {e}"))
}

/// The Dockerfile's instructions, continuation lines joined, comments dropped.
fn instructions(text: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current = String::new();
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || (line.is_empty() && current.is_empty()) {
            continue;
        }
        match line.strip_suffix('\\') {
            Some(part) => current.push_str(part),
            None => {
                current.push_str(line);
                if let Some((op, rest)) = current.trim().split_once(char::is_whitespace) {
                    out.push((op.to_uppercase(), rest.trim().to_owned()));
                }
                current.clear();
            }
        }
    }
    out
}

#[test]
fn the_image_is_pinned_non_root_and_built_as_the_readme_says() {
    let dockerfile = read("docker/Dockerfile");
    let steps = instructions(&dockerfile);
    let froms: Vec<&str> = steps
        .iter()
        .filter(|(op, _)| op == "FROM")
        .map(|(_, rest)| rest.as_str())
        .collect();
    assert!(froms.len() >= 2, "a multi-stage build: {froms:?}");
    for from in &froms {
        let image = from.split_whitespace().next().unwrap_or_default();
        let (name, digest) = image
            .split_once("@sha256:")
            .unwrap_or_else(|| panic!("{image} is not pinned by digest"));
        assert_eq!(digest.len(), 64, "{image}");
        assert!(digest.chars().all(|c| c.is_ascii_hexdigit()), "{image}");
        assert!(
            !name.ends_with(":latest") && name.contains(':'),
            "{image}: a named tag, never latest"
        );
    }
    assert!(!dockerfile.contains(":latest"));

    // The last USER is numeric and not root; nothing after it switches back.
    let user = steps
        .iter()
        .rev()
        .find(|(op, _)| op == "USER")
        .map(|(_, u)| u.clone())
        .expect("a USER");
    let uid = user.split(':').next().unwrap_or_default();
    assert!(uid.chars().all(|c| c.is_ascii_digit()), "numeric: {user}");
    assert_ne!(uid, "0", "not root");

    // No secret passes through build arguments or the image's environment.
    for (op, rest) in &steps {
        if op == "ARG" || op == "ENV" {
            let upper = rest.to_uppercase();
            for word in ["TOKEN", "PASSWORD", "SECRET", "KEY", "CREDENTIAL"] {
                assert!(!upper.contains(word), "{op} {rest}");
            }
        }
    }

    // The build stage runs the README's release build.
    let readme = read("README.md");
    let release = "cargo build --release --locked -p rampart-cli";
    assert!(readme.contains(&format!("{release}   # target/release/rampart")));
    assert!(
        steps
            .iter()
            .any(|(op, rest)| op == "RUN" && rest.starts_with(release)),
        "the Dockerfile builds with `{release}`"
    );

    // Exec-form entry point (no shell at run time), the metrics port, OCI labels.
    let entry = steps
        .iter()
        .find(|(op, _)| op == "ENTRYPOINT")
        .map(|(_, e)| e.as_str())
        .expect("an ENTRYPOINT");
    assert!(entry.starts_with('[') && entry.ends_with(']'), "{entry}");
    assert!(
        steps
            .iter()
            .any(|(op, rest)| op == "EXPOSE" && rest == "9464")
    );
    for label in ["title", "source", "licenses", "description"] {
        assert!(
            dockerfile.contains(&format!("org.opencontainers.image.{label}=")),
            "{label}"
        );
    }

    let ignore = read(".dockerignore");
    for entry in ["target/", ".venv/", ".git/"] {
        assert!(ignore.lines().any(|l| l.trim() == entry), "{entry}");
    }
}
