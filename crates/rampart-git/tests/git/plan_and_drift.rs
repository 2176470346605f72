//! `plan_changes` and `worktree_drift` against real repositories.

use crate::common;

use std::fs;

use common::*;
use git2::Repository;
use rampart_git::{
    ChangeKind, Drift, DriftKind, GitError, blob_id, plan_changes, restore_worktree, worktree_drift,
};

#[test]
fn plan_reports_added_modified_and_deleted_without_writing() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["ns/"]);

    let first = files(&[("ns/a.yaml", "a1"), ("ns/b.yaml", "b1"), ("top.md", "t")]);
    let unborn_plan = plan_changes(&dir, None, &first, &owned).expect("plan on unborn");
    assert_eq!(unborn_plan.len(), 3);
    assert!(unborn_plan.iter().all(|c| c.kind == ChangeKind::Added));
    assert!(unborn_plan.iter().all(|c| c.old_id.is_none()));
    for change in &unborn_plan {
        assert_eq!(change.new_id, Some(blob_id(&first[&change.path])));
    }
    assert_eq!(ref_target(&dir, "HEAD"), None, "planning must not commit");
    let (tip, _, committed_changes) = committed(commit_head(&dir, &first, &owned));
    assert_eq!(committed_changes, unborn_plan);

    let second = files(&[
        ("ns/a.yaml", "a2"),
        ("ns/c/new.yaml", "c"),
        ("other/x", "x"),
    ]);
    let plan = plan_changes(&dir, None, &second, &owned).expect("plan");
    // Old contents are read from the repository, new ones from the file set
    // (the plan writes nothing, so new blobs are not stored yet).
    let summary: Vec<_> = plan
        .iter()
        .map(|c| {
            let new = c.new_id.map(|id| {
                let content = second[&c.path].clone();
                assert_eq!(id, blob_id(&content), "{}", c.path);
                content
            });
            (c.path.as_str(), c.kind, blob(&dir, c.old_id), new)
        })
        .collect();
    let bytes = |s: &str| Some(s.as_bytes().to_vec());
    assert_eq!(
        summary,
        [
            ("ns/a.yaml", ChangeKind::Modified, bytes("a1"), bytes("a2")),
            ("ns/b.yaml", ChangeKind::Deleted, bytes("b1"), None),
            ("ns/c/new.yaml", ChangeKind::Added, None, bytes("c")),
            ("other/x", ChangeKind::Added, None, bytes("x")),
        ]
    );
    assert_eq!(blob(&dir, plan[0].new_id), None, "planning must not write");
    assert_eq!(ref_target(&dir, "HEAD"), Some(tip));
    assert_eq!(fs::read(dir.join("ns/a.yaml")).expect("read"), b"a1");
    assert_clean(&dir);

    // The plan is exactly what the commit then records.
    let (_, _, changes) = committed(commit_head(&dir, &second, &owned));
    assert_eq!(changes, plan);
    assert_eq!(blob(&dir, plan[0].new_id).as_deref(), Some(&b"a2"[..]));
    assert!(
        plan_changes(&dir, None, &second, &owned)
            .expect("plan")
            .is_empty()
    );
}

#[test]
fn plan_for_a_missing_branch_compares_with_head_and_for_an_existing_one_with_its_tip() {
    let (_tmp, dir) = new_repo();
    commit_head(&dir, &files(&[("a", "1"), ("b", "1")]), &[]);
    let wanted = files(&[("a", "2")]);
    let plan = plan_changes(&dir, Some("feature"), &wanted, &[]).expect("plan");
    assert_eq!(plan.len(), 1);
    assert_eq!(plan[0].kind, ChangeKind::Modified);
    assert_eq!(blob(&dir, plan[0].old_id).as_deref(), Some(&b"1"[..]));
    assert_eq!(plan[0].new_id, Some(blob_id(b"2")));
    assert_eq!(ref_target(&dir, "refs/heads/feature"), None);

    commit_on(&dir, Some("feature"), &files(&[("a", "3")]), &[]);
    let plan = plan_changes(&dir, Some("feature"), &wanted, &[]).expect("plan");
    assert_eq!(plan.len(), 1);
    assert_eq!(blob(&dir, plan[0].old_id).as_deref(), Some(&b"3"[..]));
}

