//! `rampart retire` end to end: the real binary against a real PostgreSQL and OpenBao, a
//! real Git repository, and one Kubernetes API server per environment (real HTTP, serving
//! the objects HEAD renders as the API server holds them once applied) behind a kubeconfig.
//! The previous role is retired only once every environment runs the pin; SIGKILLed at
//! random moments, the next run converges and nothing pinned ever breaks.

use crate::rotate::{KEY, current_version, use_vault};
use crate::rotate_kill::KillMoments;
use crate::support::{Repo, Run, rampart_bin};
use rampart_kube::status::rendered_namespaces;
use rampart_kube::testing::object_path;
use rampart_testkit::{CrashProxy, ObjectApi, OpenBao, Postgres};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::process::{Command, Stdio};
use std::time::Instant;

/// The password of `app`, which version 3 (the pin everywhere) holds.
pub(crate) const PINNED_PASSWORD: &str = "pinned-password-0003";
/// The password of `app_alt` from the rotation before: the credential to retire.
pub(crate) const PREVIOUS_PASSWORD: &str = "previous-password-0002";
const ENVIRONMENTS: [&str; 3] = ["dev", "staging", "prod"];
const TRIALS: usize = 10;
const SEED: u64 = 0x5eed_2525;

pub(crate) struct World {
    pub(crate) pg: Postgres,
    pub(crate) bao: OpenBao,
    /// In front of OpenBao when the world was made with [`world_behind_proxy`].
    proxy: Option<CrashProxy>,
    pub(crate) repo: Repo,
    clusters: Vec<(&'static str, ObjectApi)>,
    pub(crate) kubeconfig: tempfile::NamedTempFile,
}

/// What HEAD renders for `env`, as the API server holds it once Argo CD applied it, ESO
/// synced each ExternalSecret and every Deployment rolled.
pub(crate) fn applied(repo: &Repo, env: &str) -> BTreeMap<String, Value> {
    let files: Vec<(String, Vec<u8>)> = repo
        .files_under(&format!("clusters/{env}/namespaces"))
        .into_iter()
        .map(|f| {
            let bytes = std::fs::read(repo.dir.join(&f)).expect("a rendered file");
            (f, bytes)
        })
        .collect();
    let rendered = rendered_namespaces(env, files.iter().map(|(f, b)| (f.as_str(), b.as_slice())))
        .expect("HEAD renders readable files")
        .into_iter()
        .flat_map(|namespace| namespace.objects);
    rampart_kube::testing::applied(rendered)
        .into_iter()
        .map(|object| (object_path(&object), object))
        .collect()
}

/// [`applied`] for prod with its api Deployment still rolling to the pin.
pub(crate) fn rolling(repo: &Repo) -> BTreeMap<String, Value> {
    let mut objects = applied(repo, "prod");
    let api = objects
        .values_mut()
        .find(|o| o["kind"] == "Deployment" && o["metadata"]["name"] == "api")
        .expect("the api Deployment");
    api["status"]["updatedReplicas"] = json!(1);
    objects
}

/// PostgreSQL with `app` (pinned) and `app_alt` (previous) in one group role; OpenBao with
/// versions 1–3 of the example's secret (3 names `app`) and the admin login; the example
/// repository with `retirePrevious`, every environment on that OpenBao and rendered; a
/// cluster per environment running what HEAD renders.
pub(crate) async fn world() -> World {
    world_with(false).await
}

/// [`world`] with every environment reaching OpenBao through a [`CrashProxy`].
async fn world_behind_proxy() -> World {
    world_with(true).await
}

async fn world_with(proxied: bool) -> World {
    let pg = Postgres::start();
    pg.admin_sql(&format!(
        "CREATE ROLE app_group NOLOGIN;
             CREATE ROLE app LOGIN PASSWORD '{PINNED_PASSWORD}' IN ROLE app_group;
             CREATE ROLE app_alt LOGIN PASSWORD '{PREVIOUS_PASSWORD}' IN ROLE app_group;
             CREATE TABLE orders (id int);
             GRANT SELECT ON orders TO app_group;"
    ))
    .await;
    let bao = OpenBao::start();
    for (role, password) in [
        ("app", "initial-password-0001"),
        ("app_alt", PREVIOUS_PASSWORD),
        ("app", PINNED_PASSWORD),
    ] {
        let data = json!({"username": role, "password": password, "host": pg.host(),
            "port": pg.port().to_string(), "dbname": pg.database()});
        bao.put(KEY, &data, None);
    }
    let admin = json!({"username": pg.admin_user(), "password": pg.admin_password()});
    bao.put("shop/db-admin", &admin, None);

    let proxy = proxied.then(|| CrashProxy::start(bao.port(), None));
    let repo = Repo::init();
    use_vault(
        &repo,
        &proxy.as_ref().map_or_else(|| bao.addr(), CrashProxy::url),
    );
    // Staging's and prod's rotator log in with Kubernetes auth in their clusters; here, as
    // dev's does, with VAULT_TOKEN.
    for env in ["staging", "prod"] {
        let rel = format!("environments/{env}.yaml");
        let text = repo.read(&rel).replace(
            "      auth: kubernetes                    # the rotator's ServiceAccount, in the cluster\n      role: rampart-rotator               # Vault role allowed to write the rotated keys\n      mountPath: kubernetes\n",
            "      auth: token\n",
        );
        assert!(!text.contains("auth: kubernetes    "), "{rel}: {text}");
        repo.write(&rel, &text);
    }
    let spec = repo
        .read("specs/shop.yaml")
        .replace(
            "        properties: [username, password]\n        version: 3\n",
            "        properties: [username, password, host, port, dbname]\n        version: 3\n",
        )
        .replace(
            "          # postgres:                     # also change the password in PostgreSQL\n",
            "          postgres: {adminSecret: shop/db-admin, retirePrevious: true}\n",
        );
    assert!(
        spec.contains("retirePrevious: true") && spec.contains("dbname]"),
        "{spec}"
    );
    repo.write("specs/shop.yaml", &spec);
    repo.rampart(&["render"]).ok();
    assert_eq!(repo.status(), "", "rendered and committed");

    let clusters: Vec<(&str, ObjectApi)> = ENVIRONMENTS
        .iter()
        .map(|env| (*env, ObjectApi::start(applied(&repo, env))))
        .collect();
    let contexts: Vec<(&str, String)> = clusters.iter().map(|(e, api)| (*e, api.url())).collect();
    let kubeconfig = tempfile::NamedTempFile::new().expect("kubeconfig file");
    std::fs::write(kubeconfig.path(), rampart_testkit::kubeconfig(&contexts))
        .expect("write kubeconfig");
    World {
        pg,
        bao,
        proxy,
        repo,
        clusters,
        kubeconfig,
    }
}

impl World {
    fn command(&self, extra: &[&str]) -> Command {
        let mut c = Command::new(rampart_bin());
        c.arg("retire")
            .arg("--kubeconfig")
            .arg(self.kubeconfig.path())
            .args(extra)
            .current_dir(&self.repo.dir)
            .env("VAULT_TOKEN", self.bao.root_token())
            .env_remove("BAO_TOKEN")
            .env_remove("KUBECONFIG");
        c
    }

