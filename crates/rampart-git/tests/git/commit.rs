//! `commit_files` and `init_repository` against real repositories.

use crate::common;

use std::fs;

use common::*;
use git2::{Repository, RepositoryInitOptions};
use rampart_git::{
    Author, ChangeKind, CommitOutcome, CommitRequest, GitError, blob_id, commit_files, read_blobs,
};

#[test]
fn init_creates_main_and_leaves_existing_repositories_alone() {
    let (_tmp, dir) = new_repo();
    let repo = Repository::open(&dir).expect("open");
    let head = repo.find_reference("HEAD").expect("HEAD");
    assert_eq!(
        head.symbolic_target().ok().flatten(),
        Some("refs/heads/main")
    );
    assert!(!repo.is_bare());

    let tmp = tempfile::TempDir::new().expect("tmp");
    let mut options = RepositoryInitOptions::new();
    options.initial_head("trunk");
    Repository::init_opts(tmp.path(), &options).expect("init trunk");
    rampart_git::init_repository(tmp.path()).expect("init again");
    let repo = Repository::open(tmp.path()).expect("open");
    let head = repo.find_reference("HEAD").expect("HEAD");
    assert_eq!(
        head.symbolic_target().ok().flatten(),
        Some("refs/heads/trunk")
    );
}

#[test]
fn first_commit_on_unborn_main_then_unchanged_rerun() {
    let (_tmp, dir) = new_repo();
    let wanted = files(&[
        (
            "clusters/dev/namespaces/team-a/ns.yaml",
            "kind: Namespace\n",
        ),
        (
            "clusters/dev/namespaces/team-a/quota.yaml",
            "kind: ResourceQuota\n",
        ),
        ("README.md", "# GitOps\n"),
    ]);
    let owned = prefixes(&["clusters/dev/namespaces/"]);

    let (commit, branch, changes) = committed(commit_head(&dir, &wanted, &owned));
    assert_eq!(branch, "main");
    assert_eq!(ref_target(&dir, "refs/heads/main"), Some(commit));
    assert_eq!(ref_target(&dir, "HEAD"), Some(commit));
    let paths: Vec<_> = changes.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "README.md",
            "clusters/dev/namespaces/team-a/ns.yaml",
            "clusters/dev/namespaces/team-a/quota.yaml"
        ]
    );
    assert!(changes.iter().all(|c| c.kind == ChangeKind::Added));
    assert!(changes.iter().all(|c| c.old_id.is_none()));
    assert_eq!(
        blob(&dir, changes[0].new_id).as_deref(),
        Some(&b"# GitOps\n"[..])
    );
    // Every new id is the blob id of the requested content.
    for change in &changes {
        assert_eq!(change.new_id, Some(blob_id(&wanted[&change.path])));
    }
    assert_eq!(committed_files(&dir, "HEAD"), wanted);

    let repo = Repository::open(&dir).expect("open");
    let head_commit = repo.find_commit(commit).expect("commit");
    assert_eq!(head_commit.parent_count(), 0);
    assert_eq!(head_commit.message().ok(), Some("render manifests\n\nbody"));
    assert_eq!(
        fs::read(dir.join("clusters/dev/namespaces/team-a/ns.yaml")).expect("read"),
        b"kind: Namespace\n"
    );
    assert_clean(&dir);

    let again = commit_head(&dir, &wanted, &owned);
    assert_eq!(again, CommitOutcome::Unchanged);
    assert_eq!(ref_target(&dir, "HEAD"), Some(commit));
    assert_clean(&dir);
}

