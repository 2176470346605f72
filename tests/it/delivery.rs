//! GitOps delivery end to end: `render`/`new` with `--push` and `--pr` against real Git
//! remotes on disk (bare repositories over `file://`, and through `git daemon` where pushes
//! race: a server's compare-and-swap) and a GitHub API mocked with wiremock.

use crate::support::{Repo, State, git, rampart_bin};
use rampart_testkit::GitDaemon;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::Command;
use tempfile::TempDir;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

pub(crate) const TOKEN_VAR: &str = "RAMPART_IT_FORGE_TOKEN";
pub(crate) const TOKEN: &str = "it-token-0123456789";

/// A Rampart repository whose `main` is pushed to a bare remote `origin`.
pub(crate) struct Setup {
    pub(crate) repo: Repo,
    pub(crate) remote_dir: TempDir,
    pub(crate) bare: PathBuf,
    _daemon: Option<GitDaemon>,
}

impl Setup {
    /// `rampart init`, `delivery:` settings committed, `main` pushed to a bare remote,
    /// which `origin` reaches through `git daemon` when `served`, else over `file://`.
    pub(crate) fn new(delivery: &str, served: bool) -> Setup {
        let repo = Repo::init();
        let remote_dir = TempDir::new().unwrap();
        let bare = remote_dir.path().join("remote.git");
        git(
            remote_dir.path(),
            &["init", "-q", "--bare", "-b", "main", "remote.git"],
        );
        let config = repo.read("rampart.yaml");
        repo.write("rampart.yaml", &format!("{config}delivery:\n{delivery}"));
        repo.git(&["commit", "-q", "-am", "delivery settings"]);
        let file_url = format!("file://{}", bare.display());
        repo.git(&["remote", "add", "origin", &file_url]);
        repo.git(&["push", "-q", "origin", "main"]);
        let daemon = served.then(|| {
            let daemon = GitDaemon::serve(remote_dir.path());
            repo.git(&["remote", "set-url", "origin", &daemon.url("remote.git")]);
            daemon
        });
        Setup {
            repo,
            remote_dir,
            bare,
            _daemon: daemon,
        }
    }

    /// The URL `origin` reaches the remote at (`git://…` when served, else `file://…`).
    pub(crate) fn url(&self) -> String {
        self.repo
            .git(&["remote", "get-url", "origin"])
            .trim()
            .to_owned()
    }

    /// Runs rampart in the repository with the forge token in the environment.
    pub(crate) fn rampart(&self, args: &[&str]) -> crate::support::Run {
        Command::new(rampart_bin())
            .args(args)
            .current_dir(&self.repo.dir)
            .env_remove("RAMPART_REPO")
            .env_remove("RAMPART_BRANCH")
            .env_remove("RAMPART_AUTHOR")
            .env_remove("RAMPART_BLUEPRINTS")
            .env(TOKEN_VAR, TOKEN)
            .output()
            .expect("run rampart")
            .into()
    }

    pub(crate) fn remote(&self, args: &[&str]) -> String {
        git(&self.bare, args)
    }

    pub(crate) fn remote_has(&self, rev_path: &str) -> bool {
        Command::new("git")
            .args(["cat-file", "-e", rev_path])
            .current_dir(&self.bare)
            .status()
            .unwrap()
            .success()
    }

    /// Installs an executable `pre-receive` hook on the remote.
    pub(crate) fn hook(&self, script: &str) {
        let hook = self.bare.join("hooks").join("pre-receive");
        std::fs::write(&hook, script).unwrap();
        git(&self.bare, &["config", "core.hooksPath", "hooks"]);
        Command::new("chmod").arg("+x").arg(&hook).status().unwrap();
    }

    /// A pre-receive hook that, while a push is being received, pushes a commit to `main`
    /// from another clone (so the push in flight finds `main` moved): on the first push
    /// only, or on every push with `always`.
    pub(crate) fn racing_hook(&self, always: bool) {
        self.racing_hook_running(
            always,
            "date +%s%N >> racer.txt && git add racer.txt && \
             git -c user.name=Racer -c user.email=racer@example.com commit -q -m race && \
             git push -q origin HEAD:main",
        );
    }

    /// Like [`Setup::racing_hook`], with `racer` (a shell command run in the other clone,
    /// reset to the remote's `main`) making and pushing the concurrent change.
    fn racing_hook_running(&self, always: bool, racer: &str) {
        let other = self.clone_remote("other");
        let state = self.remote_dir.path();
        let once = if always {
            String::new()
        } else {
            format!(
                "[ -e {0}/raced ] && exit 0\ntouch {0}/raced\n",
                state.display()
            )
        };
        self.hook(&format!(
            r#"#!/bin/sh
# The nested push below runs this hook too: let it through.
[ -e {state}/racing ] && exit 0
{once}touch {state}/racing
env -i PATH="$PATH" HOME="$HOME" sh -c '
  cd {other} &&
  git fetch -q origin && git reset -q --hard origin/main &&
  {racer}' >&2
rm -f {state}/racing
exit 0
"#,
            state = state.display(),
            other = other.display(),
        ));
    }

