//! Command-line interface definitions.

use clap::{Args, Parser, Subcommand, ValueEnum};
use rampart_deliver::CommitOptions;
use rampart_model::delivery::DeliveryMode;
use std::path::PathBuf;

/// Rampart renders hardened Kubernetes namespaces (RBAC, network policies, Pod Security,
/// quotas, hardened workloads) from short namespace requests into a GitOps repository, as
/// Git commits.
#[derive(Debug, Parser)]
#[command(name = "rampart", version, about, long_about = None, propagate_version = true)]
pub struct Cli {
    /// More log output on stderr (-v: info, -vv: debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Log lines as text or as JSON objects (one per line), on stderr; also the format of
    /// `probe`'s check lines (on stdout).
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create a GitOps repository with rampart.yaml, environments/ and an example request,
    /// commit it and render it.
    Init(InitArgs),
    /// Write a commented namespace request specs/NAME.yaml, render it and commit both.
    New(NewArgs),
    /// Write the request that reproduces existing namespaces (from manifests: files,
    /// directories, kustomize output on stdin) into specs/NAMESPACE.yaml, render and commit
    /// it, and report what hardening changes and which flows it keeps, removes or adds.
    Import(ImportArgs),
    /// Render every request for every environment into clusters/<env>/namespaces/<ns>/, and
    /// each environment's cluster configuration into clusters/<env>/cluster/, and commit the
    /// result (nothing is committed when nothing changed).
    Render(RenderArgs),
    /// Remove specs/NAME.yaml and render: the commit message (and pull request) lists every
    /// object each environment loses. Refused while another request refers to NAME.
    Remove(RemoveArgs),
    /// Print the unified diff that `render` would commit.
    Plan(PlanArgs),
    /// Print the connectivity map the requests' NetworkPolicies allow (every render proves
    /// it equals what the requests declare): per namespace, every flow from or to its pods.
    Netmap(NetmapArgs),
    /// Scan files for secrets with the guard every rampart commit passes (exit 1 when one is
    /// found). Use `--staged` as a pre-commit hook of a GitOps repository.
    Scan(ScanArgs),
    /// Lint Kubernetes YAML against the security checklist (exit 1 when a finding reaches
    /// --fail-on, 2 for unreadable or unparsable input).
    Check(CheckArgs),
    /// Lint the live cluster, read-only, against the security checklist, with the rules,
    /// output and exit codes of `check` (2 when the cluster cannot be read).
    Audit(AuditArgs),
    /// Whether what the base branch renders is live in the cluster, read-only: per namespace
    /// every object missing, differing or in sync; per secret the pinned version against
    /// the live ExternalSecret and the pods (exit 1 when anything is not live, 2 when the
    /// cluster cannot be read).
    Status(StatusArgs),
    /// Write an environment's cluster configuration (audit policy and webhook, encryption at
    /// rest, kube-apiserver flags, admission configuration, Falco/Tetragon/Prometheus rules)
    /// to a directory; `render` commits the same files into clusters/<env>/cluster/.
    ClusterConfig(ClusterConfigArgs),
    /// Rotate the secrets whose schedule is due in Vault/OpenBao or AWS Secrets Manager
    /// (and their PostgreSQL password), then pin the new versions in the requests and
    /// deliver them like a render (commit, push or pull request).
    Rotate(RotateArgs),
    /// Retire the previous PostgreSQL credential of alternating users
    /// (`rotation.postgres.retirePrevious`): once every environment's cluster runs the pin,
    /// the role no pinned version names gets a random password nobody stores. Read-only on
    /// the clusters, Git and the backends.
    Retire(RetireArgs),
    /// Install the Vault/OpenBao policies, Kubernetes auth roles and KV mount settings that
    /// `render` writes into clusters/<env>/cluster/secrets-backend/ (AWS documents are
    /// rendered only); idempotent, and removes what Rampart created for removed namespaces.
    #[command(subcommand)]
    Backend(BackendCommand),
    /// Run the rotation service: rotate every secret on its schedule, deliver the new pins
    /// through Git, serve /healthz, /readyz and /metrics; one active instance per
    /// repository. Stops on SIGTERM after the rotation in flight.
    Serve(ServeArgs),
    /// Check, from inside a pod, that the network lets through the TCP flows its
    /// NetworkPolicies should allow and drops the ones they should not (what the probe Jobs of
    /// `networkTests: true` run): a line per check, exit 0 only when every check holds.
    Probe(ProbeArgs),
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line (for log collectors).
    Json,
}

