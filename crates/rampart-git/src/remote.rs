//! Fetching branches from and pushing commits to a remote, with bounded credentials,
//! host-key checking, an explicit lease on the remote branch and per-reference status.

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::path::Path;

use git2::{Direction, FetchOptions, Oid, PushOptions, Remote, RemoteCallbacks, Repository};

use crate::GitError;
use crate::credentials::{AuthState, Credentials};
use crate::push_request::{PushRequest, clean_output, is_stale};
use crate::remote_error::RemoteError;
use crate::repo::open;

/// At most this much of what the server prints (hook output) is kept for an error.
const SERVER_OUTPUT_LIMIT: usize = 4096;

/// `url` without user information (which may hold a password or token).
pub fn redact_url(url: &str) -> String {
    match url.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let host = authority
                .rsplit_once('@')
                .map_or(authority, |(_, host)| host);
            format!("{scheme}://{host}{path}")
        }
        None => url.to_owned(), // scp-like `git@host:path`: the user is not a secret
    }
}

fn find_remote<'r>(repo: &'r Repository, name: &str) -> Result<Remote<'r>, GitError> {
    let remote = repo
        .find_remote(name)
        .map_err(|e| RemoteError::RemoteConfig {
            remote: name.to_owned(),
            reason: format!("{} (add it with `git remote add {name} URL`)", e.message()),
        })?;
    Ok(remote)
}

/// Clones `url` into `dir` (missing or empty) with its default branch checked out and the
/// remote named `origin`: the checkout a service keeps in its work directory.
pub fn clone_repository(url: &str, dir: &Path, creds: &Credentials) -> Result<(), GitError> {
    let state = RefCell::new(AuthState::default());
    let mut options = FetchOptions::new();
    options.remote_callbacks(auth_callbacks(creds, &state, url));
    let cloned = git2::build::RepoBuilder::new()
        .fetch_options(options)
        .clone(url, dir);
    cloned.map_err(|source| transport_error("clone", url, &state, source))?;
    Ok(())
}

/// Whether the repository at `repo_dir` has a remote called `name`.
pub fn has_remote(repo_dir: &Path, name: &str) -> Result<bool, GitError> {
    Ok(open(repo_dir)?.find_remote(name).is_ok())
}

/// Where the remote-tracking branch `refs/remotes/<remote>/<branch>` points: the remote's
/// branch as last fetched (or pushed), without asking the remote; `None` if never fetched.
pub fn tracking_tip(repo_dir: &Path, remote: &str, branch: &str) -> Result<Option<Oid>, GitError> {
    crate::commit::commit_of(&open(repo_dir)?, &format!("refs/remotes/{remote}/{branch}"))
}

/// `[host]:port` for an SSH URL on another port than 22, else `host`: how known_hosts
/// names it.
fn known_hosts_name(url: &str, host: &str) -> String {
    let port = url
        .strip_prefix("ssh://")
        .and_then(|rest| rest.split('/').next())
        .map(|authority| authority.rsplit_once('@').map_or(authority, |(_, h)| h))
        .and_then(|authority| authority.rsplit_once(':'))
        .map(|(_, port)| port.to_owned());
    match port {
        Some(port) if port != "22" => format!("[{host}]:{port}"),
        _ => host.to_owned(),
    }
}

/// Callbacks shared by fetch and push: credentials and host keys.
fn auth_callbacks<'a>(
    creds: &'a Credentials,
    state: &'a RefCell<AuthState>,
    url: &'a str,
) -> RemoteCallbacks<'a> {
    let mut callbacks = RemoteCallbacks::new();
    callbacks.credentials(move |_url, username, allowed| creds.answer(state, username, allowed));
    callbacks.certificate_check(move |cert, host| {
        creds.check_certificate(state, cert, &known_hosts_name(url, host))
    });
    callbacks
}