#[test]
fn modifies_and_deletes_under_owned_prefix_only() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["clusters/dev/namespaces"]);
    let first = files(&[
        ("clusters/dev/namespaces/a/ns.yaml", "a: 1\n"),
        ("clusters/dev/namespaces/b/ns.yaml", "b: 1\n"),
        ("clusters/dev/namespaces/b/deep/x.yaml", "x: 1\n"),
        ("clusters/dev/flux.yaml", "flux\n"),
        ("clusters/prod/namespaces/a/ns.yaml", "prod\n"),
    ]);
    let (base, _, _) = committed(commit_head(&dir, &first, &owned));

    // Only the owned files are given now: the others must survive.
    let second = files(&[("clusters/dev/namespaces/a/ns.yaml", "a: 2\n")]);
    let (next, _, changes) = committed(commit_head(&dir, &second, &owned));
    let summary: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
    assert_eq!(
        summary,
        [
            ("clusters/dev/namespaces/a/ns.yaml", ChangeKind::Modified),
            ("clusters/dev/namespaces/b/deep/x.yaml", ChangeKind::Deleted),
            ("clusters/dev/namespaces/b/ns.yaml", ChangeKind::Deleted),
        ]
    );
    // Old contents in one batch, as a caller would read them.
    let old_ids: Vec<_> = changes.iter().filter_map(|c| c.old_id).collect();
    assert_eq!(
        read_blobs(&dir, &old_ids).expect("read_blobs"),
        [
            Some(b"a: 1\n".to_vec()),
            Some(b"x: 1\n".to_vec()),
            Some(b"b: 1\n".to_vec())
        ]
    );
    assert_eq!(
        blob(&dir, changes[0].old_id).as_deref(),
        Some(&b"a: 1\n"[..])
    );
    assert_eq!(
        blob(&dir, changes[0].new_id).as_deref(),
        Some(&b"a: 2\n"[..])
    );
    assert_eq!(changes[0].new_id, Some(blob_id(&second[&changes[0].path])));
    assert_eq!(
        blob(&dir, changes[1].old_id).as_deref(),
        Some(&b"x: 1\n"[..])
    );
    assert_eq!(changes[1].new_id, None);
    assert_eq!(changes[2].new_id, None);

    let repo = Repository::open(&dir).expect("open");
    let parents: Vec<_> = repo
        .find_commit(next)
        .expect("commit")
        .parent_ids()
        .collect();
    assert_eq!(parents, [base]);
    assert_eq!(
        committed_files(&dir, "HEAD"),
        files(&[
            ("clusters/dev/flux.yaml", "flux\n"),
            ("clusters/dev/namespaces/a/ns.yaml", "a: 2\n"),
            ("clusters/prod/namespaces/a/ns.yaml", "prod\n"),
        ])
    );
    assert!(
        !dir.join("clusters/dev/namespaces/b").exists(),
        "emptied directory left behind"
    );
    assert!(dir.join("clusters/dev/namespaces/a").is_dir());
    assert_eq!(
        fs::read(dir.join("clusters/dev/flux.yaml")).expect("read"),
        b"flux\n"
    );
    assert_eq!(
        fs::read(dir.join("clusters/dev/namespaces/a/ns.yaml")).expect("read"),
        b"a: 2\n"
    );
    assert_clean(&dir);
}

#[test]
fn deleting_everything_under_a_prefix_keeps_other_files() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["gen/"]);
    commit_head(&dir, &files(&[("gen/a/x", "x"), ("keep.txt", "k")]), &owned);
    let (_, _, changes) = committed(commit_head(&dir, &files(&[]), &owned));
    assert_eq!(changes.len(), 1);
    assert_eq!(committed_files(&dir, "HEAD"), files(&[("keep.txt", "k")]));
    assert!(!dir.join("gen").exists());
    assert_clean(&dir);
}

