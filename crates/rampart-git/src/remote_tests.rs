//! Pushing to real remotes on disk (bare repositories over `file://`, with server-side
//! hooks) and to a local HTTP server that refuses every credential.

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use git2::Oid;

use crate::remote_error::RemoteError;
use crate::test_files::files;
use crate::{
    Author, Change, CommitOutcome, CommitRequest, Credentials, GitError, OntoRequest, PushRequest,
    Secret, changes_against, commit_files, commit_onto, fetch_branches, foreign_commits,
    init_repository, push_commit,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

fn git(dir: &Path, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "Someone")
        .env("GIT_AUTHOR_EMAIL", "someone@example.com")
        .env("GIT_COMMITTER_NAME", "Someone")
        .env("GIT_COMMITTER_EMAIL", "someone@example.com")
        .output()?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn author() -> Author {
    Author {
        name: "Rampart".into(),
        email: "rampart@localhost".into(),
    }
}

/// A local repository with one commit on `main`, and a bare remote `origin` (file://)
/// that has it.
struct Setup {
    _tmp: tempfile::TempDir,
    local: PathBuf,
    bare: PathBuf,
    first: Oid,
}

fn setup() -> Result<Setup, Box<dyn std::error::Error>> {
    let tmp = tempfile::TempDir::new()?;
    let local = tmp.path().join("local");
    let bare = tmp.path().join("remote.git");
    init_repository(&local)?;
    let a = author();
    let outcome = commit_files(
        &local,
        &CommitRequest {
            branch: None,
            files: &files(&[("a.txt", "1\n")]),
            owned_prefixes: &[],
            message: "first".into(),
            author: Some(&a),
            read_at: None,
        },
    )?;
    let CommitOutcome::Committed { commit: first, .. } = outcome else {
        return Err("expected a commit".into());
    };
    git(
        tmp.path(),
        &["init", "--bare", "-q", "-b", "main", "remote.git"],
    )?;
    let url = format!("file://{}", bare.display());
    git(&local, &["remote", "add", "origin", &url])?;
    push_commit(
        &local,
        &PushRequest {
            remote: "origin",
            commit: first,
            branch: "main",
            expected: None,
            force: false,
        },
        &Credentials::default(),
    )?;
    Ok(Setup {
        _tmp: tmp,
        local,
        bare,
        first,
    })
}

/// A commit on `base` that sets `path` to `content`.
fn change_onto(local: &Path, base: Oid, path: &str, content: &str) -> Result<Oid, GitError> {
    let wanted = files(&[(path, content)]);
    let changes: Vec<Change> = changes_against(local, Some(base), &wanted, &[])?;
    let a = author();
    commit_onto(
        local,
        &OntoRequest {
            base: Some(base),
            changes: &changes,
            files: &wanted,
            message: "change\n\nRampart-Change: test\n",
            author: Some(&a),
            signer: None,
        },
    )?
    .ok_or(GitError::InvalidBranch {
        branch: "expected a commit".into(),
    })
}

fn refs(dir: &Path) -> Result<String, Box<dyn std::error::Error>> {
    git(dir, &["for-each-ref", "--format=%(refname) %(objectname)"])
}

#[test]
fn pushes_to_a_bare_remote_and_holds_the_lease() -> TestResult {
    let s = setup()?;
    assert_eq!(git(&s.bare, &["rev-parse", "main"])?, s.first.to_string());
    let second = change_onto(&s.local, s.first, "a.txt", "2\n")?;
    let push = |expected, commit| {
        push_commit(
            &s.local,
            &PushRequest {
                remote: "origin",
                commit,
                branch: "main",
                expected,
                force: false,
            },
            &Credentials::default(),
        )
    };
    push(Some(s.first), second)?;
    assert_eq!(git(&s.bare, &["rev-parse", "main"])?, second.to_string());
    assert_eq!(git(&s.bare, &["show", "main:a.txt"])?, "2");
    // A push that still believes the branch is at `first` is refused, even forced.
    let third = change_onto(&s.local, s.first, "a.txt", "3\n")?;
    let err = push_commit(
        &s.local,
        &PushRequest {
            remote: "origin",
            commit: third,
            branch: "main",
            expected: Some(s.first),
            force: true,
        },
        &Credentials::default(),
    )
    .err();
    assert!(
        matches!(err, Some(GitError::Remote(RemoteError::RemoteMoved { found: Some(f), .. })) if f == second),
        "{err:?}"
    );
    assert_eq!(git(&s.bare, &["rev-parse", "main"])?, second.to_string());
    // A new branch must not exist yet.
    let err = push(None, third).err();
    assert!(
        matches!(err, Some(GitError::Remote(RemoteError::RemoteMoved { expected: None, found: Some(f), .. })) if f == second),
        "{err:?}"
    );
    let err = push_commit(
        &s.local,
        &PushRequest {
            remote: "origin",
            commit: third,
            branch: "rampart/x",
            expected: Some(s.first),
            force: false,
        },
        &Credentials::default(),
    )
    .err();
    assert!(
        matches!(
            err,
            Some(GitError::Remote(RemoteError::RemoteMoved {
                found: None,
                ..
            }))
        ),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn a_remote_that_moved_after_the_fetch_is_detected_and_the_retry_succeeds() -> TestResult {
    let s = setup()?;
    let tips = fetch_branches(
        &s.local,
        "origin",
        &["main", "absent"],
        &Credentials::default(),
    )?;
    assert_eq!(tips["main"], Some(s.first));
    assert_eq!(tips["absent"], None);
    let ours = change_onto(&s.local, s.first, "ours.txt", "ours\n")?;

    // Someone else pushes from another clone in between.
    let other = s._tmp.path().join("other");
    git(
        s._tmp.path(),
        &[
            "clone",
            "-q",
            &format!("file://{}", s.bare.display()),
            "other",
        ],
    )?;
    std::fs::write(other.join("theirs.txt"), "theirs\n")?;
    git(&other, &["add", "."])?;
    git(&other, &["commit", "-q", "-m", "theirs"])?;
    git(&other, &["push", "-q", "origin", "main"])?;
    let theirs = git(&other, &["rev-parse", "HEAD"])?;

    let before = refs(&s.local)?;
    let request = PushRequest {
        remote: "origin",
        commit: ours,
        branch: "main",
        expected: Some(s.first),
        force: false,
    };
    let err = push_commit(&s.local, &request, &Credentials::default()).err();
    assert!(
        matches!(err, Some(GitError::Remote(RemoteError::RemoteMoved { .. }))),
        "{err:?}"
    );
    assert_eq!(git(&s.bare, &["rev-parse", "main"])?, theirs);
    assert_eq!(
        refs(&s.local)?,
        before,
        "a failed push changes no local ref"
    );

    // Fetch, re-apply onto the new head, push: both commits are on the remote.
    let tips = fetch_branches(&s.local, "origin", &["main"], &Credentials::default())?;
    let head = tips["main"].ok_or("main vanished")?;
    assert_eq!(head.to_string(), theirs);
    let retry = change_onto(&s.local, head, "ours.txt", "ours\n")?;
    push_commit(
        &s.local,
        &PushRequest {
            commit: retry,
            expected: Some(head),
            ..request
        },
        &Credentials::default(),
    )?;
    assert_eq!(git(&s.bare, &["show", "main:ours.txt"])?, "ours");
    assert_eq!(git(&s.bare, &["show", "main:theirs.txt"])?, "theirs");
    Ok(())
}

#[test]
fn a_push_to_a_path_remote_is_compared_under_the_lock_against_a_concurrent_git_push() -> TestResult
{
    let s = setup()?;
    // The remote as a plain path (the setup's is `file://`): both are on this machine.
    git(
        &s.local,
        &["remote", "set-url", "origin", &s.bare.display().to_string()],
    )?;
    // Another clone has a commit ready, and pushes it while ours is being received.
    let other = s._tmp.path().join("other");
    git(
        s._tmp.path(),
        &["clone", "-q", &s.bare.display().to_string(), "other"],
    )?;
    std::fs::write(other.join("theirs.txt"), "theirs\n")?;
    git(&other, &["add", "."])?;
    git(&other, &["commit", "-q", "-m", "theirs"])?;
    let theirs = git(&other, &["rev-parse", "HEAD"])?;
    let marker = s._tmp.path().join("raced");
    let hook = s.bare.join("hooks").join("pre-receive");
    std::fs::write(
        &hook,
        format!(
            "#!/bin/sh\n[ -e {marker} ] && exit 0\ntouch {marker}\nenv -i PATH=\"$PATH\" HOME=\"$HOME\" sh -c 'cd {other} && git push -q origin HEAD:main' >&2\nexit 0\n",
            marker = marker.display(),
            other = other.display(),
        ),
    )?;
    Command::new("chmod").arg("+x").arg(&hook).status()?;

    let ours = change_onto(&s.local, s.first, "ours.txt", "ours\n")?;
    let err = push_commit(
        &s.local,
        &PushRequest {
            remote: "origin",
            commit: ours,
            branch: "main",
            expected: Some(s.first),
            force: true,
        },
        &Credentials::default(),
    )
    .err();
    assert!(marker.exists(), "the remote's hook ran");
    assert!(
        matches!(err, Some(GitError::Remote(RemoteError::RemoteMoved { .. }))),
        "the lease must fail under the lock, not replace their commit: {err:?}"
    );
    assert_eq!(git(&s.bare, &["rev-parse", "main"])?, theirs, "theirs kept");
    Ok(())
}

/// `git daemon` serving the directory of `bare` with pushes enabled (unlike `file://`,
/// where libgit2 writes the objects itself, pushes through it run the server's hooks).
struct Daemon {
    child: std::process::Child,
    url: String,
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn daemon(bare: &Path) -> Result<Daemon, Box<dyn std::error::Error>> {
    let base = bare.parent().ok_or("no parent")?;
    let name = bare.file_name().ok_or("no name")?.to_string_lossy();
    let port = TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
    // The daemon binary itself, not `git daemon`, whose wrapper process would leave the
    // daemon running when killed.
    let exec_path = git(base, &["--exec-path"])?;
    let child = Command::new(Path::new(&exec_path).join("git-daemon"))
        .args(["--reuseaddr", "--listen=127.0.0.1", "--export-all"])
        .arg(format!("--port={port}"))
        .arg("--enable=receive-pack")
        .arg(format!("--base-path={}", base.display()))
        .arg(base)
        .spawn()?;
    let daemon = Daemon {
        child,
        url: format!("git://127.0.0.1:{port}/{name}"),
    };
    for _ in 0..200 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return Ok(daemon);
        }
        std::thread::sleep(std::time::Duration::from_millis(25));
    }
    Err("git daemon did not start".into())
}

#[test]
fn a_ref_rejected_by_a_pre_receive_hook_is_an_error_and_nothing_changes() -> TestResult {
    let s = setup()?;
    let served = daemon(&s.bare)?;
    git(&s.local, &["remote", "set-url", "origin", &served.url])?;
    let hook = s.bare.join("hooks").join("pre-receive");
    std::fs::write(
        &hook,
        "#!/bin/sh\necho 'policy: main is protected'\nexit 1\n",
    )?;
    Command::new("chmod").arg("+x").arg(&hook).status()?;
    let second = change_onto(&s.local, s.first, "a.txt", "2\n")?;
    let before = refs(&s.local)?;
    let err = push_commit(
        &s.local,
        &PushRequest {
            remote: "origin",
            commit: second,
            branch: "main",
            expected: Some(s.first),
            force: false,
        },
        &Credentials::default(),
    )
    .err();
    let Some(GitError::Remote(RemoteError::PushRejected {
        refname,
        reason,
        output,
    })) = &err
    else {
        panic!("expected a rejection, got {err:?}");
    };
    assert_eq!(refname, "refs/heads/main");
    assert!(reason.contains("pre-receive hook declined"), "{reason}");
    assert!(output.contains("policy: main is protected"), "{output}");
    let shown = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(shown.contains("policy: main is protected"), "{shown}");
    assert_eq!(git(&s.bare, &["rev-parse", "main"])?, s.first.to_string());
    assert_eq!(refs(&s.local)?, before);
    Ok(())
}

#[test]
fn commits_without_the_trailer_or_by_another_author_are_foreign() -> TestResult {
    let s = setup()?;
    let ours = change_onto(&s.local, s.first, "a.txt", "ours\n")?;
    assert!(
        foreign_commits(
            &s.local,
            ours,
            Some(s.first),
            "Rampart-Change",
            "rampart@localhost"
        )?
        .is_empty()
    );
    assert_eq!(
        foreign_commits(
            &s.local,
            ours,
            Some(s.first),
            "Rampart-Change",
            "other@example.com"
        )?,
        vec![ours]
    );
    // A hand-made commit on top: no trailer.
    git(
        &s.local,
        &["update-ref", "refs/heads/rampart/t", &ours.to_string()],
    )?;
    git(&s.local, &["checkout", "-q", "rampart/t"])?;
    // Amended by someone else: author and trailer kept, the committer is theirs.
    git(&s.local, &["commit", "-q", "--amend", "--no-edit"])?;
    let amended = Oid::from_str(&git(&s.local, &["rev-parse", "HEAD"])?)?;
    assert_eq!(
        git(&s.local, &["log", "-1", "--format=%ae", "HEAD"])?,
        "rampart@localhost"
    );
    assert_eq!(
        foreign_commits(
            &s.local,
            amended,
            Some(s.first),
            "Rampart-Change",
            "rampart@localhost"
        )?,
        vec![amended]
    );
    git(&s.local, &["reset", "-q", "--hard", &ours.to_string()])?;
    std::fs::write(s.local.join("b.txt"), "hand\n")?;
    git(&s.local, &["add", "b.txt"])?;
    git(&s.local, &["commit", "-q", "-m", "hand edit"])?;
    let tip = Oid::from_str(&git(&s.local, &["rev-parse", "HEAD"])?)?;
    assert_eq!(
        foreign_commits(
            &s.local,
            tip,
            Some(s.first),
            "Rampart-Change",
            "rampart@localhost"
        )?,
        vec![tip]
    );
    Ok(())
}

#[test]
fn re_applying_onto_a_base_that_changed_the_same_file_is_a_conflict() -> TestResult {
    let s = setup()?;
    let wanted = files(&[("a.txt", "ours\n")]);
    let changes = changes_against(&s.local, Some(s.first), &wanted, &[])?;
    let theirs = change_onto(&s.local, s.first, "a.txt", "theirs\n")?;
    let err = commit_onto(
        &s.local,
        &OntoRequest {
            base: Some(theirs),
            changes: &changes,
            files: &wanted,
            message: "m",
            author: None,
            signer: None,
        },
    )
    .err();
    assert!(
        matches!(&err, Some(GitError::Conflict { path, .. }) if path == "a.txt"),
        "{err:?}"
    );
    // A base that already holds the change needs no commit.
    let same = change_onto(&s.local, s.first, "a.txt", "ours\n")?;
    let none = commit_onto(
        &s.local,
        &OntoRequest {
            base: Some(same),
            changes: &changes,
            files: &wanted,
            message: "m",
            author: None,
            signer: None,
        },
    )?;
    assert_eq!(none, None);
    Ok(())
}

#[test]
fn commit_onto_runs_the_secret_guard() -> TestResult {
    let s = setup()?;
    let wanted = files(&[(
        "secret.yaml",
        "apiVersion: v1\nkind: Secret\nmetadata: {name: x}\nstringData: {password: hunter2}\n",
    )]);
    let changes = changes_against(&s.local, Some(s.first), &wanted, &[])?;
    let err = commit_onto(
        &s.local,
        &OntoRequest {
            base: Some(s.first),
            changes: &changes,
            files: &wanted,
            message: "m",
            author: None,
            signer: None,
        },
    )
    .err();
    assert!(
        matches!(err, Some(GitError::SecretsFound { .. })),
        "{err:?}"
    );
    Ok(())
}

/// An HTTP server that answers every request with 401; returns its URL and a request count.
fn refusing_server() -> Result<(String, Arc<AtomicUsize>), std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let url = format!("http://{}/org/repo.git", listener.local_addr()?);
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::clone(&count);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            seen.fetch_add(1, Ordering::SeqCst);
            let mut reader = BufReader::new(match stream.try_clone() {
                Ok(s) => s,
                Err(_) => return,
            });
            let mut line = String::new();
            while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
                if line == "\r\n" {
                    break;
                }
                line.clear();
            }
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    Ok((url, count))
}