    fn retire(&self, extra: &[&str]) -> Run {
        self.command(extra)
            .output()
            .expect("run rampart retire")
            .into()
    }

    pub(crate) fn cluster(&self, env: &str) -> &ObjectApi {
        &self
            .clusters
            .iter()
            .find(|(e, _)| *e == env)
            .expect("a cluster")
            .1
    }

    /// No secret value in `run`'s output, nothing but GETs of non-Secrets asked of a cluster.
    fn assert_clean(&self, run: &Run) {
        for secret in [
            PINNED_PASSWORD,
            PREVIOUS_PASSWORD,
            self.pg.admin_password(),
            self.bao.root_token(),
        ] {
            assert!(
                !run.stdout.contains(secret) && !run.stderr.contains(secret),
                "a secret value in the output:\n{}\n{}",
                run.stdout,
                run.stderr
            );
        }
        for (env, api) in &self.clusters {
            assert_eq!(api.refused(), Vec::<String>::new(), "{env}");
        }
    }
}

#[tokio::test]
async fn the_previous_role_is_retired_only_once_every_cluster_runs_the_pin() {
    let w = world().await;
    let head = w.repo.head();

    // prod's api Deployment is still rolling: nothing retired, exit 1.
    w.cluster("prod").set(rolling(&w.repo));
    let run = w.retire(&["-vv"]);
    // The README shows these outputs (`--nocapture`).
    eprintln!("{}", run.stdout);
    assert_eq!(run.code, 1, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("not retired  app/app_alt on 127.0.0.1:")
            && run
                .stdout
                .contains("shop/api-db (prod): version 3 is not live"),
        "{}",
        run.stdout
    );
    w.assert_clean(&run);
    assert!(
        w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await,
        "not retired yet"
    );

    // A context for an environment rampart.yaml does not list: bad input, exit 2.
    let run = w.retire(&["--context", "qa=qa-cluster"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("error: --context qa=…: `qa` is not an environment of rampart.yaml")
            && run.stderr.contains("help: use one of dev, staging, prod"),
        "{}",
        run.stderr
    );

    // A context the kubeconfig lacks: the cluster cannot be read, exit 2, nothing retired.
    let run = w.retire(&["--context", "prod=nowhere"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("environment prod (kubeconfig context nowhere)"),
        "{}",
        run.stderr
    );
    assert!(w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await);

    // Rolled everywhere: `app_alt` is retired; the pinned credential keeps working.
    w.cluster("prod").set(applied(&w.repo, "prod"));
    let run = w.retire(&["-vv"]);
    eprintln!("{}", run.stdout);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("retired      app_alt of app/app_alt on 127.0.0.1:")
            && run
                .stdout
                .contains("shop/api-db (dev), shop/api-db (staging), shop/api-db (prod)"),
        "{}",
        run.stdout
    );
    w.assert_clean(&run);
    assert!(
        !w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await,
        "retired"
    );
    assert!(
        w.pg.can_read("app", PINNED_PASSWORD, "orders").await,
        "the pin works"
    );
    // Again: harmless. Git and the backend are untouched.
    w.retire(&[]).ok();
    assert!(w.pg.can_read("app", PINNED_PASSWORD, "orders").await);
    assert_eq!(w.repo.head(), head);
    assert_eq!(w.repo.status(), "");
    assert_eq!(current_version(&w.bao), 3);
}

#[tokio::test]
async fn retire_killed_at_random_moments_converges_and_never_breaks_the_pin() {
    let w = world().await;
    let head = w.repo.head();
    // How long a whole run takes, warm (the first run also fills the caches).
    w.retire(&[]).ok();
    let started = Instant::now();
    w.retire(&[]).ok();
    let whole = started.elapsed();
    let mut moments = KillMoments::new(SEED, whole);
    let mut interrupted = 0;
    for trial in 1..=TRIALS {
        // The previous credential back, as a rotation would have left it.
        w.pg.admin_sql(&format!(
            "ALTER ROLE app_alt PASSWORD '{PREVIOUS_PASSWORD}'"
        ))
        .await;
        let mut child = w
            .command(&[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rampart retire");
        let (delay, killed) = moments.kill(&mut child);
        interrupted += usize::from(killed);
        assert!(
            w.pg.can_read("app", PINNED_PASSWORD, "orders").await,
            "trial {trial} (killed after {delay:?}): the pinned credential works"
        );
        let rerun = w.retire(&[]);
        assert_eq!(
            rerun.code, 0,
            "trial {trial}: {}\n{}",
            rerun.stdout, rerun.stderr
        );
        assert!(
            w.pg.can_read("app", PINNED_PASSWORD, "orders").await,
            "trial {trial}"
        );
        assert!(
            !w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await,
            "trial {trial}: the previous credential is retired"
        );
        assert_eq!(w.repo.head(), head, "trial {trial}");
        assert_eq!(w.repo.status(), "", "trial {trial}");
        assert_eq!(current_version(&w.bao), 3, "trial {trial}");
    }
    assert!(
        interrupted >= TRIALS / 2,
        "only {interrupted} of {TRIALS} runs were interrupted (a whole run takes {whole:?})"
    );
}

/// Without `retirePrevious` anywhere there is nothing to do: exit 0, no cluster asked.
#[test]
fn without_retire_previous_nothing_is_retired_and_no_cluster_is_read() {
    let repo = Repo::init();
    let run: Run = Command::new(rampart_bin())
        .args(["retire", "--kubeconfig", "/nonexistent/kubeconfig"])
        .current_dir(&repo.dir)
        .output()
        .expect("run rampart retire")
        .into();
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("nothing to retire: no secret has `rotation.postgres.retirePrevious: true`"),
        "{}",
        run.stdout
    );
}

/// Killed before each of its requests to OpenBao in turn (every read that decides, the
/// admin login last, all before the one `ALTER ROLE`): nothing has changed, and the next
/// run retires.
#[tokio::test]
async fn retire_killed_before_each_backend_request_changes_nothing_and_the_rerun_retires() {
    let w = world_behind_proxy().await;
    let proxy = w.proxy.as_ref().expect("a proxy");
    proxy.arm(None);
    w.retire(&[]).ok();
    let steps = proxy.requests();
    assert!(
        steps >= 6,
        "each environment's pin, the current versions, the admin login: {steps}"
    );
    for kill_at in 1..=steps {
        w.pg.admin_sql(&format!(
            "ALTER ROLE app_alt PASSWORD '{PREVIOUS_PASSWORD}'"
        ))
        .await;
        proxy.arm(Some(kill_at));
        let child = w
            .command(&[])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start rampart retire");
        proxy.watch(child);
        if let Err(status) = proxy.wait_for_kill() {
            panic!("step {kill_at}: rampart finished ({status}) before the kill");
        }
        assert!(
            w.pg.can_read("app", PINNED_PASSWORD, "orders").await,
            "step {kill_at}"
        );
        assert!(
            w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await,
            "step {kill_at}: killed before it changed anything"
        );
        proxy.arm(None);
        let rerun = w.retire(&[]);
        assert_eq!(
            rerun.code, 0,
            "step {kill_at}: {}\n{}",
            rerun.stdout, rerun.stderr
        );
        assert!(
            w.pg.can_read("app", PINNED_PASSWORD, "orders").await,
            "step {kill_at}"
        );
        assert!(
            !w.pg.can_read("app_alt", PREVIOUS_PASSWORD, "orders").await,
            "step {kill_at}: retired by the rerun"
        );
        assert_eq!(current_version(&w.bao), 3, "step {kill_at}");
    }
}
