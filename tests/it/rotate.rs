//! `rampart rotate` end to end: the real binary against a real OpenBao and moto, a real Git
//! repository, and ESO's reading of the committed pin through the backend's API.

use crate::support::{Repo, Run, rampart_bin};
use rampart_testkit::{CrashProxy, OpenBao};
use serde_json::Value;
use std::process::{Command, Stdio};

/// The example's rotated secret: app `api`, secret `api-db`, pinned to version 3.
pub(crate) const KEY: &str = "shop/api/db";
pub(crate) const FIRST_PASSWORD: &str = "initial-password-0003";

/// A repository whose environments use `server` for Vault and deliver rotations as local
/// commits, and an OpenBao holding versions 1–3 of the example's secret.
fn setup(server: &str, bao: &OpenBao) -> Repo {
    let repo = Repo::init();
    use_vault(&repo, server);
    repo.rampart(&["render"]).ok();
    seed_versions(bao);
    repo
}

/// Points every environment of `repo` at the Vault `server` and makes rotations local
/// commits there (a test asks for push or pull-request delivery with `--delivery`).
pub(crate) fn use_vault(repo: &Repo, server: &str) {
    for env in ["dev", "staging", "prod"] {
        let rel = format!("environments/{env}.yaml");
        let text = repo.read(&rel);
        let url_start = text
            .find("server: https://vault.")
            .expect("a vault server line")
            + 8;
        let url_end = url_start + text[url_start..].find(char::is_whitespace).expect("end");
        let mut text = format!("{}{server}{}", &text[..url_start], &text[url_end..]);
        for mode in ["delivery: push", "delivery: pull-request"] {
            text = text.replace(mode, "delivery: commit");
        }
        repo.write(&rel, &text);
    }
}

/// Versions 1–3 of the example's secret [`KEY`] (version 3 holds [`FIRST_PASSWORD`]).
pub(crate) fn seed_versions(bao: &OpenBao) {
    for n in 1..=3 {
        let data =
            serde_json::json!({"username": "app", "password": format!("initial-password-000{n}")});
        bao.put(KEY, &data, None);
    }
}

fn rotate(repo: &Repo, bao: &OpenBao, args: &[&str]) -> Run {
    Command::new(rampart_bin())
        .arg("rotate")
        .args(args)
        .current_dir(&repo.dir)
        .env("VAULT_TOKEN", bao.root_token())
        .env_remove("BAO_TOKEN")
        .output()
        .expect("run rampart rotate")
        .into()
}

/// ESO's view: the committed ExternalSecret's `remoteRef` (key + version) for `api-db` in
/// `env`, resolved through OpenBao's KV v2 API.
fn eso_resolve(repo: &Repo, bao: &OpenBao, env: &str) -> (String, Value) {
    let text = repo.git(&[
        "show",
        &format!("HEAD:clusters/{env}/namespaces/shop/external-secrets.yaml"),
    ]);
    let doc = rampart_yaml::reference::documents(&text)
        .expect("YAML")
        .into_iter()
        .find(|d| d["kind"] == "ExternalSecret" && d["metadata"]["name"] == "api-db")
        .expect("the api-db ExternalSecret");
    let remote = &doc["spec"]["data"][0]["remoteRef"];
    let version = remote["version"]
        .as_str()
        .expect("pinned version")
        .to_owned();
    let key = remote["key"].as_str().expect("key");
    assert_eq!(key, KEY);
    let out = bao
        .request(
            "GET",
            &format!("/v1/secret/data/{key}?version={version}"),
            None,
        )
        .expect("read");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    (version, v["data"]["data"].clone())
}

pub(crate) fn current_version(bao: &OpenBao) -> u64 {
    let out = bao
        .request("GET", &format!("/v1/secret/metadata/{KEY}"), None)
        .expect("metadata");
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["data"]["current_version"]
        .as_u64()
        .expect("current_version")
}

/// The example's AWS secret (app `web`) and the VersionId its request pins.
pub(crate) const AWS_KEY: &str = "shop/web/oauth-client";
pub(crate) const AWS_PINNED: &str = "3f9c2b7e-8d41-4c6a-9e5b-2a7d1c0f4e86";

/// Creates the example's AWS secret in moto at its pinned VersionId, and moves dev to
/// us-east-1: moto keeps secrets per region, and the testkit's requests sign for that one.
pub(crate) fn seed_aws_secret(repo: &Repo, moto: &rampart_testkit::Moto) {
    let env = repo
        .read("environments/dev.yaml")
        .replace("region: eu-central-1", "region: us-east-1");
    repo.write("environments/dev.yaml", &env);
    let create = serde_json::json!({
        "Name": AWS_KEY, "ClientRequestToken": AWS_PINNED,
        "SecretString": r#"{"client-id":"web","client-secret":"first-client-secret-01"}"#,
    });
    let out = moto
        .secrets_manager("CreateSecret", &create.to_string())
        .expect("create");
    assert_eq!(out.status, 200, "{}", out.body);
}

