//! Symbolic links: never followed among a repository's inputs (refused unread, exit 2,
//! nothing written), skipped with a note when `check`, `scan` and `import` walk a directory,
//! read as given when named on the command line.

use crate::support::{Repo, Run, rampart};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// In every file outside the repository; must never appear in any output or commit.
const MARKER: &str = "OUTSIDE-MARKER-3f9c1d";

/// A valid request, so that following the link would render and commit it.
fn outside_request(name: &str) -> String {
    format!(
        "apiVersion: rampart.dev/v1alpha1\nkind: NamespaceRequest\nname: {name}\nteam: t\ndescription: {MARKER}\nlabels: {{cost-center: c1, data-classification: internal}}\n"
    )
}

/// A directory outside the repository, holding `files`.
fn outside(files: &[(&str, &str)]) -> TempDir {
    let dir = TempDir::new().expect("temp dir");
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).expect("write outside file");
    }
    dir
}

/// Moves `rel` of the repository to `to` and puts a link to it in its place.
fn replace_with_link(repo: &Repo, rel: &str, to: &Path) {
    std::fs::rename(repo.dir.join(rel), to).expect("move out");
    symlink(to, repo.dir.join(rel)).expect("symlink");
}

#[track_caller]
fn assert_no_marker(repo: &Repo, out: &Run) {
    assert!(!out.stdout.contains(MARKER), "stdout leaks: {out:?}");
    assert!(!out.stderr.contains(MARKER), "stderr leaks: {out:?}");
    let history = repo.git(&["log", "--all", "-p", "--format=%B"]);
    assert!(!history.contains(MARKER), "a commit holds outside content");
}

#[test]
fn inputs_behind_a_symbolic_link_are_refused_unread_and_nothing_is_written() {
    struct Case {
        name: &'static str,
        /// Puts the link in place; returns the directory it points into (kept alive).
        setup: fn(&Repo) -> TempDir,
        error: &'static str,
        /// Whether `cluster-config` reads the linked input (it reads no request).
        cluster_config: bool,
    }
    let cases = [
        Case {
            name: "request linked to a file outside",
            setup: |repo| {
                let dir = outside(&[("evil.yaml", &outside_request("evil"))]);
                symlink(
                    dir.path().join("evil.yaml"),
                    repo.dir.join("specs/evil.yaml"),
                )
                .unwrap();
                dir
            },
            error: "specs/evil.yaml: error: this input file is a symbolic link; Rampart never follows links among its inputs",
            cluster_config: false,
        },
        Case {
            name: "request linked to /etc/passwd",
            setup: |repo| {
                symlink("/etc/passwd", repo.dir.join("specs/passwd.yaml")).unwrap();
                outside(&[])
            },
            error: "specs/passwd.yaml: error: this input file is a symbolic link",
            cluster_config: false,
        },
        Case {
            name: "specs/ linked to a directory outside",
            setup: |repo| {
                let dir = outside(&[("evil.yaml", &outside_request("evil"))]);
                let to = dir.path().join("specs");
                replace_with_link(repo, "specs", &to);
                std::fs::write(to.join("evil.yaml"), outside_request("evil")).unwrap();
                dir
            },
            error: "specs: error: this input directory is a symbolic link",
            cluster_config: false,
        },
        Case {
            name: "environments/ linked to a directory outside",
            setup: |repo| {
                let dir = outside(&[]);
                replace_with_link(repo, "environments", &dir.path().join("environments"));
                std::fs::write(dir.path().join("environments/README"), MARKER).unwrap();
                dir
            },
            error: "environments: error: this input directory is a symbolic link",
            cluster_config: true,
        },
        Case {
            name: "an environment file linked",
            setup: |repo| {
                let dir = outside(&[]);
                replace_with_link(repo, "environments/dev.yaml", &dir.path().join("dev.yaml"));
                dir
            },
            error: "environments/dev.yaml: error: this input file is a symbolic link",
            cluster_config: true,
        },
        Case {
            name: "rampart.yaml linked",
            setup: |repo| {
                let dir = outside(&[]);
                replace_with_link(repo, "rampart.yaml", &dir.path().join("rampart.yaml"));
                dir
            },
            error: "rampart.yaml: error: this input file is a symbolic link",
            cluster_config: true,
        },
    ];
    for case in cases {
        let repo = Repo::init();
        let _outside = (case.setup)(&repo);
        let before = repo.state();
        let head = repo.head();
        for args in [
            &["render"][..],
            &["render", "--check"],
            &["plan"],
            &["new", "other", "--team", "t", "--app", "api"],
            &["cluster-config", "--env", "dev", "--out", "../out"],
        ] {
            if args[0] == "cluster-config" && !case.cluster_config {
                continue;
            }
            let out = repo.rampart(args);
            let what = format!("{} ({args:?})", case.name);
            assert_eq!(out.code, 2, "{what}: {out:?}");
            assert!(out.stderr.contains(case.error), "{what}: {}", out.stderr);
            assert!(
                out.stderr.contains("help: replace the link with the"),
                "{what}: {}",
                out.stderr
            );
            assert!(
                out.stderr.contains("refused: nothing was written"),
                "{what}: {}",
                out.stderr
            );
            assert!(!out.stderr.contains("root:"), "{what}: {}", out.stderr);
            assert_no_marker(&repo, &out);
            assert_eq!(repo.head(), head, "{what}: committed");
            assert_eq!(repo.state(), before, "{what}: the work tree changed");
            assert!(!repo.dir.join("../out").exists(), "{what}: wrote output");
        }
    }
}

