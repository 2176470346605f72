use super::*;
use serde_json::json;

fn set(path: &str, value: Value) -> Patch {
    Patch::at(path, Patch::Scalar(value))
}

/// Applies the patches to the document at `line` and returns the new text.
fn edit(text: &str, line: usize, patches: Vec<Patch>) -> String {
    let patches: Vec<(usize, Patch)> = patches.into_iter().map(|p| (line, p)).collect();
    apply(text, &patches).unwrap_or_else(|e| panic!("{e}\n{text}"))
}

#[test]
fn block_entries_go_after_the_mapping_at_its_indentation_and_comments_stay() {
    let text = "# head\n---\napiVersion: v1   # keep\nkind: Pod\nmetadata:\n  name: p\n  # about labels\n  labels:\n    app: 'p'\n\n# before spec\nspec:\n  containers:\n    - name: c\n      image: \"x:1\"  # tag\n      args:\n        - a\n    # between\n    - name: d\n      image: y\n---\nkind: Other\n";
    let out = edit(
        text,
        3,
        vec![
            set(
                "spec.containers[0].securityContext.runAsNonRoot",
                json!(true),
            ),
            set(
                "spec.containers[0].securityContext.allowPrivilegeEscalation",
                json!(false),
            ),
            set(
                "metadata.labels.\"pod-security.kubernetes.io/enforce\"",
                json!("restricted"),
            ),
            Patch::at(
                "spec.containers[1].securityContext.capabilities.drop",
                Patch::append(json!("ALL")),
            ),
        ],
    );
    assert_eq!(
        out,
        "# head\n---\napiVersion: v1   # keep\nkind: Pod\nmetadata:\n  name: p\n  # about labels\n  labels:\n    app: 'p'\n    pod-security.kubernetes.io/enforce: restricted\n\n# before spec\nspec:\n  containers:\n    - name: c\n      image: \"x:1\"  # tag\n      args:\n        - a\n      securityContext:\n        runAsNonRoot: true\n        allowPrivilegeEscalation: false\n    # between\n    - name: d\n      image: y\n      securityContext:\n        capabilities:\n          drop: [ALL]\n---\nkind: Other\n"
    );
}

#[test]
fn sequences_at_their_keys_indentation_belong_to_the_mapping() {
    let text =
        "spec:\n  serviceAccountName: a\n  containers:\n  - name: c\n    image: x\n  - name: d\n";
    let out = edit(
        text,
        1,
        vec![Patch::at(
            "spec.volumes",
            Patch::append_map(&[("name", json!("tmp")), ("emptyDir", json!({}))]),
        )],
    );
    assert_eq!(
        out,
        "spec:\n  serviceAccountName: a\n  containers:\n  - name: c\n    image: x\n  - name: d\n  volumes:\n    - name: tmp\n      emptyDir: {}\n"
    );
}

#[test]
fn flow_collections_get_entries_before_their_bracket_and_scalars_are_replaced() {
    let text = "kind: Pod\nspec:\n  securityContext: {runAsNonRoot: false, seccompProfile: {type: Unconfined}}\n  containers: [{name: c, image: x, securityContext: {capabilities: {drop: [NET_RAW]}}}]\n";
    let out = edit(
        text,
        1,
        vec![
            set("spec.securityContext.runAsNonRoot", json!(true)),
            set(
                "spec.securityContext.seccompProfile.type",
                json!("RuntimeDefault"),
            ),
            Patch::at(
                "spec.containers[0].securityContext.capabilities.drop",
                Patch::append(json!("ALL")),
            ),
            set(
                "spec.containers[0].securityContext.readOnlyRootFilesystem",
                json!(true),
            ),
            Patch::at(
                "spec.volumes",
                Patch::append_map(&[("name", json!("tmp")), ("emptyDir", json!({}))]),
            ),
        ],
    );
    assert_eq!(
        out,
        "kind: Pod\nspec:\n  securityContext: {runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}\n  containers: [{name: c, image: x, securityContext: {capabilities: {drop: [NET_RAW, ALL]}, readOnlyRootFilesystem: true}}]\n  volumes:\n    - name: tmp\n      emptyDir: {}\n"
    );
}

#[test]
fn block_sequences_get_items_after_their_last_and_crlf_is_kept() {
    let text = "kind: Pod\r\nspec:\r\n  volumes:\r\n  - name: data\r\n    emptyDir: {}\r\n  containers:\r\n  - name: c\r\n    securityContext:\r\n      capabilities:\r\n        drop:\r\n        - NET_RAW\r\n";
    let out = edit(
        text,
        1,
        vec![
            Patch::at(
                "spec.volumes",
                Patch::append_map(&[("name", json!("tmp")), ("emptyDir", json!({}))]),
            ),
            Patch::at(
                "spec.containers[0].securityContext.capabilities.drop",
                Patch::append(json!("ALL")),
            ),
        ],
    );
    assert_eq!(
        out,
        "kind: Pod\r\nspec:\r\n  volumes:\r\n  - name: data\r\n    emptyDir: {}\r\n  - name: tmp\r\n    emptyDir: {}\r\n  containers:\r\n  - name: c\r\n    securityContext:\r\n      capabilities:\r\n        drop:\r\n        - NET_RAW\r\n        - ALL\r\n"
    );
}

