//! rampart-yaml's fast path takes every text a render of the example parses (template
//! output) and every file it writes (canonical output), with the YAML library's exact result.

use rampart_model::{Environment, RequestContext};
use serde_json::Value;
use std::cell::RefCell;

thread_local! {
    /// Texts handed to `parse_documents` on this thread while recording.
    static RECORDED: RefCell<Option<Vec<String>>> = const { RefCell::new(None) };
}

/// Keeps `text` when the current thread records (called by `parse_documents` in tests).
pub(crate) fn record(text: &str) {
    RECORDED.with(|r| {
        if let Some(texts) = r.borrow_mut().as_mut() {
            texts.push(text.to_owned());
        }
    });
}

/// Runs `f`, returning every text parsed on this thread meanwhile.
fn recording(f: impl FnOnce()) -> Vec<String> {
    RECORDED.with(|r| *r.borrow_mut() = Some(Vec::new()));
    f();
    RECORDED.with(|r| r.borrow_mut().take().unwrap_or_default())
}

fn environment(name: &str) -> Environment {
    let text = std::fs::read_to_string(format!(
        "{}/../../environments/{name}.yaml",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    rampart_model::parse_environment(&format!("environments/{name}.yaml"), &text, name).unwrap()
}

/// Asserts the fast path accepts `text` and agrees with the YAML library; `what` names it.
fn fast_and_exact(what: &str, text: &str) {
    let slow: Vec<Value> =
        rampart_yaml::reference::documents(text).unwrap_or_else(|e| panic!("{what}: {e}"));
    let fast = rampart_yaml::fast_documents(text)
        .unwrap_or_else(|| panic!("fast path declined {what}:\n{text}"));
    assert_eq!(fast, slow, "{what}");
}

#[test]
fn the_fast_path_takes_every_template_output_and_rendered_file_of_the_example() {
    let config = rampart_model::parse_repo_config(
        "rampart.yaml",
        include_str!("../../../examples/rampart.yaml"),
    )
    .unwrap();
    let envs: Vec<Environment> = ["dev", "staging", "prod"].map(environment).into();
    let ctx = RequestContext {
        file_stem: "shop",
        required_labels: &config.governance.required_labels,
        environments: &envs,
        delivery_mode: config.delivery.mode,
    };
    let request = rampart_model::parse_request(
        "specs/shop.yaml",
        include_str!("../../../examples/shop.yaml"),
        &ctx,
    )
    .unwrap();
    let service = config.service.as_ref().unwrap();
    let mut files = Vec::new();
    // One thread, so that the recorder sees the parallel namespace renders too.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .unwrap();
    let templates = pool.install(|| {
        recording(|| {
            let rendered = crate::render_repository(
                &crate::Blueprint::embedded().unwrap(),
                &[crate::RequestFile {
                    path: "specs/shop.yaml".to_owned(),
                    request,
                }],
                &envs,
                crate::Prior::new(),
                config.service(),
                Some(&service.image),
                &|_, text| text,
            )
            .unwrap();
            files.extend(rendered);
            for env in &envs {
                let cluster = crate::cluster::render_cluster(env).unwrap();
                files.extend(
                    cluster
                        .into_iter()
                        .map(|(path, bytes)| (path, String::from_utf8(bytes).unwrap())),
                );
                files.extend(crate::admission::render_admission(env, &config).unwrap());
            }
        })
    });
    assert!(templates.len() > 30, "{} template outputs", templates.len());
    for (i, text) in templates.iter().enumerate() {
        fast_and_exact(&format!("template output {i}"), text);
    }
    let yaml: Vec<_> = files.iter().filter(|(p, _)| p.ends_with(".yaml")).collect();
    assert!(yaml.len() > 50, "{} files", yaml.len());
    for (path, text) in yaml {
        fast_and_exact(path, text);
    }
}
