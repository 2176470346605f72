//! Fetching from and pushing to a smart-HTTP remote that requires Basic authentication
//! on every request: `git http-backend` behind a small HTTP server run by the test.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use git2::Oid;

use crate::remote_error::RemoteError;
use crate::{
    Author, CommitOutcome, CommitRequest, Credentials, FileSet, GitError, OntoRequest, PushRequest,
    Secret, changes_against, commit_files, commit_onto, fetch_branches, init_repository,
    push_commit,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const USER: &str = "x-access-token";
const TOKEN: &str = "right-token-1234";

/// What the server saw: connections, and requests refused for missing or wrong credentials.
#[derive(Default)]
struct Counts {
    connections: AtomicUsize,
    refused: AtomicUsize,
}

/// Serves the bare repositories under `root` over smart HTTP; every request must carry
/// `Authorization: Basic` with [`USER`] and [`TOKEN`]; each response closes the
/// connection, so every request is a new connection.
fn authenticated_server(root: PathBuf) -> Result<(String, Arc<Counts>), std::io::Error> {
    let listener = TcpListener::bind("127.0.0.1:0")?;
    let base = format!("http://{}", listener.local_addr()?);
    let counts = Arc::new(Counts::default());
    let seen = Arc::clone(&counts);
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{TOKEN}"))
    );
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { return };
            seen.connections.fetch_add(1, Ordering::SeqCst);
            // An error means the client gave up on this connection; serve the next one.
            let _ = serve(stream, &root, &expected, &seen);
        }
    });
    Ok((base, counts))
}