#[test]
fn a_blueprint_file_that_is_a_symbolic_link_is_refused() {
    let repo = Repo::init();
    let blueprint = repo.dir.parent().unwrap().join("blueprint");
    std::fs::create_dir_all(&blueprint).unwrap();
    let builtin = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../blueprints/hardened-namespace");
    for entry in std::fs::read_dir(builtin).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, blueprint.join(path.file_name().unwrap())).unwrap();
    }
    let dir = outside(&[("notes.yaml.hbs", MARKER)]);
    symlink(
        dir.path().join("notes.yaml.hbs"),
        blueprint.join("notes.yaml.hbs"),
    )
    .unwrap();
    let before = repo.state();
    let out = repo.rampart(&["render", "--blueprints", blueprint.to_str().unwrap()]);
    assert_eq!(out.code, 2, "{out:?}");
    let link = blueprint.join("notes.yaml.hbs");
    assert!(
        out.stderr.contains(&format!(
            "{}: error: this input file is a symbolic link",
            link.display()
        )),
        "{}",
        out.stderr
    );
    assert_no_marker(&repo, &out);
    assert_eq!(repo.state(), before);
}

/// A directory with one clean manifest, a link to a manifest outside (a privileged pod
/// holding an AWS key) and a link to a directory outside holding the same.
fn tree_with_links() -> (TempDir, TempDir, PathBuf) {
    let privileged = format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: evil\n  namespace: x\n  annotations: {{note: {MARKER}}}\nspec:\n  containers:\n  - name: c\n    image: busybox\n    securityContext: {{privileged: true}}\n    env: [{{name: KEY, value: AKIAIOSFODNN7EXAMPLE}}]\n"
    );
    let away = outside(&[("pod.yaml", &privileged)]);
    let work = TempDir::new().unwrap();
    let tree = work.path().join("tree");
    std::fs::create_dir_all(&tree).unwrap();
    std::fs::write(
        tree.join("ns.yaml"),
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n  labels: {pod-security.kubernetes.io/enforce: restricted}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny-all, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n",
    )
    .unwrap();
    symlink(away.path().join("pod.yaml"), tree.join("pod.yaml")).unwrap();
    symlink(away.path(), tree.join("more")).unwrap();
    (away, work, tree)
}

#[test]
fn check_and_scan_skip_links_inside_a_directory_with_a_note() {
    let (_away, work, _tree) = tree_with_links();
    for args in [
        &["check", "tree"][..],
        &["check", "tree", "--format", "json"],
        &["scan", "tree"],
    ] {
        let out = rampart(work.path(), args);
        assert_eq!(out.code, 0, "{args:?}: {out:?}");
        for link in ["tree/pod.yaml", "tree/more"] {
            assert!(
                out.stderr.contains(&format!(
                    "note: {link} is a symbolic link: not followed (links inside a directory are skipped; name the file itself to read it)"
                )),
                "{args:?}: {}",
                out.stderr
            );
        }
        assert!(!out.stdout.contains(MARKER) && !out.stderr.contains(MARKER));
        assert!(!out.stdout.contains("evil"), "{args:?}: {}", out.stdout);
    }
}

#[test]
fn check_and_scan_read_a_link_named_on_the_command_line() {
    let (_away, work, _tree) = tree_with_links();
    let check = rampart(work.path(), &["check", "tree/pod.yaml", "--format", "json"]);
    assert_eq!(check.code, 1, "{check:?}");
    assert!(
        check.stdout.contains("\"file\": \"tree/pod.yaml\""),
        "{}",
        check.stdout
    );
    let scan = rampart(work.path(), &["scan", "tree/pod.yaml"]);
    assert_eq!(scan.code, 1, "{scan:?}");
    assert!(
        scan.stdout
            .contains("tree/pod.yaml:12: an AWS access key id"),
        "{}",
        scan.stdout
    );
    // A linked directory named on the command line is walked: it was named too.
    let walked = rampart(work.path(), &["scan", "tree/more"]);
    assert_eq!(walked.code, 1, "{walked:?}");
}

#[test]
fn audit_reads_a_kubeconfig_named_through_a_link() {
    let away = outside(&[(
        "config",
        "apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n",
    )]);
    let work = TempDir::new().unwrap();
    let link = work.path().join("kubeconfig");
    symlink(away.path().join("config"), &link).unwrap();
    let out = rampart(
        work.path(),
        &[
            "audit",
            "--kubeconfig",
            link.to_str().unwrap(),
            "--context",
            "prod",
        ],
    );
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .starts_with("error: cannot use context `prod` of the kubeconfig\n"),
        "read through the link, found no context: {out:?}"
    );
}

