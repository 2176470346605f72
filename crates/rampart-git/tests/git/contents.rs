//! Commits of [`Content`]s — deflated, or only an id into the object database — record,
//! pack, guard and check out exactly what the same bytes would.

use crate::common;

use std::fs;

use common::{assert_clean, committed, committed_files, git, new_repo, prefixes, ref_target};
use rampart_git::{
    CommitOutcome, CommitRequest, Content, DriftKind, FileContent, Files, GitError, blob_id,
    commit_files, worktree_drift,
};

/// 300 files (a pack), several with identical content.
fn generated() -> std::collections::BTreeMap<String, Vec<u8>> {
    (0..300)
        .map(|i| {
            let content = if i % 3 == 0 {
                "shared: true\n".to_owned()
            } else {
                format!("n: {i}\nkind: ConfigMap\n").repeat(30)
            };
            (format!("ns/d{:02}/f{i}.yaml", i % 60), content.into_bytes())
        })
        .collect()
}

/// `bytes`, each deflated.
fn deflated(bytes: &std::collections::BTreeMap<String, Vec<u8>>) -> Files {
    bytes
        .iter()
        .map(|(path, b)| (path.clone(), Content::deflate(b)))
        .collect()
}

fn commit(dir: &std::path::Path, files: &Files) -> Result<CommitOutcome, GitError> {
    commit_files(
        dir,
        &CommitRequest {
            branch: None,
            files,
            owned_prefixes: &prefixes(&["ns/"]),
            message: "render".into(),
            author: None,
            read_at: None,
        },
    )
}

#[test]
fn deflated_contents_are_packed_as_they_are_and_checked_out_as_bytes() {
    let (_tmp, dir) = new_repo();
    let bytes = generated();
    let files = deflated(&bytes);
    for (path, content) in &files {
        assert_eq!(content.id(), blob_id(&bytes[path]));
    }
    let (_, _, changes) = committed(commit(&dir, &files).expect("commit"));
    assert_eq!(changes.len(), 300);
    assert_eq!(committed_files(&dir, "HEAD"), bytes);
    git(&dir, &["fsck", "--strict", "--no-dangling"]);
    let pack = fs::read_dir(dir.join(".git/objects/pack"))
        .expect("pack dir")
        .map(|e| e.expect("entry").path())
        .find(|p| p.extension().is_some_and(|x| x == "idx"))
        .expect("one pack");
    git(&dir, &["verify-pack", pack.to_str().expect("utf-8 path")]);
    for (path, b) in &bytes {
        assert_eq!(&fs::read(dir.join(path)).expect("checked out"), b, "{path}");
    }
    assert_clean(&dir);
    assert_eq!(
        worktree_drift(&dir, &files, &prefixes(&["ns/"])).unwrap(),
        []
    );
}

#[test]
fn stored_contents_need_no_bytes_until_a_commit_writes_them_again() {
    let (_tmp, dir) = new_repo();
    let bytes = generated();
    let first = deflated(&bytes);
    committed(commit(&dir, &first).expect("first commit"));
    let stored: Files = first
        .iter()
        .map(|(path, c)| (path.clone(), Content::stored(c.id())))
        .collect();
    assert!(matches!(
        commit(&dir, &stored).expect("same ids"),
        CommitOutcome::Unchanged
    ));

    // The files go away, then come back by id only: read from the object database for
    // the guard, the pack and the work tree.
    let mut emptied = Files::new();
    emptied.insert("other.yaml".into(), Content::plain(b"x: 1\n".to_vec()));
    committed(commit(&dir, &emptied).expect("emptied"));
    assert!(!dir.join("ns").exists());
    let mut back = stored.clone();
    back.insert("other.yaml".into(), Content::plain(b"x: 1\n".to_vec()));
    let (_, _, changes) = committed(commit(&dir, &back).expect("back by id"));
    assert_eq!(changes.len(), 300);
    let mut expected = bytes.clone();
    expected.insert("other.yaml".into(), b"x: 1\n".to_vec());
    assert_eq!(committed_files(&dir, "HEAD"), expected);
    git(&dir, &["fsck", "--strict", "--no-dangling"]);
    assert_clean(&dir);

    // A hand edit shows as drift against an id, without its bytes in memory.
    let edited = "ns/d01/f1.yaml";
    fs::write(dir.join(edited), "edited: true\n").unwrap();
    let drift = worktree_drift(&dir, &back, &prefixes(&["ns/"])).unwrap();
    assert_eq!(drift.len(), 1);
    assert_eq!(
        (drift[0].path.as_str(), drift[0].kind),
        (edited, DriftKind::Modified)
    );
}

