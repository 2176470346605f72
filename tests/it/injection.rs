//! Request values holding newlines, colons, quotes, `---` or `{{` cannot add a key, an
//! object or a document to the output: they stay one string value.

use crate::support::Repo;
use serde_json::Value;

/// Group names cannot hold line breaks (refused as a likely mistake), but anything else goes.
const HOSTILE_GROUP: &str = "g\", kind: ClusterRole, x: '{{namespace.name}}' --- : {a: [b]} # c";
const HOSTILE: &str = "x\"\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: stolen}\nstringData: {k: '{{namespace.name}}'}\n# : evil: {a: b}";

fn documents(text: &str) -> Vec<Value> {
    rampart_yaml::reference::documents(text).unwrap()
}

/// kind/name of every document and the set of keys under each metadata and top level.
fn shape(text: &str) -> Vec<(String, Vec<String>, Vec<String>)> {
    documents(text)
        .iter()
        .map(|d| {
            let keys = |v: &Value| {
                v.as_object()
                    .map(|m| m.keys().cloned().collect())
                    .unwrap_or_default()
            };
            (
                format!(
                    "{}/{}",
                    d["kind"].as_str().unwrap(),
                    d["metadata"]["name"].as_str().unwrap()
                ),
                keys(d),
                keys(&d["metadata"]),
            )
        })
        .collect()
}

#[test]
fn hostile_description_and_group_names_stay_single_values() {
    let clean = Repo::init();
    let repo = Repo::init();
    let spec = repo.read("specs/shop.yaml");
    let quoted = serde_json::to_string(HOSTILE).unwrap();
    let spec = spec
        .replace(
            "description: Storefront and checkout API of the web shop.",
            &format!("description: {quoted}"),
        )
        .replace(
            "admins: [\"oidc:web-shop-admins\"]",
            &format!(
                "admins: [{}]",
                serde_json::to_string(HOSTILE_GROUP).unwrap()
            ),
        );
    repo.write("specs/shop.yaml", &spec);
    repo.rampart(&["render"]).ok();

    for file in ["namespace.yaml", "rbac.yaml"] {
        let rel = format!("clusters/prod/namespaces/shop/{file}");
        let (hostile, baseline) = (repo.read(&rel), clean.read(&rel));
        assert_eq!(
            shape(&hostile),
            shape(&baseline),
            "{file}: the documents' shape changed:\n{hostile}"
        );
        assert!(!documents(&hostile).iter().any(|d| d["kind"] == "Secret"));
    }
    let ns = &documents(&repo.read("clusters/prod/namespaces/shop/namespace.yaml"))[0];
    assert_eq!(
        ns["metadata"]["annotations"]["rampart.dev/description"].as_str(),
        Some(HOSTILE)
    );
    let bindings = documents(&repo.read("clusters/prod/namespaces/shop/rbac.yaml"));
    let admin = bindings
        .iter()
        .find(|d| d["kind"] == "RoleBinding" && d["metadata"]["name"] == "rampart-admin")
        .unwrap();
    assert_eq!(
        admin["subjects"][0]["name"].as_str(),
        Some(HOSTILE_GROUP),
        "`{{{{` was not evaluated as a template"
    );
    assert_eq!(admin["subjects"].as_array().unwrap().len(), 1);
}
