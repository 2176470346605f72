//! `rampart rotate` SIGKILLed at random moments (a fixed seed, a bounded number of trials),
//! then run again as an operator would: after every trial the backend, the pin in HEAD's
//! request, what HEAD renders and the work tree agree, `git fsck` is clean, every version
//! pinned before stays readable, and no `AWSPENDING` is left.

use crate::rotate::{
    AWS_KEY, AWS_PINNED, KEY, current_version, moto_chain, seed_aws_secret, seed_versions,
};
use crate::support::{Repo, Run, rampart_bin};
use rampart_testkit::{Moto, OpenBao};
use serde_json::Value;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const TRIALS: usize = 16;
const SEED: u64 = 0x5eed_2222;

/// splitmix64: a fixed, dependency-free sequence of delays.
struct Delays(u64);

impl Delays {
    fn next_below(&mut self, bound_ms: u64) -> Duration {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^= z >> 31;
        Duration::from_millis(z % bound_ms.max(1))
    }
}

/// Random kill moments for a run that takes about `bound` when left alone. The bound
/// shrinks to the quickest run seen finishing before its kill: a first, measured run slowed
/// by a loaded machine would otherwise put most kills after the end of the runs that follow.
pub(crate) struct KillMoments {
    delays: Delays,
    bound: Duration,
}

impl KillMoments {
    pub(crate) fn new(seed: u64, bound: Duration) -> Self {
        KillMoments {
            delays: Delays(seed),
            bound,
        }
    }

    /// Waits for `child` until a random moment below the bound, then SIGKILLs it if it is
    /// still running, and reaps it. Returns the moment and whether the kill interrupted it.
    pub(crate) fn kill(&mut self, child: &mut Child) -> (Duration, bool) {
        let started = Instant::now();
        let delay = self.delays.next_below(self.bound.as_millis() as u64);
        let interrupted = loop {
            if child.try_wait().expect("poll").is_some() {
                self.bound = self.bound.min(started.elapsed());
                break false;
            }
            let elapsed = started.elapsed();
            if elapsed >= delay {
                child.kill().expect("SIGKILL");
                break true;
            }
            std::thread::sleep((delay - elapsed).min(Duration::from_millis(2)));
        };
        child.wait().expect("reap");
        (delay, interrupted)
    }
}

/// The example repository with dev alone on the test's backend: staging and prod point at
/// a server nobody runs, so dev's rotations share no key with them.
pub(crate) fn dev_only_repo(server: &str) -> Repo {
    let repo = Repo::init();
    crate::rotate::use_vault(&repo, server);
    for env in ["staging", "prod"] {
        let rel = format!("environments/{env}.yaml");
        let text = repo.read(&rel).replace(server, "http://127.0.0.1:1");
        repo.write(&rel, &text);
    }
    repo
}

/// Dev's pin of `app`'s `secret` in HEAD's `specs/shop.yaml`.
pub(crate) fn pin_in_head(repo: &Repo, app: &str, secret: &str) -> String {
    let text = repo.git(&["show", "HEAD:specs/shop.yaml"]);
    let spec: serde_json::Value =
        rampart_yaml::reference::typed(&text).expect("the request parses");
    let apps = spec["apps"].as_array().expect("apps");
    let app = apps.iter().find(|a| a["name"] == app).expect("the app");
    let secrets = app["secrets"].as_array().expect("secrets");
    let version = &secrets
        .iter()
        .find(|s| s["name"] == secret)
        .expect("the secret")["version"];
    let version = if version.is_object() {
        &version["dev"]
    } else {
        version
    };
    match version {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Number(n) => n.to_string(),
        other => panic!("unexpected version {other:?}"),
    }
}

/// `remoteRef.version` of dev's ExternalSecret `name` as HEAD renders it.
fn rendered_in_head(repo: &Repo, name: &str) -> String {
    let text = repo.git(&[
        "show",
        "HEAD:clusters/dev/namespaces/shop/external-secrets.yaml",
    ]);
    let doc = rampart_yaml::reference::documents(&text)
        .expect("YAML")
        .into_iter()
        .find(|d| d["kind"] == "ExternalSecret" && d["metadata"]["name"] == name)
        .expect("the ExternalSecret");
    doc["spec"]["data"][0]["remoteRef"]["version"]
        .as_str()
        .expect("a pinned version")
        .to_owned()
}

