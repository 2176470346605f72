//! Network policies proven on every render (a blueprint that opens more or less than the
//! request is refused, naming the flow and the policy) and shown by `rampart netmap`.

use crate::support::Repo;
use std::path::{Path, PathBuf};

/// A copy of the built-in blueprint with `edit` applied to its network-policies template.
fn blueprint_with_policies(repo: &Repo, edit: impl Fn(String) -> String) -> String {
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/hardened-namespace");
    let dir: PathBuf = repo.dir.parent().unwrap().join("blueprint");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(builtin).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == "network-policies.yaml.hbs" {
            let edited = edit(text.clone());
            assert_ne!(edited, text, "the edit must change the template");
            text = edited;
        }
        std::fs::write(dir.join(path.file_name().unwrap()), text).unwrap();
    }
    dir.display().to_string()
}

#[test]
fn a_blueprint_whose_policies_differ_from_the_request_is_refused_naming_flow_and_policy() {
    type Edit = fn(String) -> String;
    let cases: [(&str, Edit, &[&str]); 3] = [
        (
            "every namespace let in",
            |t| {
                t.replace(
                    "  ingress: {{json ingress}}",
                    "  ingress: [{from: [{namespaceSelector: {}}]}]",
                )
            },
            &[
                "the NetworkPolicies allow *",
                "which the request does not declare (opened by shop/app-",
            ],
        ),
        (
            "egress to anywhere on 443",
            |t| {
                t.replace(
                    "    ports:\n    - {protocol: UDP, port: 53}",
                    "  - to: [{ipBlock: {cidr: 0.0.0.0/0}}]\n    ports: [{port: 443}]\n  - to:\n    - namespaceSelector:\n        matchLabels:\n          kubernetes.io/metadata.name: {{environment.dns.namespace}}\n      podSelector:\n        matchLabels: {{json environment.dns.podLabels}}\n    ports:\n    - {protocol: UDP, port: 53}",
                )
            },
            &["443/TCP, which the request does not declare (opened by shop/allow-dns)"],
        ),
        (
            "a declared flow dropped",
            |t| t.replace("  egress: {{json egress}}", "  egress: []"),
            &[
                "the request declares shop/worker → 203.0.113.0/24 443/TCP, which the NetworkPolicies do not allow (isolated by shop/",
            ],
        ),
    ];
    for (case, edit, expected) in cases {
        let repo = Repo::init();
        repo.write(
            "specs/shop.yaml",
            &repo.read("specs/shop.yaml").replace("cc-4711", "cc-1"),
        );
        let dir = blueprint_with_policies(&repo, edit);
        let before = repo.state();
        let out = repo.rampart(&["render", "--blueprints", &dir]);
        assert_eq!(out.code, 1, "{case}: {out:?}");
        for want in expected {
            assert!(
                out.stderr.contains(want),
                "{case}: want {want:?} in\n{}",
                out.stderr
            );
        }
        assert!(
            out.stderr
                .contains("the NetworkPolicies rendered for namespace shop in environment ")
        );
        assert!(out.stderr.contains("nothing was committed"), "{case}");
        assert_eq!(repo.state(), before, "{case}");
    }
}

#[test]
fn netmap_prints_the_flows_the_shop_request_declares() {
    let repo = Repo::init();
    let out = repo.rampart(&["netmap", "--env", "staging", "shop"]);
    let text = out.ok();
    let expected = "shop (staging):
  ingress-nginx/{app.kubernetes.io/name=ingress-nginx} → shop/web  8080/TCP
  monitoring/{app.kubernetes.io/name=prometheus} → shop/api  9090/TCP
  shop/* → kube-system/{k8s-app=kube-dns}  53/UDP, 53/TCP
";
    assert!(text.starts_with(expected), "{text}");
    for line in [
        "  shop/api → 10.40.0.0/17  5432/TCP\n",
        "  shop/api → 10.40.254.0/24  5432/TCP\n",
        "  shop/web → shop/api  8080/TCP\n",
        "  shop/worker → shop/api  8080/TCP\n",
        "  shop/worker → 203.0.113.0/24  443/TCP\n",
        "  shop/* → 169.254.20.10/32  53/UDP, 53/TCP\n",
    ] {
        assert!(text.contains(line), "want {line:?} in\n{text}");
    }
    assert!(
        !text.contains("10.40.255."),
        "the except range is closed:\n{text}"
    );
    assert!(
        !text.contains("shop/api → kube-system"),
        "DNS, which every pod has, is listed once as shop/*:\n{text}"
    );
    assert!(!text.contains("shop/web → 203.0.113"), "{text}");

    let json: serde_json::Value =
        serde_json::from_str(repo.rampart(&["netmap", "--format", "json"]).ok()).unwrap();
    let maps = json.as_array().unwrap();
    assert_eq!(
        maps.len(),
        3 * 2,
        "shop and rampart-system in three environments"
    );
    let staging_shop = maps
        .iter()
        .find(|m| m["environment"] == "staging" && m["namespace"] == "shop")
        .unwrap();
    assert!(
        staging_shop["flows"]
            .as_array()
            .unwrap()
            .contains(&serde_json::json!({
                "from": "shop/worker", "to": "203.0.113.0/24", "ports": "443/TCP"
            }))
    );

    let mermaid = repo.rampart(&["netmap", "--env", "prod", "--format", "mermaid", "shop"]);
    let mermaid = mermaid.ok();
    assert!(
        mermaid.starts_with("flowchart LR\n  subgraph m0[\"shop (prod)\"]\n"),
        "{mermaid}"
    );
    assert!(mermaid.contains("-->|\"443/TCP\"|"), "{mermaid}");

    let unknown = repo.rampart(&["netmap", "payments"]);
    assert_eq!(unknown.code, 1);
    assert!(
        unknown
            .stderr
            .contains("no request renders namespace `payments`")
    );
}

#[test]
fn the_pull_request_body_lists_the_flows_a_change_opens_and_closes() {
    use crate::delivery::{github_setup, mount_github, request_spec, requests};
    let (runtime, server, s) = github_setup("");
    let before = format!(
        "{}    egress:\n      - toCidr: 192.0.2.0/24\n        ports: [{{port: 443}}]\n",
        request_spec(&["api"])
    );
    s.repo.write("specs/shop.yaml", &before);
    s.rampart(&["render"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    runtime.block_on(mount_github(&server, None));

    // api's egress moves from 192.0.2.0/24 to 198.51.100.0/24 and adds port 8443.
    let after = before.replace(
        "      - toCidr: 192.0.2.0/24\n        ports: [{port: 443}]",
        "      - toCidr: 198.51.100.0/24\n        ports: [{port: 443}, {port: 8443}]",
    );
    s.repo.write("specs/shop.yaml", &after);
    s.rampart(&["render", "--pr"]).ok();
    let sent = runtime.block_on(requests(&server));
    let created = crate::delivery::created_pull_request(&sent);
    let body = created["body"].as_str().unwrap_or_default();
    assert!(
        body.contains("### Network flows (`rampart netmap`)"),
        "{body}"
    );
    for env in ["dev", "staging", "prod"] {
        for line in [
            format!("- `{env}` shop/api → 198.51.100.0/24 443/TCP, 8443/TCP: newly allowed"),
            format!("- `{env}` shop/api → 192.0.2.0/24 443/TCP: no longer allowed"),
        ] {
            assert!(body.contains(&line), "want {line:?} in\n{body}");
        }
    }
    assert_eq!(body.matches("newly allowed").count(), 3, "{body}");
    assert_eq!(body.matches("no longer allowed").count(), 3, "{body}");
}