#[test]
fn a_stored_id_the_repository_lacks_is_refused_and_nothing_moves() {
    let (_tmp, dir) = new_repo();
    let mut files = Files::new();
    files.insert("a.yaml".into(), Content::plain(b"a: 1\n".to_vec()));
    committed(commit(&dir, &files).expect("first"));
    let tip = ref_target(&dir, "refs/heads/main");
    files.insert(
        "ns/missing.yaml".into(),
        Content::stored(blob_id(b"never written\n")),
    );
    let err = commit(&dir, &files).expect_err("missing blob");
    assert!(matches!(err, GitError::ReadObject { .. }), "{err}");
    assert!(err.to_string().contains("ns/missing.yaml"), "{err}");
    assert_eq!(ref_target(&dir, "refs/heads/main"), tip);
    assert!(!dir.join("ns/missing.yaml").exists());
}

#[test]
fn the_secret_guard_reads_deflated_and_stored_contents() {
    let (_tmp, dir) = new_repo();
    let leak = b"apiVersion: v1\nkind: Secret\nmetadata: {name: db}\nstringData:\n  password: hunter2-but-longer-Zx81\n";
    let clean = Content::deflate_scanned("ns/ok.yaml", b"kind: ConfigMap\n");
    assert!(
        clean.guarded(),
        "scanned clean: the commit need not scan it again"
    );
    let scanned = Content::deflate_scanned("ns/leak.yaml", leak);
    assert!(
        !scanned.guarded(),
        "findings: left for the commit's scan to refuse"
    );
    for content in [Content::deflate(leak), scanned, {
        let repo = git2::Repository::open(&dir).unwrap();
        Content::stored(repo.blob(leak).unwrap())
    }] {
        let mut files = Files::new();
        files.insert("ns/leak.yaml".into(), content);
        let err = commit(&dir, &files).expect_err("a secret");
        let GitError::SecretsFound { findings } = &err else {
            panic!("{err}")
        };
        assert_eq!(findings[0].path, "ns/leak.yaml");
        assert!(!err.to_string().contains("hunter2"), "{err}");
        assert_eq!(ref_target(&dir, "refs/heads/main"), None);
    }
}

#[test]
fn an_edit_of_the_same_size_right_after_the_commit_is_drift() {
    let (_tmp, dir) = new_repo();
    let bytes = generated();
    let files = deflated(&bytes);
    committed(commit(&dir, &files).expect("commit"));
    let owned = prefixes(&["ns/"]);
    assert_eq!(worktree_drift(&dir, &files, &owned).unwrap(), []);
    // Same length, other bytes, within the same instant as the commit's index: the
    // index's stat data must not hide it.
    let path = "ns/d01/f1.yaml";
    let mut edited = bytes[path].clone();
    edited[0] = b'm';
    fs::write(dir.join(path), &edited).unwrap();
    let drift = worktree_drift(&dir, &files, &owned).unwrap();
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert_eq!(drift[0].kind, DriftKind::Modified);
    // Written back as it was: no drift, whatever the stat data now say.
    fs::write(dir.join(path), &bytes[path]).unwrap();
    assert_eq!(worktree_drift(&dir, &files, &owned).unwrap(), []);
}
