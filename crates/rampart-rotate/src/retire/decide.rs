//! Which role of an alternating pair may be retired, or why none may: a pure function of
//! every version that names a role of the pair (pinned in Git anywhere, or held by the
//! backend ahead of the pins) and of what each environment's cluster runs.

use crate::job::SecretId;
use crate::postgres::alternate_role;
use std::fmt;

/// A version that names a role: pinned by Git (an environment, another request, the base
/// branch) or current in the backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    /// Who holds the version, for messages: `environment dev in specs/shop.yaml`.
    pub by: String,
    /// The version (Vault number, AWS VersionId).
    pub version: String,
    /// The role it names, or why that could not be read.
    pub role: Result<String, String>,
}

/// One environment's pin of a secret that uses the database, and what its cluster runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deployment {
    /// The secret in its environment.
    pub id: SecretId,
    /// The version Git pins there.
    pub pinned: String,
    /// The version live there (see [`crate::PinLiveness`]); `None`: not live, or unknown.
    pub live: Option<String>,
}

/// Why no role is retired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// A version that may name a role of the pair could not be read.
    Unknown {
        /// Who holds it.
        by: String,
        /// The version.
        version: String,
        /// Why it could not be read.
        why: String,
    },
    /// A pin is not live in its environment (or nothing says it is).
    NotLive {
        /// The secret in its environment.
        id: SecretId,
        /// The version Git pins.
        pinned: String,
        /// The version the cluster runs fully, if any is known.
        live: Option<String>,
    },
    /// Both roles of the pair are named: each is still needed.
    BothNamed {
        /// A role and who names it.
        first: (String, String),
        /// The other role and who names it.
        second: (String, String),
    },
    /// Nothing names a role: there is no pin to keep working.
    NoPins,
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Unknown { by, version, why } => write!(
                f,
                "cannot tell which role version {version} names ({by}): {why}; nothing retired"
            ),
            Refusal::NotLive { id, pinned, live } => match live {
                Some(live) => write!(
                    f,
                    "{id}: Git pins version {pinned} but the cluster runs {live}; nothing retired until the pin is live (see `rampart status`)"
                ),
                None => write!(
                    f,
                    "{id}: version {pinned} is not live in the cluster, or nothing says it is; nothing retired until it is (see `rampart status`)"
                ),
            },
            Refusal::BothNamed { first, second } => write!(
                f,
                "both roles are in use: {} ({}) and {} ({}); nothing retired until every pin names one role",
                first.0, first.1, second.0, second.1
            ),
            Refusal::NoPins => f.write_str("no version names a role; nothing retired"),
        }
    }
}

/// The role of the pair that `named` never names — only when every role could be read,
/// every deployment runs its pin, and all of `named` name the same role.
pub fn decide(named: &[Naming], deployed: &[Deployment]) -> Result<String, Box<Refusal>> {
    let mut roles: Vec<(&str, &str)> = Vec::new();
    for n in named {
        match &n.role {
            Ok(role) => roles.push((role, &n.by)),
            Err(why) => {
                return Err(Box::new(Refusal::Unknown {
                    by: n.by.clone(),
                    version: n.version.clone(),
                    why: why.clone(),
                }));
            }
        }
    }
    for d in deployed {
        let runs_pin = d
            .live
            .as_deref()
            .is_some_and(|live| live.strip_prefix("uuid/").unwrap_or(live) == d.pinned);
        if !runs_pin {
            return Err(Box::new(Refusal::NotLive {
                id: d.id.clone(),
                pinned: d.pinned.clone(),
                live: d.live.clone(),
            }));
        }
    }
    let Some(&(kept, kept_by)) = roles.first() else {
        return Err(Box::new(Refusal::NoPins));
    };
    if let Some(&(other, other_by)) = roles.iter().find(|(role, _)| *role != kept) {
        return Err(Box::new(Refusal::BothNamed {
            first: (kept.to_owned(), kept_by.to_owned()),
            second: (other.to_owned(), other_by.to_owned()),
        }));
    }
    Ok(alternate_role(kept))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(environment: &str) -> SecretId {
        SecretId {
            namespace: "shop".into(),
            app: "api".into(),
            secret: "api-db".into(),
            environment: environment.into(),
        }
    }

    fn naming(by: &str, version: &str, role: &str) -> Naming {
        Naming {
            by: by.into(),
            version: version.into(),
            role: Ok(role.into()),
        }
    }

    fn deployed(environment: &str, pinned: &str, live: Option<&str>) -> Deployment {
        Deployment {
            id: id(environment),
            pinned: pinned.into(),
            live: live.map(str::to_owned),
        }
    }

    #[test]
    fn the_role_no_pin_names_is_retired_once_every_pin_is_live() {
        let named = [
            naming("environment dev", "4", "app_alt"),
            naming("environment prod", "4", "app_alt"),
            naming("current in the backend", "4", "app_alt"),
        ];
        let live = [
            deployed("dev", "4", Some("4")),
            deployed("prod", "4", Some("4")),
        ];
        assert_eq!(decide(&named, &live), Ok("app".to_owned()));
        let aws = [deployed("dev", "0b7e2f41", Some("uuid/0b7e2f41"))];
        assert_eq!(
            decide(&[naming("environment dev", "0b7e2f41", "app")], &aws),
            Ok("app_alt".to_owned())
        );
    }

    #[test]
    fn a_role_any_version_names_is_never_retired() {
        let live = [deployed("dev", "4", Some("4"))];
        for other in [
            naming("environment staging in specs/shop.yaml", "3", "app"),
            naming(
                "environment dev in specs/shop.yaml on origin/main",
                "3",
                "app",
            ),
            naming("version 5, current in the backend", "5", "app"),
        ] {
            let by = other.by.clone();
            let named = [naming("environment dev", "4", "app_alt"), other];
            assert_eq!(
                decide(&named, &live),
                Err(Box::new(Refusal::BothNamed {
                    first: ("app_alt".into(), "environment dev".into()),
                    second: ("app".into(), by),
                }))
            );
        }
    }

    #[test]
    fn a_pin_not_live_or_without_evidence_or_an_unreadable_version_refuses() {
        let named = [naming("environment dev", "4", "app_alt")];
        for live in [None, Some("3"), Some("uuid/3")] {
            assert_eq!(
                decide(
                    &named,
                    &[deployed("dev", "4", Some("4")), deployed("prod", "4", live)]
                ),
                Err(Box::new(Refusal::NotLive {
                    id: id("prod"),
                    pinned: "4".into(),
                    live: live.map(str::to_owned)
                }))
            );
        }
        let unknown = Naming {
            by: "environment staging".into(),
            version: "9".into(),
            role: Err("vault read shop/api/db: connection refused".into()),
        };
        let refusal = decide(
            &[named[0].clone(), unknown],
            &[deployed("dev", "4", Some("4"))],
        )
        .unwrap_err();
        assert!(
            refusal
                .to_string()
                .starts_with("cannot tell which role version 9 names (environment staging)"),
            "{refusal}"
        );
        assert_eq!(decide(&[], &[]), Err(Box::new(Refusal::NoPins)));
    }
}
