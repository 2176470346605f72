//! The repository path as each forge names it in its API.

use crate::{ForgeError, ForgeKind};

/// A checked repository path: GitHub/Gitea `owner/name`; GitLab `group[/sub…]/project` or a
/// numeric project id (sent as one URL-encoded path segment, `group%2Fsub%2Fproject`).
#[derive(Debug, Clone)]
pub(crate) struct Repository {
    /// The path as given, trimmed of surrounding slashes.
    pub(crate) path: String,
}

impl Repository {
    pub(crate) fn parse(forge: ForgeKind, repository: &str) -> Result<Repository, ForgeError> {
        let path = repository.trim().trim_matches('/');
        let invalid = |reason: &str| ForgeError::InvalidRepository {
            forge,
            repository: repository.to_owned(),
            reason: reason.to_owned(),
        };
        let segments: Vec<&str> = path.split('/').collect();
        let shape_ok = match forge {
            ForgeKind::GitHub | ForgeKind::Gitea => segments.len() == 2,
            ForgeKind::GitLab => {
                segments.len() >= 2
                    || (segments.len() == 1
                        && !path.is_empty()
                        && path.bytes().all(|b| b.is_ascii_digit()))
            }
        };
        let expected = match forge {
            ForgeKind::GitHub | ForgeKind::Gitea => "expected OWNER/REPO, e.g. acme/gitops",
            ForgeKind::GitLab => {
                "expected GROUP/[SUBGROUP/…]PROJECT, e.g. platform/k8s/gitops, or a numeric \
                 project id"
            }
        };
        if !shape_ok {
            return Err(invalid(expected));
        }
        for segment in &segments {
            let allowed = segment
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
            if segment.is_empty() || *segment == "." || *segment == ".." || !allowed {
                return Err(invalid(&format!(
                    "{expected}; each part may hold only letters, digits, '-', '_' and '.'"
                )));
            }
        }
        Ok(Repository {
            path: path.to_owned(),
        })
    }

    /// `owner` and `name` of a GitHub/Gitea repository.
    pub(crate) fn owner_and_name(&self) -> (&str, &str) {
        self.path.split_once('/').unwrap_or((&self.path, ""))
    }

    /// The owner (GitHub's `head=OWNER:branch` filter).
    pub(crate) fn owner(&self) -> &str {
        self.owner_and_name().0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_needs_owner_and_name() {
        let repo = Repository::parse(ForgeKind::GitHub, "acme/gitops").unwrap();
        assert_eq!(repo.owner_and_name(), ("acme", "gitops"));
        for bad in [
            "acme",
            "acme/gitops/extra",
            "acme/",
            "/gitops",
            "acme/git ops",
            "a/..",
        ] {
            let error = Repository::parse(ForgeKind::GitHub, bad).unwrap_err();
            assert!(error.to_string().contains("OWNER/REPO"), "{bad}: {error}");
        }
    }

    #[test]
    fn gitlab_takes_nested_groups_and_numeric_ids() {
        let nested = Repository::parse(ForgeKind::GitLab, "platform/k8s/gitops").unwrap();
        assert_eq!(nested.path, "platform/k8s/gitops");
        assert!(Repository::parse(ForgeKind::GitLab, "4242").is_ok());
        let error = Repository::parse(ForgeKind::GitLab, "gitops").unwrap_err();
        assert!(error.to_string().contains("GROUP/"), "{error}");
    }
}