    /// A clone of the remote next to it: another team's checkout.
    fn clone_remote(&self, name: &str) -> PathBuf {
        git(
            self.remote_dir.path(),
            &[
                "clone",
                "-q",
                &format!("file://{}", self.bare.display()),
                name,
            ],
        );
        self.remote_dir.path().join(name)
    }
}

/// Commits everything in the clone `dir` and pushes it to `main`, as another team would.
fn push_from(dir: &Path, message: &str) {
    git(dir, &["add", "-A"]);
    git(
        dir,
        &[
            "-c",
            "user.name=Other",
            "-c",
            "user.email=other@example.com",
            "commit",
            "-q",
            "-m",
            message,
        ],
    );
    git(dir, &["push", "-q", "origin", "HEAD:main"]);
}

const NEW_SHOP2: &[&str] = &[
    "new",
    "shop2",
    "--team",
    "web",
    "--app",
    "api",
    "--label",
    "cost-center=cc-1",
    "--label",
    "data-classification=internal",
];

fn with(args: &[&str], more: &[&'static str]) -> Vec<String> {
    args.iter().chain(more).map(|s| s.to_string()).collect()
}

fn run(s: &Setup, args: &[String]) -> crate::support::Run {
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    s.rampart(&args)
}

/// The checkout after a delivered `new shop2`: `before`, plus the request staged (not
/// committed) as the remote's `rev` holds it.
fn with_request_staged(s: &Setup, before: State, rev: &str) -> State {
    let rel = "specs/shop2.yaml";
    before.with_staged(rel, s.remote(&["show", &format!("{rev}:{rel}")]).as_bytes())
}

#[test]
fn push_with_branch_main_commits_onto_the_remote_branch_and_stages_the_request() {
    let s = Setup::new("  baseBranch: main\n", false);
    let before = s.repo.state();
    let remote_before = s.remote(&["rev-parse", "main"]);
    let out = run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"]));
    let stdout = out.ok();
    assert!(stdout.contains("pushed "), "{stdout}");
    assert_eq!(
        s.repo.state(),
        with_request_staged(&s, before, "main"),
        "HEAD and every other file unchanged; the request staged, not committed"
    );
    assert!(s.remote_has("main:specs/shop2.yaml"));
    assert!(s.remote_has("main:clusters/prod/namespaces/shop2/network-policies.yaml"));
    assert_eq!(
        s.remote(&["rev-parse", "main~1"]).trim(),
        remote_before.trim(),
        "one commit on top of what was there"
    );
    let message = s.remote(&["log", "-1", "--format=%B", "main"]);
    assert!(message.contains("Rampart-Change: shop2-"), "{message}");
    assert!(
        message.contains("rampart: new namespace shop2"),
        "{message}"
    );

    // Once pulled (the staged request is identical, so git takes the commit over it), the
    // same render has nothing left to deliver.
    s.repo.git(&["pull", "-q", "--ff-only", "origin", "main"]);
    assert_eq!(s.repo.status(), "");
    let again = s.rampart(&["render", "--delivery", "push", "--branch", "main"]);
    assert!(
        again.ok().contains("nothing to deliver"),
        "{}",
        again.stdout
    );
}

#[test]
fn a_remote_that_moves_during_the_push_is_fetched_and_the_change_rendered_again() {
    let s = Setup::new("  baseBranch: main\n", true);
    s.racing_hook(false);
    let before = s.repo.state();
    let out = run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"]));
    out.ok();
    assert!(out.stderr.contains("retry 1 of 3"), "{}", out.stderr);
    // Both the racer's commit and ours are on main, ours on top.
    assert!(s.remote_has("main:racer.txt"));
    assert!(s.remote_has("main:specs/shop2.yaml"));
    assert_eq!(
        s.remote(&["log", "-1", "--format=%an", "main~1"]).trim(),
        "Racer"
    );
    assert_eq!(s.repo.state(), with_request_staged(&s, before, "main"));
}

#[test]
fn retries_are_bounded_when_the_remote_keeps_moving() {
    let s = Setup::new("  baseBranch: main\n  maxRetries: 1\n", true);
    s.racing_hook(true);
    let before = s.repo.state();
    let out = run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("retry 1 of 1"), "{}", out.stderr);
    assert!(!out.stderr.contains("retry 2"), "{}", out.stderr);
    assert!(
        out.stderr.contains("gave up after 2 attempt(s)"),
        "{}",
        out.stderr
    );
    assert!(!s.remote_has("main:specs/shop2.yaml"));
    assert_eq!(s.repo.state(), before);
}