fn serve(
    mut stream: TcpStream,
    root: &Path,
    expected: &str,
    counts: &Counts,
) -> Result<(), Box<dyn std::error::Error>> {
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or_default().to_owned();
    let target = parts.next().unwrap_or_default().to_owned();
    let mut headers = Vec::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line)? == 0 || line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.trim_end().split_once(':') {
            headers.push((name.to_ascii_lowercase(), value.trim().to_owned()));
        }
    }
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };
    let mut body = Vec::new();
    if header("transfer-encoding").is_some_and(|v| v.eq_ignore_ascii_case("chunked")) {
        loop {
            let mut size = String::new();
            reader.read_line(&mut size)?;
            let size = usize::from_str_radix(size.trim(), 16)?;
            let mut chunk = vec![0; size + 2];
            reader.read_exact(&mut chunk)?;
            if size == 0 {
                break;
            }
            body.extend_from_slice(&chunk[..size]);
        }
    } else if let Some(length) = header("content-length") {
        body.resize(length.parse()?, 0);
        reader.read_exact(&mut body)?;
    }
    if header("authorization").as_deref() != Some(expected) {
        counts.refused.fetch_add(1, Ordering::SeqCst);
        stream.write_all(
            b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    let (path, query) = target.split_once('?').unwrap_or((&target, ""));
    let mut cgi = Command::new("git")
        .arg("http-backend")
        .env("GIT_PROJECT_ROOT", root)
        .env("GIT_HTTP_EXPORT_ALL", "1")
        .env("REQUEST_METHOD", &method)
        .env("PATH_INFO", path)
        .env("QUERY_STRING", query)
        .env("CONTENT_TYPE", header("content-type").unwrap_or_default())
        .env("CONTENT_LENGTH", body.len().to_string())
        .env("REMOTE_USER", USER)
        .env("REMOTE_ADDR", "127.0.0.1")
        .env("GIT_PROTOCOL", header("git-protocol").unwrap_or_default())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()?;
    cgi.stdin.take().ok_or("no stdin")?.write_all(&body)?;
    let output = cgi.wait_with_output()?;
    let split = output
        .stdout
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map(|i| (i, 4))
        .or_else(|| {
            output
                .stdout
                .windows(2)
                .position(|w| w == b"\n\n")
                .map(|i| (i, 2))
        })
        .ok_or("no CGI header")?;
    let cgi_headers = String::from_utf8_lossy(&output.stdout[..split.0]).into_owned();
    let cgi_body = &output.stdout[split.0 + split.1..];
    let mut status = "200 OK".to_owned();
    let mut response = Vec::new();
    for line in cgi_headers.lines() {
        match line.split_once(':') {
            Some((name, value)) if name.eq_ignore_ascii_case("status") => {
                status = value.trim().to_owned();
            }
            _ => response.extend_from_slice(format!("{line}\r\n").as_bytes()),
        }
    }
    let mut head = format!("HTTP/1.1 {status}\r\n").into_bytes();
    head.extend_from_slice(&response);
    head.extend_from_slice(
        format!(
            "Content-Length: {}\r\nConnection: close\r\n\r\n",
            cgi_body.len()
        )
        .as_bytes(),
    );
    stream.write_all(&head)?;
    stream.write_all(cgi_body)?;
    Ok(())
}

fn git(dir: &Path, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("git").args(args).current_dir(dir).output()?;
    if !out.status.success() {
        return Err(format!("git {args:?}: {}", String::from_utf8_lossy(&out.stderr)).into());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

fn commit(
    local: &Path,
    base: Option<Oid>,
    content: &str,
) -> Result<Oid, Box<dyn std::error::Error>> {
    let author = Author {
        name: "Rampart".into(),
        email: "rampart@localhost".into(),
    };
    let wanted: FileSet = [("a.txt".to_owned(), content.as_bytes().to_vec())]
        .into_iter()
        .collect();
    let changes = changes_against(local, base, &wanted, &[])?;
    let request = OntoRequest {
        base,
        changes: &changes,
        files: &wanted,
        message: "change\n",
        author: Some(&author),
        signer: None,
    };
    Ok(commit_onto(local, &request)?.ok_or("no commit")?)
}

#[test]
fn fetch_and_push_over_authenticated_smart_http_offer_the_token_per_connection() -> TestResult {
    let tmp = tempfile::TempDir::new()?;
    let local = tmp.path().join("local");
    init_repository(&local)?;
    let first = match commit_files(
        &local,
        &CommitRequest {
            branch: None,
            files: &[("a.txt".to_owned(), b"1\n".to_vec())]
                .into_iter()
                .collect(),
            owned_prefixes: &[],
            message: "first".into(),
            author: None,
            read_at: None,
        },
    )? {
        CommitOutcome::Committed { commit, .. } => commit,
        other => return Err(format!("expected a commit, got {other:?}").into()),
    };
    let root = tmp.path().join("served");
    std::fs::create_dir(&root)?;
    git(&root, &["init", "--bare", "-q", "-b", "main", "remote.git"])?;
    git(
        &local,
        &[
            "push",
            "-q",
            &root.join("remote.git").display().to_string(),
            &format!("{first}:refs/heads/main"),
        ],
    )?;
    let (base, counts) = authenticated_server(root.clone())?;
    git(
        &local,
        &["remote", "add", "origin", &format!("{base}/remote.git")],
    )?;

    let right = Credentials {
        token: Some(Secret::new(TOKEN.into())),
        ..Credentials::default()
    };
    let tips = fetch_branches(&local, "origin", &["main", "absent"], &right)?;
    assert_eq!(tips["main"], Some(first));
    assert_eq!(tips["absent"], None);
    assert!(
        counts.connections.load(Ordering::SeqCst) >= 2,
        "listing and fetching are separate connections"
    );

    let second = commit(&local, Some(first), "2\n")?;
    push_commit(
        &local,
        &PushRequest {
            remote: "origin",
            commit: second,
            branch: "main",
            expected: Some(first),
            force: false,
        },
        &right,
    )?;
    assert_eq!(
        git(&root.join("remote.git"), &["rev-parse", "main"])?,
        second.to_string()
    );
    let tips = fetch_branches(&local, "origin", &["main"], &right)?;
    assert_eq!(tips["main"], Some(second));

    // A wrong token fails with an authentication error, after a bounded number of tries.
    let wrong = Credentials {
        token: Some(Secret::new("wrong-token-5678".into())),
        ..Credentials::default()
    };
    let before = counts.refused.load(Ordering::SeqCst);
    let err = fetch_branches(&local, "origin", &["main"], &wrong).err();
    assert!(
        matches!(&err, Some(GitError::Remote(RemoteError::Authentication { reason, .. })) if reason.contains("token was refused")),
        "{err:?}"
    );
    let third = commit(&local, Some(second), "3\n")?;
    let err = push_commit(
        &local,
        &PushRequest {
            remote: "origin",
            commit: third,
            branch: "main",
            expected: Some(second),
            force: false,
        },
        &wrong,
    )
    .err();
    assert!(
        matches!(
            &err,
            Some(GitError::Remote(RemoteError::Authentication { .. }))
        ),
        "{err:?}"
    );
    let shown = err.map(|e| e.to_string()).unwrap_or_default();
    assert!(!shown.contains("wrong-token"), "{shown}");
    let refused = counts.refused.load(Ordering::SeqCst) - before;
    assert!((2..=8).contains(&refused), "{refused} refused requests");
    assert_eq!(
        git(&root.join("remote.git"), &["rev-parse", "main"])?,
        second.to_string()
    );
    Ok(())
}
