//! Which objects belong to which namespace: `metadata.namespace`, else the one namespace
//! named (as `kubectl apply -n NAMESPACE` reads them).

use crate::k8s::{is_cluster_scoped, kind, name};
use rampart_model::{Diagnostic, Diagnostics, syntax::is_dns_label};
use rampart_policy::Document;

/// The objects of one namespace, and the cluster-scoped objects of the input.
#[derive(Debug)]
pub struct Namespaced<'a> {
    /// The namespace's name.
    pub name: String,
    /// Its namespaced objects, in input order.
    pub objects: Vec<&'a Document>,
    /// Its `Namespace` object, when the input holds one.
    pub namespace: Option<&'a Document>,
    /// Cluster-scoped objects (ClusterRoleBindings may bind its ServiceAccounts).
    pub cluster: Vec<&'a Document>,
}

/// Splits `docs` into the namespaces `wanted` (or the input's only namespace when none is
/// named). Refuses, with the object's file and line, input that leaves the namespace of an
/// object open or does not hold a namespace asked for.
pub fn select<'a>(
    docs: &'a [Document],
    wanted: &[String],
) -> Result<Vec<Namespaced<'a>>, Diagnostics> {
    let explicit = |doc: &Document| -> Option<String> {
        match kind(&doc.value) {
            "Namespace" => Some(name(&doc.value).to_owned()),
            k if is_cluster_scoped(k) => None,
            _ => doc.value["metadata"]["namespace"]
                .as_str()
                .map(str::to_owned),
        }
    };
    let mut seen: Vec<(String, &Document)> = Vec::new();
    for doc in docs {
        if let Some(ns) = explicit(doc)
            && !seen.iter().any(|(n, _)| *n == ns)
        {
            seen.push((ns, doc));
        }
    }
    let listed = || {
        seen.iter()
            .map(|(n, _)| n.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    let wanted: Vec<String> = if !wanted.is_empty() {
        wanted.to_vec()
    } else {
        match seen.as_slice() {
            [(only, _)] => vec![only.clone()],
            [] => {
                return Err(at(
                    docs.first(),
                    "no object of the input names its namespace",
                    "name the namespace to import: `rampart import NAMESPACE --from …`",
                ));
            }
            [_, (second, doc), ..] => {
                return Err(at(
                    Some(doc),
                    &format!(
                        "the input holds objects of several namespaces ({}); this object is in `{second}`",
                        listed()
                    ),
                    "name the namespaces to import: `rampart import NAMESPACE… --from …`",
                ));
            }
        }
    };
    for ns in &wanted {
        if !is_dns_label(ns) {
            return Err(at(
                seen.iter().find(|(n, _)| n == ns).map(|(_, d)| *d),
                &format!("`{ns}` is not a valid namespace name"),
                "a namespace name is an RFC 1123 label: lowercase letters, digits and `-`, at most 63",
            ));
        }
    }
    let default = match wanted.as_slice() {
        [only] => Some(only.as_str()),
        _ => None,
    };
    let mut out: Vec<Namespaced> = wanted
        .iter()
        .map(|ns| Namespaced {
            name: ns.clone(),
            objects: Vec::new(),
            namespace: None,
            cluster: Vec::new(),
        })
        .collect();
    let cluster: Vec<&Document> = docs
        .iter()
        .filter(|d| is_cluster_scoped(kind(&d.value)) && kind(&d.value) != "Namespace")
        .collect();
    for doc in docs {
        let k = kind(&doc.value);
        if is_cluster_scoped(k) && k != "Namespace" {
            continue;
        }
        let ns = match explicit(doc) {
            Some(ns) => ns,
            None => match default {
                Some(d) => d.to_owned(),
                None => {
                    return Err(at(
                        Some(doc),
                        &format!(
                            "{k} `{}` has no metadata.namespace, and several namespaces are imported",
                            name(&doc.value)
                        ),
                        "set metadata.namespace, or import one namespace at a time (its objects without a namespace belong to it)",
                    ));
                }
            },
        };
        let Some(target) = out.iter_mut().find(|n| n.name == ns) else {
            continue;
        };
        if k == "Namespace" {
            target.namespace = Some(doc);
        } else {
            target.objects.push(doc);
        }
    }
    for target in &mut out {
        if target.objects.is_empty() && target.namespace.is_none() {
            let holds = if seen.is_empty() {
                "no namespaced object".to_owned()
            } else {
                format!("namespaces {}", listed())
            };
            return Err(at(
                docs.first(),
                &format!("namespace `{}` is not in the input", target.name),
                &format!("the input holds {holds}: check the name, or the files given to --from"),
            ));
        }
        target.cluster = cluster.clone();
    }
    Ok(out)
}

/// A refusal located at `doc` (or at the start of the input).
pub(crate) fn at(doc: Option<&Document>, message: &str, help: &str) -> Diagnostics {
    let (file, line) = doc.map_or(("<input>", 1), |d| (d.file.as_str(), d.line));
    Diagnostic::new(file, line, 1, message, help).into()
}