#[test]
fn a_ref_refused_by_a_pre_receive_hook_fails_clearly_and_changes_nothing_locally() {
    let s = Setup::new("  baseBranch: main\n", true);
    s.hook("#!/bin/sh\necho 'main is protected: open a pull request'\nexit 1\n");
    let before = s.repo.state();
    let remote_before = s.remote(&["rev-parse", "main"]);
    let out = run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"]));
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for expected in [
        "delivery failed",
        "pre-receive hook declined",
        "main is protected: open a pull request",
        "local branches and work tree are unchanged",
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing {expected:?}:\n{}",
            out.stderr
        );
    }
    assert_eq!(s.repo.state(), before);
    assert_eq!(s.remote(&["rev-parse", "main"]), remote_before);
    assert_eq!(
        s.repo.git(&["for-each-ref", "refs/heads"]).lines().count(),
        1,
        "no local branch was created"
    );
}

/// Answers with pull request #7 whose head is the branch the request names (`head`), or
/// `branch`.
struct Pull7 {
    branch: Option<String>,
}

impl wiremock::Respond for Pull7 {
    fn respond(&self, request: &wiremock::Request) -> ResponseTemplate {
        let sent: Value = serde_json::from_slice(&request.body).unwrap_or(Value::Null);
        let head = match (&self.branch, sent["head"].as_str()) {
            (Some(branch), _) => branch.clone(),
            (None, Some(head)) => head.rsplit(':').next().unwrap_or(head).to_string(),
            (None, None) => String::new(),
        };
        ResponseTemplate::new(if request.method.as_str() == "POST" {
            201
        } else {
            200
        })
        .set_body_json(pull(7, &head))
    }
}

fn pull(number: u64, head: &str) -> Value {
    json!({
        "number": number,
        "html_url": format!("https://github.example/acme/gitops/pull/{number}"),
        "head": {"ref": head},
    })
}

