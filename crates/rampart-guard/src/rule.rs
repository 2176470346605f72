//! The kinds of secret the guard recognises.

/// A kind of secret the guard recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    /// A Kubernetes Secret with `data` or `stringData`.
    KubernetesSecretData,
    /// A PEM private key block.
    PrivateKey,
    /// An AWS access key id (`AKIA…`, `ASIA…`).
    AwsAccessKeyId,
    /// An AWS secret access key assignment.
    AwsSecretAccessKey,
    /// A Vault or OpenBao token (`hvs.`, `hvb.`, legacy `s.`).
    VaultToken,
    /// A JSON Web Token.
    Jwt,
    /// A high-entropy value assigned to a key named like a secret.
    HighEntropyAssignment,
    /// A GitHub token (`ghp_`, `gho_`, `ghu_`, `ghs_`, `ghr_`, `github_pat_`).
    GitHubToken,
    /// A GitLab token (`glpat-` and the other prefixes, runner registration `GR1348941`).
    GitLabToken,
    /// A Slack token (`xoxb-`, `xoxp-`, …).
    SlackToken,
    /// A Slack incoming-webhook URL.
    SlackWebhook,
    /// A Stripe live secret or restricted key.
    StripeKey,
    /// A Google API key.
    GoogleApiKey,
    /// An npm access token.
    NpmToken,
    /// A PyPI API token.
    PypiToken,
    /// A SendGrid API key.
    SendGridKey,
    /// A Twilio API key.
    TwilioApiKey,
    /// An Azure storage account key (in a connection string).
    AzureStorageKey,
    /// A Docker registry `auth` entry (user and password).
    DockerRegistryAuth,
    /// A password in a URL (`scheme://user:password@host`).
    UrlPassword,
}

impl Rule {
    /// Stable identifier, for suppressions and tooling.
    pub fn id(self) -> &'static str {
        match self {
            Rule::KubernetesSecretData => "kubernetes-secret-data",
            Rule::PrivateKey => "private-key",
            Rule::AwsAccessKeyId => "aws-access-key-id",
            Rule::AwsSecretAccessKey => "aws-secret-access-key",
            Rule::VaultToken => "vault-token",
            Rule::Jwt => "jwt",
            Rule::HighEntropyAssignment => "high-entropy-assignment",
            Rule::GitHubToken => "github-token",
            Rule::GitLabToken => "gitlab-token",
            Rule::SlackToken => "slack-token",
            Rule::SlackWebhook => "slack-webhook",
            Rule::StripeKey => "stripe-key",
            Rule::GoogleApiKey => "google-api-key",
            Rule::NpmToken => "npm-token",
            Rule::PypiToken => "pypi-token",
            Rule::SendGridKey => "sendgrid-key",
            Rule::TwilioApiKey => "twilio-api-key",
            Rule::AzureStorageKey => "azure-storage-key",
            Rule::DockerRegistryAuth => "docker-registry-auth",
            Rule::UrlPassword => "url-password",
        }
    }

    /// What was found.
    pub fn description(self) -> &'static str {
        match self {
            Rule::KubernetesSecretData => "a Kubernetes Secret with data or stringData",
            Rule::PrivateKey => "a private key",
            Rule::AwsAccessKeyId => "an AWS access key id",
            Rule::AwsSecretAccessKey => "an AWS secret access key",
            Rule::VaultToken => "a Vault/OpenBao token",
            Rule::Jwt => "a JSON Web Token",
            Rule::HighEntropyAssignment => "a high-entropy value assigned to a secret-like key",
            Rule::GitHubToken => "a GitHub token",
            Rule::GitLabToken => "a GitLab token",
            Rule::SlackToken => "a Slack token",
            Rule::SlackWebhook => "a Slack webhook URL",
            Rule::StripeKey => "a Stripe live key",
            Rule::GoogleApiKey => "a Google API key",
            Rule::NpmToken => "an npm token",
            Rule::PypiToken => "a PyPI token",
            Rule::SendGridKey => "a SendGrid API key",
            Rule::TwilioApiKey => "a Twilio API key",
            Rule::AzureStorageKey => "an Azure storage account key",
            Rule::DockerRegistryAuth => "a Docker registry login (auth entry)",
            Rule::UrlPassword => "a password in a URL",
        }
    }

    /// How to fix it.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::KubernetesSecretData => {
                "keep the value in Vault/OpenBao or AWS Secrets Manager and commit an ExternalSecret (or a SealedSecret / SOPS-encrypted file) instead (checklist 4.7)"
            }
            Rule::UrlPassword => {
                "take the password out of the URL (it may already be exposed: change it), pass it from a mounted secret or a placeholder such as ${DB_PASSWORD} (checklist 4.7)"
            }
            _ => {
                "remove it from the file, revoke or rotate it (it may already be exposed) and reference it from a secrets manager (checklist 4.7)"
            }
        }
    }
}