/// The error for a failed transport operation: authentication and host-key failures
/// recorded by the callbacks take precedence over libgit2's generic message.
fn transport_error(
    action: &'static str,
    url: &str,
    state: &RefCell<AuthState>,
    source: git2::Error,
) -> RemoteError {
    let mut state = state.borrow_mut();
    if let Some((host, reason)) = state.host_key.take() {
        return RemoteError::HostKey { host, reason };
    }
    if let Some(reason) = state.failure.take() {
        return RemoteError::Authentication {
            url: redact_url(url),
            reason,
        };
    }
    if source.class() == git2::ErrorClass::Http && source.message().contains("401") {
        return RemoteError::Authentication {
            url: redact_url(url),
            reason: source.message().to_owned(),
        };
    }
    RemoteError::Transport {
        action,
        url: redact_url(url),
        source,
    }
}

/// Fetches `branches` of `remote` into `refs/remotes/<remote>/<branch>` and returns each
/// one's tip on the remote (`None`: the remote has no such branch; a stale tracking
/// reference of it is deleted).
pub fn fetch_branches(
    repo_dir: &Path,
    remote: &str,
    branches: &[&str],
    creds: &Credentials,
) -> Result<BTreeMap<String, Option<Oid>>, GitError> {
    let repo = open(repo_dir)?;
    let mut found = find_remote(&repo, remote)?;
    let url = found.url().unwrap_or_default().to_owned();
    // Listing and fetching are two connections (libgit2 forgets the credentials when a
    // connection closes, and SSH starts a new session), so each gets its own state: the
    // token or key is offered once per connection, and a second request within one
    // connection means it was refused.
    let state = RefCell::new(AuthState::default());
    let fail = |source| transport_error("fetch from", &url, &state, source);

    let advertised: BTreeMap<String, Oid> = {
        let callbacks = auth_callbacks(creds, &state, &url);
        let connection = found
            .connect_auth(Direction::Fetch, Some(callbacks), None)
            .map_err(fail)?;
        let heads = connection.list().map_err(fail)?;
        heads
            .iter()
            .filter_map(|head| {
                let name = head.name().strip_prefix("refs/heads/")?;
                Some((name.to_owned(), head.oid()))
            })
            .collect()
    };
    let mut tips = BTreeMap::new();
    let mut refspecs = Vec::new();
    for branch in branches {
        let tip = advertised.get(*branch).copied();
        let tracking = format!("refs/remotes/{remote}/{branch}");
        match tip {
            Some(_) => refspecs.push(format!("+refs/heads/{branch}:{tracking}")),
            None => {
                if let Ok(mut stale) = repo.find_reference(&tracking) {
                    stale.delete().map_err(|source| GitError::UpdateRef {
                        refname: tracking.clone(),
                        source,
                    })?;
                }
            }
        }
        tips.insert((*branch).to_owned(), tip);
    }
    if !refspecs.is_empty() {
        let fetch_state = RefCell::new(AuthState::default());
        let mut options = FetchOptions::new();
        options.remote_callbacks(auth_callbacks(creds, &fetch_state, &url));
        options.download_tags(git2::AutotagOption::None);
        let fetched = found.fetch(&refspecs, Some(&mut options), Some("rampart: fetch"));
        drop(options);
        fetched.map_err(|source| transport_error("fetch from", &url, &fetch_state, source))?;
    }
    // The fetch may have brought newer tips than the listing: report what was fetched.
    for (branch, tip) in tips.iter_mut() {
        if tip.is_some() {
            let tracking = format!("refs/remotes/{remote}/{branch}");
            *tip = Some(
                repo.refname_to_id(&tracking)
                    .map_err(|source| GitError::ReadRef {
                        refname: tracking,
                        source,
                    })?,
            );
        }
    }
    Ok(tips)
}

/// What the push callbacks observed.
#[derive(Default)]
struct PushState {
    /// The server's status per remote reference: `None` accepted, `Some(reason)` rejected.
    statuses: Vec<(String, Option<String>)>,
    /// Where the remote branch was when the push started, if the lease did not hold.
    moved: Option<Option<Oid>>,
    /// What the server printed (hook output), bounded.
    output: String,
}

