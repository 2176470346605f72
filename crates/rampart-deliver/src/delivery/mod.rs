//! Delivering a render to the remote: `push` (a branch pushed: a `rampart/…` branch, or the
//! one `--branch` names) and `pull-request` (a `rampart/…` branch and its pull request).
//!
//! The change is what the work tree changes in the inputs (rampart.yaml, environments,
//! requests) relative to the last commit the checkout shares with the remote branch (the
//! merge base). It is laid over the inputs of the freshly fetched remote branch and the
//! combination is rendered there, so whatever others pushed meanwhile (another namespace,
//! an environment change) is kept and rendered in, never reverted. The result is committed
//! onto the fetched head as an unreferenced commit and pushed with a lease; if the remote
//! moved, it is fetched and rendered again, a bounded number of times. Local branches
//! (except a `rampart/…` branch after a successful push), the index and the work tree are
//! never touched, so a failed delivery leaves the local repository as it was.

pub(crate) mod branch;
mod describe;
mod rerender;

use crate::error::{Context, Error, Result, bail};
use crate::render::Rendered;
use crate::{Event, Reporter, Title};
use rampart_git::{
    Author, Credentials, FileSet, GitError, HostKeyPolicy, LocalBranch, Oid, OntoRequest,
    PushRequest, RemoteError, Secret, Signer,
};
use rampart_model::delivery::{Delivery, DeliveryMode, ForgeKindSetting, SigningFormat};
use rerender::{InputDelta, render_onto};
use std::path::{Path, PathBuf};

/// Trailer that marks Rampart's commits on its branches.
pub const TRAILER: &str = "Rampart-Change";

pub use crate::error::InvalidSettings;

/// An [`InvalidSettings`] error.
pub fn invalid(message: impl Into<String>) -> Error {
    InvalidSettings(message.into()).into()
}

/// The mode in force: the one asked for (the flags), else rampart.yaml's.
pub fn mode(asked: Option<DeliveryMode>, config: &Delivery) -> DeliveryMode {
    asked.unwrap_or(config.mode)
}

/// What to deliver.
pub struct Delivered<'a> {
    /// The GitOps repository.
    pub repo: &'a Path,
    /// The work tree's input files, as `inputs::read_worktree` read them.
    pub local: &'a FileSet,
    /// A blueprint directory instead of the built-in one.
    pub blueprints: Option<&'a PathBuf>,
    /// Commit (and pull request) title.
    pub title: Title<'a>,
    /// Commit author.
    pub author: Option<&'a Author>,
    /// The environment rendered, if only one.
    pub env: Option<&'a str>,
    /// `push` or `pull-request`.
    pub mode: DeliveryMode,
    /// `push` only: the branch to push onto instead of a `rampart/…` branch (`--branch`).
    pub branch: Option<&'a str>,
    /// A fixed topic for the `rampart/…` branch (e.g. `rotate-dev`) instead of one derived
    /// from what the change touches: every delivery with the same topic and base updates
    /// the same branch and pull request, whatever it touches this time.
    pub topic: Option<&'a str>,
    /// The commit `local` was read from, when not the work tree (a service reading the
    /// fetched base branch): the change delivered is `local` against that commit, not
    /// against the checkout's merge base with the remote.
    pub inputs_from: Option<rampart_git::Oid>,
    /// rampart.yaml's settings.
    pub config: &'a Delivery,
}

/// A path of rampart.yaml resolved against the repository (and `~/`). Without an absolute
/// `HOME`, `~/…` is refused rather than read from the repository, whose files anyone with
/// push access controls (a known_hosts file there would decide which servers are trusted).
fn config_path(repo: &Path, path: &str) -> Result<PathBuf> {
    resolve_path(repo, path, std::env::var_os("HOME").map(PathBuf::from))
}

fn resolve_path(repo: &Path, path: &str, home: Option<PathBuf>) -> Result<PathBuf> {
    let Some(rest) = path.strip_prefix("~/") else {
        return Ok(repo.join(path));
    };
    match home {
        Some(home) if home.is_absolute() => Ok(home.join(rest)),
        _ => Err(invalid(format!(
            "rampart.yaml names `{path}`, but HOME is not set to an absolute path: write the file's absolute path"
        ))),
    }
}

