//! PostgreSQL as a rotation target: set a login role's password (as a SCRAM verifier, so
//! the plaintext never reaches the server's logs) and prove a fresh login works.
//!
//! Connections to a loopback address are plain; every other host must speak TLS with a
//! certificate valid for its name (system trust store): a database credential is not sent
//! in the clear over a network.

use crate::RotateError;
use postgres_protocol::escape::{escape_identifier, escape_literal};
use std::net::IpAddr;
use std::time::Duration;
use tokio_postgres::{Client, Config, NoTls};

/// Where the database is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Host name or address.
    pub host: String,
    /// Port.
    pub port: u16,
    /// Database to connect to.
    pub database: String,
}

/// A login: role and password. `Debug` hides the password.
pub struct Login<'a> {
    /// Role name.
    pub role: &'a str,
    /// Its password.
    pub password: &'a str,
}

impl Endpoint {
    fn error(&self, operation: &'static str, role: &str, e: &tokio_postgres::Error) -> RotateError {
        // The server's text, never the statement (which holds a verifier).
        let message = match e.as_db_error() {
            Some(db) => format!("{} ({})", db.message(), db.code().code()),
            None => e.to_string().lines().next().unwrap_or_default().to_owned(),
        };
        RotateError::Postgres {
            operation,
            role: role.to_owned(),
            host: self.host.clone(),
            port: self.port,
            message,
        }
    }

    fn is_loopback(&self) -> bool {
        self.host == "localhost"
            || self
                .host
                .parse::<IpAddr>()
                .map(|ip| ip.is_loopback())
                .unwrap_or(false)
    }

    /// Opens a fresh connection (never a pooled one: a changed password only shows on a
    /// new login).
    async fn connect(
        &self,
        login: &Login<'_>,
        operation: &'static str,
    ) -> Result<Client, RotateError> {
        let mut config = Config::new();
        config
            .host(&self.host)
            .port(self.port)
            .dbname(&self.database)
            .user(login.role)
            .password(login.password)
            .application_name("rampart-rotate")
            .connect_timeout(Duration::from_secs(10));
        let fail = |e: &tokio_postgres::Error| self.error(operation, login.role, e);
        if self.is_loopback() {
            let (client, connection) = config.connect(NoTls).await.map_err(|e| fail(&e))?;
            tokio::spawn(connection);
            return Ok(client);
        }
        config.ssl_mode(tokio_postgres::config::SslMode::Require);
        let connector = native_tls::TlsConnector::new().map_err(|e| RotateError::Postgres {
            operation,
            role: login.role.to_owned(),
            host: self.host.clone(),
            port: self.port,
            message: format!("TLS setup: {e}"),
        })?;
        let tls = postgres_native_tls::MakeTlsConnector::new(connector);
        let (client, connection) = config.connect(tls).await.map_err(|e| fail(&e))?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Logs in as `login` and runs a query: the test step.
    pub async fn check_login(&self, login: &Login<'_>) -> Result<(), RotateError> {
        let client = self
            .connect(login, "log in with the new credential")
            .await?;
        client
            .simple_query("SELECT 1")
            .await
            .map_err(|e| self.error("query with the new credential", login.role, &e))?;
        Ok(())
    }

    async fn role_exists(&self, client: &Client, role: &str) -> Result<bool, RotateError> {
        Ok(client
            .query_opt("SELECT 1 FROM pg_roles WHERE rolname = $1", &[&role])
            .await
            .map_err(|e| self.error("look up the role", role, &e))?
            .is_some())
    }

    /// As `admin`, gives `role` the password `password`. When `role` does not exist and
    /// `like` names a role, `role` is created as a login role that is a member of every
    /// role `like` is a member of (the "same grants through a group role" of alternating
    /// users).
    pub async fn set_password(
        &self,
        admin: &Login<'_>,
        role: &str,
        password: &str,
        like: Option<&str>,
    ) -> Result<(), RotateError> {
        let client = self.connect(admin, "log in as the admin").await?;
        let exists = self.role_exists(&client, role).await?;
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        let quoted = escape_identifier(role);
        if !exists {
            let Some(like) = like else {
                return Err(RotateError::Postgres {
                    operation: "find the role",
                    role: role.to_owned(),
                    host: self.host.clone(),
                    port: self.port,
                    message: "it does not exist; create it first".to_owned(),
                });
            };
            let groups: Vec<String> = client
                .query(
                    "SELECT g.rolname FROM pg_auth_members m \
                     JOIN pg_roles g ON g.oid = m.roleid \
                     JOIN pg_roles u ON u.oid = m.member WHERE u.rolname = $1",
                    &[&like],
                )
                .await
                .map_err(|e| self.error("read the memberships of", like, &e))?
                .iter()
                .map(|row| row.get(0))
                .collect();
            let mut sql = format!(
                "CREATE ROLE {quoted} LOGIN PASSWORD {}",
                escape_literal(&verifier)
            );
            if !groups.is_empty() {
                let names: Vec<String> = groups.iter().map(|g| escape_identifier(g)).collect();
                sql.push_str(&format!(" IN ROLE {}", names.join(", ")));
            }
            return client
                .batch_execute(&sql)
                .await
                .map_err(|e| self.error("create the role", role, &e));
        }
        client
            .batch_execute(&format!(
                "ALTER ROLE {quoted} PASSWORD {}",
                escape_literal(&verifier)
            ))
            .await
            .map_err(|e| self.error("set the password of", role, &e))
    }
}

impl Endpoint {
    /// Logged in as `admin`, gives the existing `role` the SCRAM verifier of `password`
    /// (a value the caller drew and forgets); `false`, changing nothing, when the role does
    /// not exist. One statement: it happens whole or not at all.
    pub async fn retire_role(
        &self,
        admin: &Login<'_>,
        role: &str,
        password: &str,
    ) -> Result<bool, RotateError> {
        let client = self.connect(admin, "log in as the admin").await?;
        let exists = self.role_exists(&client, role).await?;
        if !exists {
            return Ok(false);
        }
        let verifier = postgres_protocol::password::scram_sha_256(password.as_bytes());
        client
            .batch_execute(&format!(
                "ALTER ROLE {} PASSWORD {}",
                escape_identifier(role),
                escape_literal(&verifier)
            ))
            .await
            .map_err(|e| self.error("retire the password of", role, &e))?;
        Ok(true)
    }
}

/// The other role of an alternating pair: `app` ↔ `app_alt`.
pub fn alternate_role(role: &str) -> String {
    match role.strip_suffix("_alt") {
        Some(base) if !base.is_empty() => base.to_owned(),
        _ => format!("{role}_alt"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn alternating_roles_flip() {
        assert_eq!(alternate_role("app"), "app_alt");
        assert_eq!(alternate_role("app_alt"), "app");
        assert_eq!(alternate_role("_alt"), "_alt_alt");
    }
}
