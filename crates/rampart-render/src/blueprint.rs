//! A blueprint: a set of handlebars templates that render one namespace.
//!
//! Conventions for a blueprint directory:
//! - `NAME.yaml.hbs` renders once per namespace into `NAME.yaml`;
//! - `app-NAME.yaml.hbs` renders once per app (with `app` in scope) into `NAME-APP.yaml`;
//!   a template that renders nothing writes no file;
//! - `_NAME.hbs` is a partial usable as `{{> NAME}}`; other files are ignored.

use crate::error::RenderError;
use crate::escape::{concat_helper, json_helper, yaml_quote};
use handlebars::Handlebars;
use include_dir::{Dir, include_dir};

static EMBEDDED: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../blueprints/hardened-namespace");
static NETWORK_TESTS: Dir<'_> = include_dir!("$CARGO_MANIFEST_DIR/../../blueprints/network-tests");
static ROTATION_SERVICE: Dir<'_> =
    include_dir!("$CARGO_MANIFEST_DIR/../../blueprints/rotation-service");

/// Compiled templates of one blueprint.
pub struct Blueprint {
    pub(crate) registry: Handlebars<'static>,
    /// Templates rendered once per namespace, in file-name order.
    pub(crate) namespace_templates: Vec<String>,
    /// Templates rendered once per app, in file-name order.
    pub(crate) app_templates: Vec<String>,
    /// Every file name and text, for [`Blueprint::identity`].
    sources: Vec<(String, String)>,
}

impl Blueprint {
    /// The `hardened-namespace` blueprint built into the binary.
    pub fn embedded() -> Result<Self, RenderError> {
        Blueprint::from_dir(&EMBEDDED)
    }

    /// The `rotation-service` blueprint built into the binary: what the service's namespace
    /// adds to the hardened namespace (its Deployment, Service and alerts).
    pub fn rotation_service() -> Result<Self, RenderError> {
        Blueprint::from_dir(&ROTATION_SERVICE)
    }

    /// The `network-tests` blueprint built into the binary: the probe Job of an app
    /// (environments with `networkTests`).
    pub fn network_tests() -> Result<Self, RenderError> {
        Blueprint::from_dir(&NETWORK_TESTS)
    }

    fn from_dir(dir: &Dir<'_>) -> Result<Self, RenderError> {
        let files = dir
            .files()
            .filter_map(|f| {
                Some((
                    f.path().to_str()?.to_string(),
                    f.contents_utf8()?.to_string(),
                ))
            })
            .collect();
        Blueprint::from_files(files)
    }

    /// A blueprint from `(file name, template text)` pairs, e.g. read from `--blueprints DIR`.
    pub fn from_files(mut files: Vec<(String, String)>) -> Result<Self, RenderError> {
        files.sort();
        let mut registry = Handlebars::new();
        registry.set_strict_mode(true);
        registry.set_dev_mode(false);
        registry.register_escape_fn(yaml_quote);
        registry.register_helper("json", Box::new(json_helper));
        registry.register_helper("concat", Box::new(concat_helper));
        let mut namespace_templates = Vec::new();
        let mut app_templates = Vec::new();
        let compile_error = |template: &str, e: handlebars::TemplateError| RenderError::Template {
            template: template.to_string(),
            source: Box::new(e),
        };
        for (name, text) in &files {
            if let Some(partial) = name.strip_prefix('_').and_then(|n| n.strip_suffix(".hbs")) {
                registry
                    .register_partial(partial, text.as_str())
                    .map_err(|e| compile_error(name, e))?;
            } else if name.ends_with(".yaml.hbs") {
                registry
                    .register_template_string(name, text)
                    .map_err(|e| compile_error(name, e))?;
                if name.starts_with("app-") {
                    app_templates.push(name.clone());
                } else {
                    namespace_templates.push(name.clone());
                }
            }
        }
        if namespace_templates.is_empty() && app_templates.is_empty() {
            return Err(RenderError::EmptyBlueprint);
        }
        Ok(Blueprint {
            registry,
            namespace_templates,
            app_templates,
            sources: files,
        })
    }

    /// Every template file and its text, in name order: what output depends on besides the
    /// request, the environment and Rampart itself (for render caches).
    pub fn identity(&self) -> &[(String, String)] {
        &self.sources
    }
}

/// Output file name of a namespace template (`rbac.yaml.hbs` → `rbac.yaml`).
pub(crate) fn namespace_output(template: &str) -> String {
    template.trim_end_matches(".hbs").to_string()
}

/// Output file name of an app template (`app-workload.yaml.hbs`, `api` → `workload-api.yaml`).
pub(crate) fn app_output(template: &str, app: &str) -> String {
    let stem = template
        .trim_start_matches("app-")
        .trim_end_matches(".yaml.hbs");
    format!("{stem}-{app}.yaml")
}