/// The files of shop's dev output moved outside the repository, and a link to them where
/// the directory was: a write or delete through it would change files outside.
fn link_namespace_dir_outside(repo: &Repo) -> TempDir {
    let away = TempDir::new().expect("temp dir");
    let target = away.path().join("shop");
    replace_with_link(repo, "clusters/dev/namespaces/shop", &target);
    for file in std::fs::read_dir(&target).unwrap() {
        let file = file.unwrap().path();
        std::fs::write(&file, MARKER).unwrap();
    }
    away
}

/// Every file below `dir` with its content.
fn contents(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let path = e.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            (path, bytes)
        })
        .collect();
    out.sort();
    out
}

#[track_caller]
fn assert_refused_for_the_link(repo: &Repo, out: &Run) {
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains(
            "error: clusters/dev/namespaces/shop is a symbolic link where rampart keeps generated files\n"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr
            .contains("help: rampart never writes or deletes through a link or over a file it did not make: remove it (`rm clusters/dev/namespaces/shop`) and run again"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.ends_with("\nnothing was committed\n"),
        "{}",
        out.stderr
    );
    assert!(!out.stdout.contains("committed"), "{}", out.stdout);
    assert!(
        !repo.dir.join(".git/rampart-update").exists(),
        "no work-tree update was started"
    );
}

#[test]
fn a_link_in_place_of_a_removed_namespace_directory_is_refused_and_nothing_outside_is_deleted() {
    let repo = Repo::init();
    repo.git(&["rm", "-q", "specs/shop.yaml"]);
    repo.git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@t",
        "commit",
        "-qm",
        "rm shop",
    ]);
    let away = link_namespace_dir_outside(&repo);
    let outside_before = contents(&away.path().join("shop"));
    assert!(outside_before.len() > 3, "{outside_before:?}");
    let head = repo.head();

    let out = repo.rampart(&["render"]);
    assert_refused_for_the_link(&repo, &out);
    assert_eq!(repo.head(), head, "committed");
    assert_eq!(contents(&away.path().join("shop")), outside_before);

    // Once the link is gone, the removal goes through, and still leaves the outside alone.
    std::fs::remove_file(repo.dir.join("clusters/dev/namespaces/shop")).unwrap();
    repo.rampart(&["render"]).ok();
    let tree = repo.git(&["ls-tree", "-r", "--name-only", "HEAD"]);
    assert!(!tree.contains("namespaces/shop/"), "{tree}");
    assert_eq!(contents(&away.path().join("shop")), outside_before);
    assert_eq!(repo.status(), "");
}

#[test]
fn a_link_in_place_of_a_kept_namespace_directory_is_refused_before_anything_is_committed() {
    let repo = Repo::init();
    let away = link_namespace_dir_outside(&repo);
    let outside_before = contents(&away.path().join("shop"));
    let head = repo.head();
    // An input change too, so that the render has something to commit.
    let spec = repo.read("specs/shop.yaml");
    repo.write("specs/shop.yaml", &spec.replace("team: ", "team: x"));

    for args in [
        &["render"][..],
        &["new", "other", "--team", "t", "--app", "api"],
    ] {
        let out = repo.rampart(args);
        assert_refused_for_the_link(&repo, &out);
        assert_eq!(repo.head(), head, "{args:?} committed");
        assert_eq!(contents(&away.path().join("shop")), outside_before);
    }

    std::fs::remove_file(repo.dir.join("clusters/dev/namespaces/shop")).unwrap();
    repo.rampart(&["render"]).ok();
    assert_ne!(repo.head(), head);
    assert!(repo.dir.join("clusters/dev/namespaces/shop").is_dir());
    assert_eq!(repo.status(), "");
    assert_eq!(contents(&away.path().join("shop")), outside_before);
}

#[test]
fn import_reads_a_link_named_on_the_command_line_and_skips_links_inside_a_directory() {
    let repo = Repo::init();
    let away = outside(&[(
        "app.yaml",
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata: {labels: {app: web}}\n    spec:\n      containers: [{name: web, image: nginx:1.27}]\n",
    )]);
    let tree = TempDir::new().unwrap();
    symlink(away.path().join("app.yaml"), tree.path().join("app.yaml")).unwrap();
    let import = |from: &Path| {
        repo.rampart(&[
            "import",
            "legacy",
            "--team",
            "t",
            "--from",
            from.to_str().unwrap(),
            "--dry-run",
        ])
    };
    // Named on the command line, as `check` and `scan` read it: the user named it.
    let named = import(&tree.path().join("app.yaml"));
    assert!(named.ok().contains("legacy/web"), "{named:?}");
    // Inside a directory, skipped with a note: nothing is read, so nothing is imported.
    let walked = import(tree.path());
    assert!(
        walked
            .stderr
            .contains("app.yaml is a symbolic link: not followed"),
        "{walked:?}"
    );
    assert!(!walked.stdout.contains("legacy/web"), "{walked:?}");
}
