//! `rampart serve` end to end: two real service processes on one repository, a real
//! OpenBao behind a proxy (which sends SIGTERM in the middle of a rotation) and moto, a bare remote
//! the pins are pushed to, `/healthz`, `/readyz` and `/metrics` scraped, JSON logs read.
//! The schedule is every minute, so the test waits for up to two minute boundaries.

use crate::delivery::Setup;
use crate::rotate::{
    AWS_KEY, AWS_PINNED, current_version, moto_chain, seed_aws_secret, seed_versions, use_vault,
};
use crate::rotate_delivery::{password_of, pinned_at};
use crate::support::rampart_bin;
use rampart_rotate::request_token;
use rampart_testkit::{CrashProxy, Moto, OpenBao};
use serde_json::Value;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// The VersionId labelled AWSCURRENT in moto.
fn aws_current(moto: &Moto) -> String {
    let out = moto
        .secrets_manager(
            "DescribeSecret",
            &serde_json::json!({"SecretId": AWS_KEY}).to_string(),
        )
        .expect("describe");
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    v["VersionIdsToStages"]
        .as_object()
        .expect("stages")
        .iter()
        .find(|(_, stages)| {
            stages
                .as_array()
                .is_some_and(|s| s.iter().any(|x| x == "AWSCURRENT"))
        })
        .map(|(id, _)| id.clone())
        .expect("an AWSCURRENT version")
}

/// The `client-secret` of one version, read by its id.
fn aws_client_secret(moto: &Moto, version: &str) -> String {
    let out = moto
        .secrets_manager(
            "GetSecretValue",
            &serde_json::json!({"SecretId": AWS_KEY, "VersionId": version}).to_string(),
        )
        .expect("get");
    let v: Value = serde_json::from_str(&out.body).expect("JSON");
    let inner: Value =
        serde_json::from_str(v["SecretString"].as_str().expect("string")).expect("JSON");
    inner["client-secret"]
        .as_str()
        .expect("client-secret")
        .to_owned()
}

