//! Snapshots of the example request rendered for production.

use crate::support::Repo;

#[test]
fn example_namespace_for_prod() {
    let repo = Repo::init();
    for file in repo.files_under("clusters/prod") {
        let name = file.replace('/', "__");
        insta::assert_snapshot!(name, repo.read(&file));
    }
}
