//! The secret guard: every secret kind is caught with file, line and rule; ExternalSecrets,
//! SealedSecrets, SOPS files, digests, CA bundles and checksums are not flagged; and a
//! commit that would add a secret is refused with nothing written.

use crate::common;

use rampart_git::guard::{Rule, scan_file};
use rampart_git::{CommitRequest, GitError, commit_files};

// Test fixtures assembled at run time so this file itself holds no secret-shaped literal.
fn pem() -> String {
    format!(
        "-----BEGIN {}PRIVATE KEY-----\nMIIEowIBAAKCAQEA1\n-----END RSA PRIVATE KEY-----\n",
        "RSA "
    )
}
fn aws_key_id() -> String {
    format!("AKIA{}", "Z7Q3XK2M9PLW4RTB")
}
fn jwt() -> String {
    format!(
        "eyJ{}.eyJ{}.{}",
        "hbGciOiJIUzI1NiJ9",
        "zdWIiOiIxMjM0NTY3ODkwIn0",
        "dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    )
}

fn rules(path: &str, text: &str) -> Vec<(usize, Rule)> {
    scan_file(path, text.as_bytes())
        .into_iter()
        .map(|f| (f.line, f.rule))
        .collect()
}

#[test]
fn every_secret_kind_is_found_at_its_line() {
    let cases: Vec<(String, Vec<(usize, Rule)>)> =
        vec![
        (
            "apiVersion: v1\nkind: Secret\nmetadata: {name: db}\ndata:\n  password: cGFzc3dvcmQ=\n"
                .into(),
            vec![(4, Rule::KubernetesSecretData)],
        ),
        (
            "---\napiVersion: v1\nkind: ConfigMap\n---\nkind: Secret\nstringData:\n  token: abc\n"
                .into(),
            vec![(6, Rule::KubernetesSecretData)],
        ),
        (
            "{\"apiVersion\": \"v1\", \"kind\": \"Secret\", \"data\": {\"k\": \"dg==\"}}".into(),
            vec![(1, Rule::KubernetesSecretData)],
        ),
        (
            format!("config: |\n  {}", pem()),
            vec![(2, Rule::PrivateKey)],
        ),
        (
            format!("key: |\n  -----BEGIN OPENSSH {}-----\n", "PRIVATE KEY"),
            vec![(2, Rule::PrivateKey)],
        ),
        (
            format!("env:\n  AWS_ACCESS_KEY_ID: {}\n", aws_key_id()),
            vec![(2, Rule::AwsAccessKeyId)],
        ),
        (
            format!(
                "aws_secret_access_key = {}\n",
                "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
            ),
            vec![
                (1, Rule::AwsSecretAccessKey),
                (1, Rule::HighEntropyAssignment),
            ],
        ),
        (
            format!("vault:\n  token: hvs.{}\n", "CAESIJlWqu7nB3f9Xk2LmQ8zR1tY"),
            vec![(2, Rule::VaultToken), (2, Rule::HighEntropyAssignment)],
        ),
        (
            format!("x: hvb.{}\n", "AAAAAQJ7mZtR4bK2xWq9LpN3vY8s"),
            vec![(1, Rule::VaultToken)],
        ),
        (
            format!("VAULT_TOKEN=s.{}\n", "Qf1s5zigZ4LX6vwSV8DkR2yN"),
            vec![(1, Rule::VaultToken), (1, Rule::HighEntropyAssignment)],
        ),
        (
            format!("Authorization: Bearer {}\n", jwt()),
            vec![(1, Rule::Jwt)],
        ),
        (
            format!("db_password: \"{}\"\n", "Xk9#mP2$vL7qR4tW8z"),
            vec![(1, Rule::HighEntropyAssignment)],
        ),
        (
            format!("stripe_api_key = {}\n", "sk_live_51H8xY2eZvKYlo2C8aT1b2c3"),
            vec![(1, Rule::HighEntropyAssignment), (1, Rule::StripeKey)],
        ),
        // A hex token is a secret unless its key names it as a digest.
        (
            format!("  api_token: {}\n", "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"),
            vec![(1, Rule::HighEntropyAssignment)],
        ),
        // A relative path with capitals and digits is not a plain name-like path.
        (
            format!("password: {}\n", "Xk9mP2vL/7qR4tW8zQ3n"),
            vec![(1, Rule::HighEntropyAssignment)],
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(rules("f.yaml", &text), expected, "{text}");
    }
}

#[test]
fn findings_name_file_line_and_rule_but_never_the_value() {
    let text = format!("a: 1\nkey: {}\n", aws_key_id());
    let findings = scan_file("clusters/dev/x.yaml", text.as_bytes());
    let shown = findings[0].to_string();
    assert!(
        shown.starts_with("clusters/dev/x.yaml:2: an AWS access key id (aws-access-key-id)"),
        "{shown}"
    );
    assert!(shown.contains("help: "), "{shown}");
    assert!(
        !shown.contains(&aws_key_id()),
        "the secret leaked into the message: {shown}"
    );
}

#[test]
fn a_character_of_several_bytes_just_before_a_url_is_read_past() {
    // The scheme starts after it (the guard used to slice inside it and panic).
    for before in ["\u{212A}", "é", "日"] {
        let text = format!("url: {before}https://app:Xq7vLm2pRt9s@db.example.com/x\n");
        assert_eq!(
            rules("x.yaml", &text),
            vec![(1, Rule::UrlPassword)],
            "{before}"
        );
    }
}

#[test]
fn safe_look_alikes_pass() {
    let digest = "a".repeat(10) + &"0123456789abcdef".repeat(3) + "012345";
    let ca_bundle = "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENDQVRlZ0F3SUJBZ0lVWjN4";
    let cases = [
        // ExternalSecret: references, no values.
        "apiVersion: external-secrets.io/v1\nkind: ExternalSecret\nspec:\n  secretStoreRef: {name: vault, kind: SecretStore}\n  target: {name: db-credentials-2024}\n  data:\n  - secretKey: password\n    remoteRef: {key: secret/data/shop/db, property: password, version: \"3\"}\n".to_string(),
        // SealedSecret: ciphertext under encryptedData.
        "apiVersion: bitnami.com/v1alpha1\nkind: SealedSecret\nspec:\n  encryptedData:\n    password: AgBy3i4OJSWK+PiTySYZZA9rO43cGDEq4Rk2mT8Zt9yJ0bX1Qv5W\n".to_string(),
        // SOPS-encrypted Secret.
        "apiVersion: v1\nkind: Secret\ndata:\n    password: ENC[AES256_GCM,data:Tr7o1Q==,iv:1bT5cMZG3mY=,tag:Zx9w==,type:str]\nsops:\n    mac: ENC[AES256_GCM,data:p673w==,type:str]\n    version: 3.8.1\n".to_string(),
        // Image digests, CA bundles, checksums, token flags, secret names.
        format!("image: registry.example.com/shop/api@sha256:{digest}\n"),
        format!("webhooks:\n- clientConfig:\n    caBundle: {ca_bundle}\n"),
        format!("metadata:\n  annotations:\n    checksum/config: {digest}\n"),
        format!("metadata:\n  annotations:\n    checksum/secret: {digest}\n"),
        format!("    rampart.dev/secret-hash: {digest}\n"),
        // Paths to files that hold secrets, not secrets.
        "tokenFile: /etc/kubernetes/audit/siem-token-2026\nclient-key: /var/lib/kubelet/pki/client-2026-11.key\n".to_string(),
        "automountServiceAccountToken: false\nsecretName: app-credentials-2024\ntokenSecretRef: {name: t}\n".to_string(),
        "password: ${DB_PASSWORD}\ntoken: '{{ .Values.token }}'\n".to_string(),
        "apiVersion: v1\nkind: Secret\nmetadata: {name: empty}\ntype: Opaque\n".to_string(),
    ];
    for text in cases {
        assert_eq!(rules("f.yaml", &text), vec![], "{text}");
    }
}

#[test]
fn a_hostile_secret_is_read_within_limits_and_flagged() {
    // 100 aliases of a 64 KiB value (6.4 MB expanded), 100,000 levels of nesting and a
    // duplicate key: each Secret is flagged at its `data`, without reading it unbounded.
    let big = "x".repeat(64 << 10);
    let aliases: String = (0..100).map(|i| format!("  k{i}: *big\n")).collect();
    let bomb = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a, labels: {{l: &big {big}}}}}\ndata:\n{aliases}"
    );
    let deep = format!(
        "apiVersion: v1\nkind: Secret\nmetadata: {{name: a}}\ndata:\n  k: {}{}\n",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    let twice =
        "apiVersion: v1\nkind: Secret\nmetadata: {name: a}\ndata:\n  k: \"\"\n  k: c2VjcmV0\n";
    for (what, text) in [
        ("aliases", bomb.as_str()),
        ("nesting", &deep),
        ("duplicate", twice),
    ] {
        assert_eq!(
            rules("s.yaml", text),
            [(4, Rule::KubernetesSecretData)],
            "{what}"
        );
    }
}