#[test]
fn replaces_files_by_directories_and_back() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["p"]);
    commit_head(
        &dir,
        &files(&[("p/a", "file a"), ("p/d/f1", "1"), ("p/d/f2", "2")]),
        &owned,
    );

    // `p/a` becomes a directory, `p/d` a file.
    let wanted = files(&[("p/a/b", "nested"), ("p/d", "now a file")]);
    let (_, _, changes) = committed(commit_head(&dir, &wanted, &owned));
    let summary: Vec<_> = changes.iter().map(|c| (c.path.as_str(), c.kind)).collect();
    assert_eq!(
        summary,
        [
            ("p/a", ChangeKind::Deleted),
            ("p/a/b", ChangeKind::Added),
            ("p/d", ChangeKind::Added),
            ("p/d/f1", ChangeKind::Deleted),
            ("p/d/f2", ChangeKind::Deleted),
        ]
    );
    assert_eq!(committed_files(&dir, "HEAD"), wanted);
    assert_eq!(fs::read(dir.join("p/a/b")).expect("read"), b"nested");
    assert_eq!(fs::read(dir.join("p/d")).expect("read"), b"now a file");
    assert_clean(&dir);
}

#[test]
fn commit_to_another_branch_leaves_head_work_tree_and_index_alone() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["env/"]);
    let (main_tip, _, _) = committed(commit_head(&dir, &files(&[("env/a.yaml", "a")]), &owned));

    let wanted = files(&[("env/a.yaml", "a2"), ("env/b.yaml", "b")]);
    let (dev_tip, branch, changes) = committed(commit_on(&dir, Some("env/dev"), &wanted, &owned));
    assert_eq!(branch, "env/dev");
    assert_eq!(changes.len(), 2);
    assert_eq!(ref_target(&dir, "refs/heads/env/dev"), Some(dev_tip));
    let repo = Repository::open(&dir).expect("open");
    let parents: Vec<_> = repo
        .find_commit(dev_tip)
        .expect("commit")
        .parent_ids()
        .collect();
    assert_eq!(parents, [main_tip], "new branch must start at HEAD");
    assert_eq!(committed_files(&dir, "refs/heads/env/dev"), wanted);

    assert_eq!(ref_target(&dir, "refs/heads/main"), Some(main_tip));
    let head = repo.find_reference("HEAD").expect("HEAD");
    assert_eq!(
        head.symbolic_target().ok().flatten(),
        Some("refs/heads/main")
    );
    assert_eq!(fs::read(dir.join("env/a.yaml")).expect("read"), b"a");
    assert!(!dir.join("env/b.yaml").exists());
    assert_clean(&dir);

    // The existing branch is then committed on top of its own tip.
    let (next, _, changes) = committed(commit_on(
        &dir,
        Some("env/dev"),
        &files(&[("env/b.yaml", "b")]),
        &owned,
    ));
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].path, "env/a.yaml");
    assert_eq!(changes[0].kind, ChangeKind::Deleted);
    assert_eq!(blob(&dir, changes[0].old_id).as_deref(), Some(&b"a2"[..]));
    assert_eq!(changes[0].new_id, None);
    let parents: Vec<_> = repo
        .find_commit(next)
        .expect("commit")
        .parent_ids()
        .collect();
    assert_eq!(parents, [dev_tip]);
    assert_clean(&dir);
}

#[test]
fn new_branch_from_unborn_head_is_a_root_commit() {
    let (_tmp, dir) = new_repo();
    let (tip, _, _) = committed(commit_on(&dir, Some("staging"), &files(&[("a", "1")]), &[]));
    let repo = Repository::open(&dir).expect("open");
    assert_eq!(repo.find_commit(tip).expect("commit").parent_count(), 0);
    assert_eq!(
        ref_target(&dir, "refs/heads/main"),
        None,
        "HEAD's branch must stay unborn"
    );
    assert!(!dir.join("a").exists());
}

#[test]
fn explicitly_named_checked_out_branch_updates_the_work_tree() {
    let (_tmp, dir) = new_repo();
    committed(commit_on(&dir, Some("main"), &files(&[("a", "1")]), &[]));
    assert_eq!(fs::read(dir.join("a")).expect("read"), b"1");
    assert_clean(&dir);
}