/// Mocks GitHub's pull-request API: `existing` (a branch) has open pull request #7;
/// creating one returns #7.
pub(crate) async fn mount_github(server: &MockServer, existing: Option<&str>) {
    let listed = match existing {
        Some(branch) => json!([pull(7, branch)]),
        None => json!([]),
    };
    Mock::given(method("GET"))
        .and(path("/repos/acme/gitops/pulls"))
        .and(query_param("state", "open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(listed))
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/gitops/pulls"))
        .respond_with(Pull7 { branch: None })
        .mount(server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/repos/acme/gitops/pulls/7"))
        .respond_with(Pull7 {
            branch: existing.map(str::to_string),
        })
        .mount(server)
        .await;
    Mock::given(method("POST"))
        .and(path("/repos/acme/gitops/issues/7/labels"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

/// The requests the mock received, as (method, path, JSON body).
pub(crate) async fn requests(server: &MockServer) -> Vec<(String, String, Value)> {
    server
        .received_requests()
        .await
        .unwrap_or_default()
        .into_iter()
        .map(|r| {
            let body = serde_json::from_slice(&r.body).unwrap_or(Value::Null);
            (r.method.to_string(), r.url.path().to_string(), body)
        })
        .collect()
}

/// The pull request opened (its JSON request body) among the requests `sent`.
pub(crate) fn created_pull_request(sent: &[(String, String, Value)]) -> &Value {
    let created = sent
        .iter()
        .find(|(m, p, _)| m == "POST" && p == "/repos/acme/gitops/pulls")
        .expect("a pull request was created");
    &created.2
}

/// The body of the update of pull request #7 among the requests `sent`, asserting that no
/// second pull request was opened.
pub(crate) fn updated_pull_request_body(sent: &[(String, String, Value)]) -> &str {
    assert!(
        !sent
            .iter()
            .any(|(m, p, _)| m == "POST" && p == "/repos/acme/gitops/pulls"),
        "no second pull request: {sent:?}"
    );
    let patch = sent
        .iter()
        .find(|(m, p, _)| m == "PATCH" && p == "/repos/acme/gitops/pulls/7")
        .expect("the pull request was updated");
    patch.2["body"].as_str().unwrap_or_default()
}

pub(crate) fn request_spec(apps: &[&str]) -> String {
    let mut text = String::from(
        "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: shop\nteam: web\nlabels:\n  cost-center: cc-1\n  data-classification: internal\napps:\n",
    );
    for app in apps {
        text.push_str(&format!(
            "  - name: {app}\n    ports:\n      - {{name: http, port: 8080}}\n    workload:\n      image: registry.example.com/{app}@sha256:{}\n",
            "4b1c0c6a2b8e0d5f9a3c7e1d2f4a6b8c0e2d4f6a8b0c2e4d6f8a0b2c4d6e8f0a"
        ));
    }
    text
}

/// A current-thread runtime for the forge mock, the mock, and a setup whose rampart.yaml
/// delivers pull requests to it (as GitHub), with `extra` delivery settings.
pub(crate) fn github_setup(extra: &str) -> (tokio::runtime::Runtime, MockServer, Setup) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let s = Setup::new(
        &format!(
            "  baseBranch: main\n{extra}  tokenEnv: {TOKEN_VAR}\n  forge:\n    kind: github\n    apiBase: {}\n    repository: acme/gitops\n",
            server.uri()
        ),
        false,
    );
    (runtime, server, s)
}

#[test]
fn the_documented_flow_new_pr_then_edit_then_render_pr_updates_one_pull_request() {
    // docs/delivery.md, "The flow", typed literally (the example request `shop` removed
    // first, so that `new shop` creates it).
    let (runtime, server, s) = github_setup("");
    std::fs::remove_file(s.repo.dir.join("specs/shop.yaml")).unwrap();
    s.rampart(&["render"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    runtime.block_on(mount_github(&server, None));

    // rampart new shop --team web --app api --pr
    let head = s.repo.head();
    let new = s.rampart(&["new", "shop", "--team", "web", "--app", "api", "--pr"]);
    assert!(
        new.ok().contains("opened pull request #7"),
        "{}",
        new.stdout
    );
    let branch = rampart_branch(&s);
    assert!(branch.starts_with("rampart/shop-"), "{branch}");
    assert_eq!(s.repo.head(), head, "nothing committed locally");
    assert_eq!(
        s.repo.status(),
        "A  specs/shop.yaml\n",
        "the request, staged"
    );
    let request = s.repo.read("specs/shop.yaml");
    assert_eq!(
        request,
        s.remote(&["show", &format!("{branch}:specs/shop.yaml")])
    );

    // $EDITOR specs/shop.yaml — review asks for the governance labels to be set
    assert!(request.contains("unassigned"), "{request}");
    s.repo
        .write("specs/shop.yaml", &request.replace("unassigned", "cc-4711"));

    // rampart render --pr — same branch, same pull request, updated
    runtime.block_on(server.reset());
    runtime.block_on(mount_github(&server, Some(&branch)));
    let render = s.rampart(&["render", "--pr"]);
    assert!(
        render.ok().contains("updated pull request #7"),
        "{}\n{}",
        render.stdout,
        render.stderr
    );
    let sent = runtime.block_on(requests(&server));
    let body = updated_pull_request_body(&sent);
    assert!(body.contains("`shop`"), "{body}");
    let delivered = s.remote(&["show", &format!("{branch}:specs/shop.yaml")]);
    assert!(delivered.contains("cc-4711") && !delivered.contains("unassigned"));
    assert_eq!(
        s.remote(&["for-each-ref", "--format=%(refname)", "refs/heads/rampart"])
            .lines()
            .count(),
        1,
        "still one rampart branch"
    );
    assert_eq!(s.repo.head(), head);
}

#[test]
fn render_pr_opens_then_updates_one_pull_request_and_refuses_a_branch_others_committed_on() {
    let (runtime, server, s) = github_setup("  labels: [rampart]\n");
    runtime.block_on(mount_github(&server, None));

    // 1. A changed request: a pull request is opened from a rampart/shop-… branch.
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "worker"]));
    let before = s.repo.state();
    let first = s.rampart(&["render", "--pr"]);
    let stdout = first.ok().to_string();
    assert!(stdout.contains("opened pull request #7"), "{stdout}");
    assert_eq!(s.repo.state(), before, "work tree and HEAD untouched");
    let branches = s.remote(&[
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads/rampart",
    ]);
    let branch = branches.trim().to_string();
    assert!(branch.starts_with("rampart/shop-"), "{branches}");
    assert!(s.remote_has(&format!(
        "{branch}:clusters/dev/namespaces/shop/workload-worker.yaml"
    )));
    assert_eq!(
        s.remote(&["rev-parse", &format!("{branch}~1")]),
        s.remote(&["rev-parse", "main"]),
        "the branch is one commit on main"
    );
    let sent = runtime.block_on(requests(&server));
    let created = created_pull_request(&sent);
    let head = created["head"].as_str().unwrap_or_default();
    assert!(head == branch || head == format!("acme:{branch}"), "{head}");
    assert_eq!(created["base"], "main");
    let body = created["body"].as_str().unwrap_or_default();
    for expected in [
        "`shop`",
        "| dev |",
        "**2.1**",
        "**1.3**",
        "**3.3**",
        "Findings",
        "specs/shop.yaml",
    ] {
        assert!(
            body.contains(expected),
            "missing {expected:?} in body:\n{body}"
        );
    }
    assert!(!body.contains(TOKEN));
    assert!(sent.iter().any(|(m, p, b)| m == "POST"
        && p.ends_with("/issues/7/labels")
        && b["labels"][0] == "rampart"));
    assert!(!first.stdout.contains(TOKEN) && !first.stderr.contains(TOKEN));

    // 2. The request changes again: the same branch is rewritten and the same PR updated.
    let first_tip = s.remote(&["rev-parse", &branch]);
    runtime.block_on(server.reset());
    runtime.block_on(mount_github(&server, Some(&branch)));
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "worker", "cron"]));
    let second = s.rampart(&["render", "--pr"]);
    assert!(
        second.ok().contains("updated pull request #7"),
        "{}",
        second.stdout
    );
    let sent = runtime.block_on(requests(&server));
    let body = updated_pull_request_body(&sent);
    assert!(body.contains("`shop`"));
    assert_ne!(s.remote(&["rev-parse", &branch]), first_tip);
    assert!(s.remote_has(&format!(
        "{branch}:clusters/dev/namespaces/shop/workload-cron.yaml"
    )));
    assert_eq!(
        s.remote(&["for-each-ref", "--format=%(refname)", "refs/heads/rampart"])
            .lines()
            .count(),
        1,
        "still one rampart branch"
    );
    // The local rampart branch follows what was pushed.
    assert_eq!(
        s.repo.git(&["rev-parse", &branch]),
        s.remote(&["rev-parse", &branch])
    );

    // 3. Someone else commits on the branch: rampart stops touching it.
    let other = s.remote_dir.path().join("reviewer");
    git(
        s.remote_dir.path(),
        &[
            "clone",
            "-q",
            "-b",
            &branch,
            &format!("file://{}", s.bare.display()),
            "reviewer",
        ],
    );
    std::fs::write(other.join("NOTE.md"), "reviewed\n").unwrap();
    git(&other, &["add", "NOTE.md"]);
    git(
        &other,
        &[
            "-c",
            "user.name=Reviewer",
            "-c",
            "user.email=reviewer@example.com",
            "commit",
            "-q",
            "-m",
            "review note",
        ],
    );
    git(&other, &["push", "-q", "origin", &branch]);
    let reviewed_tip = s.remote(&["rev-parse", &branch]);
    runtime.block_on(server.reset());
    runtime.block_on(mount_github(&server, Some(&branch)));
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "batch"]));
    let before = s.repo.state();
    let third = s.rampart(&["render", "--pr"]);
    assert_eq!(third.code, 1, "{}\n{}", third.stdout, third.stderr);
    assert!(
        third
            .stderr
            .contains(&format!("someone else committed on {branch}")),
        "{}",
        third.stderr
    );
    assert!(
        third.stderr.contains("rampart will not touch it"),
        "{}",
        third.stderr
    );
    assert_eq!(
        s.remote(&["rev-parse", &branch]),
        reviewed_tip,
        "branch untouched"
    );
    assert_eq!(s.repo.state(), before);
    let sent = runtime.block_on(requests(&server));
    assert!(
        sent.iter().all(|(m, _, _)| m == "GET"),
        "nothing was changed on the forge: {sent:?}"
    );
}