#[test]
fn a_patch_already_true_changes_nothing_and_null_values_are_filled() {
    let text = "kind: Namespace\nmetadata:\n  name: n\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n";
    let patch = set(
        "metadata.labels.\"pod-security.kubernetes.io/enforce\"",
        json!("restricted"),
    );
    assert_eq!(edit(text, 1, vec![patch.clone()]), text);
    let text = "kind: Namespace\nmetadata:\n  name: n\n  labels:\n";
    assert_eq!(
        edit(text, 1, vec![patch]),
        "kind: Namespace\nmetadata:\n  name: n\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n"
    );
}

#[test]
fn what_cannot_be_edited_safely_is_refused_and_nothing_changes() {
    let anchored = "kind: Pod\nspec:\n  securityContext: &sc {runAsNonRoot: false}\n";
    assert_eq!(
        apply(
            anchored,
            &[(1, set("spec.securityContext.runAsNonRoot", json!(true)))]
        ),
        Err(EditError::Opaque(3))
    );
    let folded = "kind: Pod\nspec:\n  securityContext:\n    runAsNonRoot: >\n      false\n";
    let refused = apply(
        folded,
        &[(1, set("spec.securityContext.runAsNonRoot", json!(true)))],
    );
    assert!(
        matches!(refused, Err(EditError::Form(4 | 5))),
        "{refused:?}"
    );
    assert_eq!(
        apply("kind: A\n", &[(2, set("a", json!(1)))]),
        Err(EditError::NoDocument(2))
    );
}

#[test]
fn paths_split_into_keys_and_indexes() {
    let patch = Patch::at("a.b[2].\"x.y/z\"", Patch::Scalar(json!(1)));
    assert_eq!(
        patch,
        Patch::Map(vec![(
            "a".into(),
            Patch::Map(vec![(
                "b".into(),
                Patch::Seq {
                    items: vec![(
                        2,
                        Patch::Map(vec![("x.y/z".into(), Patch::Scalar(json!(1)))])
                    )],
                    append: vec![]
                }
            )])
        )])
    );
}

#[test]
fn one_plain_document_keeps_tagged_nodes_which_the_editor_leaves_alone() {
    let text = "apps: !!seq\n  - name: api\n    version: !!str 3\n    env: !!map {dev: 1}\n";
    let lines = Lines::new(text);
    let root = tree::parse_single(text, &lines).unwrap().unwrap();
    let Some(tree::Node::Seq { items, .. }) = root.get("apps") else {
        panic!("a tagged sequence is a sequence: {root:?}");
    };
    assert_eq!(
        items[0].get("name").and_then(tree::Node::as_str),
        Some("api")
    );
    assert!(matches!(
        items[0].get("version"),
        Some(tree::Node::Scalar { tagged: true, style: tree::ScalarStyle::Plain, value, .. }) if value == "3"
    ));
    assert!(matches!(
        items[0].get("env"),
        Some(tree::Node::Map {
            tagged: true,
            flow: true,
            ..
        })
    ));
    // The lossless editor treats tagged nodes as opaque: here the sequence, marked at
    // its first item.
    assert_eq!(
        apply(text, &[(1, set("apps[0].version", json!("4")))]),
        Err(EditError::Opaque(2))
    );
}

#[test]
fn one_plain_document_refuses_syntax_then_more_documents_then_anchors() {
    let single = |text: &str| tree::parse_single(text, &Lines::new(text));
    assert!(matches!(
        single("a: [1\n"),
        Err(tree::SingleError::Syntax { .. })
    ));
    assert_eq!(
        single("a: &x 1\n---\nb: 2\n").unwrap_err(),
        tree::SingleError::MultipleDocuments
    );
    assert_eq!(
        single("a: 1\nb: &x {c: 2}\nd: *x\n").unwrap_err(),
        tree::SingleError::AnchorOrAlias { mark: (2, 6) }
    );
    assert!(single("# nothing\n").unwrap().is_none());
    assert!(single("").unwrap().is_none());
}

#[test]
fn a_quoted_scalar_ends_at_its_closing_quote_past_escapes() {
    use tree::{ScalarStyle::*, quoted_scalar_end};
    let end = |text: &str, style, one_line| quoted_scalar_end(text, 3, style, one_line);
    assert_eq!(end(r#"k: "a\"b" # c"#, DoubleQuoted, true), Some(9));
    assert_eq!(end("k: 'it''s' # c", SingleQuoted, true), Some(10));
    // A backslash is no escape in single quotes.
    assert_eq!(end(r"k: 'a\' x", SingleQuoted, true), Some(7));
    // A line break inside the quotes: refused where the value must be on one line.
    assert_eq!(end("k: \"a\n b\"", DoubleQuoted, true), None);
    assert_eq!(end("k: \"a\n b\"", DoubleQuoted, false), Some(9));
    assert_eq!(end("k: \"open", DoubleQuoted, false), None);
    assert_eq!(end("k: 'x'", DoubleQuoted, false), None);
    assert_eq!(end("k: x", Plain, false), None);
}