/// Pushes `req.commit` to `req.branch` on `req.remote`, only if the remote branch is at
/// `req.expected`, then proves it: the remote branch is at the commit pushed (or at a
/// commit built on it), and the update replaced `req.expected`.
///
/// The update is a compare-and-swap on the server: over the network the server compares
/// the old value the push sends (the lease); a remote on this machine (a path or
/// `file://` URL) is pushed through `git push`, whose `receive-pack` does the same under
/// the reference's lock (libgit2 would write the reference without comparing).
///
/// Errors: [`RemoteError::RemoteMoved`] when the lease does not hold or the update is not a
/// fast-forward (fetch and try again), [`RemoteError::LostUpdate`] when the remote no longer
/// holds the commit right after the push (fetch and try again),
/// [`RemoteError::PushRejected`] when the server refuses the reference for another reason
/// (e.g. a `pre-receive` hook; git2's push itself reports success then),
/// [`RemoteError::Authentication`] / [`RemoteError::HostKey`] / [`RemoteError::Transport`] /
/// [`RemoteError::LocalPush`] when the connection fails. Local branches are not touched.
pub fn push_commit(
    repo_dir: &Path,
    req: &PushRequest<'_>,
    creds: &Credentials,
) -> Result<(), GitError> {
    if !git2::Branch::name_is_valid(req.branch).unwrap_or(false) {
        return Err(GitError::InvalidBranch {
            branch: req.branch.to_owned(),
        });
    }
    let refname = format!("refs/heads/{}", req.branch);
    let repo = open(repo_dir)?;
    let mut remote = find_remote(&repo, req.remote)?;
    // libgit2 pushes to `remote.<name>.pushurl` when it is set: name that host.
    let url =
        String::from_utf8_lossy(remote.pushurl_bytes().unwrap_or(remote.url_bytes())).into_owned();
    match crate::receive_pack::local_path(&url) {
        Some(path) => {
            // Checked first to name where the branch is; `receive-pack` checks it again
            // under the lock.
            let found = listed_tip(&mut remote, &url, &refname, creds)?;
            if found != req.expected {
                return Err(RemoteError::RemoteMoved {
                    refname,
                    expected: req.expected,
                    found,
                }
                .into());
            }
            crate::receive_pack::push(&repo, &path, req, &refname)?;
        }
        None => push_over_network(&mut remote, &url, req, &refname, creds)?,
    }
    verify_pushed(&repo, repo_dir, req, &refname, creds)
}

/// Where the remote's `refname` is, as it lists it now (`None`: absent).
fn listed_tip(
    remote: &mut Remote<'_>,
    url: &str,
    refname: &str,
    creds: &Credentials,
) -> Result<Option<Oid>, GitError> {
    let state = RefCell::new(AuthState::default());
    let fail = |source| transport_error("push to", url, &state, source);
    let callbacks = auth_callbacks(creds, &state, url);
    let connection = remote
        .connect_auth(Direction::Push, Some(callbacks), None)
        .map_err(fail)?;
    let heads = connection.list().map_err(fail)?;
    Ok(heads
        .iter()
        .find(|head| head.name() == refname)
        .map(|head| head.oid()))
}

/// Proves a push went through: the remote branch, fetched again, is at the commit pushed
/// or at a commit built on it (someone may have pushed on top since); else the update was
/// lost ([`RemoteError::LostUpdate`]).
fn verify_pushed(
    repo: &Repository,
    repo_dir: &Path,
    req: &PushRequest<'_>,
    refname: &str,
    creds: &Credentials,
) -> Result<(), GitError> {
    let tips = fetch_branches(repo_dir, req.remote, &[req.branch], creds)?;
    let found = tips.get(req.branch).copied().flatten();
    let contains = found.is_some_and(|tip| {
        tip == req.commit || repo.graph_descendant_of(tip, req.commit).unwrap_or(false)
    });
    if contains {
        return Ok(());
    }
    Err(RemoteError::LostUpdate {
        refname: refname.to_owned(),
        commit: req.commit,
        found,
    }
    .into())
}