/// The token rampart.yaml points at, if any.
fn token(repo: &Path, d: &Delivery) -> Result<Option<Secret>> {
    Ok(match (&d.token_env, &d.token_file) {
        (Some(var), _) => Some(Secret::from_env(var).map_err(|e| invalid(e.to_string()))?),
        (None, Some(file)) => {
            Some(Secret::from_file(&config_path(repo, file)?).map_err(|e| invalid(e.to_string()))?)
        }
        (None, None) => None,
    })
}

fn credentials(repo: &Path, d: &Delivery) -> Result<Credentials> {
    let host_keys = match (&d.ssh.host_key_fingerprint, &d.ssh.known_hosts) {
        (Some(fp), _) => HostKeyPolicy::Fingerprint(fp.clone()),
        (None, Some(file)) => HostKeyPolicy::KnownHosts(config_path(repo, file)?),
        (None, None) => HostKeyPolicy::UserKnownHosts,
    };
    Ok(Credentials {
        token: token(repo, d)?,
        ssh_key_file: d
            .ssh
            .key_file
            .as_deref()
            .map(|f| config_path(repo, f))
            .transpose()?,
        host_keys,
    })
}

/// The forge client of a pull-request delivery, built before anything is sent, with the
/// token already read for the Git transport.
fn forge(d: &Delivery, token: Option<&Secret>) -> Result<rampart_forge::Forge> {
    let Some(settings) = &d.forge else {
        return Err(invalid(
            "pull-request delivery needs `delivery.forge` in rampart.yaml (kind, repository, and a token through delivery.tokenEnv or delivery.tokenFile)",
        ));
    };
    let kind = match settings.kind {
        ForgeKindSetting::Github => rampart_forge::ForgeKind::GitHub,
        ForgeKindSetting::Gitlab => rampart_forge::ForgeKind::GitLab,
        ForgeKindSetting::Gitea => rampart_forge::ForgeKind::Gitea,
    };
    let api_base = match &settings.api_base {
        Some(base) => base.as_str(),
        None => rampart_forge::Forge::default_api_base(kind)
            .ok_or_else(|| invalid(format!("delivery.forge.apiBase is required for {kind:?}")))?,
    };
    let Some(token) = token else {
        return Err(invalid(
            "the forge API needs a token: set delivery.tokenEnv (a variable name) or delivery.tokenFile in rampart.yaml",
        ));
    };
    let token = rampart_forge::Token::from_value(token.expose().to_owned())
        .map_err(|e| invalid(e.to_string()))?;
    Ok(rampart_forge::Forge::new(
        kind,
        api_base,
        &settings.repository,
        token,
    )?)
}

/// What to tell the user after a failed delivery, by cause.
fn advice(error: &GitError, remote: &str) -> String {
    let remote_error = match error {
        GitError::Remote(e) => Some(e),
        _ => None,
    };
    let unchanged = match remote_error {
        Some(RemoteError::UnexpectedReplace { .. }) => {
            "the commit was pushed, but not as expected; your local branches and work tree are unchanged"
        }
        Some(RemoteError::LostUpdate { .. }) => {
            "what was pushed is no longer on the remote, and your local branches and work tree are unchanged"
        }
        _ => "nothing was pushed, and your local branches and work tree are unchanged",
    };
    let what = match (error, remote_error) {
        (_, Some(RemoteError::ForeignCommits { branch, .. } | RemoteError::BranchRewritten { branch, .. })) => format!(
            "review the commits on {branch}: merge or close its pull request, or delete the branch (`git push {remote} --delete {branch}`), then run again"
        ),
        (_, Some(RemoteError::PushRejected { .. })) => "the server refused the update (a hook or branch protection): fix what it says above, or deliver with --pr instead of pushing to a protected branch".to_owned(),
        (_, Some(RemoteError::Authentication { .. })) => "check the token (delivery.tokenEnv / delivery.tokenFile) or the SSH key, and that it may push to the repository".to_owned(),
        (_, Some(RemoteError::HostKey { .. })) => "verify the server's host key out of band, then add it to known_hosts or pin it with delivery.ssh.hostKeyFingerprint".to_owned(),
        (GitError::Conflict { .. }, _) => format!("someone changed the same files on {remote}: `git pull`, then run again"),
        (_, Some(e)) if e.moved() => "the remote branch keeps moving: run again later, or raise delivery.maxRetries".to_owned(),
        (_, Some(RemoteError::UnexpectedReplace { .. })) => format!("look at {remote}'s branch: the commit named above was replaced; push it again if it is still wanted"),
        (_, Some(RemoteError::RemoteConfig { .. })) => format!("configure the remote: `git remote add {remote} URL`"),
        _ => "run again once the cause above is fixed".to_owned(),
    };
    format!("delivery failed; {unchanged}. To do: {what}")
}

