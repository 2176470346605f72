//! `rampart backend apply`: installs what Rampart renders for Vault/OpenBao access — ACL
//! policies, Kubernetes auth roles and the KV mount's `max_versions` — idempotently, and
//! removes what it created for namespaces that are gone. A policy is Rampart's when its
//! text carries the managed marker; a role is Rampart's when every policy it grants is.
//! Nothing else is touched.

use crate::connect::token_from_env;
use crate::vault::{client, describe};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;
use vaultrs::api::auth::kubernetes::requests::CreateKubernetesRoleRequest;
use vaultrs::api::kv2::requests::SetConfigurationRequest;
use vaultrs::client::VaultClient;
use vaultrs::error::ClientError;

/// What an environment's Vault should hold.
pub struct DesiredAccess<'a> {
    /// Policy name → HCL.
    pub policies: &'a BTreeMap<String, String>,
    /// Role name → definition (`bound_service_account_names`, `…_namespaces`, `audience`,
    /// `token_policies`, `token_ttl`, `token_max_ttl`).
    pub roles: &'a BTreeMap<String, Value>,
    /// The line that marks a policy as Rampart's (followed by its name).
    pub marker: &'a str,
    /// The Kubernetes auth method's mount.
    pub auth_mount: &'a str,
    /// The KV v2 mount.
    pub kv_mount: &'a str,
    /// Versions the rotator keeps: the mount's `max_versions` must not be below this + 1.
    pub keep_versions: u32,
}

/// One change `apply` makes.
#[derive(Debug, Clone, PartialEq)]
pub enum AccessChange {
    /// A policy written (created when `before` is `None`).
    Policy {
        name: String,
        before: Option<String>,
        after: String,
    },
    /// A Rampart policy removed.
    RemovePolicy { name: String },
    /// A role written (created when `created`).
    Role {
        name: String,
        created: bool,
        settings: Value,
    },
    /// A Rampart role removed.
    RemoveRole { name: String },
    /// The KV mount's `max_versions` raised.
    MaxVersions { mount: String, from: u64, to: u64 },
}

impl fmt::Display for AccessChange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AccessChange::Policy {
                name, before: None, ..
            } => write!(f, "create policy {name}"),
            AccessChange::Policy { name, .. } => write!(f, "update policy {name}"),
            AccessChange::RemovePolicy { name } => write!(f, "remove policy {name}"),
            AccessChange::Role {
                name,
                created: true,
                ..
            } => write!(f, "create role {name}"),
            AccessChange::Role { name, .. } => write!(f, "update role {name}"),
            AccessChange::RemoveRole { name } => write!(f, "remove role {name}"),
            AccessChange::MaxVersions { mount, from, to } => {
                write!(f, "set max_versions of {mount} from {from} to {to}")
            }
        }
    }
}

impl AccessChange {
    /// The difference, for `--dry-run`: policy lines removed (`-`) and added (`+`), or the
    /// role's settings.
    pub fn detail(&self) -> String {
        match self {
            AccessChange::Policy { before, after, .. } => {
                let old: BTreeSet<&str> = before.as_deref().unwrap_or_default().lines().collect();
                let new: BTreeSet<&str> = after.lines().collect();
                let mut out = String::new();
                for line in before.as_deref().unwrap_or_default().lines() {
                    if !new.contains(line) {
                        out.push_str(&format!("  - {line}\n"));
                    }
                }
                for line in after.lines() {
                    if !old.contains(line) {
                        out.push_str(&format!("  + {line}\n"));
                    }
                }
                out
            }
            AccessChange::Role { settings, .. } => format!("  {settings}\n"),
            _ => String::new(),
        }
    }
}

/// A client for `server` with the administrator's token (`VAULT_TOKEN` or `BAO_TOKEN`).
pub fn admin_client(server: &str) -> Result<VaultClient, String> {
    let token = token_from_env().ok_or("no Vault/OpenBao token: set VAULT_TOKEN (or BAO_TOKEN) to a token allowed to manage policies, auth roles and the KV mount's configuration")?;
    client(server, &token)
}

fn failed(what: &str, e: &ClientError) -> String {
    format!("cannot {what}: {}", describe(e).0)
}

fn not_found(e: &ClientError) -> bool {
    matches!(e, ClientError::APIError { code: 404, .. })
}

fn is_managed(rules: &str, marker: &str, name: &str) -> bool {
    rules.lines().any(|l| l == format!("{marker}{name}"))
}