/// HEAD's objects are all there and the work tree and index hold HEAD.
fn assert_git_sound(repo: &Repo, trial: usize) {
    let fsck = Command::new("git")
        .args(["fsck", "--full", "--no-dangling"])
        .current_dir(&repo.dir)
        .output()
        .expect("git fsck");
    assert!(
        fsck.status.success() && fsck.stdout.is_empty(),
        "trial {trial}: git fsck: {}{}",
        String::from_utf8_lossy(&fsck.stdout),
        String::from_utf8_lossy(&fsck.stderr)
    );
    assert_eq!(
        repo.status(),
        "",
        "trial {trial}: the work tree and index agree with HEAD"
    );
}

/// Runs `rampart rotate ARGS --force` once to completion (how long a whole run takes),
/// then `TRIALS` times killed after a random share of that, each followed by a normal
/// `rampart rotate ARGS` that must succeed; `check(trial)` runs after each. Returns how
/// many runs the kill interrupted.
fn kill_trials(
    repo: &Repo,
    env: &[(&str, String)],
    args: &[&str],
    mut check: impl FnMut(usize),
) -> usize {
    let command = |extra: &[&str]| {
        let mut c = Command::new(rampart_bin());
        c.arg("rotate")
            .args(args)
            .args(extra)
            .current_dir(&repo.dir)
            .envs(env.iter().map(|(k, v)| (k, v)))
            .env_remove("AWS_PROFILE")
            .env_remove("BAO_TOKEN");
        c
    };
    let started = Instant::now();
    let whole: Run = command(&["--force"]).output().expect("run").into();
    whole.ok();
    let whole = started.elapsed();
    check(0);
    let mut moments = KillMoments::new(SEED, whole * 6 / 5);
    let mut interrupted = 0;
    for trial in 1..=TRIALS {
        let mut child = command(&["--force"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rampart");
        let (delay, killed) = moments.kill(&mut child);
        interrupted += usize::from(killed);
        let rerun: Run = command(&[]).output().expect("rerun").into();
        assert_eq!(
            rerun.code, 0,
            "trial {trial} (killed after {delay:?}): the next run\n{}\n{}",
            rerun.stdout, rerun.stderr
        );
        check(trial);
    }
    interrupted
}

#[test]
fn rotate_on_openbao_killed_at_random_moments_converges_every_time() {
    let bao = OpenBao::start();
    let repo = dev_only_repo(&bao.addr());
    repo.rampart(&["render"]).ok();
    seed_versions(&bao);
    let mut pinned_before = vec!["3".to_owned()];
    let interrupted = kill_trials(
        &repo,
        &[("VAULT_TOKEN", bao.root_token().to_owned())],
        &["--env", "dev"],
        |trial| {
            let pin = pin_in_head(&repo, "api", "api-db");
            assert_eq!(
                current_version(&bao).to_string(),
                pin,
                "trial {trial}: HEAD pins the current version"
            );
            assert_eq!(rendered_in_head(&repo, "api-db"), pin, "trial {trial}");
            for version in pinned_before.iter().chain([&pin]) {
                let out = bao
                    .request(
                        "GET",
                        &format!("/v1/secret/data/{KEY}?version={version}"),
                        None,
                    )
                    .expect("read");
                assert_eq!(out.status, 200, "trial {trial}: version {version} readable");
            }
            assert_git_sound(&repo, trial);
            pinned_before.push(pin);
            pinned_before.drain(..pinned_before.len().saturating_sub(2));
        },
    );
    assert!(
        interrupted >= TRIALS / 2,
        "only {interrupted} of {TRIALS} runs were interrupted"
    );
}

/// VersionId → staging labels.
fn stages(moto: &Moto) -> serde_json::Map<String, Value> {
    let out = moto
        .secrets_manager("DescribeSecret", &format!(r#"{{"SecretId":"{AWS_KEY}"}}"#))
        .expect("DescribeSecret");
    assert_eq!(out.status, 200, "{}", out.body);
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["VersionIdsToStages"]
        .as_object()
        .cloned()
        .unwrap_or_default()
}

fn holders(stages: &serde_json::Map<String, Value>, label: &str) -> Vec<String> {
    stages
        .iter()
        .filter(|(_, s)| s.as_array().is_some_and(|s| s.iter().any(|l| l == label)))
        .map(|(id, _)| id.clone())
        .collect()
}

/// The example with dev's AWS secret rotated (generate) against moto.
fn aws_repo(moto: &Moto) -> Repo {
    let repo = dev_only_repo("http://127.0.0.1:1");
    let spec = repo.read("specs/shop.yaml").replace(
        "        mountPath: /etc/secrets/oauth     # read-only directory in the pod\n",
        "        mountPath: /etc/secrets/oauth     # read-only directory in the pod\n        rotation: {schedule: \"0 3 * * 1\", generate: {client-secret: {length: 40}}}\n",
    );
    repo.write("specs/shop.yaml", &spec);
    seed_aws_secret(&repo, moto);
    repo.rampart(&["render"]).ok();
    repo
}

/// The issue's recipe: Rampart's version staged as AWSPENDING with its request token and
/// marker, AWSCURRENT moved onto it, then `rampart rotate`: the run resumes, pins it and
/// ends as a clean run does — with no AWSPENDING left.
#[test]
fn a_run_killed_between_moving_awscurrent_and_removing_awspending_is_finished_by_the_next() {
    let moto = Moto::start();
    let repo = aws_repo(&moto);
    let token = rampart_rotate::request_token(AWS_KEY, AWS_PINNED);
    let marker = rampart_rotate::Marker {
        from: AWS_PINNED.to_owned(),
        at: "2026-03-02T03:00:00Z".to_owned(),
    }
    .render();
    let value = serde_json::json!({
        "client-id": "web", "client-secret": "staged-by-a-killed-run-2",
        (rampart_rotate::MARKER_PROPERTY): marker,
    });
    for (action, body) in [
        (
            "PutSecretValue",
            serde_json::json!({"SecretId": AWS_KEY, "ClientRequestToken": token,
                "SecretString": value.to_string(), "VersionStages": ["AWSPENDING"]}),
        ),
        (
            "UpdateSecretVersionStage",
            serde_json::json!({"SecretId": AWS_KEY, "VersionStage": "AWSCURRENT",
                "MoveToVersionId": token, "RemoveFromVersionId": AWS_PINNED}),
        ),
    ] {
        let out = moto
            .secrets_manager(action, &body.to_string())
            .expect(action);
        assert_eq!(out.status, 200, "{action}: {}", out.body);
    }
    let out: Run = Command::new(rampart_bin())
        .args([
            "rotate",
            "--env",
            "dev",
            "--secret",
            "shop/web-oauth-client",
        ])
        .current_dir(&repo.dir)
        .envs(moto_chain(&moto.endpoint()))
        .env_remove("AWS_PROFILE")
        .output()
        .expect("run rampart rotate")
        .into();
    let stdout = out.ok();
    assert!(stdout.contains("resumed"), "{stdout}");
    assert_eq!(pin_in_head(&repo, "web", "web-oauth-client"), token);
    let stages = stages(&moto);
    assert_eq!(
        holders(&stages, "AWSCURRENT"),
        [token.as_str()],
        "{stages:?}"
    );
    assert!(
        holders(&stages, "AWSPENDING").is_empty(),
        "AWSPENDING left: {stages:?}"
    );
    assert_eq!(holders(&stages, "AWSPREVIOUS"), [AWS_PINNED]);
}

#[test]
fn rotate_on_moto_killed_at_random_moments_leaves_no_awspending_and_converges() {
    let moto = Moto::start();
    let repo = aws_repo(&moto);
    let env: Vec<(&str, String)> = moto_chain(&moto.endpoint()).into_iter().collect();
    let mut pinned_before = Vec::new();
    let interrupted = kill_trials(
        &repo,
        &env,
        &["--env", "dev", "--secret", "shop/web-oauth-client"],
        |trial| {
            let pin = pin_in_head(&repo, "web", "web-oauth-client");
            let stages = stages(&moto);
            assert_eq!(
                holders(&stages, "AWSCURRENT"),
                [pin.as_str()],
                "trial {trial}: HEAD pins AWSCURRENT: {stages:?}"
            );
            assert!(
                holders(&stages, "AWSPENDING").is_empty(),
                "trial {trial}: AWSPENDING left: {stages:?}"
            );
            assert_eq!(
                rendered_in_head(&repo, "web-oauth-client"),
                format!("uuid/{pin}"),
                "trial {trial}"
            );
            for version in &pinned_before {
                assert!(
                    stages
                        .get(version)
                        .and_then(|s| s.as_array())
                        .is_some_and(|s| !s.is_empty()),
                    "trial {trial}: the previous pin {version} keeps a label: {stages:?}"
                );
            }
            assert_git_sound(&repo, trial);
            pinned_before = vec![pin];
        },
    );
    assert!(
        interrupted >= TRIALS / 2,
        "only {interrupted} of {TRIALS} runs were interrupted"
    );
}