/// `rampart serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Clone this GitOps repository into WORKDIR/repo on first start (and reuse it after),
    /// instead of using --repo: for a container whose root filesystem is read-only. An
    /// HTTPS remote is read with the token in RAMPART_GIT_TOKEN when set.
    #[arg(long, value_name = "URL", requires = "workdir")]
    pub clone: Option<String>,
    /// Where --clone keeps its checkout (the only directory the service writes to).
    #[arg(long, value_name = "DIR", requires = "clone")]
    pub workdir: Option<PathBuf>,
    /// Rotate only this environment's secrets (the service in one environment's cluster);
    /// default: every environment.
    #[arg(long, value_name = "ENV")]
    pub env: Option<String>,
    /// Read the Git token (HTTPS clone, push and forge API) from this file instead of
    /// RAMPART_GIT_TOKEN and delivery.tokenEnv/tokenFile of rampart.yaml: the token the
    /// service's namespace mounts from its ExternalSecret. Read again on every use.
    #[arg(long, value_name = "PATH")]
    pub git_token_file: Option<PathBuf>,
    /// Address of the HTTP port (/healthz, /readyz, /metrics).
    #[arg(long, default_value = "0.0.0.0:9464")]
    pub listen: std::net::SocketAddr,
    /// How often the inputs are read again (and the base branch fetched when rotations
    /// are delivered by push or pull request): schedule changes apply without a restart.
    #[arg(long, default_value = "60s", value_parser = parse_duration)]
    pub refresh_interval: std::time::Duration,
    /// A secret that comes due waits up to this long, a fixed share per secret, so that
    /// many secrets on one schedule do not reach the backend at once.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub jitter: std::time::Duration,
    /// How often `follow` secrets without a schedule are checked for a new version.
    #[arg(long, default_value = "5m", value_parser = parse_duration)]
    pub follow_interval: std::time::Duration,
    /// How often a pin behind the backend (push failed, pull request open) is delivered
    /// again.
    #[arg(long, default_value = "10m", value_parser = parse_duration)]
    pub retry_interval: std::time::Duration,
    /// How many secrets are rotated at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    /// After SIGTERM, how long the rotation pass in flight may take to finish.
    #[arg(long, default_value = "25s", value_parser = parse_duration)]
    pub grace: std::time::Duration,
    /// On standby, how often the active instance's lock is tried.
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub standby_retry: std::time::Duration,
    /// How long a pass waits for another rampart run that holds the repository lock.
    #[arg(long, default_value = "120s", value_parser = parse_duration)]
    pub lock_timeout: std::time::Duration,
    /// In a cluster: decide the active replica with this coordination.k8s.io/v1 Lease
    /// (NAMESPACE/NAME) instead of the lock file in the repository.
    #[arg(long, value_name = "NAMESPACE/NAME")]
    pub lease: Option<String>,
    /// How long the Lease holds without renewal (renewed every third of it; a replica whose
    /// renewals fail stops starting rotations after two thirds).
    #[arg(long, default_value = "15s", value_parser = parse_duration)]
    pub lease_duration: std::time::Duration,
    /// Follow the pins on the base branch into the cluster of this kubeconfig until live
    /// (rampart_pin_live); in a pod the in-cluster service account is used without it.
    #[arg(long, value_name = "PATH")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for following the pins (default: the current one); without
    /// --env its name is the environment followed.
    #[arg(long, value_name = "NAME")]
    pub context: Option<String>,
    /// How often the cluster is read to follow the pins.
    #[arg(long, default_value = "30s", value_parser = parse_duration)]
    pub watch_interval: std::time::Duration,
}