/// "10m" / "90s" / "2h" / "600" → seconds.
fn seconds(ttl: &str) -> u64 {
    let (digits, unit) = ttl.split_at(ttl.trim_end_matches(['s', 'm', 'h']).len());
    let n: u64 = digits.parse().unwrap_or(0);
    match unit {
        "m" => n * 60,
        "h" => n * 3600,
        _ => n,
    }
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// How to enable the Kubernetes auth method at `mount`, for messages.
fn enable_advice(mount: &str) -> String {
    format!(
        "enable it with `bao auth enable -path={mount} kubernetes` (Vault: `vault auth enable -path={mount} kubernetes`), configure it (`bao write auth/{mount}/config kubernetes_host=https://<API server>`), then run `rampart backend apply` again — or set secretStores.vault.auth.mountPath to where it is enabled"
    )
}

/// Refuses, before anything is applied, when no Kubernetes auth method is enabled at
/// `mount` (the roles would fail with "no handler for route"). A token that may not list
/// the auth methods skips the check: the role writes then say the same.
async fn check_auth_mount(client: &VaultClient, mount: &str) -> Result<(), String> {
    let mount = mount.trim_matches('/');
    let Ok(methods) = vaultrs::sys::auth::list(client).await else {
        return Ok(());
    };
    match methods.get(&format!("{mount}/")) {
        Some(m) if m.mount_type == "kubernetes" => Ok(()),
        Some(m) => Err(format!(
            "auth/{mount}/ is a `{}` auth method, not `kubernetes`: the Kubernetes auth roles cannot be written there; {}; nothing was applied",
            m.mount_type,
            enable_advice(mount)
        )),
        None => Err(format!(
            "no Kubernetes auth method is enabled at auth/{mount}/ (secretStores.vault.auth.mountPath), which the roles need; {}; nothing was applied",
            enable_advice(mount)
        )),
    }
}

/// What `apply` would change, in the order it would.
pub async fn plan(
    client: &VaultClient,
    d: &DesiredAccess<'_>,
) -> Result<Vec<AccessChange>, String> {
    let mut changes = Vec::new();
    let existing = vaultrs::sys::policy::list(client)
        .await
        .map_err(|e| failed("list the ACL policies", &e))?
        .policies;
    let mut managed = BTreeSet::new();
    let mut texts = BTreeMap::new();
    for name in &existing {
        if name == "root" || name == "default" {
            continue;
        }
        let rules = vaultrs::sys::policy::read(client, name)
            .await
            .map_err(|e| failed(&format!("read policy {name}"), &e))?
            .rules;
        if is_managed(&rules, d.marker, name) {
            managed.insert(name.clone());
        }
        texts.insert(name.clone(), rules);
    }
    for (name, after) in d.policies {
        let before = texts.get(name);
        if before.map(|b| b.trim_end()) != Some(after.trim_end()) {
            if before.is_some() && !managed.contains(name) {
                return Err(format!(
                    "policy {name} exists and was not written by Rampart (no `{}{name}` line): rename the role in secretStores.vault.auth.role, or remove the policy by hand if Rampart should own it",
                    d.marker
                ));
            }
            changes.push(AccessChange::Policy {
                name: name.clone(),
                before: before.cloned(),
                after: after.clone(),
            });
        }
    }
    if !d.roles.is_empty() {
        check_auth_mount(client, d.auth_mount).await?;
    }
    let roles = match vaultrs::auth::kubernetes::role::list(client, d.auth_mount).await {
        Ok(list) => list.keys,
        Err(e) if not_found(&e) => Vec::new(),
        Err(e) => {
            return Err(failed(
                &format!("list the roles of auth/{}", d.auth_mount),
                &e,
            ));
        }
    };
    let mut removed_roles = Vec::new();
    for name in &roles {
        let role = vaultrs::auth::kubernetes::role::read(client, d.auth_mount, name)
            .await
            .map_err(|e| failed(&format!("read role {name}"), &e))?;
        match d.roles.get(name) {
            Some(want) => {
                let same = role.bound_service_account_names
                    == strings(&want["bound_service_account_names"])
                    && role.bound_service_account_namespaces
                        == strings(&want["bound_service_account_namespaces"])
                    && role.token_policies == strings(&want["token_policies"])
                    && role.token_ttl == seconds(want["token_ttl"].as_str().unwrap_or_default())
                    && role.token_max_ttl
                        == seconds(want["token_max_ttl"].as_str().unwrap_or_default());
                if !same {
                    changes.push(AccessChange::Role {
                        name: name.clone(),
                        created: false,
                        settings: want.clone(),
                    });
                }
            }
            None => {
                let ours = !role.token_policies.is_empty()
                    && role.token_policies.iter().all(|p| managed.contains(p));
                if ours {
                    removed_roles.push(AccessChange::RemoveRole { name: name.clone() });
                }
            }
        }
    }
    for (name, want) in d.roles {
        if !roles.contains(name) {
            changes.push(AccessChange::Role {
                name: name.clone(),
                created: true,
                settings: want.clone(),
            });
        }
    }
    changes.extend(removed_roles);
    for name in &managed {
        if !d.policies.contains_key(name) {
            changes.push(AccessChange::RemovePolicy { name: name.clone() });
        }
    }
    if !d.policies.is_empty() {
        let config = vaultrs::kv2::config::read(client, d.kv_mount)
            .await
            .map_err(|e| {
                failed(
                    &format!("read the configuration of KV mount {}", d.kv_mount),
                    &e,
                )
            })?;
        let needed = u64::from(d.keep_versions) + 1;
        if config.max_versions != 0 && config.max_versions < needed {
            changes.push(AccessChange::MaxVersions {
                mount: d.kv_mount.to_owned(),
                from: config.max_versions,
                to: needed,
            });
        }
    }
    Ok(changes)
}

/// A change that failed, after the ones before it were made.
#[derive(Debug)]
pub struct ApplyError {
    /// How many of the changes (from the first, in order) were made.
    pub applied: usize,
    /// Why the next one failed, and how to fix it where known.
    pub message: String,
}

/// Makes `changes` (from [`plan`]), in order; stops at the first that fails.
pub async fn apply(
    client: &VaultClient,
    d: &DesiredAccess<'_>,
    changes: &[AccessChange],
) -> Result<(), ApplyError> {
    for (applied, change) in changes.iter().enumerate() {
        let what = change.to_string();
        let result = match change {
            AccessChange::Policy { name, after, .. } => {
                vaultrs::sys::policy::set(client, name, after).await
            }
            AccessChange::RemovePolicy { name } => vaultrs::sys::policy::delete(client, name).await,
            AccessChange::Role { name, settings, .. } => {
                let mut request = CreateKubernetesRoleRequest::builder();
                request
                    .bound_service_account_names(strings(&settings["bound_service_account_names"]))
                    .bound_service_account_namespaces(strings(
                        &settings["bound_service_account_namespaces"],
                    ))
                    .token_policies(strings(&settings["token_policies"]))
                    .token_ttl(settings["token_ttl"].as_str().unwrap_or_default())
                    .token_max_ttl(settings["token_max_ttl"].as_str().unwrap_or_default());
                if let Some(audience) = settings["audience"].as_str() {
                    request.audience(audience);
                }
                vaultrs::auth::kubernetes::role::create(
                    client,
                    d.auth_mount,
                    name,
                    Some(&mut request),
                )
                .await
            }
            AccessChange::RemoveRole { name } => {
                vaultrs::auth::kubernetes::role::delete(client, d.auth_mount, name).await
            }
            AccessChange::MaxVersions { mount, to, .. } => {
                let mut request = SetConfigurationRequest::builder();
                request.max_versions(*to);
                vaultrs::kv2::config::set(client, mount, Some(&mut request)).await
            }
        };
        result.map_err(|e| {
            let mut message = failed(&what, &e);
            if matches!(change, AccessChange::Role { .. }) && not_found(&e) {
                let mount = d.auth_mount.trim_matches('/');
                message.push_str(&format!(
                    " — no Kubernetes auth method answers at auth/{mount}/; {}",
                    enable_advice(mount)
                ));
            }
            ApplyError { applied, message }
        })?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttls_in_seconds() {
        assert_eq!(seconds("10m"), 600);
        assert_eq!(seconds("90s"), 90);
        assert_eq!(seconds("2h"), 7200);
        assert_eq!(seconds("45"), 45);
    }

    #[test]
    fn only_the_marker_line_for_its_own_name_marks_a_policy() {
        let m = "# rampart-managed: ";
        assert!(is_managed(
            "# x\n# rampart-managed: rampart-a\npath \"a\" {}\n",
            m,
            "rampart-a"
        ));
        assert!(!is_managed(
            "# rampart-managed: rampart-b\n",
            m,
            "rampart-a"
        ));
        assert!(!is_managed("path \"a\" {}\n", m, "rampart-a"));
    }
}