#[test]
fn pull_request_delivery_without_a_forge_is_refused_before_anything_is_sent() {
    let s = Setup::new("  baseBranch: main\n", false);
    let remote_before = s.remote(&["rev-parse", "main"]);
    let out = run(&s, &with(NEW_SHOP2, &["--pr"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("delivery.forge"), "{}", out.stderr);
    assert_eq!(s.remote(&["rev-parse", "main"]), remote_before);
    assert!(s.remote(&["for-each-ref", "refs/heads/rampart"]).is_empty());
}

#[test]
fn a_token_variable_that_is_not_set_is_invalid_input_named_by_its_variable() {
    let s = Setup::new(
        "  baseBranch: main\n  tokenEnv: RAMPART_IT_UNSET_TOKEN\n  forge:\n    kind: github\n    apiBase: http://127.0.0.1:9\n    repository: acme/gitops\n",
        false,
    );
    let before = s.repo.state();
    let out = run(&s, &with(NEW_SHOP2, &["--pr"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("RAMPART_IT_UNSET_TOKEN"),
        "{}",
        out.stderr
    );
    assert_eq!(s.repo.state(), before);
}

#[test]
fn delivered_commits_are_signed_when_a_signing_key_is_configured() {
    let keys = TempDir::new().unwrap();
    let key = keys.path().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "rampart", "-f"])
        .arg(&key)
        .status()
        .unwrap();
    assert!(made.success());
    let s = Setup::new(
        &format!(
            "  baseBranch: main\n  signing:\n    format: ssh\n    key: {}\n",
            key.display()
        ),
        false,
    );
    run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"])).ok();
    let allowed = keys.path().join("allowed_signers");
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    std::fs::write(
        &allowed,
        format!("rampart@localhost namespaces=\"git\" {public}"),
    )
    .unwrap();
    let allowed_config = format!("gpg.ssh.allowedSignersFile={}", allowed.display());
    let out = s.remote(&[
        "-c",
        "gpg.format=ssh",
        "-c",
        &allowed_config,
        "log",
        "-1",
        "--format=%G?",
        "main",
    ]);
    assert_eq!(out.trim(), "G", "a good signature on the pushed commit");

    // A local commit (the default mode) is not signed, and says so.
    let local = s.rampart(&["render"]);
    local.ok();
    assert!(
        local.stderr.contains("this local commit is not signed"),
        "{}",
        local.stderr
    );
}

/// The namespaces `clusters/dev/kustomization.yaml` lists on the remote's `main`.
fn listed_namespaces(s: &Setup) -> Vec<String> {
    s.remote(&["show", "main:clusters/dev/kustomization.yaml"])
        .lines()
        .filter_map(|l| l.strip_prefix("- namespaces/"))
        .map(str::to_owned)
        .collect()
}

#[test]
fn push_without_a_branch_pushes_the_changes_own_rampart_branch_and_leaves_main_alone() {
    let s = Setup::new("  baseBranch: main\n", false);
    let before = s.repo.state();
    let main_before = s.remote(&["rev-parse", "main"]);
    let out = run(&s, &with(NEW_SHOP2, &["--push"]));
    let stdout = out.ok();
    assert!(stdout.contains("pushed "), "{stdout}");
    assert_eq!(
        s.remote(&["rev-parse", "main"]),
        main_before,
        "main untouched"
    );
    let branch = rampart_branch(&s);
    assert!(branch.starts_with("rampart/shop2-"), "{branch}");
    assert!(stdout.contains(&format!("to origin/{branch}")), "{stdout}");
    assert!(s.remote_has(&format!(
        "{branch}:clusters/prod/namespaces/shop2/network-policies.yaml"
    )));
    assert_eq!(
        s.remote(&["rev-parse", &format!("{branch}~1")]),
        main_before,
        "one commit on main"
    );
    // Only the rampart branch is created locally; HEAD stays, the request is staged.
    assert_eq!(
        s.repo.git(&["rev-parse", &branch]),
        s.remote(&["rev-parse", &branch])
    );
    assert_eq!(s.repo.state(), with_request_staged(&s, before, &branch));

    // The same change delivered again (the staged request): same branch, nothing new.
    let tip = s.remote(&["rev-parse", &branch]);
    let again = s.rampart(&["render", "--push"]);
    assert!(
        again
            .ok()
            .contains(&format!("origin/{branch} already holds this change")),
        "{}",
        again.stdout
    );
    assert_eq!(s.remote(&["rev-parse", &branch]), tip);
}

#[test]
fn push_to_a_named_branch_creates_it_from_main_and_then_only_fast_forwards_it() {
    let s = Setup::new("  baseBranch: main\n", false);
    let main_before = s.remote(&["rev-parse", "main"]);
    run(&s, &with(NEW_SHOP2, &["--push", "--branch", "team/web"])).ok();
    assert_eq!(
        s.remote(&["rev-parse", "main"]),
        main_before,
        "main untouched"
    );
    assert_eq!(
        s.remote(&["rev-parse", "team/web~1"]),
        main_before,
        "created as one commit on main"
    );
    let first = s.remote(&["rev-parse", "team/web"]);
    // A second change lands on top of the first (a fast-forward), which stays.
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "worker"]));
    run(&s, &with(&["render"], &["--push", "--branch", "team/web"])).ok();
    assert_eq!(s.remote(&["rev-parse", "team/web~1"]), first);
    assert!(s.remote_has("team/web:specs/shop2.yaml"));
    assert!(s.remote_has("team/web:clusters/dev/namespaces/shop/workload-worker.yaml"));
    assert!(
        s.repo
            .git(&["for-each-ref", "--format=%(refname)", "refs/heads/team"])
            .is_empty(),
        "no local branch for a plain target"
    );
}