/// `rampart probe`.
#[derive(Debug, Args)]
#[command(group(clap::ArgGroup::new("checks").required(true).multiple(true).args(["resolve", "open", "closed"])))]
pub struct ProbeArgs {
    /// This name must resolve: the cluster DNS answers (UDP port 53, the one UDP flow
    /// probed). Repeat for more.
    #[arg(long, value_name = "NAME")]
    pub resolve: Vec<String>,
    /// A TCP connection to HOST:PORT must be established (a refusal is an answer, but not an
    /// open flow). Repeat for more.
    #[arg(long, value_name = "HOST:PORT")]
    pub open: Vec<rampart_probe::Target>,
    /// A TCP connection attempt to HOST:PORT must get no answer at all within --timeout:
    /// dropped, as NetworkPolicies drop. Repeat for more.
    #[arg(long, value_name = "HOST:PORT")]
    pub closed: Vec<rampart_probe::Target>,
    /// A declared flow this run cannot test, printed as an `unprobed` line so that the log
    /// accounts for every flow. Repeat for more.
    #[arg(long, value_name = "TEXT")]
    pub unprobed: Vec<String>,
    /// The app whose pod labels the probe wears, shown in every line (`web -> …`).
    #[arg(long, value_name = "APP")]
    pub from: Option<String>,
    /// How long one connection attempt waits for an answer (e.g. 3s, 500ms).
    #[arg(long, default_value = "3s", value_parser = parse_timeout)]
    pub timeout: std::time::Duration,
    /// Try checks that do not hold again, every 2 s, for up to this long (servers still
    /// starting, policies still being programmed).
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub wait: std::time::Duration,
    /// Wait this long before the first attempt.
    #[arg(long, default_value = "0s", value_parser = parse_duration)]
    pub delay: std::time::Duration,
}

/// A duration above zero.
fn parse_timeout(text: &str) -> Result<std::time::Duration, String> {
    match parse_duration(text)? {
        d if d.is_zero() => Err("the timeout must be above zero".to_owned()),
        d => Ok(d),
    }
}

/// `90`, `90s`, `5m`, `2h`, `500ms` (seconds when no unit is given).
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let (number, unit) = match text.find(|c: char| !c.is_ascii_digit()) {
        Some(i) => text.split_at(i),
        None => (text, "s"),
    };
    let n: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a duration such as 30s, 5m or 1h"))?;
    let secs = match unit {
        "ms" => return Ok(std::time::Duration::from_millis(n)),
        "s" => n,
        "m" => n * 60,
        "h" => n * 3600,
        _ => return Err(format!("`{text}`: the unit is ms, s, m or h")),
    };
    Ok(std::time::Duration::from_secs(secs))
}

/// Where and how to commit.
#[derive(Debug, Args)]
pub struct CommitArgs {
    /// Commit on this branch instead of the checked-out one (created from HEAD if missing);
    /// with --push, push onto this remote branch instead of a rampart/… branch.
    #[arg(long, env = "RAMPART_BRANCH")]
    pub branch: Option<String>,
    /// Commit author as "Name <email>" (default: rampart.yaml git settings, then git config).
    #[arg(long, env = "RAMPART_AUTHOR")]
    pub author: Option<String>,
    /// Seconds to wait for another rampart run that holds this repository's lock
    /// (0: refuse at once).
    #[arg(
        long,
        env = "RAMPART_LOCK_TIMEOUT",
        default_value_t = 120,
        value_name = "SECONDS"
    )]
    pub lock_timeout: u64,
}

impl CommitArgs {
    /// The library's commit options.
    pub fn options(&self) -> CommitOptions {
        CommitOptions {
            branch: self.branch.clone(),
            author: self.author.clone(),
        }
    }
}