/// Pushes over libgit2's smart transports (SSH, HTTPS, git://), where the server compares
/// the old value sent with the update.
fn push_over_network(
    remote: &mut Remote<'_>,
    url: &str,
    req: &PushRequest<'_>,
    refname: &str,
    creds: &Credentials,
) -> Result<(), GitError> {
    let refname = refname.to_owned();
    let state = RefCell::new(AuthState::default());
    let push_state = RefCell::new(PushState::default());
    let expected = req.expected;
    let result = {
        let mut callbacks = auth_callbacks(creds, &state, url);
        callbacks.push_negotiation(|updates| {
            for update in updates {
                let found = (!update.src().is_zero()).then(|| update.src());
                if found != expected {
                    push_state.borrow_mut().moved = Some(found);
                    return Err(git2::Error::from_str(
                        "the remote branch is not where rampart expected it",
                    ));
                }
            }
            Ok(())
        });
        callbacks.push_update_reference(|name, status| {
            push_state
                .borrow_mut()
                .statuses
                .push((name.to_owned(), status.map(str::to_owned)));
            Ok(())
        });
        callbacks.sideband_progress(|bytes| {
            let mut st = push_state.borrow_mut();
            let room = SERVER_OUTPUT_LIMIT.saturating_sub(st.output.len());
            let text = String::from_utf8_lossy(&bytes[..bytes.len().min(room)]).into_owned();
            st.output.push_str(&text);
            true
        });
        let mut options = PushOptions::new();
        options.remote_callbacks(callbacks);
        let force = if req.force { "+" } else { "" };
        let refspec = format!("{force}{}:{refname}", req.commit);
        remote.push(&[refspec.as_str()], Some(&mut options))
    };
    let push_state = push_state.into_inner();
    if let Some(found) = push_state.moved {
        return Err(RemoteError::RemoteMoved {
            refname,
            expected,
            found,
        }
        .into());
    }
    if let Err(source) = result {
        if source.code() == git2::ErrorCode::NotFastForward {
            return Err(RemoteError::RemoteMoved {
                refname,
                expected,
                found: None,
            }
            .into());
        }
        return Err(transport_error("push to", url, &state, source).into());
    }
    let status = push_state
        .statuses
        .iter()
        .find(|(name, _)| *name == refname)
        .map(|(_, status)| status.clone());
    match status {
        Some(None) => Ok(()),
        Some(Some(reason)) if is_stale(&reason) => Err(RemoteError::RemoteMoved {
            refname,
            expected,
            found: None,
        }
        .into()),
        Some(Some(reason)) => Err(RemoteError::PushRejected {
            refname,
            reason,
            output: clean_output(&push_state.output),
        }
        .into()),
        None => Err(RemoteError::PushRejected {
            refname,
            reason: "the server reported no status for the reference".to_owned(),
            output: clean_output(&push_state.output),
        }
        .into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_user_information() {
        assert_eq!(
            redact_url("https://user:s3cret@git.example/org/repo.git"),
            "https://git.example/org/repo.git"
        );
        assert_eq!(redact_url("https://git.example/r"), "https://git.example/r");
        assert_eq!(
            redact_url("git@git.example:org/r.git"),
            "git@git.example:org/r.git"
        );
        assert_eq!(redact_url("file:///tmp/r.git"), "file:///tmp/r.git");
    }

    #[test]
    fn known_hosts_names_carry_a_non_default_port() {
        assert_eq!(
            known_hosts_name("ssh://git@h.example:2222/r", "h.example"),
            "[h.example]:2222"
        );
        assert_eq!(
            known_hosts_name("ssh://git@h.example:22/r", "h.example"),
            "h.example"
        );
        assert_eq!(
            known_hosts_name("git@h.example:org/r", "h.example"),
            "h.example"
        );
    }

    #[test]
    fn stale_rejections_are_told_from_refusals() {
        assert!(is_stale("failed to update ref"));
        assert!(is_stale("non-fast-forward"));
        assert!(is_stale("fetch first"));
        assert!(is_stale(
            "failed to write reference 'refs/heads/rampart/x': a reference with that name already exists"
        ));
        assert!(!is_stale("pre-receive hook declined"));
        assert!(!is_stale("protected branch hook declined"));
    }
}