#[test]
fn branch_with_pull_request_delivery_is_invalid_input() {
    let s = Setup::new("  baseBranch: main\n", false);
    let out = run(&s, &with(NEW_SHOP2, &["--pr", "--branch", "x"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("--push --branch NAME"),
        "{}",
        out.stderr
    );
}

#[test]
fn concurrent_new_namespaces_from_two_clones_are_both_rendered_into_main() {
    let s = Setup::new("  baseBranch: main\n", true);
    // While our push is received, another team adds its namespace with rampart itself.
    s.racing_hook_running(
        false,
        &format!(
            "{} new other --team ops --app api --label cost-center=cc-2 --label data-classification=internal --push --branch main",
            rampart_bin()
        ),
    );
    let before = s.repo.state();
    let out = run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"]));
    out.ok();
    assert!(out.stderr.contains("retry 1 of 3"), "{}", out.stderr);
    for ns in ["shop2", "other"] {
        assert!(s.remote_has(&format!("main:specs/{ns}.yaml")), "{ns}");
        assert!(
            s.remote_has(&format!("main:clusters/dev/namespaces/{ns}/rbac.yaml")),
            "{ns}"
        );
    }
    assert_eq!(
        listed_namespaces(&s),
        ["other", "rampart-system", "shop", "shop2"]
    );
    assert!(
        s.remote(&["log", "-1", "--format=%B", "main~1"])
            .contains("new namespace other"),
        "the other team's commit is kept under ours"
    );
    assert_eq!(s.repo.state(), with_request_staged(&s, before, "main"));

    // The same without a race: a clone that never pulled delivers after the other pushed.
    let third = s.clone_remote("third");
    git(&third, &["reset", "-q", "--hard", "HEAD~2"]); // before both namespaces
    let out = crate::support::rampart(
        &third,
        &[
            "new",
            "late",
            "--team",
            "web",
            "--app",
            "api",
            "--label",
            "cost-center=cc-3",
            "--label",
            "data-classification=internal",
            "--push",
            "--branch",
            "main",
        ],
    );
    out.ok();
    assert_eq!(
        listed_namespaces(&s),
        ["late", "other", "rampart-system", "shop", "shop2"]
    );
}

#[test]
fn an_environment_changed_on_the_remote_is_rendered_in_not_reverted() {
    let s = Setup::new("  baseBranch: main\n", false);
    let other = s.clone_remote("other");
    let env = std::fs::read_to_string(other.join("environments/dev.yaml")).unwrap();
    assert!(env.contains("pods: \"50\""), "{env}");
    std::fs::write(
        other.join("environments/dev.yaml"),
        env.replace("pods: \"50\"", "pods: \"77\""),
    )
    .unwrap();
    push_from(&other, "dev: more pods");
    let before = s.repo.state();
    run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"])).ok();
    let limits = s.remote(&["show", "main:clusters/dev/namespaces/shop2/limits.yaml"]);
    assert!(limits.contains("pods: \"77\""), "{limits}");
    let env = s.remote(&["show", "main:environments/dev.yaml"]);
    assert!(
        env.contains("pods: \"77\""),
        "the remote's environment is kept"
    );
    assert_eq!(s.repo.state(), with_request_staged(&s, before, "main"));
}

#[test]
fn a_request_changed_differently_on_both_sides_is_a_conflict_and_nothing_is_pushed() {
    let s = Setup::new("  baseBranch: main\n", false);
    let other = s.clone_remote("other");
    std::fs::write(
        other.join("specs/shop.yaml"),
        request_spec(&["api", "worker"]),
    )
    .unwrap();
    push_from(&other, "shop: worker");
    let remote_before = s.remote(&["rev-parse", "main"]);
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "cron"]));
    let before = s.repo.state();
    let out = s.rampart(&["render", "--push", "--branch", "main"]);
    assert_eq!(out.code, 1, "{}\n{}", out.stdout, out.stderr);
    for expected in [
        "specs/shop.yaml changed both locally and on origin/main",
        "`git pull`",
        "nothing was pushed",
    ] {
        assert!(
            out.stderr.contains(expected),
            "missing {expected:?}:\n{}",
            out.stderr
        );
    }
    assert_eq!(s.remote(&["rev-parse", "main"]), remote_before);
    assert_eq!(s.repo.state(), before);
}

