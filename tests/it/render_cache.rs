//! The local render cache (.git/rampart/render-cache): reused on unchanged inputs, never
//! reused when anything the output depends on changed.

use crate::support::Repo;

fn reused(repo: &Repo, args: &[&str]) -> usize {
    let mut all = vec!["-v"];
    all.extend_from_slice(args);
    let out = repo.rampart(&all);
    out.ok();
    reused_in_log(&out.stderr)
}

/// How many namespaces the `render cache read` line of a `-v` log says were reused.
fn reused_in_log(stderr: &str) -> usize {
    let line = stderr
        .lines()
        .find(|l| l.contains("render cache read"))
        .unwrap_or_else(|| panic!("no cache log line:\n{stderr}"));
    let tail = line.split("reused").nth(1).unwrap();
    tail.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
}

/// A copy of the built-in namespace blueprint beside the repository, for `--blueprints`.
pub fn copy_of_the_builtin_blueprint(repo: &Repo) -> std::path::PathBuf {
    let dir = repo.dir.parent().unwrap().join("bp");
    std::fs::create_dir_all(&dir).unwrap();
    let builtin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../blueprints/hardened-namespace");
    for entry in std::fs::read_dir(builtin).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
    dir
}

#[test]
fn unchanged_namespaces_are_reused_and_changed_inputs_render_again() {
    let repo = Repo::init();
    assert!(repo.dir.join(".git/rampart/render-cache").is_file());
    assert_eq!(
        reused(&repo, &["render"]),
        3,
        "shop in dev, staging and prod"
    );

    // An environment change re-renders that environment only, and shows in the output.
    let prod = repo
        .read("environments/prod.yaml")
        .replace("replicas: 3", "replicas: 4");
    repo.write("environments/prod.yaml", &prod);
    assert_eq!(reused(&repo, &["render"]), 2);
    assert!(
        repo.read("clusters/prod/namespaces/shop/workload-web.yaml")
            .contains("replicas: 4")
    );

    // So does a request change, in every environment.
    let spec = repo.read("specs/shop.yaml").replace("cc-4711", "cc-4712");
    repo.write("specs/shop.yaml", &spec);
    assert_eq!(reused(&repo, &["render"]), 0);
    assert!(
        repo.read("clusters/dev/namespaces/shop/namespace.yaml")
            .contains("cc-4712")
    );
    assert!(repo.rampart(&["render", "--check"]).ok().starts_with("ok:"));
}