/// How the commit reaches the remote (overrides `delivery.mode` of rampart.yaml). No flag
/// takes a token: rampart.yaml names the variable or file that holds it.
#[derive(Debug, Args)]
pub struct DeliveryArgs {
    /// Commit on a rampart/… branch (or --branch) and push it (same as --delivery push).
    #[arg(long, conflicts_with_all = ["pr", "delivery"])]
    pub push: bool,
    /// Push a rampart/… branch and open or update its pull request (same as
    /// --delivery pull-request).
    #[arg(long, conflicts_with = "delivery")]
    pub pr: bool,
    /// Delivery mode: commit (local only), push or pull-request.
    #[arg(long, value_enum)]
    pub delivery: Option<DeliveryModeArg>,
}

impl DeliveryArgs {
    /// The mode the flags ask for, if any.
    pub fn mode(&self) -> Option<DeliveryMode> {
        if self.push {
            return Some(DeliveryMode::Push);
        }
        if self.pr {
            return Some(DeliveryMode::PullRequest);
        }
        self.delivery.map(|d| match d {
            DeliveryModeArg::Commit => DeliveryMode::Commit,
            DeliveryModeArg::Push => DeliveryMode::Push,
            DeliveryModeArg::PullRequest => DeliveryMode::PullRequest,
        })
    }
}

/// `--delivery` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DeliveryModeArg {
    /// Commit on the local branch.
    Commit,
    /// Commit on a rampart/… branch (or --branch) and push it.
    Push,
    /// Push a branch and open or update a pull request.
    PullRequest,
}

/// Which repository and blueprint.
#[derive(Debug, Args)]
pub struct RepoArgs {
    /// The GitOps repository (its top directory).
    #[arg(long, default_value = ".", env = "RAMPART_REPO")]
    pub repo: PathBuf,
    /// Use the blueprint templates in this directory instead of the built-in
    /// hardened-namespace blueprint.
    #[arg(long, env = "RAMPART_BLUEPRINTS")]
    pub blueprints: Option<PathBuf>,
}

/// `rampart init`.
#[derive(Debug, Args)]
pub struct InitArgs {
    /// Directory of the new repository (created, and `git init`ed if needed).
    pub dir: PathBuf,
    #[command(flatten)]
    pub commit: CommitArgs,
}

/// `rampart remove`.
#[derive(Debug, Args)]
pub struct RemoveArgs {
    /// Namespace whose request specs/NAME.yaml is removed.
    #[arg(value_parser = namespace_name)]
    pub name: String,
    /// Render only this environment (the others keep the namespace until rendered).
    #[arg(long)]
    pub env: Option<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// `rampart new`.
#[derive(Debug, Args)]
pub struct NewArgs {
    /// Namespace name (an RFC 1123 label); the request is written to specs/NAME.yaml.
    #[arg(value_parser = namespace_name)]
    pub name: String,
    /// Owning team.
    #[arg(long)]
    pub team: String,
    /// An app of the namespace (repeat for more); each starts with an `http` port 8080.
    #[arg(long = "app", required = true)]
    pub apps: Vec<String>,
    /// Governance label KEY=VALUE (repeat); rampart.yaml names the required ones.
    #[arg(long = "label", value_parser = parse_key_value)]
    pub labels: Vec<(String, String)>,
    /// Group bound to the admin Role (repeat).
    #[arg(long = "admin-group")]
    pub admin_groups: Vec<String>,
    /// Group bound to the developer Role (repeat).
    #[arg(long = "developer-group")]
    pub developer_groups: Vec<String>,
    /// Group bound to the viewer Role (repeat).
    #[arg(long = "viewer-group")]
    pub viewer_groups: Vec<String>,
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// `rampart import`.
#[derive(Debug, Args)]
pub struct ImportArgs {
    /// Namespaces to import (default: the only namespace of the input); each request is
    /// written to specs/NAMESPACE.yaml.
    #[arg(value_parser = namespace_name)]
    pub namespaces: Vec<String>,
    /// Manifest files or directories (recursively: *.yaml, *.yml, *.json, skipping
    /// kustomization.yaml); `-` reads standard input (e.g. `kustomize build … |`).
    #[arg(
        long = "from",
        value_name = "PATH",
        required_unless_present = "cluster",
        conflicts_with = "cluster"
    )]
    pub from: Vec<PathBuf>,
    /// Read the namespaces from the live cluster instead, read-only, with the list
    /// permissions of `rampart audit` (Secrets as metadata only).
    #[arg(long)]
    pub cluster: bool,
    /// Kubeconfig file for --cluster (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long, requires = "cluster")]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context for --cluster (default: the current context).
    #[arg(long, requires = "cluster")]
    pub context: Option<String>,
    /// Owning team (default: the Namespace's rampart.dev/team label).
    #[arg(long)]
    pub team: Option<String>,
    /// Governance label KEY=VALUE (repeat); required labels the input lacks are written as
    /// `unassigned`.
    #[arg(long = "label", value_parser = parse_key_value)]
    pub labels: Vec<(String, String)>,
    /// The environment whose defaults (quota, container limits, replicas) the input is
    /// compared with, and which the report renders (default: the first of rampart.yaml).
    #[arg(long)]
    pub env: Option<String>,
    /// Print the requests and the report; write and commit nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Overwrite an existing specs/NAMESPACE.yaml.
    #[arg(long)]
    pub force: bool,
    /// Report format on stdout.
    #[arg(long, value_enum, default_value_t = ImportFormat::Text)]
    pub format: ImportFormat,
    #[command(flatten)]
    pub repo: RepoArgs,
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// How `rampart import` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportFormat {
    /// The requests (with --dry-run), then per namespace a table of changes and the flows.
    Text,
    /// `[{namespace, environment, changes: [{topic, subject, text, checklist}],
    /// connectivity: {allAllowedToday, kept, removed, added}}]`.
    Json,
}

