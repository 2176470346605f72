//! The objects a commit renders for each namespace of an environment, read from the files
//! under `clusters/<env>/namespaces/<ns>/`.

use serde_json::Value;

/// What Git renders for one namespace of one environment.
#[derive(Debug, Clone, PartialEq)]
pub struct RenderedNamespace {
    /// The environment.
    pub environment: String,
    /// The namespace (its directory's name).
    pub namespace: String,
    /// Every object of its files, in file-name and document order.
    pub objects: Vec<Value>,
}

/// A rendered file that cannot be read.
#[derive(Debug, thiserror::Error)]
pub enum StatusError {
    /// A rendered file is not YAML (hand-edited? `rampart render --check` names it).
    #[error("{file}: not a YAML stream")]
    Parse {
        /// The file, relative to the repository.
        file: String,
        /// What went wrong, with line and column.
        #[source]
        source: rampart_yaml::YamlError,
    },
}

/// The namespaces rendered for `environment` in `files` (path relative to the repository,
/// content), in name order; files outside `clusters/<environment>/namespaces/<ns>/` and
/// `kustomization.yaml` files are ignored.
pub fn rendered_namespaces<'a>(
    environment: &str,
    files: impl IntoIterator<Item = (&'a str, &'a [u8])>,
) -> Result<Vec<RenderedNamespace>, StatusError> {
    let prefix = format!("clusters/{environment}/namespaces/");
    let mut out: Vec<RenderedNamespace> = Vec::new();
    for (path, content) in files {
        let Some((namespace, file)) = path
            .strip_prefix(&prefix)
            .and_then(|rest| rest.split_once('/'))
        else {
            continue;
        };
        if file.contains('/') || file == "kustomization.yaml" || !file.ends_with(".yaml") {
            continue;
        }
        let mut objects: Vec<Value> =
            rampart_yaml::documents_from_slice(content).map_err(|source| StatusError::Parse {
                file: path.to_owned(),
                source,
            })?;
        objects.retain(Value::is_object);
        match out.iter_mut().find(|n| n.namespace == namespace) {
            Some(rendered) => rendered.objects.extend(objects),
            None => out.push(RenderedNamespace {
                environment: environment.to_owned(),
                namespace: namespace.to_owned(),
                objects,
            }),
        }
    }
    out.sort_by(|a, b| a.namespace.cmp(&b.namespace));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn objects_are_grouped_by_namespace_and_kustomizations_and_other_environments_skipped() {
        let files: [(&str, &[u8]); 5] = [
            ("clusters/prod/kustomization.yaml", b"resources: [namespaces/shop]\n"),
            ("clusters/prod/namespaces/billing/namespace.yaml", b"# generated\napiVersion: v1\nkind: Namespace\nmetadata: {name: billing}\n"),
            ("clusters/prod/namespaces/shop/kustomization.yaml", b"resources: [namespace.yaml]\n"),
            ("clusters/prod/namespaces/shop/rbac.yaml", b"---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: a, namespace: shop}\n---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {name: b, namespace: shop}\n"),
            ("clusters/dev/namespaces/shop/rbac.yaml", b"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: dev, namespace: shop}\n"),
        ];
        let rendered = rendered_namespaces("prod", files).unwrap_or_else(|e| panic!("{e}"));
        let seen: Vec<(&str, Vec<&str>)> = rendered
            .iter()
            .map(|n| {
                let names = n
                    .objects
                    .iter()
                    .filter_map(|o| o.pointer("/metadata/name")?.as_str())
                    .collect();
                (n.namespace.as_str(), names)
            })
            .collect();
        assert_eq!(
            seen,
            [("billing", vec!["billing"]), ("shop", vec!["a", "b"])]
        );
    }

    #[test]
    fn a_file_that_is_not_yaml_is_an_error_naming_it_and_the_line() {
        let files: [(&str, &[u8]); 1] = [(
            "clusters/prod/namespaces/shop/rbac.yaml",
            b"apiVersion: v1\nkind: [ServiceAccount\n",
        )];
        let error = rendered_namespaces("prod", files).err();
        let Some(e @ StatusError::Parse { .. }) = error else {
            panic!("{error:?}");
        };
        assert_eq!(
            e.to_string(),
            "clusters/prod/namespaces/shop/rbac.yaml: not a YAML stream"
        );
        let cause = std::error::Error::source(&e)
            .map(ToString::to_string)
            .unwrap_or_default();
        assert!(cause.contains(" line "), "{cause}");
    }
}
