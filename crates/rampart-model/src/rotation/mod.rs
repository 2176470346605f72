//! Rotation policy of a secret (`apps[].secrets[].rotation`): when a new version is due,
//! which properties get new random values, and whether a PostgreSQL role changes with it.
//! Only the policy lives here; `rampart rotate` (the rotation engine) carries it out.
//!
//! ```yaml
//! rotation:
//!   schedule: "0 3 * * 1"        # 5-field cron, UTC
//!   generate:
//!     password: {length: 40}
//!   postgres: {adminSecret: shop/db-admin}
//! ```

mod schedule;

pub use schedule::{CronSchedule, ScheduleError};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Letters, digits and `-_.`, the alphabet of generated values without `alphabet`: RFC 3986
/// "unreserved" characters, so a value needs no escaping in a URL or a libpq URI, no quoting
/// in JSON, YAML, a PostgreSQL `key=value` connection string or SQL string literal, and holds
/// no shell metacharacter (`~`, also unreserved, is left out: it expands at the start of an
/// unquoted shell word).
pub const DEFAULT_ALPHABET: &str =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.";
/// Shortest generated value accepted.
pub const MIN_LENGTH: u32 = 16;
/// Longest generated value accepted.
pub const MAX_LENGTH: u32 = 4096;
/// Fewest distinct characters an `alphabet` may have.
pub const MIN_ALPHABET: usize = 10;

/// `rotation` of a secret: either Rampart writes new versions (`schedule` + `generate`), or it
/// follows versions someone else writes (`follow: true`) and only pins the newest.
#[derive(Debug, Clone, PartialEq, Default, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rotation {
    /// When a rotation is due: 5-field cron, UTC (see [`CronSchedule`]). With `follow`, how
    /// often the backend is polled; without it, required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub schedule: Option<String>,
    /// Rampart writes nothing and pins the newest version another writer created.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub follow: bool,
    /// Properties that get a new random value; every other property of `properties` is
    /// copied unchanged from the current version.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub generate: BTreeMap<String, GeneratedValue>,
    /// The credential also changes in PostgreSQL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub postgres: Option<PostgresRotation>,
}

impl Rotation {
    /// The parsed `schedule`; `None` without one (or if it does not parse, which
    /// validation refuses).
    pub fn cron_schedule(&self) -> Option<CronSchedule> {
        CronSchedule::parse(self.schedule.as_deref()?).ok()
    }

    /// When the next rotation after `last_rotation` is due; `None` without a schedule or
    /// when the schedule never fires again.
    pub fn next_due(&self, last_rotation: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.cron_schedule()?.next_after(last_rotation)
    }

    /// Whether a rotation is due at `now`: never rotated (`None`) is due, and so is a
    /// `follow` secret without a schedule (it is checked on every run); otherwise due once
    /// the schedule has fired since `last_rotation`.
    ///
    /// ```
    /// use chrono::{TimeZone, Utc};
    /// use rampart_model::rotation::Rotation;
    /// let weekly = Rotation { schedule: Some("0 3 * * 1".into()), ..Rotation::default() };
    /// let monday = Utc.with_ymd_and_hms(2026, 3, 2, 3, 0, 0).unwrap();
    /// let last = Utc.with_ymd_and_hms(2026, 2, 24, 9, 0, 0).unwrap();
    /// assert!(weekly.is_due(Some(last), monday));
    /// assert!(!weekly.is_due(Some(monday), monday));
    /// ```
    pub fn is_due(&self, last_rotation: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
        let Some(last) = last_rotation else {
            return true;
        };
        if self.follow && self.schedule.is_none() {
            return true;
        }
        self.next_due(last).is_some_and(|due| due <= now)
    }
}

/// How one property's new value is generated.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GeneratedValue {
    /// Characters in the value, [`MIN_LENGTH`]..=[`MAX_LENGTH`].
    pub length: u32,
    /// Characters to draw from; [`DEFAULT_ALPHABET`] by default.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub alphabet: Option<String>,
}

impl GeneratedValue {
    /// The distinct characters to draw from, in the order written (duplicates in
    /// `alphabet` would bias the draw, so each appears once).
    pub fn alphabet(&self) -> Vec<char> {
        let mut seen = Vec::new();
        for c in self.alphabet.as_deref().unwrap_or(DEFAULT_ALPHABET).chars() {
            if !seen.contains(&c) {
                seen.push(c);
            }
        }
        seen
    }
}

/// The PostgreSQL side of a rotation: the role whose password the secret holds.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct PostgresRotation {
    /// How the role's password changes.
    #[serde(default)]
    pub strategy: PostgresStrategy,
    /// Remote key (same backend as the secret) holding the admin connection's `username`
    /// and `password`; never in Git.
    pub admin_secret: String,
    /// Property holding the role name.
    #[serde(default = "default_username")]
    pub username_property: String,
    /// Property holding the password; must be generated.
    #[serde(default = "default_password")]
    pub password_property: String,
    /// Property holding the server's host name.
    #[serde(default = "default_host")]
    pub host_property: String,
    /// Property holding the server's port.
    #[serde(default = "default_port")]
    pub port_property: String,
    /// Property holding the database name.
    #[serde(default = "default_database")]
    pub database_property: String,
    /// Alternating users only: once the new pin is live in every environment that uses the
    /// database, give the role no pinned version names a fresh random password nobody
    /// stores, so the previous credential stops working.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub retire_previous: bool,
}