#[test]
fn plan_refuses_invalid_input() {
    let (_tmp, dir) = new_repo();
    let err =
        plan_changes(&dir, None, &files(&[(".git/hooks/x", "x")]), &[]).expect_err("bad path");
    assert!(matches!(err, GitError::InvalidPath { .. }), "{err:?}");
    let err = plan_changes(&dir, Some("no..dots"), &files(&[]), &[]).expect_err("bad branch");
    assert!(matches!(err, GitError::InvalidBranch { .. }), "{err:?}");
    let missing = dir.join("does-not-exist");
    let err = plan_changes(&missing, None, &files(&[]), &[]).expect_err("no repo");
    assert!(
        matches!(err, GitError::Open { ref path, .. } if *path == missing),
        "{err:?}"
    );
}

#[test]
fn drift_reports_missing_modified_and_unexpected_files() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["ns/"]);
    let wanted = files(&[
        ("ns/a.yaml", "a"),
        ("ns/b.yaml", "b"),
        ("ns/sub/c.yaml", "c"),
        ("ns/sub/d.yaml", "d"),
        ("root.yaml", "r"),
    ]);
    commit_head(&dir, &wanted, &owned);
    assert_eq!(worktree_drift(&dir, &wanted, &owned).expect("drift"), []);

    fs::remove_file(dir.join("ns/a.yaml")).expect("remove");
    fs::write(dir.join("ns/b.yaml"), "b, edited").expect("edit");
    fs::write(dir.join("ns/sub/d.yaml"), "D").expect("edit same length");
    fs::write(dir.join("ns/sub/stray.yaml"), "stray").expect("write");
    fs::create_dir_all(dir.join("ns/extra/deeper")).expect("mkdir");
    fs::write(dir.join("ns/extra/deeper/x"), "x").expect("write");
    fs::write(dir.join("root.yaml"), "r, edited").expect("edit");
    fs::write(dir.join("unowned.txt"), "not under a prefix").expect("write");

    let drift = worktree_drift(&dir, &wanted, &owned).expect("drift");
    let expected = [
        ("ns/a.yaml", DriftKind::Missing),
        ("ns/b.yaml", DriftKind::Modified),
        ("ns/extra/deeper/x", DriftKind::Unexpected),
        ("ns/sub/d.yaml", DriftKind::Modified),
        ("ns/sub/stray.yaml", DriftKind::Unexpected),
        ("root.yaml", DriftKind::Modified),
    ]
    .map(|(path, kind)| Drift {
        path: path.to_owned(),
        kind,
    });
    assert_eq!(drift, expected);

    // Drift looks at the files on disk, not at git.
    assert_eq!(
        ref_target(&dir, "HEAD"),
        ref_target(&dir, "refs/heads/main")
    );
    let missing_prefix = prefixes(&["nothing/here/"]);
    assert_eq!(
        worktree_drift(&dir, &files(&[]), &missing_prefix).expect("drift"),
        []
    );
}

#[test]
fn drift_needs_a_work_tree() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    Repository::init_bare(tmp.path()).expect("init bare");
    let err = worktree_drift(tmp.path(), &files(&[]), &[]).expect_err("bare");
    assert!(matches!(err, GitError::BareRepository { .. }), "{err:?}");
}

#[test]
fn restore_rewrites_drifted_files_from_the_file_set() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["ns/"]);
    let wanted = files(&[
        ("ns/a.yaml", "a"),
        ("ns/b.yaml", "b"),
        ("ns/sub/c.yaml", "c"),
    ]);
    commit_head(&dir, &wanted, &owned);
    assert_eq!(
        restore_worktree(&dir, &wanted, &owned).expect("restore"),
        []
    );

    fs::remove_file(dir.join("ns/a.yaml")).expect("remove");
    fs::write(dir.join("ns/b.yaml"), "b, edited").expect("edit");
    fs::write(dir.join("ns/sub/stray.yaml"), "stray").expect("write");
    let repaired = restore_worktree(&dir, &wanted, &owned).expect("restore");
    let expected = [
        ("ns/a.yaml", DriftKind::Missing),
        ("ns/b.yaml", DriftKind::Modified),
        ("ns/sub/stray.yaml", DriftKind::Unexpected),
    ]
    .map(|(path, kind)| Drift {
        path: path.to_owned(),
        kind,
    });
    assert_eq!(repaired, expected);
    assert_eq!(fs::read(dir.join("ns/a.yaml")).expect("read"), b"a");
    assert_eq!(fs::read(dir.join("ns/b.yaml")).expect("read"), b"b");
    assert!(!dir.join("ns/sub/stray.yaml").exists());
    assert_eq!(worktree_drift(&dir, &wanted, &owned).expect("drift"), []);
    assert_clean(&dir);
}
