//! Network tests (checklist 2.6): the probe Jobs `render` adds to environments with
//! `networkTests: true` (the example's staging), and `rampart probe` run for real on
//! loopback — a listening port, a refused one and one that drops.

use crate::support::{Repo, rampart, rampart_bin};
use serde_json::Value;
use std::net::TcpListener;
use std::path::Path;
use std::process::Command;

fn probe_files(repo: &Repo, env: &str) -> Vec<String> {
    repo.files_under(&format!("clusters/{env}"))
        .into_iter()
        .filter(|f| f.rsplit('/').next().unwrap().starts_with("netprobe-"))
        .collect()
}

fn matches(selector: &Value, labels: &Value) -> bool {
    let equal = selector["matchLabels"]
        .as_object()
        .or(selector
            .as_object()
            .filter(|_| selector.get("matchLabels").is_none()))
        .into_iter()
        .flatten()
        .all(|(k, v)| labels.get(k) == Some(v));
    let expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let key = e["key"].as_str().unwrap();
            match e["operator"].as_str().unwrap() {
                "DoesNotExist" => labels.get(key).is_none(),
                "Exists" => labels.get(key).is_some(),
                op => panic!("operator {op} not handled here"),
            }
        });
    equal && expressions
}

#[test]
fn staging_renders_a_probe_job_per_app_dev_and_prod_none() {
    let repo = Repo::init();
    assert_eq!(probe_files(&repo, "dev"), Vec::<String>::new());
    assert_eq!(probe_files(&repo, "prod"), Vec::<String>::new());
    assert_eq!(
        probe_files(&repo, "staging"),
        [
            "clusters/staging/namespaces/rampart-system/netprobe-rampart-serve.yaml",
            "clusters/staging/namespaces/shop/netprobe-api.yaml",
            "clusters/staging/namespaces/shop/netprobe-web.yaml",
            "clusters/staging/namespaces/shop/netprobe-worker.yaml",
        ]
    );
    let kustomization = repo.read("clusters/staging/namespaces/shop/kustomization.yaml");
    for app in ["api", "web", "worker"] {
        assert!(kustomization.contains(&format!("- netprobe-{app}.yaml\n")));
    }

    let objects = repo.objects_under("clusters/staging/namespaces/shop");
    let of_kind =
        |kind: &str| -> Vec<&Value> { objects.iter().filter(|o| o["kind"] == kind).collect() };
    let jobs = of_kind("Job");
    assert_eq!(jobs.len(), 3);
    for job in jobs {
        let app = job["metadata"]["labels"]["rampart.dev/netprobe"]
            .as_str()
            .unwrap();
        let pod = &job["spec"]["template"];
        let labels = &pod["metadata"]["labels"];
        // The app's own NetworkPolicy selects the probe: it is what is tested.
        let policy = of_kind("NetworkPolicy")
            .into_iter()
            .find(|p| p["metadata"]["name"] == format!("app-{app}").as_str())
            .unwrap();
        assert!(matches(&policy["spec"]["podSelector"], labels), "{app}");
        // The app's Service selects it too, but it never becomes ready: its readiness probe
        // is first tried after the Job's deadline has ended the pod.
        for service in of_kind("Service") {
            if matches(&service["spec"]["selector"], labels) {
                assert_eq!(service["metadata"]["name"], app);
                let ready = &pod["spec"]["containers"][0]["readinessProbe"];
                assert!(
                    ready["initialDelaySeconds"].as_u64().unwrap()
                        > job["spec"]["activeDeadlineSeconds"].as_u64().unwrap()
                );
            }
        }
        // No disruption budget counts it.
        for pdb in of_kind("PodDisruptionBudget") {
            assert!(!matches(&pdb["spec"]["selector"], labels), "{pdb:?}");
        }
        // ... while the app's own pods still count.
        for deployment in of_kind("Deployment") {
            let pods = &deployment["spec"]["template"]["metadata"]["labels"];
            let name = deployment["metadata"]["name"].as_str().unwrap();
            let pdb = of_kind("PodDisruptionBudget")
                .into_iter()
                .find(|p| p["metadata"]["name"] == name)
                .unwrap();
            assert!(matches(&pdb["spec"]["selector"], pods), "{name}");
        }
    }
}

