//! Errors of blueprint loading and rendering.

/// Why a blueprint could not be loaded or a namespace could not be rendered.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    /// A blueprint template does not compile.
    #[error("blueprint template {template} does not compile")]
    Template {
        /// Template file name.
        template: String,
        /// The handlebars error (with line and column in the template).
        #[source]
        source: Box<handlebars::TemplateError>,
    },
    /// The blueprint directory holds no namespace template.
    #[error("blueprint has no templates (expected *.yaml.hbs files)")]
    EmptyBlueprint,
    /// Rendering failed, e.g. a value the template uses is missing (strict mode).
    #[error("template {template} failed for namespace {namespace} in environment {environment}")]
    Render {
        /// Template file name.
        template: String,
        /// Namespace being rendered.
        namespace: String,
        /// Environment being rendered.
        environment: String,
        /// The handlebars error.
        #[source]
        source: Box<handlebars::RenderError>,
    },
    /// The rendered text is not valid YAML.
    #[error("template {template} produced invalid YAML for namespace {namespace}")]
    Yaml {
        /// Template file name.
        template: String,
        /// Namespace being rendered.
        namespace: String,
        /// The parser error (line and column refer to the rendered text).
        #[source]
        source: serde_yaml::Error,
    },
    /// A rendered document does not match its Kubernetes type or breaks a blueprint rule.
    #[error(
        "template {template} produced an invalid {kind} `{name}` for namespace {namespace}: {problem}"
    )]
    Invalid {
        /// Template file name.
        template: String,
        /// Namespace being rendered.
        namespace: String,
        /// Kind of the offending object.
        kind: String,
        /// Name of the offending object.
        name: String,
        /// What is wrong.
        problem: String,
    },
    /// A cluster-wide template (e.g. the admission policies) failed to render.
    #[error("cluster template {template} failed for environment {environment}")]
    ClusterRender {
        /// Template file name.
        template: String,
        /// Environment being rendered.
        environment: String,
        /// The handlebars error.
        #[source]
        source: Box<handlebars::RenderError>,
    },
    /// A cluster-wide template produced invalid YAML or an invalid object.
    #[error(
        "cluster template {template} produced invalid output for environment {environment}: {problem}"
    )]
    ClusterInvalid {
        /// Template file name.
        template: String,
        /// Environment being rendered.
        environment: String,
        /// What is wrong, naming the object where there is one.
        problem: String,
    },
}