/// Where the commit goes.
enum Target {
    /// A branch of Rampart's (under the branch prefix): built on the base branch, and
    /// replacing Rampart's own earlier commit there; a branch others committed on is refused.
    Rampart(String),
    /// Any other branch (`--branch`): built on its tip (or on the base branch when it does
    /// not exist yet) and only ever fast-forwarded.
    Plain(String),
}

impl Target {
    fn branch(&self) -> &str {
        match self {
            Target::Rampart(b) | Target::Plain(b) => b,
        }
    }
}

/// The remote tips a delivery attempt builds on.
struct Tips {
    /// The base branch.
    base: Oid,
    /// A plain target's tip (`None`: it does not exist yet, or the target is Rampart's).
    target: Option<Oid>,
}

impl Tips {
    /// The commit the render goes onto.
    fn onto(&self) -> Oid {
        self.target.unwrap_or(self.base)
    }
}

/// Fetches the base branch and a plain target branch.
fn fetch(
    d: &Delivered<'_>,
    remote: &str,
    base: &str,
    plain: Option<&str>,
    creds: &Credentials,
) -> Result<Tips> {
    let started = std::time::Instant::now();
    let mut wanted = vec![base];
    wanted.extend(plain.filter(|p| *p != base));
    let tips = rampart_git::fetch_branches(d.repo, remote, &wanted, creds)
        .map_err(|e| with_advice(e, remote))?;
    tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "fetched");
    let Some(base_tip) = tips.get(base).copied().flatten() else {
        bail!(
            "{remote} has no branch `{base}`: push it first (`git push {remote} {base}`) or set delivery.baseBranch"
        );
    };
    Ok(Tips {
        base: base_tip,
        target: plain.and_then(|p| tips.get(p).copied().flatten()),
    })
}

/// Fetches the base branch of deliveries (`delivery.baseBranch`, else the checked-out
/// branch) from the delivery remote and returns its name and tip: where a service that
/// delivers by push or pull request reads its inputs, since its pins reach that branch
/// only through the remote.
pub fn fetch_base(repo: &Path, config: &Delivery) -> Result<(String, rampart_git::Oid)> {
    let remote = config.remote.as_deref().unwrap_or("origin");
    let creds = credentials(repo, config)?;
    let base = match &config.base_branch {
        Some(base) => base.clone(),
        None => rampart_git::current_branch(repo)?.ok_or_else(|| {
            invalid("HEAD is not on a branch: set delivery.baseBranch in rampart.yaml")
        })?,
    };
    let tips = rampart_git::fetch_branches(repo, remote, &[&base], &creds)
        .map_err(|e| with_advice(e, remote))?;
    match tips.get(&base).copied().flatten() {
        Some(tip) => Ok((base, tip)),
        None => bail!(
            "{remote} has no branch `{base}`: push it first (`git push {remote} {base}`) or set delivery.baseBranch"
        ),
    }
}

fn with_advice(e: GitError, remote: &str) -> Error {
    let advice = advice(&e, remote);
    Error::Git(e).context(advice)
}