#[test]
fn invalid_paths_prefixes_and_branches_are_refused_before_anything_is_written() {
    let (_tmp, dir) = new_repo();
    let (tip, _, _) = committed(commit_head(&dir, &files(&[("ok.yaml", "ok")]), &[]));

    for bad in ["../x", "/abs", "a//b", ".git/config", "a/./b", "", "dir/"] {
        let wanted = files(&[("fine.yaml", "fine"), (bad, "evil")]);
        let req = CommitRequest {
            branch: None,
            files: &wanted,
            owned_prefixes: &[],
            message: "m".into(),
            author: None,
            read_at: None,
        };
        let err = commit_files(&dir, &req).expect_err(bad);
        assert!(
            matches!(err, GitError::InvalidPath { ref path, .. } if path == bad),
            "{bad:?}: {err:?}"
        );
        assert!(
            err.to_string().contains(&format!("{bad:?}")),
            "message names the path: {err}"
        );
    }
    let wanted = files(&[("fine.yaml", "fine")]);
    for bad in ["../up/", "/", "a//b"] {
        let owned = prefixes(&[bad]);
        let req = CommitRequest {
            branch: None,
            files: &wanted,
            owned_prefixes: &owned,
            message: "m".into(),
            author: None,
            read_at: None,
        };
        let err = commit_files(&dir, &req).expect_err(bad);
        assert!(
            matches!(err, GitError::InvalidPrefix { .. }),
            "{bad:?}: {err:?}"
        );
    }
    let conflicting = files(&[("a", "file"), ("a/b", "nested")]);
    let req = CommitRequest {
        branch: None,
        files: &conflicting,
        owned_prefixes: &[],
        message: "m".into(),
        author: None,
        read_at: None,
    };
    let err = commit_files(&dir, &req).expect_err("file/dir conflict");
    assert!(matches!(err, GitError::PathConflict { .. }), "{err:?}");
    for bad in ["bad..name", "-x", "a b", "HEAD~1"] {
        let req = CommitRequest {
            branch: Some(bad),
            files: &wanted,
            owned_prefixes: &[],
            message: "m".into(),
            author: None,
            read_at: None,
        };
        let err = commit_files(&dir, &req).expect_err(bad);
        assert!(
            matches!(err, GitError::InvalidBranch { .. }),
            "{bad:?}: {err:?}"
        );
    }

    assert_eq!(ref_target(&dir, "HEAD"), Some(tip));
    let repo = Repository::open(&dir).expect("open");
    let branches: Vec<_> = repo
        .branches(None)
        .expect("branches")
        .map(|b| {
            b.expect("branch")
                .0
                .name()
                .expect("name")
                .map(str::to_owned)
        })
        .collect();
    assert_eq!(branches, [Some("main".to_owned())]);
    assert!(!dir.join("fine.yaml").exists());
    assert!(!dir.join("x").exists());
    assert_clean(&dir);
}

#[test]
fn users_unrelated_work_survives() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["gen/"]);
    commit_head(
        &dir,
        &files(&[
            ("README.md", "readme\n"),
            ("gen/a.yaml", "a1\n"),
            ("gen/b.yaml", "b1\n"),
        ]),
        &owned,
    );

    // Unstaged edit, staged new file, untracked files (one below the owned prefix).
    fs::write(dir.join("README.md"), "readme, edited\n").expect("edit");
    fs::write(dir.join("staged.txt"), "staged\n").expect("write");
    git(&dir, &["add", "staged.txt"]);
    fs::write(dir.join("notes.txt"), "notes\n").expect("write");
    fs::write(dir.join("gen/local.txt"), "mine\n").expect("write");
    let before = cli_status(&dir);

    let (_, _, changes) = committed(commit_head(&dir, &files(&[("gen/a.yaml", "a2\n")]), &owned));
    assert_eq!(changes.len(), 2, "{changes:?}");

    assert_eq!(cli_status(&dir), before);
    assert_eq!(
        cli_status(&dir),
        " M README.md\nA  staged.txt\n?? gen/local.txt\n?? notes.txt\n"
    );
    assert_eq!(
        fs::read(dir.join("README.md")).expect("read"),
        b"readme, edited\n"
    );
    assert_eq!(
        fs::read(dir.join("gen/local.txt")).expect("read"),
        b"mine\n"
    );
    assert_eq!(fs::read(dir.join("gen/a.yaml")).expect("read"), b"a2\n");
    assert!(!dir.join("gen/b.yaml").exists());
    assert_eq!(
        committed_files(&dir, "HEAD"),
        files(&[("README.md", "readme\n"), ("gen/a.yaml", "a2\n")])
    );
}

