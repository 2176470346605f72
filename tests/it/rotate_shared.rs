//! The pin invariant across a shared backend and an unpushed commit: `rampart rotate
//! --force --env dev`, run again and again against one real OpenBao, never makes KV v2's
//! `max_versions` prune a version that staging pins, or that the remote base branch still
//! pins while the local commits are not pushed.

use crate::rotate::{FIRST_PASSWORD, KEY, current_version, seed_versions, use_vault};
use crate::rotate_kill::{dev_only_repo, pin_in_head};
use crate::support::{Repo, Run, rampart_bin};
use rampart_testkit::OpenBao;
use std::process::Command;

fn rotate_dev(repo: &Repo, bao: &OpenBao) -> Run {
    Command::new(rampart_bin())
        .args(["rotate", "--env", "dev", "--force"])
        .current_dir(&repo.dir)
        .env("VAULT_TOKEN", bao.root_token())
        .env_remove("BAO_TOKEN")
        .output()
        .expect("run rampart rotate")
        .into()
}

/// KV v2 keeps 3 versions of the key, and dev's rotations keep 3.
fn keep_three(repo: &Repo, bao: &OpenBao) {
    let out = bao
        .request(
            "POST",
            &format!("/v1/secret/metadata/{KEY}"),
            Some(r#"{"max_versions":3}"#),
        )
        .expect("metadata");
    assert_eq!(out.status, 204, "{}", out.body);
    let dev = repo
        .read("environments/dev.yaml")
        .replace("keepVersions: 5", "keepVersions: 3");
    repo.write("environments/dev.yaml", &dev);
    repo.rampart(&["render"]).ok();
}

fn version_3_holds_the_first_password(bao: &OpenBao) {
    let out = bao
        .request("GET", &format!("/v1/secret/data/{KEY}?version=3"), None)
        .expect("read");
    assert_eq!(out.status, 200, "version 3 is gone: {}", out.body);
    assert!(out.body.contains(FIRST_PASSWORD));
}

#[test]
fn dev_rotations_on_a_backend_staging_shares_never_prune_stagings_pin() {
    let bao = OpenBao::start();
    let repo = Repo::init();
    use_vault(&repo, &bao.addr());
    repo.rampart(&["render"]).ok();
    seed_versions(&bao);
    keep_three(&repo, &bao);

    for expected in ["4", "5"] {
        rotate_dev(&repo, &bao).ok();
        assert_eq!(pin_in_head(&repo, "api", "api-db"), expected);
    }
    // Writing 6 would keep 4..=6: staging's (and prod's) version 3 would go.
    let before = repo.head();
    let out = rotate_dev(&repo, &bao);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stdout.contains(
            "would make the backend drop version 3, which Git still pins (environment staging in specs/shop.yaml;"
        ),
        "{}",
        out.stdout
    );
    assert_eq!(current_version(&bao), 5, "nothing was written");
    assert_eq!(repo.head(), before, "nothing was committed");
    version_3_holds_the_first_password(&bao);
}

#[test]
fn an_unpushed_local_pin_cannot_make_the_version_the_remote_pins_disappear() {
    let bao = OpenBao::start();
    let repo = dev_only_repo(&bao.addr());
    repo.rampart(&["render"]).ok();
    seed_versions(&bao);
    keep_three(&repo, &bao);
    let remote = tempfile::TempDir::new().expect("tempdir");
    let origin = remote.path().join("origin.git");
    let origin = origin.to_str().expect("UTF-8 path");
    crate::support::git(remote.path(), &["init", "--bare", "-q", origin]);
    repo.git(&["remote", "add", "origin", origin]);
    repo.git(&["push", "-q", "-u", "origin", "HEAD"]);

    // Local commits (commit delivery), not pushed: origin's main still pins dev to 3.
    for expected in ["4", "5"] {
        rotate_dev(&repo, &bao).ok();
        assert_eq!(pin_in_head(&repo, "api", "api-db"), expected);
    }
    let out = rotate_dev(&repo, &bao);
    assert_eq!(out.code, 1, "{out:?}");
    let branch = repo.git(&["branch", "--show-current"]);
    assert!(
        out.stdout.contains(&format!(
            "drop version 3, which Git still pins (environment dev in specs/shop.yaml on origin/{};",
            branch.trim()
        )),
        "{}",
        out.stdout
    );
    assert_eq!(current_version(&bao), 5, "nothing was written");
    version_3_holds_the_first_password(&bao);

    // Once the pins are pushed, the remote pins 5 and the rotation goes ahead.
    repo.git(&["push", "-q", "origin", "HEAD"]);
    rotate_dev(&repo, &bao).ok();
    assert_eq!(pin_in_head(&repo, "api", "api-db"), "6");
    assert_eq!(current_version(&bao), 6);
}
