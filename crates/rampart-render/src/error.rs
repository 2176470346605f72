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
        source: rampart_yaml::YamlError,
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
    /// An environment sets `networkTests` but no Rampart image is known to run the probes.
    #[error(
        "environment {environment} sets networkTests, but rampart.yaml names no Rampart image to run the probes: add a `service:` section with `image:` (see docs/network-tests.md)"
    )]
    NetworkTestsWithoutImage {
        /// The environment.
        environment: String,
    },
    /// The rendered NetworkPolicies allow other flows than the request declares.
    #[error(
        "the NetworkPolicies rendered for namespace {namespace} in environment {environment} do not match its request:\n  {}\nThe blueprint's network-policies template must allow exactly the flows the request declares (and DNS)",
        flows.join("\n  ")
    )]
    Network {
        /// Namespace being rendered.
        namespace: String,
        /// Environment being rendered.
        environment: String,
        /// Each flow the policies and the request differ in, with the policies behind it.
        flows: Vec<String>,
    },
    /// Rendering a cluster configuration template failed.
    #[error("cluster template {template} failed for environment {environment}")]
    ClusterRender {
        /// Template path under `blueprints/cluster/`.
        template: String,
        /// Environment being rendered.
        environment: String,
        /// The handlebars error.
        #[source]
        source: Box<handlebars::RenderError>,
    },
    /// A rendered cluster configuration file does not parse as its type or lacks a property
    /// it exists for.
    #[error("cluster file {file} for environment {environment} is invalid: {problem}")]
    ClusterInvalid {
        /// Path under `clusters/<env>/cluster/`.
        file: String,
        /// Environment being rendered.
        environment: String,
        /// What is wrong.
        problem: String,
    },
}
