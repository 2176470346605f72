//! What to rotate and what came of it: the engine's input and output, free of any
//! request-file or backend detail.

use std::fmt;

/// Which secret, where: the names a person reads in the summary and the commit message.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SecretId {
    /// Namespace (the request's name).
    pub namespace: String,
    /// The app that declares the secret.
    pub app: String,
    /// The secret's name.
    pub secret: String,
    /// The environment whose backend holds it.
    pub environment: String,
}

impl fmt::Display for SecretId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} ({})",
            self.namespace, self.secret, self.environment
        )
    }
}

/// One property that gets a new random value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generate {
    /// The property.
    pub property: String,
    /// How many characters.
    pub length: usize,
    /// Characters to draw from.
    pub alphabet: String,
}

/// How the new credential is made to work in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PostgresStrategy {
    /// Two login roles (`app`, `app_alt`): each rotation sets the password of the one the
    /// pinned version does not use, so the pinned credential keeps working.
    AlternatingUsers,
    /// One role whose password changes: the pinned credential stops working at once.
    SingleUser,
}

/// A PostgreSQL role whose password follows the secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresTarget {
    /// Which role changes.
    pub strategy: PostgresStrategy,
    /// Remote key (same backend) of the admin credential: properties `username`, `password`.
    pub admin_key: String,
    /// Property names in the secret's value.
    pub username_property: String,
    /// See [`PostgresTarget::username_property`].
    pub password_property: String,
    /// See [`PostgresTarget::username_property`].
    pub host_property: String,
    /// See [`PostgresTarget::username_property`].
    pub port_property: String,
    /// See [`PostgresTarget::username_property`].
    pub database_property: String,
    /// Alternating users: once the new pin is live everywhere, the role no pin names gets
    /// a random password nobody stores (see [`crate::retire_all`]).
    pub retire_previous: bool,
}

impl PostgresTarget {
    /// Whether the previous role is to be retired: `retire_previous` with alternating users
    /// (a single user has no previous role; validation refuses the setting there).
    pub fn retires_previous(&self) -> bool {
        self.retire_previous && self.strategy == PostgresStrategy::AlternatingUsers
    }
}

/// What a rotation does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Policy {
    /// Write a new version: the `generate` properties new, the others copied.
    Generate {
        /// Properties to regenerate.
        generate: Vec<Generate>,
        /// Where the credential must also change.
        postgres: Option<PostgresTarget>,
    },
    /// Write nothing; pin the newest version someone else wrote.
    Follow,
}

/// One secret in one environment, as Git pins it.
#[derive(Debug, Clone)]
pub struct Job {
    /// Which secret.
    pub id: SecretId,
    /// Path (Vault) or name (AWS) in the backend.
    pub remote_key: String,
    /// The version Git pins (Vault number, AWS VersionId without `uuid/`).
    pub pinned: String,
    /// What a rotation does.
    pub policy: Policy,
    /// Rotate even if the schedule says it is not due.
    pub force: bool,
    /// Whether the schedule says a rotation is due, given when the current version was
    /// written (`None`: unknown, counts as due).
    pub due: DueRule,
    /// Versions the backend keeps (Vault `max_versions` at least this).
    pub keep_versions: u32,
    /// Every other version Git pins for the same key on the same backend (other
    /// environments sharing it, other requests, the remote base branch): a rotation must
    /// keep them too.
    pub also_pinned: Vec<OtherPin>,
}

/// A version Git pins for a job's key on its backend, besides the job's own pin.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtherPin {
    /// The version (Vault number, AWS VersionId).
    pub version: String,
    /// Who pins it, for messages: `environment staging in specs/shop.yaml`, or the same
    /// `on origin/main`.
    pub by: String,
    /// AWS: the environment whose `rampart-pinned-<env>` label marks this version (a pin in
    /// the Git being rotated from); `None` for a pin only the remote base branch holds.
    pub label_env: Option<String>,
}

/// `is_due(written)`: see [`DueRule`].
type DueFn = dyn Fn(Option<&str>) -> bool + Send + Sync;

/// Decides from the current version's creation time whether a rotation is due.
#[derive(Clone)]
pub struct DueRule(std::sync::Arc<DueFn>);

impl DueRule {
    /// A rule from a function of the current version's RFC 3339 creation time.
    pub fn new(f: impl Fn(Option<&str>) -> bool + Send + Sync + 'static) -> DueRule {
        DueRule(std::sync::Arc::new(f))
    }

    /// Always due.
    pub fn always() -> DueRule {
        DueRule::new(|_| true)
    }

    /// Whether a rotation is due for a current version written at `written` (RFC 3339).
    pub fn is_due(&self, written: Option<&str>) -> bool {
        (self.0)(written)
    }
}

impl fmt::Debug for DueRule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DueRule")
    }
}

/// What happened to one secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Not due (or nothing new to follow): Git keeps its pin.
    UpToDate,
    /// A new version was written, tested and made current: pin it.
    Rotated {
        /// The version Git pinned.
        old: String,
        /// The new version.
        new: String,
    },
    /// A version Rampart wrote earlier (a run that stopped before Git was updated) was
    /// completed or found complete: pin it, nothing was rotated again.
    Resumed {
        /// The version Git pinned.
        old: String,
        /// The version to pin.
        new: String,
    },
    /// A newer version someone else wrote: pin it.
    Followed {
        /// The version Git pinned.
        old: String,
        /// The version to pin.
        new: String,
    },
    /// `--dry-run`: what a real run would do, nothing written.
    WouldRotate {
        /// The version Git pins.
        old: String,
        /// What would happen.
        action: &'static str,
    },
}

impl Outcome {
    /// The new pin, when Git must change.
    pub fn new_pin(&self) -> Option<(&str, &str)> {
        match self {
            Outcome::Rotated { old, new }
            | Outcome::Resumed { old, new }
            | Outcome::Followed { old, new } => Some((old, new)),
            Outcome::UpToDate | Outcome::WouldRotate { .. } => None,
        }
    }

    /// One word for the summary.
    pub fn label(&self) -> &'static str {
        match self {
            Outcome::UpToDate => "up to date",
            Outcome::Rotated { .. } => "rotated",
            Outcome::Resumed { .. } => "resumed",
            Outcome::Followed { .. } => "followed",
            Outcome::WouldRotate { action, .. } => action,
        }
    }
}