/// `rampart render`.
#[derive(Debug, Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Render only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Write nothing; exit 1 and list every generated file that is missing, stale,
    /// hand-edited or left over.
    #[arg(long)]
    pub check: bool,
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// `rampart plan`.
#[derive(Debug, Args)]
pub struct PlanArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Plan only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Compare with this branch instead of the checked-out one.
    #[arg(long)]
    pub branch: Option<String>,
}

/// `rampart netmap`.
#[derive(Debug, Args)]
pub struct NetmapArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Only this environment.
    #[arg(long)]
    pub env: Option<String>,
    /// Only this namespace.
    pub namespace: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = NetmapFormat::Text)]
    pub format: NetmapFormat,
}

/// How `rampart netmap` prints the map.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum NetmapFormat {
    /// A heading per namespace, a line per flow.
    Text,
    /// `[{environment, namespace, flows: [{from, to, ports}]}]`.
    Json,
    /// A mermaid flowchart (GitHub and GitLab draw it in Markdown).
    Mermaid,
}

/// `rampart scan`.
#[derive(Debug, Args)]
pub struct ScanArgs {
    /// Files or directories to scan (default: the current directory); `.git` is skipped.
    pub paths: Vec<PathBuf>,
    /// Scan what is staged for the next commit in the repository instead of paths.
    #[arg(long, conflicts_with = "paths")]
    pub staged: bool,
    /// The repository for `--staged`.
    #[arg(long, default_value = ".", env = "RAMPART_REPO")]
    pub repo: PathBuf,
    /// Largest file scanned, e.g. `64MiB`, `500KiB` or bytes; a larger file is reported
    /// as not scanned and fails the scan (exit 2).
    #[arg(long, default_value = "16MiB", value_parser = parse_size)]
    pub max_file_size: u64,
}

/// A namespace name, which becomes a path: refused (exit 2, as clap refuses any bad
/// argument) unless it is a plain RFC 1123 label, before anything touches the disk.
fn namespace_name(name: &str) -> Result<String, String> {
    if rampart_model::syntax::is_dns_label(name) {
        Ok(name.to_owned())
    } else {
        Err("a namespace name is an RFC 1123 label: lowercase letters, digits and `-`, starting and ending with a letter or digit, at most 63; no `/` or `.`".to_owned())
    }
}

