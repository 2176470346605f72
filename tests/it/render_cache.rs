//! The local render cache (.git/rampart/render-cache): reused on unchanged inputs, never
//! reused when anything the output depends on changed.

use crate::support::Repo;

fn reused(repo: &Repo, args: &[&str]) -> usize {
    let mut all = vec!["-v"];
    all.extend_from_slice(args);
    let out = repo.rampart(&all);
    out.ok();
    let line = out
        .stderr
        .lines()
        .find(|l| l.contains("render cache read"))
        .unwrap_or_else(|| panic!("no cache log line:\n{}", out.stderr));
    let tail = line.split("reused").nth(1).unwrap();
    tail.chars()
        .filter(char::is_ascii_digit)
        .collect::<String>()
        .parse()
        .unwrap()
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
    let dir = repo.dir.parent().unwrap().join("bp");
    std::fs::create_dir_all(&dir).unwrap();
    let builtin = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../blueprints/hardened-namespace");
    for entry in std::fs::read_dir(builtin).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.join(path.file_name().unwrap())).unwrap();
    }
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