#[test]
fn combined_inputs_that_do_not_validate_are_invalid_input_with_file_and_line() {
    let s = Setup::new("  baseBranch: main\n", false);
    let other = s.clone_remote("other");
    let config = std::fs::read_to_string(other.join("rampart.yaml")).unwrap();
    std::fs::write(
        other.join("rampart.yaml"),
        config.replace(
            "requiredLabels: [cost-center, data-classification]",
            "requiredLabels: [cost-center, data-classification, owner]",
        ),
    )
    .unwrap();
    push_from(&other, "require an owner label");
    let remote_before = s.remote(&["rev-parse", "main"]);
    let before = s.repo.state();
    let out = run(&s, &with(NEW_SHOP2, &["--push", "--branch", "main"]));
    assert_eq!(out.code, 2, "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("specs/shop2.yaml:"), "{}", out.stderr);
    assert!(out.stderr.contains("owner"), "{}", out.stderr);
    assert!(
        out.stderr.contains("origin/main with your changes"),
        "{}",
        out.stderr
    );
    assert_eq!(s.remote(&["rev-parse", "main"]), remote_before);
    assert_eq!(s.repo.state(), before);
}

/// The one `rampart/…` branch on the remote.
pub(crate) fn rampart_branch(s: &Setup) -> String {
    s.remote(&[
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads/rampart",
    ])
    .trim()
    .to_string()
}

#[test]
fn a_rampart_commit_amended_by_a_reviewer_is_not_force_pushed_over() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let server = runtime.block_on(MockServer::start());
    let s = Setup::new(
        &format!(
            "  baseBranch: main\n  tokenEnv: {TOKEN_VAR}\n  forge:\n    kind: github\n    apiBase: {}\n    repository: acme/gitops\n",
            server.uri()
        ),
        false,
    );
    runtime.block_on(mount_github(&server, None));
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "worker"]));
    let first = s.rampart(&["render", "--pr"]);
    assert!(first.ok().contains("opened pull request #7"));
    let branch = rampart_branch(&s);
    assert!(branch.starts_with("rampart/shop-"), "{branch}");

    let reviewer = s.remote_dir.path().join("reviewer");
    git(
        s.remote_dir.path(),
        &[
            "clone",
            "-q",
            "-b",
            &branch,
            &format!("file://{}", s.bare.display()),
            "reviewer",
        ],
    );
    let ours = s.remote(&["log", "-1", "--format=%ae", &branch]);
    // 1. Amended under Rampart's own identity: only the record of what Rampart pushed
    //    tells it apart. 2. Amended by a reviewer: author and trailer stay, the committer
    //    is the reviewer's.
    for (round, (email, refusal)) in [
        (ours.trim(), "where rampart last pushed it"),
        ("reviewer@example.com", "someone else committed on"),
    ]
    .into_iter()
    .enumerate()
    {
        std::fs::write(reviewer.join("NOTE.md"), format!("reviewed {round}\n")).unwrap();
        git(&reviewer, &["add", "NOTE.md"]);
        git(
            &reviewer,
            &[
                "-c",
                "user.name=Reviewer",
                "-c",
                &format!("user.email={email}"),
                "commit",
                "-q",
                "--amend",
                "--no-edit",
            ],
        );
        git(&reviewer, &["push", "-q", "--force", "origin", &branch]);
        let amended = s.remote(&["rev-parse", &branch]);
        assert!(
            s.remote(&["log", "-1", "--format=%B", &branch])
                .contains("Rampart-Change:"),
            "the trailer survived the amend"
        );
        assert_eq!(s.remote(&["log", "-1", "--format=%ae", &branch]), ours);

        runtime.block_on(server.reset());
        runtime.block_on(mount_github(&server, Some(&branch)));
        let apps: &[&str] = if round == 0 {
            &["api", "cron"]
        } else {
            &["api", "batch"]
        };
        s.repo.write("specs/shop.yaml", &request_spec(apps));
        let again = s.rampart(&["render", "--pr"]);
        assert_eq!(again.code, 1, "{}\n{}", again.stdout, again.stderr);
        assert!(again.stderr.contains(refusal), "{}", again.stderr);
        assert!(
            again.stderr.contains("rampart will not touch it"),
            "{}",
            again.stderr
        );
        assert_eq!(
            s.remote(&["rev-parse", &branch]),
            amended,
            "branch untouched"
        );
        let sent = runtime.block_on(requests(&server));
        assert!(sent.iter().all(|(m, _, _)| m == "GET"), "{sent:?}");
    }
}