#[test]
fn a_missing_or_damaged_cache_only_costs_a_render() {
    let repo = Repo::init();
    let cache = repo.dir.join(".git/rampart/render-cache");
    let text = std::fs::read_to_string(&cache).unwrap();
    // Point every entry at blobs that do not exist.
    let damaged: String = text
        .lines()
        .map(|l| {
            l.split(' ')
                .map(|w| match w.split_once(':') {
                    Some((name, _)) => format!("{name}:{}", "0".repeat(40)),
                    None => w.to_string(),
                })
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&cache, damaged).unwrap();
    let before = repo.state();
    assert_eq!(reused(&repo, &["render"]), 0);
    assert_eq!(repo.state(), before);
    std::fs::write(&cache, "garbage").unwrap();
    assert_eq!(reused(&repo, &["render"]), 0);
    std::fs::remove_file(&cache).unwrap();
    assert_eq!(reused(&repo, &["render"]), 0);
    assert_eq!(reused(&repo, &["render"]), 3, "the cache is written again");
}

#[test]
fn a_custom_blueprint_is_part_of_the_fingerprint() {
    let repo = Repo::init();
    let dir = copy_of_the_builtin_blueprint(&repo);
    let dir = dir.display().to_string();
    assert_eq!(
        reused(&repo, &["render", "--blueprints", &dir]),
        3,
        "an identical copy renders the same"
    );
    let limits = std::path::Path::new(&dir).join("limits.yaml.hbs");
    std::fs::write(
        &limits,
        std::fs::read_to_string(&limits)
            .unwrap()
            .replace("namespace-quota", "quota"),
    )
    .unwrap();
    assert_eq!(reused(&repo, &["render", "--blueprints", &dir]), 0);
    assert!(
        repo.read("clusters/dev/namespaces/shop/limits.yaml")
            .contains("name: quota")
    );
}

/// `rampart -v render --check …`: how many namespaces it reused, and the run.
fn check_reusing(repo: &Repo, bin: &str, args: &[&str]) -> (usize, crate::support::Run) {
    let out: crate::support::Run = std::process::Command::new(bin)
        .args(["-v", "render", "--check"])
        .args(args)
        .current_dir(&repo.dir)
        .env_remove("RAMPART_REPO")
        .env_remove("RAMPART_BLUEPRINTS")
        .output()
        .expect("run rampart")
        .into();
    (reused_in_log(&out.stderr), out)
}

#[test]
fn render_check_reuses_the_cache_and_still_finds_every_kind_of_drift() {
    let repo = Repo::init();
    let bin = crate::support::rampart_bin();
    let (reused, out) = check_reusing(&repo, bin, &[]);
    assert_eq!((reused, out.code), (3, 0), "{out:?}");
    let cache = repo.dir.join(".git/rampart/render-cache");
    let cache_before = std::fs::read(&cache).unwrap();

    // A hand edit of the same length (the size alone does not give it away), a deleted
    // file and a left-over one, all in namespaces the check takes from the cache.
    let quota = "clusters/prod/namespaces/shop/limits.yaml";
    let text = repo.read(quota);
    let edited = text.replacen("namespace-quota", "namespace-qu0ta", 1);
    assert_ne!(text, edited);
    assert_eq!(text.len(), edited.len());
    repo.write(quota, &edited);
    std::fs::remove_file(repo.dir.join("clusters/dev/namespaces/shop/limits.yaml")).unwrap();
    repo.write(
        "clusters/staging/namespaces/shop/extra.yaml",
        "kind: ConfigMap\n",
    );
    let before = repo.state();
    let (reused, out) = check_reusing(&repo, bin, &[]);
    assert_eq!((reused, out.code), (3, 1), "{out:?}");
    assert!(
        out.stdout.contains(&format!(
            "{quota}: stale or hand-edited: differs from what the requests render"
        )),
        "{out:?}"
    );
    assert!(
        out.stdout
            .contains("clusters/dev/namespaces/shop/limits.yaml: missing: not rendered yet"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains(
            "clusters/staging/namespaces/shop/extra.yaml: left over: no request renders it"
        ),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("3 generated file(s) out of date"),
        "{out:?}"
    );
    // The check wrote nothing: not the work tree, not the cache.
    assert_eq!(repo.state(), before);
    assert_eq!(std::fs::read(&cache).unwrap(), cache_before);
}

#[test]
fn a_changed_blueprint_or_binary_is_never_judged_by_what_the_cache_holds() {
    let repo = Repo::init();
    let dir = copy_of_the_builtin_blueprint(&repo);
    let bp = dir.display().to_string();
    let bin = crate::support::rampart_bin();
    let (reused, out) = check_reusing(&repo, bin, &["--blueprints", &bp]);
    assert_eq!((reused, out.code), (3, 0), "{out:?}");

    // A blueprint that renders differently: nothing reused, every namespace's quota stale.
    let limits = dir.join("limits.yaml.hbs");
    let template = std::fs::read_to_string(&limits).unwrap();
    std::fs::write(&limits, template.replace("namespace-quota", "quota")).unwrap();
    let (reused, out) = check_reusing(&repo, bin, &["--blueprints", &bp]);
    assert_eq!((reused, out.code), (0, 1), "{out:?}");
    for env in ["dev", "staging", "prod"] {
        let path = format!("clusters/{env}/namespaces/shop/limits.yaml");
        assert!(out.stdout.contains(&format!("{path}: stale")), "{out:?}");
    }
    std::fs::write(&limits, template).unwrap();

    // Another binary (here: the same build copied, so its identity differs) reuses nothing
    // and judges the files by rendering them again.
    let copy = repo.dir.parent().unwrap().join("rampart-copy");
    std::fs::copy(bin, &copy).unwrap();
    let copy = copy.display().to_string();
    let (reused, out) = check_reusing(&repo, &copy, &["--blueprints", &bp]);
    assert_eq!((reused, out.code), (0, 0), "{out:?}");
}