#[test]
fn refused_credentials_over_http_fail_fast_and_bounded() -> TestResult {
    let s = setup()?;
    let (url, count) = refusing_server()?;
    git(&s.local, &["remote", "add", "forge", &url])?;
    let creds = Credentials {
        token: Some(Secret::new("not-a-valid-token".into())),
        ..Credentials::default()
    };
    let request = PushRequest {
        remote: "forge",
        commit: s.first,
        branch: "main",
        expected: None,
        force: false,
    };
    let err = push_commit(&s.local, &request, &creds).err();
    let Some(GitError::Remote(RemoteError::Authentication { url: shown, reason })) = &err else {
        panic!("expected an authentication error, got {err:?}");
    };
    assert_eq!(shown, &url);
    assert!(reason.contains("token was refused"), "{reason}");
    let message = err.as_ref().map(ToString::to_string).unwrap_or_default();
    assert!(!message.contains("not-a-valid-token"), "{message}");
    let requests = count.load(Ordering::SeqCst);
    assert!((1..=4).contains(&requests), "{requests} requests");

    // With a push URL, the push goes there, and messages name it.
    git(
        &s.local,
        &["remote", "add", "split", "file:///nonexistent/fetch.git"],
    )?;
    git(&s.local, &["remote", "set-url", "--push", "split", &url])?;
    let err = push_commit(
        &s.local,
        &PushRequest {
            remote: "split",
            ..request
        },
        &creds,
    )
    .err();
    assert!(
        matches!(&err, Some(GitError::Remote(RemoteError::Authentication { url: shown, .. })) if shown == &url),
        "{err:?}"
    );

    // Without a token there is nothing to offer: one request, and a hint.
    let before = count.load(Ordering::SeqCst);
    let err = fetch_branches(&s.local, "forge", &["main"], &Credentials::default()).err();
    assert!(
        matches!(&err, Some(GitError::Remote(RemoteError::Authentication { reason, .. })) if reason.contains("no token")),
        "{err:?}"
    );
    assert!(count.load(Ordering::SeqCst) - before <= 2);
    Ok(())
}