/// The arguments rendered into each Job are what `rampart probe` takes: run here with short
/// timing, the cluster's names do not resolve, so every check fails (exit 1, not a usage
/// error), each with its line, and every unprobed flow has its line too.
#[test]
fn rendered_probe_arguments_run_as_written() {
    let repo = Repo::init();
    for file in probe_files(&repo, "staging") {
        let job: Value = rampart_yaml::reference::typed(&repo.read(&file)).unwrap();
        let args: Vec<String> = job["spec"]["template"]["spec"]["containers"][0]["args"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a.as_str().unwrap().to_owned())
            .collect();
        assert_eq!(args[0], "probe");
        let mut quick = args.clone();
        for (flag, value) in [("--timeout", "200ms"), ("--wait", "0s"), ("--delay", "0s")] {
            let i = quick.iter().position(|a| a == flag).unwrap();
            quick[i + 1] = value.to_owned();
        }
        // The example's names resolve nowhere but in a cluster; send the addresses of the
        // single-host CIDRs (rampart-serve's) nowhere either.
        let quick: Vec<String> = quick
            .into_iter()
            .map(|a| {
                if a.starts_with("192.0.2.") || a.starts_with("10.31.") {
                    "no-such-host.invalid:1".to_owned()
                } else {
                    a
                }
            })
            .collect();
        let out = rampart(
            &repo.dir,
            &quick.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        assert_eq!(out.code, 1, "{file}: {out:?}");
        let checks = args
            .iter()
            .filter(|a| matches!(a.as_str(), "--resolve" | "--open" | "--closed"))
            .count();
        let unprobed = args.iter().filter(|a| *a == "--unprobed").count();
        let lines: Vec<&str> = out.stdout.lines().collect();
        assert_eq!(lines.len(), checks + unprobed + 1, "{file}: {}", out.stdout);
        assert_eq!(
            lines.iter().filter(|l| l.contains("  FAILED  ")).count(),
            checks,
            "{}",
            out.stdout
        );
        assert!(lines.last().unwrap().ends_with("checks FAILED"));
    }
}

fn probe(args: &[String]) -> crate::support::Run {
    Command::new(rampart_bin())
        .arg("probe")
        .args(args)
        .current_dir(Path::new("/"))
        .output()
        .expect("run rampart probe")
        .into()
}

#[test]
fn probe_on_loopback_open_refused_and_dropped() {
    let listening = TcpListener::bind("127.0.0.1:0").unwrap();
    let open = listening.local_addr().unwrap().port();
    let refused = crate::support::free_port();
    let hole = rampart_testkit::Blackhole::new();
    let args = |extra: &[String]| -> Vec<String> {
        let mut a: Vec<String> = [
            "--from",
            "web",
            "--timeout",
            "500ms",
            "--resolve",
            "localhost",
        ]
        .map(String::from)
        .to_vec();
        a.extend([
            "--open".into(),
            format!("127.0.0.1:{open}"),
            "--closed".into(),
            format!("127.0.0.1:{}", hole.port),
            "--unprobed".into(),
            "10.40.0.0/16 port 5432/TCP: a range".into(),
        ]);
        a.extend_from_slice(extra);
        a
    };

    let all_hold = probe(&args(&[]));
    assert_eq!(all_hold.code, 0, "{all_hold:?}");
    let lines: Vec<&str> = all_hold.stdout.lines().collect();
    assert_eq!(lines.len(), 5, "{}", all_hold.stdout);
    assert!(lines[0].starts_with("resolve  web -> localhost (DNS)  ok  resolved to 127.0.0.1"));
    assert!(lines[1].starts_with(&format!(
        "open     web -> 127.0.0.1:{open}/TCP  ok  connected to 127.0.0.1:{open} in "
    )));
    assert_eq!(
        lines[2],
        format!(
            "closed   web -> 127.0.0.1:{0}/TCP  ok  no answer from 127.0.0.1:{0} within 500 ms: dropped",
            hole.port
        )
    );
    assert_eq!(
        lines[3],
        "unprobed web -> 10.40.0.0/16 port 5432/TCP: a range"
    );
    assert_eq!(lines[4], "netprobe web: all 3 checks hold");

    // A refused port is an answer: neither open (nothing listens) nor closed (not dropped).
    // The listening port is no drop either.
    let failing = probe(&args(&[
        "--open".into(),
        format!("127.0.0.1:{refused}"),
        "--closed".into(),
        format!("127.0.0.1:{refused}"),
        "--closed".into(),
        format!("127.0.0.1:{open}"),
        "--open".into(),
        format!("127.0.0.1:{}", hole.port),
    ]));
    assert_eq!(failing.code, 1, "{failing:?}");
    let failed: Vec<&str> = failing
        .stdout
        .lines()
        .filter(|l| l.contains("  FAILED  "))
        .collect();
    assert_eq!(failed.len(), 4, "{}", failing.stdout);
    assert!(failed[0].contains(&format!("refused by 127.0.0.1:{refused}")));
    assert!(failed[0].ends_with("nothing listens there, or the Service has no ready endpoints"));
    assert!(failed[1].starts_with("open     web -> 127.0.0.1:"));
    assert!(failed[1].contains("within 500 ms: dropped by a policy, or nothing at that address"));
    assert!(failed[2].contains("refused by") && failed[2].contains("so nothing dropped the flow"));
    assert!(failed[3].ends_with("the policies let this flow through"));
    assert_eq!(
        failing.stdout.lines().last(),
        Some("netprobe web: 4 of 7 checks FAILED")
    );

    // JSON lines for log collectors.
    let json = probe(&args(&["--log-format".into(), "json".into()]));
    assert_eq!(json.code, 0, "{json:?}");
    let objects: Vec<serde_json::Value> = json
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(objects[2]["check"], "closed");
    assert_eq!(objects[2]["outcome"], "no-answer");
    assert_eq!(objects[2]["holds"], true);
    assert_eq!(objects[2]["elapsed_ms"], 500);
    assert_eq!(objects[3]["check"], "unprobed");
    assert_eq!(objects[4]["summary"]["failed"], 0);

    // Usage errors are exit 2, not a verdict.
    let none = probe(&["--from".into(), "web".into()]);
    assert_eq!(none.code, 2, "{none:?}");
    let bad = probe(&["--open".into(), "api.shop.svc".into()]);
    assert_eq!(bad.code, 2, "{bad:?}");
    assert!(bad.stderr.contains("is not HOST:PORT"), "{}", bad.stderr);
    let instant = probe(&[
        "--resolve".into(),
        "localhost".into(),
        "--timeout".into(),
        "0s".into(),
    ]);
    assert_eq!(instant.code, 2, "{instant:?}");
    assert!(instant.stderr.contains("above zero"), "{}", instant.stderr);
}

#[test]
fn network_tests_without_the_rampart_image_are_refused() {
    let repo = Repo::init();
    let config = repo.read("rampart.yaml");
    let cut = config.find("\n# The rotation service").unwrap();
    repo.write("rampart.yaml", &config[..=cut]);
    let out = repo.rampart(&["render"]);
    assert_eq!(out.code, 2, "{out:?}");
    let line = repo
        .read("environments/staging.yaml")
        .lines()
        .position(|l| l.starts_with("networkTests:"))
        .unwrap()
        + 1;
    assert!(
        out.stderr
            .contains(&format!("environments/staging.yaml:{line}:")),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("rampart.yaml names none"),
        "{}",
        out.stderr
    );

    // Without networkTests, no image is needed.
    let staging = repo.read("environments/staging.yaml");
    repo.write(
        "environments/staging.yaml",
        &staging.replace("networkTests: true", "networkTests: false"),
    );
    repo.rampart(&["render"]).ok();
    assert_eq!(probe_files(&repo, "staging"), Vec::<String>::new());
}

/// The render cache knows that the probe Jobs depend on rampart.yaml's image.
#[test]
fn a_new_rampart_image_renames_the_probe_jobs() {
    let repo = Repo::init();
    let file = "clusters/staging/namespaces/shop/netprobe-web.yaml";
    let before = repo.read(file);
    let config = repo.read("rampart.yaml");
    let old = "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d";
    repo.write("rampart.yaml", &config.replace(old, &"1".repeat(64)));
    repo.rampart(&["render"]).ok();
    let after = repo.read(file);
    assert!(after.contains(&"1".repeat(64)), "{after}");
    let name = |text: &str| {
        let job: Value = rampart_yaml::reference::typed(text).unwrap();
        job["metadata"]["name"].as_str().unwrap().to_owned()
    };
    assert_ne!(name(&before), name(&after));
    assert!(name(&after).starts_with("netprobe-web-"));
}

#[test]
fn staging_probe_jobs() {
    let repo = Repo::init();
    for file in probe_files(&repo, "staging") {
        let name = file.replace('/', "__");
        insta::assert_snapshot!(name, repo.read(&file));
    }
}

/// The promotion step of examples/gitops-ci.yml, run against a stand-in `kubectl` that
/// records its arguments: it waits for exactly the probe Jobs the commit renders for
/// staging, and when they do not complete it shows them and their logs and fails.
#[test]
fn the_example_ci_waits_for_the_committed_staging_probes() {
    let repo = Repo::init();
    let ci: Value =
        rampart_yaml::reference::typed(include_str!("../../examples/gitops-ci.yml")).unwrap();
    let job = &ci["jobs"]["promote-prod"];
    assert_eq!(job["needs"], "rampart");
    let steps = job["steps"].as_array().unwrap();
    let script = steps
        .iter()
        .find(|s| s["name"] == "Staging's network probes passed for this commit")
        .unwrap()["run"]
        .as_str()
        .unwrap();
    assert!(
        steps.last().unwrap()["run"]
            .as_str()
            .unwrap()
            .contains("refs/heads/prod")
    );
    let tmp = tempfile::TempDir::new().unwrap();
    let bin = tmp.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let log = tmp.path().join("kubectl.log");
    let run = |complete: bool| {
        let stub = format!(
            "#!/bin/sh\necho \"$*\" >> '{}'\ncase \"$*\" in\n  *condition=Complete*) exit {} ;;\n  *custom-columns*) echo 'shop netprobe-web-0123abcd' ;;\nesac\n",
            log.display(),
            if complete { 0 } else { 1 }
        );
        std::fs::write(bin.join("kubectl"), stub).unwrap();
        Command::new("chmod")
            .arg("+x")
            .arg(bin.join("kubectl"))
            .status()
            .unwrap();
        let _ = std::fs::remove_file(&log);
        let path = format!("{}:{}", bin.display(), std::env::var("PATH").unwrap());
        let out: crate::support::Run = Command::new("bash")
            .args(["-e", "-c", script])
            .current_dir(&repo.dir)
            .env("PATH", path)
            .env("RUNNER_TEMP", tmp.path())
            .env("STAGING_KUBECONFIG", "apiVersion: v1\nkind: Config\n")
            .output()
            .unwrap()
            .into();
        (out, std::fs::read_to_string(&log).unwrap_or_default())
    };
    let files: String = probe_files(&repo, "staging")
        .iter()
        .map(|f| format!("-f {f} "))
        .collect();
    let (out, calls) = run(true);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(
        calls,
        format!(
            "wait --for=create {files}--timeout=20m\nwait --for=condition=Complete {files}--timeout=10m\n"
        )
    );
    assert!(tmp.path().join("staging.kubeconfig").exists());
    let (out, calls) = run(false);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        calls.contains("-n shop logs job/netprobe-web-0123abcd --tail=-1"),
        "{calls}"
    );
    assert!(out.stderr.contains("prod stays where it is"), "{out:?}");
}