/// Renders the change onto the remote branch, pushes it and, for `pull-request`, opens or
/// updates its pull request. What happens is reported to `report`.
pub fn deliver(d: &Delivered<'_>, report: Reporter<'_>) -> Result<()> {
    let config = d.config;
    let remote = config.remote.as_deref().unwrap_or("origin");
    // Everything that can be checked locally is checked before the first network call.
    let creds = credentials(d.repo, config)?;
    let forge = match d.mode {
        DeliveryMode::PullRequest => Some(forge(config, creds.token.as_ref())?),
        _ => None,
    };
    let base = match &config.base_branch {
        Some(base) => base.clone(),
        None => rampart_git::current_branch(d.repo)?.ok_or_else(|| {
            invalid("HEAD is not on a branch: set delivery.baseBranch in rampart.yaml")
        })?,
    };
    let prefix = config.branch_prefix.as_deref().unwrap_or("rampart/");
    let named = match d.mode {
        DeliveryMode::Push => d.branch,
        _ => None,
    };
    if let Some(name) = named
        && !rampart_git::branch_name_is_valid(name)
    {
        return Err(invalid(format!(
            "--branch `{name}` is not a valid branch name"
        )));
    }
    let plain = named.filter(|name| !name.starts_with(prefix));
    let max_retries = config.max_retries.unwrap_or(3);
    let signer = match &config.signing {
        None => None,
        Some(s) => Some(match s.format {
            SigningFormat::Ssh => Signer::Ssh {
                key_file: config_path(d.repo, &s.key)?,
            },
            SigningFormat::Gpg => Signer::Gpg { key: s.key.clone() },
        }),
    };
    let wrap = |e: GitError| with_advice(e, remote);

    let mut tips = fetch(d, remote, &base, plain, &creds)?;
    let onto_name = format!("{remote}/{}", plain.unwrap_or(&base));
    let since = match (d.inputs_from, rampart_git::head_commit(d.repo)?) {
        (Some(from), _) => Some(from),
        (None, Some(head)) => rampart_git::merge_base(d.repo, head, tips.onto())?,
        (None, None) => None,
    };
    let delta = InputDelta::between(d.repo, since, d.local)?;
    let our_email = rampart_git::author_email(d.repo, d.author)?;
    // Named once, from the input change when there is one: the same change gets the same
    // branch (and pull request) however often it is rendered again.
    let mut target: Option<(Target, String)> = None;

    let mut attempt = 0;
    let (pushed, changes, rendered) = loop {
        let onto = tips.onto();
        let mut rendered = render_onto(
            d.repo,
            onto,
            &onto_name,
            &delta,
            d.blueprints,
            d.env,
            &mut *report,
        )?;
        let started = std::time::Instant::now();
        let changes =
            rampart_git::changes_against(d.repo, Some(onto), &rendered.files, &rendered.owned)
                .map_err(wrap)?;
        if changes.is_empty() {
            report(Event::NothingToDeliver { onto: &onto_name });
            return Ok(());
        }
        let (target, change_id) = target.get_or_insert_with(|| {
            let key = if delta.is_empty() {
                changes.clone()
            } else {
                delta.changes()
            };
            let change_id = match d.topic {
                Some(topic) => branch::topic_branch_name("", &base, topic),
                None => branch::branch_name("", &base, d.env, &key),
            };
            let target = match (plain, named) {
                (Some(name), _) => Target::Plain(name.to_owned()),
                (None, Some(name)) => Target::Rampart(name.to_owned()),
                (None, None) => Target::Rampart(format!("{prefix}{change_id}")),
            };
            (target, change_id)
        });
        let message = commit_message(&d.title.of(&changes), &changes, change_id);
        let commit = rampart_git::commit_onto(
            d.repo,
            &OntoRequest {
                base: Some(onto),
                changes: &changes,
                files: &rendered.files,
                message: &message,
                author: d.author,
                signer: signer.as_ref(),
            },
        )
        .map_err(wrap)?;
        tracing::info!(
            elapsed_ms = started.elapsed().as_millis() as u64,
            files = changes.len(),
            "commit built"
        );
        let Some(commit) = commit else {
            report(Event::NothingToDeliver { onto: &onto_name });
            return Ok(());
        };
        // Its blobs are in the object database now, so the render cache may point at them.
        rendered.store_cache();
        let started = std::time::Instant::now();
        let outcome = match &*target {
            Target::Rampart(branch) => push_branch(
                d,
                &RampartPush {
                    remote,
                    branch,
                    base_tip: tips.base,
                    commit,
                    our_email: &our_email,
                    change_id,
                    rendered: &rendered,
                },
                &creds,
            ),
            Target::Plain(branch) => rampart_git::push_commit(
                d.repo,
                &PushRequest {
                    remote,
                    commit,
                    branch,
                    expected: tips.target,
                    force: false,
                },
                &creds,
            )
            .map(|()| Pushed::Pushed {
                commit,
                previous: tips.target,
                over_other_run: false,
            }),
        };
        tracing::info!(elapsed_ms = started.elapsed().as_millis() as u64, "pushed");
        match outcome {
            Ok(pushed) => break (pushed, changes, rendered),
            Err(GitError::Remote(ref e)) if e.moved() && attempt < max_retries => {
                attempt += 1;
                report(Event::Retrying {
                    remote,
                    attempt,
                    max_retries,
                    lost: match e {
                        RemoteError::LostUpdate { commit, .. } => Some(*commit),
                        _ => None,
                    },
                });
                tips = fetch(d, remote, &base, plain, &creds)
                    .map_err(|e| e.context(format!("{remote}/{base} changed while delivering")))?;
            }
            Err(e) if matches!(&e, GitError::Remote(r) if r.moved()) => {
                let advice = advice(&e, remote);
                return Err(Error::Git(e).context(format!(
                    "gave up after {} attempt(s): {remote}/{} kept moving. {advice}",
                    attempt + 1,
                    target.branch(),
                )));
            }
            Err(e) => return Err(wrap(e)),
        }
    };
    let (target, _) = target.expect("named on the first attempt");
    let branch = target.branch();
    let (commit, previous) = match pushed {
        Pushed::Pushed {
            commit,
            previous,
            over_other_run,
        } => {
            if over_other_run && let Some(replaced) = previous {
                report(Event::ReplacedOtherRun {
                    replaced,
                    remote,
                    branch,
                });
            }
            report(Event::Pushed {
                commit,
                remote,
                branch,
                changes: changes.len(),
            });
            (commit, previous)
        }
        Pushed::AlreadyThere(commit) => {
            report(Event::AlreadyThere {
                commit,
                remote,
                branch,
            });
            (commit, Some(commit))
        }
    };
    if let Target::Plain(_) = target {
        report(Event::PushedPlain { remote, branch });
        return Ok(());
    }
    // Remembered so that the next run replaces the branch only if no one rewrote it.
    rampart_git::record_delivered(d.repo, remote, branch, commit)?;
    match rampart_git::update_local_branch(d.repo, branch, commit, previous)? {
        LocalBranch::Created | LocalBranch::Moved => {
            tracing::info!(branch, "local branch updated");
        }
        LocalBranch::Unchanged => {}
        LocalBranch::CheckedOut => report(Event::LocalBranchCheckedOut { remote, branch }),
        LocalBranch::Diverged { local } => report(Event::LocalBranchDiverged {
            remote,
            branch,
            local,
        }),
    }
    let Some(forge) = forge else {
        report(Event::PushedForMerge {
            branch,
            base: &base,
        });
        return Ok(());
    };
    let summary = d.title.of(&changes);
    let (title, body) =
        describe::pull_request_text(d.repo, &summary, branch, &changes, &rendered.files);
    let spec = rampart_forge::PullRequestSpec {
        head: branch,
        base: &base,
        title: &title,
        body: &body,
        labels: &config.labels,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the runtime for the forge API")?;
    let pr = runtime
        .block_on(forge.open_or_update(&spec))
        .with_context(|| {
            format!("pushed {branch}, but the pull request could not be opened or updated; run again to retry")
        })?;
    report(Event::PullRequest {
        opened: matches!(pr.action, rampart_forge::PullRequestAction::Opened),
        number: pr.number,
        url: &pr.url,
    });
    Ok(())
}

/// What the push of a Rampart branch did.
enum Pushed {
    /// The branch now points at this new commit; it was at `previous`, which was another
    /// Rampart run's delivery of the same change when `over_other_run`.
    Pushed {
        commit: Oid,
        previous: Option<Oid>,
        over_other_run: bool,
    },
    /// The branch already held the same change on the same base.
    AlreadyThere(Oid),
}

/// A commit to push to a Rampart branch.
struct RampartPush<'a> {
    remote: &'a str,
    branch: &'a str,
    /// The base branch's tip the commit is built on.
    base_tip: Oid,
    commit: Oid,
    our_email: &'a str,
    /// The change's id (the value of its [`TRAILER`]).
    change_id: &'a str,
    /// What the commit was built from: the files Rampart writes and the prefixes it owns.
    rendered: &'a Rendered,
}