#[test]
fn an_unknown_remote_is_a_clear_error() -> TestResult {
    let s = setup()?;
    let err = fetch_branches(&s.local, "upstream", &["main"], &Credentials::default()).err();
    assert!(
        matches!(&err, Some(GitError::Remote(RemoteError::RemoteConfig { remote, reason })) if remote == "upstream" && reason.contains("git remote add")),
        "{err:?}"
    );
    Ok(())
}

#[test]
fn commits_are_signed_with_an_ssh_key_that_git_verifies() -> TestResult {
    let s = setup()?;
    let key = s._tmp.path().join("id_ed25519");
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rampart", "-f"])
        .arg(&key)
        .status()?;
    assert!(status.success());
    let public = std::fs::read_to_string(key.with_extension("pub"))?;
    let allowed = s._tmp.path().join("allowed_signers");
    std::fs::write(
        &allowed,
        format!("rampart@localhost namespaces=\"git\" {public}"),
    )?;
    let wanted = files(&[("a.txt", "signed\n")]);
    let changes = changes_against(&s.local, Some(s.first), &wanted, &[])?;
    let a = author();
    let signer = crate::Signer::Ssh {
        key_file: key.clone(),
    };
    let request = OntoRequest {
        base: Some(s.first),
        changes: &changes,
        files: &wanted,
        message: "signed\n",
        author: Some(&a),
        signer: Some(&signer),
    };
    let commit = commit_onto(&s.local, &request)?.ok_or("no commit")?;
    let allowed_config = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    let verified = git(
        &s.local,
        &[
            "-c",
            "gpg.format=ssh",
            "-c",
            &allowed_config,
            "verify-commit",
            &commit.to_string(),
        ],
    );
    assert!(verified.is_ok(), "{verified:?}");
    assert_eq!(
        git(&s.local, &["show", &format!("{commit}:a.txt")])?,
        "signed"
    );

    let missing = crate::Signer::Ssh {
        key_file: s._tmp.path().join("no-such-key"),
    };
    let err = commit_onto(
        &s.local,
        &OntoRequest {
            signer: Some(&missing),
            ..request
        },
    )
    .err();
    assert!(
        matches!(
            err,
            Some(GitError::Signing {
                program: "ssh-keygen",
                ..
            })
        ),
        "{err:?}"
    );
    Ok(())
}
