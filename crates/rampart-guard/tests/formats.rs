//! The secret guard knows credentials by their documented formats, under any key: one true
//! positive and one look-alike that must pass per format. Tokens are generated at run time
//! (a fixed pseudo-random sequence), so this file holds no credential-shaped literal.

use rampart_guard::{Rule, scan_file};

/// `n` characters of `alphabet`, from a fixed linear congruential sequence.
fn random(seed: u64, n: usize, alphabet: &str) -> String {
    let chars: Vec<char> = alphabet.chars().collect();
    let mut state = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            chars[((state >> 33) % chars.len() as u64) as usize]
        })
        .collect()
}

const ALNUM: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const URLSAFE: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const HEX: &str = "0123456789abcdef";
const B64: &str = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

fn b64(text: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(text)
}

fn found(text: &str) -> Vec<Rule> {
    scan_file("f.yaml", text.as_bytes())
        .into_iter()
        .map(|f| f.rule)
        .collect()
}

/// (what, a leak, its rule, a look-alike that is not one)
fn cases() -> Vec<(&'static str, String, Rule, String)> {
    let gh = |p: &str, s| format!("{p}_{}", random(s, 36, ALNUM));
    vec![
        ("GitHub classic PAT in an argument", format!("args: [--github-pat={}]", gh("ghp", 1)), Rule::GitHubToken,
         format!("note: tokens look like ghp_<36 characters>, e.g. {}", gh("ghp", 1)[..20].to_owned())),
        ("GitHub OAuth token", format!("oauth: {}", gh("gho", 2)), Rule::GitHubToken,
         format!("value: {}{}", gh("gho", 2), "X")),
        ("GitHub user-to-server token", format!("x: \"{}\"", gh("ghu", 3)), Rule::GitHubToken,
         format!("x: ghu_{}", "x".repeat(36))),
        ("GitHub installation token in a clone URL user", format!("repoURL: https://x-access-token:{}@github.com/acme/gitops", gh("ghs", 4)), Rule::GitHubToken,
         format!("image: ghs/{}", random(4, 36, HEX))),
        ("GitHub refresh token", format!("refresh={}", gh("ghr", 5)), Rule::GitHubToken,
         format!("blob: {}{}", random(5, 20, B64), gh("ghr", 5))),
        ("GitHub fine-grained PAT", format!("- GITHUB_PAT=github_pat_{}_{}", random(6, 22, ALNUM), random(7, 59, ALNUM)), Rule::GitHubToken,
         format!("- github_pat_{}", random(6, 22, ALNUM))),
        ("GitLab personal token", format!("value: glpat-{}", random(8, 20, URLSAFE)), Rule::GitLabToken,
         "value: glpat-short".to_owned()),
        ("GitLab deploy token", format!("password: gldt-{}", random(9, 20, URLSAFE)), Rule::GitLabToken,
         format!("name: gldt-{}", "a".repeat(20))),
        ("GitLab runner registration token", format!("- --registration-token GR1348941{}", random(10, 20, URLSAFE)), Rule::GitLabToken,
         "- --registration-token GR1348941".to_owned()),
        ("Slack bot token", format!("- {{name: SLACK, value: xoxb-{}-{}-{}}}", random(11, 12, "0123456789"), random(12, 13, "0123456789"), random(13, 24, ALNUM)), Rule::SlackToken,
         "text: the xoxb- prefix marks bot tokens".to_owned()),
        ("Slack webhook", format!("api_url: https://hooks.slack.com/services/T{}/B{}/{}", random(14, 8, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), random(15, 10, "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"), random(16, 24, ALNUM)), Rule::SlackWebhook,
         "docs: https://api.slack.com/messaging/webhooks".to_owned()),
        ("Stripe live secret key", format!("STRIPE=sk_live_{}", random(17, 24, ALNUM)), Rule::StripeKey,
         format!("STRIPE=sk_test_{}", random(17, 24, ALNUM))),
        ("Stripe restricted key", format!("rk: rk_live_{}", random(18, 24, ALNUM)), Rule::StripeKey,
         format!("rk: rk_live_{}", "0".repeat(24))),
        ("Google API key", format!("maps: AIza{}", random(19, 35, URLSAFE)), Rule::GoogleApiKey,
         format!("maps: AIza{}", random(19, 20, URLSAFE))),
        ("npm token", format!("//registry.npmjs.org/:_authToken=npm_{}", random(20, 36, ALNUM)), Rule::NpmToken,
         format!("package: npm_{}", random(20, 10, ALNUM))),
        ("PyPI token in a command", format!("- twine upload -p pypi-AgEIcHlwaS5vcmc{} dist/*", random(21, 60, URLSAFE)), Rule::PypiToken,
         "- twine upload -u __token__ -p pypi-".to_owned()),
        ("SendGrid key", format!("apikey: SG.{}.{}", random(22, 22, URLSAFE), random(23, 43, URLSAFE)), Rule::SendGridKey,
         format!("host: SG.{}", random(22, 10, ALNUM))),
        ("Twilio API key", format!("TWILIO_API_KEY=SK{}", random(24, 32, HEX)), Rule::TwilioApiKey,
         format!("sku: SKU{}", random(24, 8, HEX))),
        ("Azure storage connection string", format!("conn: DefaultEndpointsProtocol=https;AccountName=acme;AccountKey={}==;EndpointSuffix=core.windows.net", random(25, 86, B64)), Rule::AzureStorageKey,
         "conn: DefaultEndpointsProtocol=https;AccountName=acme;AccountKey=${AZURE_KEY};EndpointSuffix=core.windows.net".to_owned()),
        ("Azure storage key, name in lower case", format!("conn: accountname=acme;accountkey={}==", random(31, 86, B64)), Rule::AzureStorageKey,
         "conn: accountname=acme;accountkey=$(AZURE_KEY)".to_owned()),
        ("Docker auth entry", format!("{{\"auths\": {{\"reg.example.com\": {{\"auth\": \"{}\"}}}}}}", b64(&format!("robot:{}", random(26, 24, ALNUM)))), Rule::DockerRegistryAuth,
         format!("{{\"auths\": {{\"reg.example.com\": {{\"auth\": \"{}\"}}}}}}", b64("robot:"))),
        ("Docker config, base64 in Helm values", format!("dockerconfigjson: {}", b64(&format!("{{\"auths\": {{\"reg.example.com\": {{\"auth\": \"{}\"}}}}}}", b64(&format!("ci:{}", random(27, 20, ALNUM)))))), Rule::DockerRegistryAuth,
         format!("caBundle: {}", b64(&"-----BEGIN CERTIFICATE-----\nMIIB\n".repeat(4)))),
        ("password in a database URL", format!("DATABASE_URL: postgres://app:{}@db.internal:5432/app", random(28, 16, ALNUM)), Rule::UrlPassword,
         "DATABASE_URL: postgres://${DB_USER}:${DB_PASSWORD}@db.internal:5432/app".to_owned()),
        ("password in a redis URL, no user", format!("- redis://:{}@cache:6379/0", random(29, 20, ALNUM)), Rule::UrlPassword,
         "- redis://:{{ .Values.redis.password }}@cache:6379/0".to_owned()),
        ("password in a JDBC URL", format!("url: jdbc:mysql://svc:{}@mysql:3306/shop", random(30, 18, ALNUM)), Rule::UrlPassword,
         "url: https://user:@host.example.com/ and https://git@github.com/acme/gitops".to_owned()),
        // A password holding a URL-reserved character, unescaped as people write it.
        ("password with `#` in a connection URL in a container's env", "        - {name: DATABASE_URL, value: \"postgres://app:N9v#2kLq8Zr@db.internal:5432/app\"}".to_owned(), Rule::UrlPassword,
         "        - {name: PROFILE, value: \"http://localhost:8080/users/@me#top https://social.example:443/@acme\"}".to_owned()),
        ("password with `/` and `?` in a URL", "dsn: mysql://shop:Qp/7x?Rz2w@mysql.internal:3306/shop".to_owned(), Rule::UrlPassword,
         "see: https://example.com/search?q=user:name@example.com and http://host:9090?x=a@b".to_owned()),
    ]
}

#[test]
fn every_format_is_caught_under_any_key_and_its_look_alike_passes() {
    for (what, leak, rule, look_alike) in cases() {
        assert!(
            found(&leak).contains(&rule),
            "{what}: missed in {leak:?}: {:?}",
            found(&leak)
        );
        assert_eq!(
            found(&look_alike),
            [],
            "{what}: false positive on {look_alike:?}"
        );
    }
}

#[test]
fn findings_never_carry_the_value() {
    for (what, leak, _, _) in cases() {
        for finding in scan_file("values.yaml", leak.as_bytes()) {
            let shown = finding.to_string();
            let value = leak.split([' ', '=', ':']).max_by_key(|s| s.len()).unwrap();
            assert!(!shown.contains(value), "{what}: {shown}");
        }
    }
}