/// A `rampart serve` process, killed if the test ends before it stops.
pub(crate) struct Service {
    pub(crate) child: Child,
    pub(crate) port: u16,
    pub(crate) log: PathBuf,
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Service {
    /// Started in `repo` with the Vault token and AWS (moto at `aws_endpoint`) through the
    /// SDK's default chain.
    fn start(repo: &Path, token: &str, aws_endpoint: &str, log: PathBuf) -> Service {
        let port = crate::support::free_port();
        let child = Command::new(rampart_bin())
            .args(["--log-format", "json", "serve", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .args(["--jitter", "0s", "--refresh-interval", "1s"])
            .args(["--retry-interval", "2s", "--standby-retry", "1s"])
            .args(["--grace", "30s"])
            .current_dir(repo)
            .env("VAULT_TOKEN", token)
            .env_remove("BAO_TOKEN")
            .env_remove("RAMPART_REPO")
            .envs(moto_chain(aws_endpoint))
            .env_remove("AWS_PROFILE")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("start rampart serve");
        Service { child, port, log }
    }

    /// Status and body of `GET path`, once the port answers.
    pub(crate) fn get(&self, path: &str) -> Option<(u16, String)> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port)).ok()?;
        stream
            .write_all(
                format!("GET {path} HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            )
            .ok()?;
        let mut text = String::new();
        stream.read_to_string(&mut text).ok()?;
        let status = text.split(' ').nth(1)?.parse().ok()?;
        let body = text.split_once("\r\n\r\n")?.1.to_owned();
        Some((status, body))
    }

    /// The value of the sample `series` (name and labels, as written) on `/metrics`.
    pub(crate) fn metric(&self, series: &str) -> Option<f64> {
        let (_, body) = self.get("/metrics")?;
        body.lines()
            .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
    }

    pub(crate) fn leader(&self) -> bool {
        self.metric("rampart_leader") == Some(1.0)
    }

    pub(crate) fn stop(&mut self) -> ExitStatus {
        Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill");
        self.wait(Duration::from_secs(40)).expect("stopped in time")
    }

    fn wait(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        while started.elapsed() < timeout {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        None
    }

    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

pub(crate) fn wait_until(timeout: Duration, mut done: impl FnMut() -> bool) -> bool {
    let started = Instant::now();
    while started.elapsed() < timeout {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    done()
}

/// The remote's `rampart/rotate-all-…` branch, once there is one.
fn rotation_branch(s: &Setup) -> Option<String> {
    let refs = s.remote(&[
        "for-each-ref",
        "--format=%(refname:short)",
        "refs/heads/rampart",
    ]);
    refs.lines()
        .find(|b| b.starts_with("rampart/rotate-all-"))
        .map(str::to_owned)
}

#[test]
fn two_services_rotate_on_schedule_once_push_the_pins_and_stop_cleanly_mid_rotation() {
    let bao = OpenBao::start();
    let moto = Moto::start();
    let proxy = CrashProxy::start(bao.port(), None);
    // Both push through a Git server: its compare-and-swap is what keeps them apart.
    let s = Setup::new("  baseBranch: main\n", true);
    use_vault(&s.repo, &proxy.url());
    // The AWS secret of app `web` rotates every minute too (dev: moto's us-east-1, where
    // the testkit's requests create it).
    let spec = s.repo.read("specs/shop.yaml").replace(
        "        mountPath: /etc/secrets/oauth     # read-only directory in the pod\n",
        "        mountPath: /etc/secrets/oauth     # read-only directory in the pod\n        rotation: {schedule: \"* * * * *\", generate: {client-secret: {length: 40}}}\n",
    );
    s.repo.write("specs/shop.yaml", &spec);
    seed_aws_secret(&s.repo, &moto);
    for env in ["dev", "staging", "prod"] {
        let rel = format!("environments/{env}.yaml");
        let text = s
            .repo
            .read(&rel)
            .replace("delivery: commit", "delivery: push");
        s.repo.write(&rel, &text);
    }
    let spec = s.repo.read("specs/shop.yaml");
    let weekly = "schedule: \"0 3 * * 1\"";
    assert!(spec.contains(weekly));
    s.repo.write(
        "specs/shop.yaml",
        &spec.replace(weekly, "schedule: \"* * * * *\""),
    );
    s.repo.git(&["add", "-A"]);
    s.repo.git(&["commit", "-q", "-m", "rotate every minute"]);
    s.repo.rampart(&["render"]).ok();
    s.repo.git(&["push", "-q", "origin", "main"]);
    seed_versions(&bao);
    let logs = tempfile::TempDir::new().unwrap();

    let a = Service::start(
        &s.repo.dir,
        bao.root_token(),
        &moto.endpoint(),
        logs.path().join("a.log"),
    );
    let b = Service::start(
        &s.repo.dir,
        bao.root_token(),
        &moto.endpoint(),
        logs.path().join("b.log"),
    );
    assert!(
        wait_until(Duration::from_secs(20), || a.leader() || b.leader()),
        "no instance became active:\n{}\n{}",
        a.log(),
        b.log()
    );
    for service in [&a, &b] {
        assert_eq!(service.get("/healthz").map(|r| r.0), Some(200));
    }

    // 1. At the next minute the active instance rotates and pushes the pins to a rampart
    // branch; the standby does nothing.
    let branch = {
        let mut found = None;
        let landed = wait_until(Duration::from_secs(100), || {
            found = rotation_branch(&s);
            found.is_some()
        });
        assert!(landed, "no rotation was pushed:\n{}\n{}", a.log(), b.log());
        found.unwrap()
    };
    assert_eq!(pinned_at(&s, &branch, "dev", "api-db"), "4");
    assert_eq!(current_version(&bao), 4, "rotated once, by one instance");
    let aws_first = request_token(AWS_KEY, AWS_PINNED);
    assert!(
        wait_until(Duration::from_secs(20), || pinned_at(
            &s,
            &branch,
            "dev",
            "web-oauth-client"
        ) == format!("uuid/{aws_first}")),
        "the AWS pin: {}\n{}\n{}",
        pinned_at(&s, &branch, "dev", "web-oauth-client"),
        a.log(),
        b.log()
    );
    assert_eq!(aws_current(&moto), aws_first);
    let (mut leader, mut standby) = if a.leader() { (a, b) } else { (b, a) };
    assert!(!standby.leader());
    let rotated = "rampart_rotations_total{backend=\"vault\",outcome=\"rotated\"}";
    assert_eq!(leader.metric(rotated), Some(1.0));
    assert_eq!(standby.metric(rotated), None);
    assert_eq!(
        leader.metric("rampart_rotations_total{backend=\"aws\",outcome=\"rotated\"}"),
        Some(1.0)
    );
    assert!(wait_until(Duration::from_secs(10), || {
        leader.get("/readyz").map(|r| r.0) == Some(200)
            && standby.get("/readyz").map(|r| r.0) == Some(200)
    }));
    // Pushed to a branch, not merged: Git's pin is behind the backend.
    let behind = "rampart_pin_behind{namespace=\"shop\",secret=\"api-db\",environment=\"dev\",backend=\"vault\"}";
    assert_eq!(leader.metric(behind), Some(1.0));
    assert!(
        leader
            .metric("rampart_next_rotation_timestamp_seconds{namespace=\"shop\",secret=\"api-db\",environment=\"dev\",backend=\"vault\"}")
            .is_some()
    );

    // 2. The branch is merged: the pin is current, the next minute rotates again. SIGTERM
    // arrives while the new version is being written; the pass is finished and delivered,
    // and the process exits 0.
    let tip = s.remote(&["rev-parse", &branch]);
    s.remote(&["update-ref", "refs/heads/main", tip.trim()]);
    // Seen at the end of the pass under way, which may still be backing off from the
    // other environments' unreachable backends (0.5 + 2 + 5 s): allow for a loaded machine.
    assert!(
        wait_until(Duration::from_secs(30), || leader.metric(behind)
            == Some(0.0)),
        "the merge was not seen:\n{}",
        leader.log()
    );
    proxy.term_on("POST /v1/secret/data/", leader.child.id());
    let status = leader
        .wait(Duration::from_secs(120))
        .unwrap_or_else(|| panic!("the leader did not stop:\n{}", leader.log()));
    assert!(proxy.termed(), "stopped before the rotation");
    assert!(status.success(), "{status:?}\n{}", leader.log());
    assert_eq!(current_version(&bao), 5);
    assert_eq!(
        pinned_at(&s, &branch, "dev", "api-db"),
        "5",
        "the rotation in flight was delivered before the exit:\n{}",
        leader.log()
    );
    let aws_second = request_token(AWS_KEY, &aws_first);
    assert_eq!(aws_current(&moto), aws_second);
    assert_eq!(
        pinned_at(&s, &branch, "dev", "web-oauth-client"),
        format!("uuid/{aws_second}")
    );

    // 3. The standby takes over, and stops on SIGTERM too.
    assert!(
        wait_until(Duration::from_secs(15), || standby.leader()),
        "{}",
        standby.log()
    );
    assert!(standby.stop().success(), "{}", standby.log());

    // Logs are JSON lines; no value and no token in them, nor in the remote's history.
    let secrets = [
        password_of(&bao, "4"),
        password_of(&bao, "5"),
        bao.root_token().to_owned(),
        aws_client_secret(&moto, &aws_first),
        aws_client_secret(&moto, &aws_second),
    ];
    let history = s.remote(&["log", "-p", "--all", "--format=%B"]);
    for (name, text) in [
        ("leader", leader.log()),
        ("standby", standby.log()),
        ("remote", history),
    ] {
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "a secret is in the {name} output"
            );
        }
        if name != "remote" {
            for line in text.lines().filter(|l| !l.trim().is_empty()) {
                let v: Value = serde_json::from_str(line)
                    .unwrap_or_else(|e| panic!("{name}: not a JSON line ({e}): {line}"));
                assert!(v["level"].is_string() && v["fields"].is_object(), "{line}");
            }
        }
    }
    assert!(leader.log().contains("\"rotated\""), "{}", leader.log());
}

#[test]
fn serve_clones_into_its_work_directory_and_reuses_the_clone() {
    let s = Setup::new("  baseBranch: main\n", false);
    let work = tempfile::TempDir::new().unwrap();
    let url = format!("file://{}", s.bare.display());
    let start = || {
        let port = crate::support::free_port();
        let child = Command::new(rampart_bin())
            .args(["serve", "--clone", &url, "--workdir"])
            .arg(work.path())
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(work.path())
            .env_remove("VAULT_TOKEN")
            .env_remove("BAO_TOKEN")
            .env_remove("RAMPART_REPO")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(work.path().join("serve.log")).unwrap())
            .spawn()
            .expect("start rampart serve");
        Service {
            child,
            port,
            log: work.path().join("serve.log"),
        }
    };
    let mut first = start();
    assert!(
        wait_until(Duration::from_secs(20), || first.leader()),
        "{}",
        first.log()
    );
    let clone = work.path().join("repo");
    assert_eq!(
        crate::support::git(&clone, &["rev-parse", "HEAD"]),
        s.remote(&["rev-parse", "main"]),
        "a clone of the remote's main"
    );
    assert!(first.log().contains("cloned"), "{}", first.log());
    assert!(first.stop().success(), "{}", first.log());

    let mut second = start();
    assert!(
        wait_until(Duration::from_secs(20), || second.leader()),
        "{}",
        second.log()
    );
    assert!(
        second.log().contains("using the existing clone"),
        "{}",
        second.log()
    );
    assert!(second.stop().success(), "{}", second.log());

    // --clone needs --workdir: invalid input, nothing started.
    let out = crate::support::rampart(work.path(), &["serve", "--clone", &url]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("--workdir"), "{}", out.stderr);
}

#[test]
fn in_a_cluster_a_lease_decides_the_active_replica_across_separate_clones() {
    let api = rampart_testkit::LeaseApi::start();
    let s = Setup::new("  baseBranch: main\n", true);
    let pods = tempfile::TempDir::new().unwrap();
    let url = s.url();
    // Each replica has its own clone (as pods do): no lock file is shared, only the Lease.
    let start = |pod: &str| {
        let port = crate::support::free_port();
        let workdir = pods.path().join(pod);
        let log = pods.path().join(format!("{pod}.log"));
        let child = Command::new(rampart_bin())
            .args(["serve", "--clone", &url, "--workdir"])
            .arg(&workdir)
            .args([
                "--lease",
                "rampart-system/rampart-serve",
                "--lease-duration",
                "3s",
            ])
            .args(["--standby-retry", "1s", "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .current_dir(pods.path())
            .env("KUBECONFIG", api.kubeconfig())
            .env("HOSTNAME", pod)
            .env_remove("KUBERNETES_SERVICE_HOST")
            .env_remove("VAULT_TOKEN")
            .env_remove("BAO_TOKEN")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start rampart serve");
        Service { child, port, log }
    };
    let a = start("pod-a");
    assert!(
        wait_until(Duration::from_secs(20), || a.leader()),
        "{}",
        a.log()
    );
    let b = start("pod-b");
    assert!(
        wait_until(Duration::from_secs(20), || b.metric("rampart_leader")
            == Some(0.0)),
        "{}",
        b.log()
    );
    assert_eq!(
        api.holder("rampart-system", "rampart-serve").as_deref(),
        Some("pod-a")
    );
    // Renewals keep it: after more than a Lease duration, still pod-a's.
    std::thread::sleep(Duration::from_secs(4));
    assert!(a.leader() && !b.leader());
    assert_eq!(
        api.holder("rampart-system", "rampart-serve").as_deref(),
        Some("pod-a")
    );

    // pod-a stops: it releases the Lease, and pod-b takes over.
    let (mut a, mut b) = (a, b);
    assert!(a.stop().success(), "{}", a.log());
    assert!(
        wait_until(Duration::from_secs(10), || b.leader()),
        "{}",
        b.log()
    );
    assert_eq!(
        api.holder("rampart-system", "rampart-serve").as_deref(),
        Some("pod-b")
    );
    let lease = api.lease("rampart-system", "rampart-serve").unwrap();
    assert_eq!(lease["spec"]["leaseTransitions"], 1);
    assert_eq!(lease["spec"]["leaseDurationSeconds"], 3);
    assert!(b.stop().success(), "{}", b.log());
    assert_eq!(
        api.holder("rampart-system", "rampart-serve"),
        None,
        "released on stop"
    );

    // A malformed --lease is invalid input.
    let out = crate::support::rampart(pods.path(), &["serve", "--lease", "no-slash"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(out.stderr.contains("NAMESPACE/NAME"), "{}", out.stderr);
}

/// `ulimit -n 128` (a soft limit, the hard one higher): the service raises the soft limit to
/// the hard one, and holds at most a bounded number of HTTP connections, closing the oldest:
/// 300 idle clients neither keep `/healthz` from answering nor starve the repository.
#[test]
fn a_low_open_file_limit_is_raised_and_idle_connections_cannot_starve_the_probes() {
    let repo = crate::support::Repo::init();
    let port = crate::support::free_port();
    let log = repo.dir.join("../serve.log");
    let script = format!(
        "ulimit -S -n 128 && exec '{}' --log-format json serve --listen 127.0.0.1:{port} \
         --refresh-interval 1s --standby-retry 1s",
        rampart_bin()
    );
    let child = Command::new("sh")
        .args(["-c", &script])
        .current_dir(&repo.dir)
        .env_remove("VAULT_TOKEN")
        .env_remove("BAO_TOKEN")
        .env_remove("RAMPART_REPO")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).expect("log file"))
        .spawn()
        .expect("start rampart serve");
    let mut service = Service { child, port, log };
    assert!(
        wait_until(Duration::from_secs(20), || service
            .get("/healthz")
            .is_some()),
        "{}",
        service.log()
    );
    let hard = Command::new("sh")
        .args(["-c", "ulimit -H -n"])
        .output()
        .unwrap();
    let hard = String::from_utf8_lossy(&hard.stdout).trim().to_owned();
    let started: Value = service
        .log()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .find(|v| v["fields"]["message"] == "serving /healthz, /readyz and /metrics")
        .expect("the start line");
    // No kubeconfig and no --env: no watch of the pins, said once, and no pin series.
    let not_following = service
        .log()
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| {
            v["fields"]["message"]
                .as_str()
                .is_some_and(|m| m.starts_with("not following the pins into the cluster"))
        })
        .count();
    assert_eq!(not_following, 1, "{}", service.log());
    let metrics = service.get("/metrics").map(|r| r.1).unwrap_or_default();
    assert!(!metrics.contains("rampart_pin_live"), "{metrics}");
    let open_files = started["fields"]["open_files"].to_string();
    assert!(
        hard == "unlimited" || open_files == hard,
        "soft limit raised to the hard limit {hard}: {started}"
    );

    let rss_before = rss_kib(service.child.id());
    let mut idle = Vec::new();
    for _ in 0..300 {
        let mut stream = TcpStream::connect(("127.0.0.1", port)).expect("connect");
        stream.write_all(b"GET /readyz HT").expect("write");
        idle.push(stream);
    }
    // Busy clients beside the idle ones: kept-alive connections scraping /metrics.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let busy: Vec<_> = (0..16)
        .map(|_| {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
                    return;
                };
                let mut buf = [0u8; 16 * 1024];
                while !stop.load(std::sync::atomic::Ordering::Relaxed)
                    && stream
                        .write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                        .is_ok()
                    && matches!(stream.read(&mut buf), Ok(n) if n > 0)
                {}
            })
        })
        .collect();
    for _ in 0..10 {
        let asked = Instant::now();
        assert_eq!(service.get("/healthz").map(|r| r.0), Some(200));
        assert!(
            asked.elapsed() < Duration::from_secs(1),
            "{:?}",
            asked.elapsed()
        );
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for thread in busy {
        let _ = thread.join();
    }
    let rss_after = rss_kib(service.child.id());
    assert!(
        rss_after < rss_before + 64 * 1024,
        "resident memory grew from {rss_before} KiB to {rss_after} KiB"
    );
    // The repository is read (on a loaded machine perhaps only now): not ready only for
    // want of the example's backends.
    assert!(
        wait_until(Duration::from_secs(20), || service
            .get("/readyz")
            .is_some_and(|(_, why)| !why.contains("repository"))),
        "{:?}\n{}",
        service.get("/readyz"),
        service.log()
    );
    assert!(service.stop().success(), "{}", service.log());
}

/// Resident memory of process `pid` in KiB (`VmRSS` in /proc).
fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .expect("VmRSS")
}