/// Pushes `p.commit` to the Rampart branch `p.branch`: creates it, or replaces Rampart's
/// own earlier commit(s) there. Refuses a branch with anyone else's commits (by trailer,
/// author and committer), and one that is not at the commit this repository last pushed
/// there (when it pushed there before) unless it holds the same change already, or another
/// Rampart run's delivery of the same change (see [`other_runs_delivery`]).
fn push_branch(
    d: &Delivered<'_>,
    p: &RampartPush<'_>,
    creds: &Credentials,
) -> Result<Pushed, GitError> {
    let (remote, branch) = (p.remote, p.branch);
    let tips = rampart_git::fetch_branches(d.repo, remote, &[branch], creds)?;
    let current = tips.get(branch).copied().flatten();
    let mut over_other_run = false;
    if let Some(tip) = current {
        let foreign =
            rampart_git::foreign_commits(d.repo, tip, Some(p.base_tip), TRAILER, p.our_email)?;
        if !foreign.is_empty() {
            return Err(RemoteError::ForeignCommits {
                branch: branch.to_owned(),
                commits: foreign,
            }
            .into());
        }
        // The same change on the same base: whoever pushed it (this repository earlier, or
        // another clone or replica at the same moment), nothing is left to do.
        if rampart_git::first_parent(d.repo, tip)? == Some(p.base_tip)
            && rampart_git::same_tree(d.repo, tip, p.commit)?
        {
            return Ok(Pushed::AlreadyThere(tip));
        }
        if let Some(expected) = rampart_git::delivered_tip(d.repo, remote, branch)?
            && expected != tip
        {
            if !other_runs_delivery(d.repo, tip, p)? {
                return Err(RemoteError::BranchRewritten {
                    branch: branch.to_owned(),
                    expected,
                    found: tip,
                }
                .into());
            }
            over_other_run = true;
        }
    }
    rampart_git::push_commit(
        d.repo,
        &PushRequest {
            remote,
            commit: p.commit,
            branch,
            expected: current,
            force: current.is_some(),
        },
        creds,
    )?;
    Ok(Pushed::Pushed {
        commit: p.commit,
        previous: current,
        over_other_run,
    })
}

