//! Logging in to a test [`Postgres`]: as its superuser to set a database up, and as an
//! application role to see whether a credential works.

use tokio_postgres::{Client, NoTls};

use crate::Postgres;

impl Postgres {
    /// A client logged in as `role` with `password`, its connection driven on the current
    /// Tokio runtime.
    pub async fn connect_as(
        &self,
        role: &str,
        password: &str,
    ) -> Result<Client, tokio_postgres::Error> {
        let mut config = tokio_postgres::Config::new();
        config
            .host(self.host())
            .port(self.port())
            .dbname(self.database())
            .user(role)
            .password(password);
        let (client, connection) = config.connect(NoTls).await?;
        tokio::spawn(connection);
        Ok(client)
    }

    /// Runs `sql` (one or more statements) as the superuser; panics if it fails.
    pub async fn admin_sql(&self, sql: &str) {
        self.connect_as(self.admin_user(), self.admin_password())
            .await
            .expect("superuser login")
            .batch_execute(sql)
            .await
            .expect("superuser SQL");
    }

    /// Whether `role`/`password` can log in and read `table`.
    pub async fn can_read(&self, role: &str, password: &str, table: &str) -> bool {
        match self.connect_as(role, password).await {
            Ok(client) => client
                .simple_query(&format!("SELECT * FROM {table}"))
                .await
                .is_ok(),
            Err(_) => false,
        }
    }
}
