//! Typed mirrors of the runtime-detection files: Falco rules files, Tetragon's
//! `TracingPolicy` and the Prometheus operator's `PrometheusRule`, limited to the fields
//! Rampart writes and refusing any other.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One item of a Falco rules file: a rule, macro, list or requirement.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FalcoItem {
    /// Rule name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// Macro name (the YAML key `macro`).
    #[serde(default, rename = "macro", skip_serializing_if = "Option::is_none")]
    pub macro_: Option<String>,
    /// List name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub list: Option<String>,
    /// List items.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub items: Option<Vec<String>>,
    /// Rule description.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub desc: Option<String>,
    /// Rule or macro condition.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub condition: Option<String>,
    /// Rule output.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Rule priority.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub priority: Option<String>,
    /// Event source (`syscall`, `k8s_audit`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    /// Rule tags.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<String>>,
    /// Minimum Falco engine version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_engine_version: Option<serde_json::Value>,
    /// Plugins the rules need.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required_plugin_versions: Option<Vec<FalcoPluginRequirement>>,
}

impl FalcoItem {
    /// What the item defines, or why it is malformed.
    pub fn kind(&self) -> Result<FalcoItemKind<'_>, String> {
        let named = [
            self.rule.as_deref().map(FalcoItemKind::Rule),
            self.macro_.as_deref().map(FalcoItemKind::Macro),
            self.list.as_deref().map(FalcoItemKind::List),
        ];
        let mut set = named.into_iter().flatten();
        let requirement =
            self.required_engine_version.is_some() || self.required_plugin_versions.is_some();
        match (set.next(), set.next(), requirement) {
            (Some(kind), None, false) => Ok(kind),
            (None, None, true) => Ok(FalcoItemKind::Requirement),
            _ => Err("an item must be exactly one of rule, macro, list or a requirement".into()),
        }
    }
}

/// What a Falco item defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FalcoItemKind<'a> {
    /// A rule.
    Rule(&'a str),
    /// A macro.
    Macro(&'a str),
    /// A list.
    List(&'a str),
    /// `required_engine_version` or `required_plugin_versions`.
    Requirement,
}

/// A plugin a rules file needs.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FalcoPluginRequirement {
    /// Plugin name.
    pub name: String,
    /// Minimum version.
    pub version: String,
    /// Plugins accepted instead.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alternatives: Vec<FalcoPluginAlternative>,
}

/// An alternative plugin.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct FalcoPluginAlternative {
    /// Plugin name.
    pub name: String,
    /// Minimum version.
    pub version: String,
}

/// Falco rule priorities, most to least severe.
pub const FALCO_PRIORITIES: &[&str] = &[
    "EMERGENCY",
    "ALERT",
    "CRITICAL",
    "ERROR",
    "WARNING",
    "NOTICE",
    "INFORMATIONAL",
    "DEBUG",
];

/// Object metadata of the cluster-scoped runtime objects.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ObjectMeta {
    /// Name.
    pub name: String,
    /// Namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

/// `cilium.io/v1alpha1` TracingPolicy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct TracingPolicy {
    /// `cilium.io/v1alpha1`.
    pub api_version: String,
    /// `TracingPolicy`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Hooks.
    pub spec: TracingPolicySpec,
}

/// Hooks of a tracing policy.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TracingPolicySpec {
    /// Kernel probes.
    pub kprobes: Vec<Kprobe>,
}

/// A kernel probe.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Kprobe {
    /// Kernel function.
    pub call: String,
    /// Whether `call` is a syscall.
    pub syscall: bool,
    /// Also hook the return.
    #[serde(default)]
    pub r#return: bool,
    /// Arguments read.
    pub args: Vec<KprobeArg>,
    /// Return value read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_arg: Option<KprobeArg>,
    /// Action on return.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub return_arg_action: Option<String>,
    /// In-kernel filters; an event is reported when one selector matches.
    pub selectors: Vec<KprobeSelector>,
}

/// An argument of a probe.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct KprobeArg {
    /// Argument position.
    pub index: u32,
    /// Type (`file`, `path`, `int`, `uint32`, `nop`, ...).
    pub r#type: String,
}

/// A selector.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct KprobeSelector {
    /// Argument filters, all of which must match.
    pub match_args: Vec<MatchArg>,
    /// Actions (default: Post).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub match_actions: Vec<serde_json::Value>,
}

/// One argument filter.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct MatchArg {
    /// Argument position.
    pub index: u32,
    /// `Equal`, `Prefix`, `Postfix`, `Mask`, ...
    pub operator: String,
    /// Values compared.
    pub values: Vec<String>,
}

/// `monitoring.coreos.com/v1` PrometheusRule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PrometheusRule {
    /// `monitoring.coreos.com/v1`.
    pub api_version: String,
    /// `PrometheusRule`.
    pub kind: String,
    /// Metadata.
    pub metadata: ObjectMeta,
    /// Rule groups.
    pub spec: PrometheusRuleSpec,
}

/// Rule groups.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusRuleSpec {
    /// Groups.
    pub groups: Vec<PrometheusRuleGroup>,
}

/// A rule group.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct PrometheusRuleGroup {
    /// Group name.
    pub name: String,
    /// Alerting rules.
    pub rules: Vec<AlertRule>,
}

/// An alerting rule.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// Alert name.
    pub alert: String,
    /// PromQL expression.
    pub expr: String,
    /// How long the expression must hold.
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    /// Labels.
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
    /// Annotations.
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
}

/// Helm values for the cilium chart that turn on Hubble's drop metric and the dropped-flow
/// export: only the keys Rampart writes.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CiliumHubbleValues {
    /// `hubble:`.
    pub hubble: HubbleValues,
}

/// `hubble:` of the cilium chart.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubbleValues {
    /// Run Hubble in the agent.
    pub enabled: bool,
    /// `hubble.metrics`.
    pub metrics: HubbleMetricsValues,
    /// `hubble.export`.
    pub export: HubbleExportValues,
}

/// `hubble.metrics`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HubbleMetricsValues {
    /// Metrics and their options, `name:key=value;key=value`.
    pub enabled: Vec<String>,
    /// The ServiceMonitor the chart creates for the metrics.
    pub service_monitor: EnabledFlag,
}

/// `{enabled: bool}`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct EnabledFlag {
    /// Whether it is on.
    pub enabled: bool,
}

/// `hubble.export`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HubbleExportValues {
    /// `hubble.export.static`: one exporter, one file, one set of filters.
    #[serde(rename = "static")]
    pub static_: HubbleStaticExport,
}

/// `hubble.export.static`.
#[derive(Debug, Clone, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct HubbleStaticExport {
    /// Whether flows are exported.
    pub enabled: bool,
    /// The file each agent writes, on its node.
    pub file_path: String,
    /// Flows exported: Hubble `FlowFilter`s, each as JSON; a flow matching any is written.
    pub allow_list: Vec<String>,
    /// Flow fields written.
    pub field_mask: Vec<String>,
}