/// A size in bytes: a number with an optional `KiB`, `MiB` or `GiB` (or `K`, `M`, `G`).
fn parse_size(text: &str) -> Result<u64, String> {
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(digits);
    let shift = match unit.trim() {
        "" | "B" => 0,
        "K" | "KiB" => 10,
        "M" | "MiB" => 20,
        "G" | "GiB" => 30,
        other => return Err(format!("unknown unit `{other}`: use KiB, MiB or GiB")),
    };
    let number: u64 = number
        .parse()
        .map_err(|_| format!("`{text}` is not a size such as 64MiB"))?;
    number
        .checked_mul(1 << shift)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// `rampart check`.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    /// Files or directories (recursively: *.yaml, *.yml, *.json, skipping .git and
    /// kustomization.yaml) to check; `-` reads standard input.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// List every exception (`rampart.dev/ignore` entry) with its reason and expiry instead
    /// of the findings; exit 1 when one is expired or invalid.
    #[arg(long, conflicts_with = "fix")]
    pub exceptions: bool,
    /// Write the fix of every finding the finding alone determines into its file (comments,
    /// order and the other documents kept); the findings that need a decision are reported.
    #[arg(long)]
    pub fix: bool,
    /// With --fix: print the fixes as a unified diff and write nothing.
    #[arg(long, requires = "fix")]
    pub dry_run: bool,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// How `check` and `audit` judge and report findings.
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// Output format on stdout.
    #[arg(long, value_enum, default_value_t = CheckFormat::Text)]
    pub format: CheckFormat,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value_t = FailOn::Low)]
    pub fail_on: FailOn,
    /// Allowed image reference prefix, e.g. `registry.example.com/` (repeat); when given,
    /// images from elsewhere are findings.
    #[arg(long = "allowed-registry")]
    pub allowed_registries: Vec<String>,
    /// The day exceptions (`rampart.dev/ignore` entries with `; until YYYY-MM-DD`) are
    /// judged on, as YYYY-MM-DD (default: today in UTC).
    #[arg(long, env = "RAMPART_TODAY", value_parser = parse_date)]
    pub today: Option<rampart_policy::Date>,
    /// Exceptions must end within this many days: one without `until`, or with a later
    /// date, silences nothing and is a finding of its own.
    #[arg(long, env = "RAMPART_MAX_EXCEPTION_DAYS")]
    pub max_exception_days: Option<u32>,
}

fn parse_date(text: &str) -> Result<rampart_policy::Date, String> {
    rampart_policy::Date::parse(text)
        .ok_or_else(|| format!("`{text}` is not a date of the form YYYY-MM-DD"))
}

/// `rampart audit`.
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the kubeconfig's current context).
    #[arg(long)]
    pub context: Option<String>,
    #[command(flatten)]
    pub report: ReportArgs,
}

/// `rampart status`.
#[derive(Debug, Args)]
pub struct StatusArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The environment the cluster runs (default: the one named like the kubeconfig context).
    #[arg(long)]
    pub env: Option<String>,
    /// Only these namespaces (default: every namespace rendered for the environment).
    #[arg(value_name = "NAMESPACE")]
    pub namespaces: Vec<String>,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// Kubeconfig context to use (default: the kubeconfig's current context).
    #[arg(long)]
    pub context: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = StatusFormat::Text)]
    pub format: StatusFormat,
}

/// How `rampart status` prints its report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StatusFormat {
    /// Per namespace what is not live, then one summary line.
    Text,
    /// `{commit, environment, namespaces: [{environment, namespace, objects, secrets}]}`.
    Json,
}

/// `rampart rotate`.
#[derive(Debug, Args)]
pub struct RotateArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Only this environment (default: every environment of rampart.yaml).
    #[arg(long)]
    pub env: Option<String>,
    /// Only this secret, as NAMESPACE/NAME; repeat for more.
    #[arg(long = "secret", value_name = "NAMESPACE/NAME")]
    pub secrets: Vec<String>,
    /// Rotate even where the schedule says no rotation is due.
    #[arg(long)]
    pub force: bool,
    /// Contact the backends read-only and change nothing; print what would happen.
    #[arg(long)]
    pub dry_run: bool,
    /// How many secrets are rotated at once.
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=256))]
    pub concurrency: u16,
    #[command(flatten)]
    pub commit: CommitArgs,
    #[command(flatten)]
    pub delivery: DeliveryArgs,
}