impl PostgresRotation {
    /// `(field, property)` of the properties the secret must list, in field order.
    pub fn connection_properties(&self) -> [(&'static str, &str); 4] {
        [
            ("usernameProperty", &self.username_property),
            ("hostProperty", &self.host_property),
            ("portProperty", &self.port_property),
            ("databaseProperty", &self.database_property),
        ]
    }
}

// Defaults follow AWS's RDS rotation convention for the secret's JSON keys.
fn default_username() -> String {
    "username".into()
}
fn default_password() -> String {
    "password".into()
}
fn default_host() -> String {
    "host".into()
}
fn default_port() -> String {
    "port".into()
}
fn default_database() -> String {
    "dbname".into()
}

/// How a PostgreSQL password is rotated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostgresStrategy {
    /// Two roles (`<user>` and `<user>_alt`) take turns: a rotation changes the password
    /// of the role the pinned version does not use, so the pinned credential keeps working
    /// until the new pin is delivered.
    #[default]
    AlternatingUsers,
    /// One role whose password changes in place: the pinned credential stops working at
    /// once, so it is refused where rotations are delivered by pull request.
    SingleUser,
}

impl PostgresStrategy {
    /// The request spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PostgresStrategy::AlternatingUsers => "alternating-users",
            PostgresStrategy::SingleUser => "single-user",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(d: u32, h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, d, h, 0, 0).unwrap()
    }

    fn weekly() -> Rotation {
        rampart_yaml::reference::typed(
            "{schedule: \"0 3 * * 1\", generate: {password: {length: 40}}}",
        )
        .unwrap()
    }

    #[test]
    fn next_due_follows_the_schedule_in_utc() {
        // Sunday 2026-03-01 → Monday 2026-03-02 03:00; from that instant → a week later.
        assert_eq!(weekly().next_due(at(1, 12)), Some(at(2, 3)));
        assert_eq!(weekly().next_due(at(2, 3)), Some(at(9, 3)));
        assert_eq!(Rotation::default().next_due(at(1, 12)), None);
    }

    #[test]
    fn is_due_once_the_schedule_fired_since_the_last_rotation() {
        let r = weekly();
        assert!(r.is_due(None, at(1, 12)), "never rotated");
        assert!(!r.is_due(Some(at(1, 12)), at(2, 2)), "one hour early");
        assert!(r.is_due(Some(at(1, 12)), at(2, 3)), "exactly at the time");
        assert!(r.is_due(Some(at(1, 12)), at(20, 0)), "overdue");
        assert!(!r.is_due(Some(at(2, 3)), at(8, 23)));
    }

    #[test]
    fn follow_without_a_schedule_is_checked_every_run() {
        let follow: Rotation = rampart_yaml::reference::typed("{follow: true}").unwrap();
        assert!(follow.is_due(Some(at(1, 12)), at(1, 12)));
        assert_eq!(follow.next_due(at(1, 12)), None);
        let polled: Rotation =
            rampart_yaml::reference::typed("{follow: true, schedule: \"0 * * * *\"}").unwrap();
        assert!(!polled.is_due(Some(at(1, 12)), at(1, 12)));
        assert!(polled.is_due(Some(at(1, 12)), at(1, 13)));
    }

    #[test]
    fn defaults_follow_the_rds_convention() {
        let r: Rotation = rampart_yaml::reference::typed(
            "{schedule: \"0 3 * * 1\", generate: {password: {length: 40}}, postgres: {adminSecret: shop/db-admin}}",
        )
        .unwrap();
        let pg = r.postgres.unwrap();
        assert_eq!(pg.strategy, PostgresStrategy::AlternatingUsers);
        assert!(
            !pg.retire_previous,
            "retiring is asked for, never a default"
        );
        assert_eq!(pg.password_property, "password");
        assert_eq!(
            pg.connection_properties(),
            [
                ("usernameProperty", "username"),
                ("hostProperty", "host"),
                ("portProperty", "port"),
                ("databaseProperty", "dbname"),
            ]
        );
        let err = rampart_yaml::reference::typed::<Rotation>(
            "{postgres: {adminSecret: a, strategy: blue-green}}",
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("unknown variant `blue-green`"),
            "{err}"
        );
    }

    #[test]
    fn alphabets_are_deduplicated_in_order() {
        let g = GeneratedValue {
            length: 16,
            alphabet: Some("abcabcd".into()),
        };
        assert_eq!(g.alphabet(), vec!['a', 'b', 'c', 'd']);
        let d = GeneratedValue {
            length: 16,
            alphabet: None,
        };
        assert_eq!(d.alphabet().len(), 65);
        assert_eq!(d.alphabet().iter().collect::<String>(), DEFAULT_ALPHABET);
    }
}