#[test]
fn binary_files_are_skipped() {
    let mut bytes = b"\x00\x01".to_vec();
    bytes.extend_from_slice(aws_key_id().as_bytes());
    assert!(scan_file("logo.png", &bytes).is_empty());
}

#[test]
fn a_commit_that_would_add_a_secret_is_refused_and_writes_nothing() {
    let (_tmp, dir) = common::new_repo();
    common::commit_head(&dir, &common::files(&[("README.md", "# GitOps\n")]), &[]);
    let head = common::ref_target(&dir, "refs/heads/main");
    let leak = format!("kind: ConfigMap\ndata:\n  key: |\n    {}", pem());
    let files = common::files(&[
        ("clusters/dev/ok.yaml", "kind: ConfigMap\n"),
        ("clusters/dev/leak.yaml", &leak),
    ]);
    let request = CommitRequest {
        branch: None,
        files: &files,
        owned_prefixes: &[],
        message: "m".into(),
        author: None,
        read_at: None,
    };
    let err = commit_files(&dir, &request).unwrap_err();
    let GitError::SecretsFound { findings } = &err else {
        panic!("{err}")
    };
    assert_eq!(findings.len(), 1);
    assert_eq!(
        (
            findings[0].path.as_str(),
            findings[0].line,
            findings[0].rule
        ),
        ("clusters/dev/leak.yaml", 4, Rule::PrivateKey)
    );
    assert!(!err.to_string().contains("MIIEowIBAAKCAQEA1"), "{err}");
    assert_eq!(
        common::ref_target(&dir, "refs/heads/main"),
        head,
        "the branch did not move"
    );
    assert!(
        !dir.join("clusters").exists(),
        "nothing was written to the work tree"
    );
    common::assert_clean(&dir);
}