/// Whether `tip` (by Rampart's identity, with its trailer: checked before) is another
/// Rampart run's delivery of the same change — another clone or replica with the same
/// selection — rather than a person's edit under Rampart's identity: its trailer names
/// this change, and it changes only files Rampart renders or owns on its parent. Such a
/// commit is replaced like this repository's own: the change is rendered afresh onto the
/// base, from what the backends and the remote hold now.
fn other_runs_delivery(repo: &Path, tip: Oid, p: &RampartPush<'_>) -> Result<bool, GitError> {
    let message = rampart_git::commit_message(repo, tip)?;
    let ours = format!("{TRAILER}: {}", p.change_id);
    if !message.lines().any(|line| line.trim_end() == ours) {
        return Ok(false);
    }
    let parent = rampart_git::first_parent(repo, tip)?;
    let touched = rampart_git::changed_paths(repo, parent, tip)?;
    Ok(touched.iter().all(|path| {
        p.rendered.files.contains_key(path)
            || p.rendered
                .owned
                .iter()
                .any(|prefix| path.starts_with(prefix.as_str()))
    }))
}

/// The commit message: title, touched units, and the trailer that marks it as Rampart's.
fn commit_message(title: &str, changes: &[rampart_git::Change], change_id: &str) -> String {
    const LISTED: usize = 100;
    let units = branch::units(changes);
    let mut message = format!(
        "{title}\n\nGenerated by rampart {}.\n\n",
        env!("CARGO_PKG_VERSION")
    );
    for unit in units.iter().take(LISTED) {
        message.push_str(&format!("- {unit}\n"));
    }
    if units.len() > LISTED {
        message.push_str(&format!("- … and {} more\n", units.len() - LISTED));
    }
    message.push_str(&format!("\n{TRAILER}: {change_id}\n"));
    message
}

#[cfg(test)]
mod tests {
    use super::resolve_path;
    use std::path::{Path, PathBuf};

    #[test]
    fn home_paths_never_fall_back_to_the_repository() {
        let repo = Path::new("/srv/gitops");
        let home = Some(PathBuf::from("/home/ci"));
        assert_eq!(
            resolve_path(repo, "~/.ssh/known_hosts", home).unwrap(),
            Path::new("/home/ci/.ssh/known_hosts")
        );
        assert_eq!(
            resolve_path(repo, "keys/token", None).unwrap(),
            Path::new("/srv/gitops/keys/token")
        );
        for home in [None, Some(PathBuf::from("relative"))] {
            let err = resolve_path(repo, "~/.ssh/known_hosts", home).unwrap_err();
            assert!(err.to_string().contains("HOME is not set"), "{err}");
        }
    }
}