/// `rampart retire`.
#[derive(Debug, Args)]
pub struct RetireArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// Kubeconfig file (default: $KUBECONFIG, then ~/.kube/config).
    #[arg(long)]
    pub kubeconfig: Option<PathBuf>,
    /// The kubeconfig context of an environment's cluster, as ENV=CONTEXT (default: the
    /// context named like the environment); repeat for more.
    #[arg(long = "context", value_name = "ENV=CONTEXT", value_parser = parse_key_value)]
    pub contexts: Vec<(String, String)>,
    /// Seconds to wait for another rampart run (a rotation) that holds this repository's
    /// lock (0: refuse at once).
    #[arg(long, default_value_t = 120, value_name = "SECONDS")]
    pub lock_timeout: u64,
}

/// `rampart cluster-config`.
#[derive(Debug, Args)]
pub struct ClusterConfigArgs {
    /// The environment (listed in rampart.yaml).
    #[arg(long)]
    pub env: String,
    /// Directory to write into (created if missing; files of the same names are replaced).
    #[arg(long)]
    pub out: PathBuf,
    /// The GitOps repository (its top directory).
    #[arg(long, default_value = ".", env = "RAMPART_REPO")]
    pub repo: PathBuf,
}

/// `rampart backend …`.
#[derive(Debug, Subcommand)]
pub enum BackendCommand {
    /// Make the environment's Vault/OpenBao hold exactly the policies and roles Rampart
    /// renders for it (VAULT_TOKEN or BAO_TOKEN: a token allowed to manage them).
    Apply(BackendApplyArgs),
}

/// `rampart backend apply`.
#[derive(Debug, clap::Args)]
pub struct BackendApplyArgs {
    /// The environment (listed in rampart.yaml).
    #[arg(long)]
    pub env: String,
    /// Print what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// The GitOps repository (its top directory).
    #[arg(long, default_value = ".", env = "RAMPART_REPO")]
    pub repo: PathBuf,
}

/// Output format of `rampart check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    /// Findings grouped by object, for people.
    Text,
    /// A JSON array of findings, for tools.
    Json,
    /// A SARIF 2.1.0 log, for code scanning (e.g. GitHub's upload-sarif).
    Sarif,
}

/// Lowest severity that fails `rampart check`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    /// Any finding fails.
    Low,
    /// Medium and high findings fail.
    Medium,
    /// Only high findings fail.
    High,
}

fn parse_key_value(s: &str) -> Result<(String, String), String> {
    s.split_once('=')
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .ok_or_else(|| format!("`{s}` is not KEY=VALUE"))
}

/// Logs go to stderr; stdout carries only command output. A service (`serve`) logs its
/// own events at info level without -v.
pub fn init_logging(verbose: u8, format: LogFormat, service: bool) {
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::prelude::*;
    let level = match verbose {
        0 if service => LevelFilter::INFO,
        0 => LevelFilter::WARN,
        1 => LevelFilter::INFO,
        _ => LevelFilter::DEBUG,
    };
    // -v and -vv are for Rampart's own events. Other crates stay at warnings: HTTP and
    // database clients log requests at debug level, and a request may carry a secret value.
    // vaultrs and rustify (its HTTP layer) log every API error at error level, expected ones
    // too (a 404 that means "none yet"); Rampart reports the errors that matter itself, with
    // context. kube's client logs every failed request at error level, too (`status`,
    // `audit` and the service say which object could not be read, and why).
    let filter = Targets::new()
        .with_default(LevelFilter::WARN)
        .with_target("vaultrs", LevelFilter::OFF)
        .with_target("kube_client", LevelFilter::OFF)
        .with_target("rustify", LevelFilter::OFF)
        .with_target("rampart", level);
    let text = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false);
    let registry = tracing_subscriber::registry();
    match format {
        LogFormat::Text => registry.with(text.with_filter(filter)).init(),
        LogFormat::Json => registry
            .with(text.json().with_current_span(false).with_filter(filter))
            .init(),
    }
}