#[test]
fn a_local_commit_on_the_rampart_branch_is_kept_when_the_branch_is_delivered_again() {
    let s = Setup::new("  baseBranch: main\n", false);
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "worker"]));
    s.rampart(&["render", "--push"]).ok();
    let branch = rampart_branch(&s);
    assert_eq!(
        s.repo.git(&["rev-parse", &branch]),
        s.remote(&["rev-parse", &branch])
    );
    // The user commits on the local copy of the branch, without pushing.
    let worktree = s.remote_dir.path().join("local-wt");
    s.repo.git(&[
        "worktree",
        "add",
        "-q",
        &worktree.display().to_string(),
        &branch,
    ]);
    std::fs::write(worktree.join("NOTE.md"), "mine\n").unwrap();
    git(&worktree, &["add", "NOTE.md"]);
    git(
        &worktree,
        &[
            "-c",
            "user.name=Me",
            "-c",
            "user.email=me@example.com",
            "commit",
            "-q",
            "-m",
            "my note",
        ],
    );
    let mine = git(&worktree, &["rev-parse", "HEAD"]).trim().to_string();

    // Checked out in another work tree: left alone, with a note.
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "cron"]));
    let out = s.rampart(&["render", "--push"]);
    out.ok();
    assert!(
        out.stderr.contains("checked out in a work tree"),
        "{}",
        out.stderr
    );
    assert_eq!(s.repo.git(&["rev-parse", &branch]).trim(), mine);
    assert!(s.remote_has(&format!(
        "{branch}:clusters/dev/namespaces/shop/workload-cron.yaml"
    )));

    // Not checked out any more, but holding the user's commit: still left alone.
    s.repo.git(&[
        "worktree",
        "remove",
        "--force",
        &worktree.display().to_string(),
    ]);
    s.repo
        .write("specs/shop.yaml", &request_spec(&["api", "batch"]));
    let out = s.rampart(&["render", "--push"]);
    out.ok();
    assert!(
        out.stderr.contains(&format!("your local {branch}")),
        "{}",
        out.stderr
    );
    assert_eq!(s.repo.git(&["rev-parse", &branch]).trim(), mine);
    assert!(s.remote_has(&format!(
        "{branch}:clusters/dev/namespaces/shop/workload-batch.yaml"
    )));
}