#[test]
fn detached_head_needs_a_branch_name() {
    let (_tmp, dir) = new_repo();
    let (tip, _, _) = committed(commit_head(&dir, &files(&[("a", "1")]), &[]));
    Repository::open(&dir)
        .expect("open")
        .set_head_detached(tip)
        .expect("detach");
    let wanted = files(&[("a", "2")]);
    let req = CommitRequest {
        branch: None,
        files: &wanted,
        owned_prefixes: &[],
        message: "m".into(),
        author: None,
        read_at: None,
    };
    let err = commit_files(&dir, &req).expect_err("detached");
    assert!(matches!(err, GitError::DetachedHead { .. }), "{err:?}");
    assert_eq!(ref_target(&dir, "refs/heads/main"), Some(tip));
}

#[test]
fn authors_come_from_the_request_then_the_config_then_the_default() {
    let (_tmp, dir) = new_repo();
    let author = Author {
        name: "Alice".into(),
        email: "alice@example.com".into(),
    };
    let wanted = files(&[("a", "1")]);
    let req = CommitRequest {
        branch: None,
        files: &wanted,
        owned_prefixes: &[],
        message: "m".into(),
        author: Some(&author),
        read_at: None,
    };
    let (id, _, _) = committed(commit_files(&dir, &req).expect("commit"));
    let repo = Repository::open(&dir).expect("open");
    let commit = repo.find_commit(id).expect("commit");
    assert_eq!(commit.author().name().ok(), Some("Alice"));
    assert_eq!(commit.committer().email().ok(), Some("alice@example.com"));

    // Local config wins over any global one; an empty value counts as unset.
    let mut config = repo
        .config()
        .expect("config")
        .open_level(git2::ConfigLevel::Local)
        .expect("local");
    config.set_str("user.name", "Bob").expect("set");
    config.set_str("user.email", "").expect("set");
    let (id, _, _) = committed(commit_head(&dir, &files(&[("a", "2")]), &[]));
    let commit = repo.find_commit(id).expect("commit");
    assert_eq!(commit.author().name().ok(), Some("Bob"));
    assert_eq!(commit.author().email().ok(), Some("rampart@localhost"));

    config.set_str("user.name", "").expect("set");
    let (id, _, _) = committed(commit_head(&dir, &files(&[("a", "3")]), &[]));
    let commit = repo.find_commit(id).expect("commit");
    assert_eq!(commit.author().name().ok(), Some("Rampart"));
}

#[test]
fn bare_repositories_get_commits_without_a_work_tree() {
    let tmp = tempfile::TempDir::new().expect("tmp");
    let mut options = RepositoryInitOptions::new();
    options.bare(true).initial_head("main");
    Repository::init_opts(tmp.path(), &options).expect("init bare");
    let wanted = files(&[("x/y.yaml", "y")]);
    let (tip, branch, _) = committed(commit_head(tmp.path(), &wanted, &[]));
    assert_eq!(branch, "main");
    assert_eq!(ref_target(tmp.path(), "refs/heads/main"), Some(tip));
    assert_eq!(committed_files(tmp.path(), "HEAD"), wanted);
    assert!(!tmp.path().join("x").exists());
}