/// The environment that points the AWS SDK's default chain at moto and at nothing of this
/// machine's (no profile or credentials file); remove `AWS_PROFILE` as well.
pub(crate) fn moto_chain(endpoint: &str) -> [(&'static str, String); 5] {
    [
        ("AWS_ENDPOINT_URL", endpoint.to_owned()),
        ("AWS_ACCESS_KEY_ID", "testing".to_owned()),
        ("AWS_SECRET_ACCESS_KEY", "testing".to_owned()),
        ("AWS_CONFIG_FILE", "/nonexistent".to_owned()),
        ("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent".to_owned()),
    ]
}

/// Every byte Git holds, in every commit.
fn everything_in_git(repo: &Repo) -> String {
    repo.git(&["log", "-p", "--all", "--format=%B"])
}

#[test]
fn rotate_writes_the_backend_pins_the_new_version_and_commits_only_that() {
    let bao = OpenBao::start();
    let repo = setup(&bao.addr(), &bao);
    let commits = repo.commit_count();
    // Version 3 was written just now: the weekly schedule says not due.
    let out = rotate(&repo, &bao, &["--env", "dev"]);
    assert!(out.ok().contains("up to date"), "{}", out.stdout);
    assert_eq!(repo.commit_count(), commits);

    // -vv: Rampart's debug logs are on stderr, and still no value is.
    let out: Run = Command::new(rampart_bin())
        .args(["-vv", "rotate", "--env", "dev", "--force"])
        .current_dir(&repo.dir)
        .env("VAULT_TOKEN", bao.root_token())
        .output()
        .expect("run rampart rotate")
        .into();
    let stdout = out.ok().to_owned();
    assert!(out.stderr.contains("INFO"), "{}", out.stderr);
    assert!(
        !out.stderr.contains(bao.root_token()),
        "the token leaked into the log"
    );
    assert!(
        stdout.lines().any(|l| l.starts_with("shop/api-db")
            && l.contains("dev")
            && l.contains("3 → 4")
            && l.ends_with("rotated")),
        "{stdout}"
    );
    assert_eq!(repo.commit_count(), commits + 1);
    let message = repo.git(&["log", "-1", "--format=%B"]);
    assert!(
        message.starts_with("rampart: rotate 1 secret (dev)\n"),
        "{message}"
    );
    assert!(
        message.contains("- shop/api-db (dev): version 3 → 4"),
        "{message}"
    );

    // Only the pin changed in the request; staging and prod keep 3.
    let diff = repo.git(&["diff", "-U0", "HEAD~1", "HEAD", "--", "specs/shop.yaml"]);
    let changed: Vec<&str> = diff
        .lines()
        .filter(|l| {
            (l.starts_with('+') || l.starts_with('-'))
                && !l.starts_with("+++")
                && !l.starts_with("---")
        })
        .collect();
    assert_eq!(
        changed,
        [
            "-        version: 3",
            "+        version: {dev: 4, staging: 3, prod: 3}"
        ],
        "{diff}"
    );
    // ESO resolves the committed pin to the new value; prod still resolves to the old one.
    let (version, value) = eso_resolve(&repo, &bao, "dev");
    assert_eq!(version, "4");
    let password = value["password"].as_str().expect("password").to_owned();
    assert_eq!(password.len(), 40);
    assert_eq!(value["username"], "app");
    let (_, prod) = eso_resolve(&repo, &bao, "prod");
    assert_eq!(prod["password"], FIRST_PASSWORD);
    assert_eq!(repo.status(), "", "the work tree holds the new pin");

    // The value is nowhere but in the backend.
    for (what, text) in [
        ("stdout", out.stdout.as_str()),
        ("stderr", out.stderr.as_str()),
        ("git", &everything_in_git(&repo)),
    ] {
        assert!(
            !text.contains(&password),
            "the new value leaked into {what}"
        );
        assert!(
            !text.contains(FIRST_PASSWORD),
            "the old value leaked into {what}"
        );
    }

    // Not due (version 4 was just written): nothing happens.
    let again = rotate(&repo, &bao, &["--env", "dev"]);
    assert!(again.ok().contains("up to date"), "{}", again.stdout);
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(current_version(&bao), 4);

    // A dry run reads only.
    let dry = rotate(&repo, &bao, &["--env", "dev", "--force", "--dry-run"]);
    assert!(dry.ok().contains("would rotate"), "{}", dry.stdout);
    assert_eq!(repo.commit_count(), commits + 1);
    assert_eq!(current_version(&bao), 4);
}

#[test]
fn a_stopped_backend_fails_the_secret_with_exit_1_and_changes_nothing() {
    let mut bao = OpenBao::start();
    let repo = setup(&bao.addr(), &bao);
    let before = repo.state();
    bao.kill();
    let out = rotate(&repo, &bao, &["--env", "dev", "--force"]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("failed: vault"), "{}", out.stdout);
    assert!(
        out.stderr.contains("1 of 1 secret(s) failed"),
        "{}",
        out.stderr
    );
    assert_eq!(repo.state(), before);
}

#[test]
fn bad_selectors_and_a_missing_token_are_clear_errors() {
    let bao = OpenBao::start();
    let repo = setup(&bao.addr(), &bao);
    let before = repo.state();
    let out = rotate(&repo, &bao, &["--env", "qa"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("--env qa: not an environment of rampart.yaml (dev, staging, prod)"),
        "{}",
        out.stderr
    );
    let out = rotate(&repo, &bao, &["--secret", "shop/nope"]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr.contains(
            "--secret shop/nope: no secret of that NAMESPACE/NAME has a `rotation` policy"
        ),
        "{}",
        out.stderr
    );
    let out: Run = Command::new(rampart_bin())
        .args(["rotate", "--env", "dev"])
        .current_dir(&repo.dir)
        .env_remove("VAULT_TOKEN")
        .env_remove("BAO_TOKEN")
        .output()
        .expect("run")
        .into();
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout
            .contains("no Vault/OpenBao token for environment dev: set VAULT_TOKEN (or BAO_TOKEN)"),
        "{}",
        out.stdout
    );
    assert_eq!(repo.state(), before);
}

/// Prod's rotator logs in with Kubernetes auth, which needs a pod's ServiceAccount token:
/// run outside a cluster, the failure points at the setting and at `auth: token`.
#[test]
fn kubernetes_auth_outside_a_cluster_points_at_the_setting_and_at_auth_token() {
    let bao = OpenBao::start();
    let repo = setup(&bao.addr(), &bao);
    let line = repo
        .read("environments/prod.yaml")
        .lines()
        .position(|l| l.trim_start().starts_with("auth: kubernetes"))
        .expect("prod's rotator auth")
        + 1;
    let out = rotate(&repo, &bao, &["--env", "prod"]);
    assert_eq!(out.code, 1, "{out:?}");
    for expected in [
        format!(
            "environments/prod.yaml:{line}: secretStores.vault.rotator.auth of environment prod is `kubernetes`"
        ),
        "set `auth: token` there and provide VAULT_TOKEN".to_owned(),
    ] {
        assert!(out.stdout.contains(&expected), "{expected}: {}", out.stdout);
    }
}

/// The process is SIGKILLed before each of its requests to OpenBao in turn; a rerun
/// always converges on exactly one new version, pinned, with the old pin still readable.
#[test]
fn killed_at_every_step_a_rerun_converges_without_losing_a_version() {
    // How many requests a whole rotation makes.
    let bao = OpenBao::start();
    let proxy = CrashProxy::start(bao.port(), None);
    let repo = setup(&proxy.url(), &bao);
    rotate(&repo, &bao, &["--env", "dev", "--force"]).ok();
    let steps = proxy.requests();
    assert!(
        steps >= 5,
        "a rotation reads and writes several times: {steps}"
    );
    drop((repo, proxy, bao));

    for kill_at in 1..=steps {
        let bao = OpenBao::start();
        let proxy = CrashProxy::start(bao.port(), Some(kill_at));
        let repo = setup(&proxy.url(), &bao);
        let commits = repo.commit_count();
        let child = Command::new(rampart_bin())
            .args(["rotate", "--env", "dev", "--force"])
            .current_dir(&repo.dir)
            .env("VAULT_TOKEN", bao.root_token())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rampart");
        proxy.watch(child);
        if let Err(status) = proxy.wait_for_kill() {
            panic!("step {kill_at}: rampart finished ({status}) before the kill");
        }
        assert_eq!(
            repo.commit_count(),
            commits,
            "step {kill_at}: killed before any commit"
        );
        assert_eq!(
            eso_resolve(&repo, &bao, "dev").1["password"],
            FIRST_PASSWORD,
            "step {kill_at}: the pinned value stays readable"
        );

        proxy.disarm();
        let out = rotate(&repo, &bao, &["--env", "dev", "--force"]);
        assert_eq!(
            out.code, 0,
            "step {kill_at}: rerun\n{}\n{}",
            out.stdout, out.stderr
        );
        assert_eq!(
            current_version(&bao),
            4,
            "step {kill_at}: exactly one new version"
        );
        let (version, value) = eso_resolve(&repo, &bao, "dev");
        assert_eq!(version, "4", "step {kill_at}");
        assert_ne!(value["password"], FIRST_PASSWORD, "step {kill_at}");
        let old = bao
            .request("GET", &format!("/v1/secret/data/{KEY}?version=3"), None)
            .expect("read");
        assert!(
            old.body.contains(FIRST_PASSWORD),
            "step {kill_at}: version 3 kept"
        );
        assert_eq!(repo.status(), "", "step {kill_at}");
    }
}

/// The example's AWS secret set to follow, and moto reached as a user would reach a local
/// endpoint: the SDK's default credential chain with AWS_ENDPOINT_URL.
#[test]
fn follow_on_aws_pins_what_another_writer_made_current_through_the_default_chain() {
    use rampart_testkit::Moto;
    let moto = Moto::start();
    let bao = OpenBao::start();
    let repo = setup(&bao.addr(), &bao);
    let spec = repo.read("specs/shop.yaml").replace(
        "        mountPath: /etc/secrets/oauth     # read-only directory in the pod\n",
        "        mountPath: /etc/secrets/oauth     # read-only directory in the pod\n        rotation: {follow: true}\n",
    );
    repo.write("specs/shop.yaml", &spec);
    seed_aws_secret(&repo, &moto);
    repo.rampart(&["render"]).ok();
    let aws_rotate = |args: &[&str]| -> Run {
        Command::new(rampart_bin())
            .arg("rotate")
            .args(args)
            .current_dir(&repo.dir)
            .envs(moto_chain(&moto.endpoint()))
            .env_remove("AWS_PROFILE")
            .output()
            .expect("run rampart rotate")
            .into()
    };
    let commits = repo.commit_count();
    let out = aws_rotate(&["--env", "dev", "--secret", "shop/web-oauth-client"]);
    assert!(out.ok().contains("up to date"), "{}", out.stdout);
    assert_eq!(repo.commit_count(), commits);

    // Another writer (a rotation Lambda) makes a new version current.
    let put = serde_json::json!({
        "SecretId": AWS_KEY, "ClientRequestToken": "7d2e9a41-0c3b-4f5e-8a6d-1b2c3d4e5f60",
        "SecretString": r#"{"client-id":"web","client-secret":"second-client-secret-2"}"#,
    });
    let out = moto
        .secrets_manager("PutSecretValue", &put.to_string())
        .expect("put");
    assert_eq!(out.status, 200, "{}", out.body);
    let out = aws_rotate(&["--env", "dev", "--secret", "shop/web-oauth-client"]);
    let stdout = out.ok();
    assert!(
        stdout.contains("followed") && stdout.contains("7d2e9a41-0c3b-4f5e-8a6d-1b2c3d4e5f60"),
        "{stdout}"
    );
    assert_eq!(repo.commit_count(), commits + 1);
    let es = repo.read("clusters/dev/namespaces/shop/external-secrets.yaml");
    assert!(
        es.contains("uuid/7d2e9a41-0c3b-4f5e-8a6d-1b2c3d4e5f60"),
        "{es}"
    );
    let prod = repo.read("clusters/prod/namespaces/shop/external-secrets.yaml");
    assert!(
        prod.contains(&format!("uuid/{AWS_PINNED}")),
        "prod keeps its pin"
    );
    assert!(
        !out.stdout.contains("second-client-secret-2")
            && !out.stderr.contains("second-client-secret-2")
    );
}

/// OpenBao stops answering from each request of a rotation on in turn: the run fails (exit
/// 1) with nothing committed, and a rerun once it is back converges on one new version.
#[test]
fn a_backend_gone_mid_rotation_fails_cleanly_and_a_rerun_converges() {
    let bao = OpenBao::start();
    let proxy = CrashProxy::start(bao.port(), None);
    let repo = setup(&proxy.url(), &bao);
    rotate(&repo, &bao, &["--env", "dev", "--force"]).ok();
    let steps = proxy.requests();
    drop((repo, proxy, bao));

    for cut in 1..=steps {
        let bao = OpenBao::start();
        let proxy = CrashProxy::start(bao.port(), None);
        let repo = setup(&proxy.url(), &bao);
        let before = repo.state();
        proxy.cut_from(cut);
        let out = rotate(&repo, &bao, &["--env", "dev", "--force"]);
        assert_eq!(out.code, 1, "step {cut}: {out:?}");
        assert!(
            out.stdout.contains("failed: vault"),
            "step {cut}: {}",
            out.stdout
        );
        assert_eq!(
            repo.state(),
            before,
            "step {cut}: nothing committed or changed"
        );
        proxy.disarm();
        let out = rotate(&repo, &bao, &["--env", "dev", "--force"]);
        assert_eq!(out.code, 0, "step {cut}: rerun {out:?}");
        assert_eq!(
            current_version(&bao),
            4,
            "step {cut}: exactly one new version"
        );
        assert_eq!(eso_resolve(&repo, &bao, "dev").0, "4", "step {cut}");
    }
}