#[test]
fn large_commits_are_packed_and_valid() {
    let (_tmp, dir) = new_repo();
    let owned = prefixes(&["ns/"]);
    // 300 files, several with identical content, in 60 directories.
    let mut wanted = rampart_git::FileSet::new();
    for i in 0..300 {
        let content = if i % 3 == 0 {
            "shared: true\n".to_owned()
        } else {
            format!("n: {i}\n").repeat(40)
        };
        wanted.insert(format!("ns/d{:02}/f{i}.yaml", i % 60), content.into_bytes());
    }
    let (tip, _, changes) = committed(commit_head(&dir, &wanted, &owned));
    assert_eq!(changes.len(), 300);
    let packs = fs::read_dir(dir.join(".git/objects/pack"))
        .expect("pack dir")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "pack"))
        })
        .count();
    assert_eq!(packs, 1, "a large commit is written as one pack");
    assert_eq!(committed_files(&dir, "HEAD"), wanted);
    git(&dir, &["fsck", "--strict", "--no-dangling"]);
    assert_clean(&dir);

    // Changing most files again goes through a second pack on top of the first.
    let mut changed = wanted.clone();
    for (i, content) in changed.values_mut().enumerate() {
        if i % 2 == 0 {
            content.extend_from_slice(b"changed: yes\n");
        }
    }
    changed.remove("ns/d00/f0.yaml");
    let (next, _, changes) = committed(commit_head(&dir, &changed, &owned));
    assert_eq!(changes.len(), 150);
    assert_ne!(next, tip);
    assert_eq!(committed_files(&dir, "HEAD"), changed);
    git(&dir, &["fsck", "--strict", "--no-dangling"]);
    assert_clean(&dir);
}

#[test]
fn executable_files_become_regular_files() {
    let (_tmp, dir) = new_repo();
    fs::create_dir_all(dir.join("bin")).expect("mkdir");
    fs::write(dir.join("bin/run.sh"), "echo hi\n").expect("write");
    git(&dir, &["add", "--chmod=+x", "bin/run.sh"]);
    git(
        &dir,
        &[
            "-c",
            "user.name=T",
            "-c",
            "user.email=t@example.com",
            "commit",
            "-q",
            "-m",
            "exec",
        ],
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir.join("bin/run.sh"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
    }
    assert_clean(&dir);

    let (_, _, changes) = committed(commit_head(
        &dir,
        &files(&[("bin/run.sh", "echo hi\n")]),
        &[],
    ));
    assert_eq!(changes.len(), 1, "a mode change is a change");
    assert_eq!(changes[0].kind, ChangeKind::Modified);
    assert_eq!(changes[0].old_id, changes[0].new_id);
    assert_eq!(
        blob(&dir, changes[0].new_id).as_deref(),
        Some(&b"echo hi\n"[..])
    );
    let repo = Repository::open(&dir).expect("open");
    let tree = repo.head().and_then(|h| h.peel_to_tree()).expect("tree");
    let entry = tree
        .get_path(std::path::Path::new("bin/run.sh"))
        .expect("entry");
    assert_eq!(entry.filemode(), 0o100_644);
    assert_clean(&dir);
}

#[test]
fn a_described_message_is_written_from_the_changes_the_commit_records() {
    let (_tmp, dir) = new_repo();
    commit_head(
        &dir,
        &files(&[("a/x.yaml", "x: 1\n"), ("a/gone.yaml", "g: 1\n")]),
        &[],
    );
    let describe = |changes: &[rampart_git::Change]| {
        let listed: Vec<String> = changes
            .iter()
            .map(|c| format!("{:?} {}", c.kind, c.path))
            .collect();
        format!("render\n\n{}\n", listed.join("\n"))
    };
    let wanted = files(&[("a/x.yaml", "x: 2\n"), ("a/new.yaml", "n: 1\n")]);
    let req = CommitRequest {
        branch: None,
        files: &wanted,
        owned_prefixes: &prefixes(&["a"]),
        message: rampart_git::Message::Describe(&describe),
        author: None,
        read_at: None,
    };
    commit_files(&dir, &req).expect("commit");
    let message = git(&dir, &["log", "-1", "--format=%B"]);
    assert_eq!(
        message.trim_end(),
        "render\n\nDeleted a/gone.yaml\nAdded a/new.yaml\nModified a/x.yaml"
    );
}
