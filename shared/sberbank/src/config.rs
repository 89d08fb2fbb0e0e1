//! How to reach the gateway: the API flavour, the base URL, the merchant's credentials, the
//! timeouts, the retry budget and any extra trust roots.
//!
//! Credentials and keys come from the host's secret store (an SSM parameter on AWS, a local
//! file for the embedded host); nothing here has a default for them, and [`Secret`] keeps them
//! out of `Debug` output and so out of logs.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use reqwest::Url;

/// The bank's test stand for the legacy REST form API.
pub const TEST_STAND_URL: &str = "https://3dsec.sberbank.ru/payment/rest/";
/// The bank's production gateway for the legacy REST form API.
pub const PRODUCTION_URL: &str = "https://securepayments.sberbank.ru/payment/rest/";

/// The two protocol generations of the gateway. Method and parameter names are the same; the
/// base URL and the body encoding differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ApiFlavour {
    /// `…/payment/rest/<method>.do`: `application/x-www-form-urlencoded` bodies, nested
    /// `orderBundle` and `jsonParams` as JSON strings inside form fields.
    #[default]
    LegacyForm,
    /// `…/ecomm/gw/partner/api/v1/<method>.do`: `application/json` bodies. Not implemented
    /// yet: [`crate::Client::new`] refuses it with [`ConfigError::UnsupportedFlavour`].
    EcomJson,
}

/// A credential or key. `Debug` never shows the value.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends or uses it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// How the merchant signs in: an API login and password (each at most 30 characters; the
/// login conventionally ends in `-api`), or a single token instead of both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Credentials {
    Password { user_name: String, password: Secret },
    Token(Secret),
}

/// Longest API login or password the gateway accepts.
pub const MAX_CREDENTIAL: usize = 30;

/// How often a call may be sent, and the pause before the first repeat (doubled each time).
/// Which calls may be repeated at all is fixed by the client, not configured: see
/// [`crate::Client`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first one included; 1 means no retries.
    pub attempts: u32,
    pub first_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy { attempts: 3, first_backoff: Duration::from_millis(250) }
    }
}

/// Everything the client needs to talk to one merchant account.
#[derive(Debug, Clone)]
pub struct GatewayConfig {
    pub flavour: ApiFlavour,
    /// The REST base, e.g. [`TEST_STAND_URL`]; the method name is appended. Plain `http` is
    /// accepted only for a loopback host (the simulator).
    pub base_url: Url,
    pub credentials: Credentials,
    /// Time to set up TCP and TLS. A call that fails here never reached the bank.
    pub connect_timeout: Duration,
    /// Time for one whole request and response.
    pub request_timeout: Duration,
    pub retry: RetryPolicy,
    /// Extra trust anchors in PEM, added to the built-in web roots. The bank's certificates
    /// chain to the Russian «НУЦ Минцифры» root, which the web roots do not include.
    pub extra_roots_pem: Vec<String>,
}

impl GatewayConfig {
    /// The legacy REST form API at `base_url`, with the default timeouts (5 s to connect, 30 s
    /// per request) and retry budget (3 attempts, 250 ms then 500 ms apart).
    pub fn new(base_url: Url, credentials: Credentials) -> Self {
        GatewayConfig {
            flavour: ApiFlavour::LegacyForm,
            base_url,
            credentials,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(30),
            retry: RetryPolicy::default(),
            extra_roots_pem: Vec::new(),
        }
    }

    /// Checks what can be checked before the first call, and returns the base URL with a
    /// trailing slash so that method names join onto it.
    pub(crate) fn checked_base(&self) -> Result<Url, ConfigError> {
        if self.flavour != ApiFlavour::LegacyForm {
            return Err(ConfigError::UnsupportedFlavour(self.flavour));
        }
        match &self.credentials {
            Credentials::Password { user_name, password } => {
                check_credential("user name", user_name)?;
                check_credential("password", password.expose())?;
            }
            Credentials::Token(token) => {
                if token.expose().is_empty() {
                    return Err(ConfigError::EmptyCredential("token"));
                }
            }
        }
        let url = &self.base_url;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(url) => {}
            "http" => return Err(ConfigError::PlainHttp(url.host_str().unwrap_or_default().to_owned())),
            other => return Err(ConfigError::Scheme(other.to_owned())),
        }
        if url.cannot_be_a_base() || url.query().is_some() {
            return Err(ConfigError::BaseUrl(url.to_string()));
        }
        let mut base = url.clone();
        if !base.path().ends_with('/') {
            let path = format!("{}/", base.path());
            base.set_path(&path);
        }
        Ok(base)
    }
}

fn check_credential(what: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.is_empty() {
        return Err(ConfigError::EmptyCredential(what));
    }
    if value.chars().count() > MAX_CREDENTIAL {
        return Err(ConfigError::LongCredential(what));
    }
    Ok(())
}

fn is_loopback(url: &Url) -> bool {
    match url.host_str() {
        Some("localhost") => true,
        Some(host) => host.trim_matches(['[', ']']).parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback()),
        None => false,
    }
}

/// Why a configuration cannot be used. Found by [`crate::Client::new`], before any call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ConfigError {
    #[error("the {0:?} API flavour is not implemented yet; use LegacyForm")]
    UnsupportedFlavour(ApiFlavour),
    #[error("the gateway {0} is plain http; only a loopback simulator may be")]
    PlainHttp(String),
    #[error("the gateway URL has the scheme {0:?}; expected https")]
    Scheme(String),
    #[error("{0:?} cannot be a base URL (no query string, a path to append to)")]
    BaseUrl(String),
    #[error("the {0} is empty")]
    EmptyCredential(&'static str),
    #[error("the {0} is longer than {MAX_CREDENTIAL} characters")]
    LongCredential(&'static str),
    #[error("an extra root certificate is not valid PEM: {0}")]
    RootCertificate(String),
    #[error("the HTTP client cannot be built: {0}")]
    HttpClient(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> GatewayConfig {
        let credentials =
            Credentials::Password { user_name: "svet-api".into(), password: Secret::new("svet") };
        GatewayConfig::new(Url::parse(url).unwrap(), credentials)
    }

    #[test]
    fn the_base_url_gets_a_trailing_slash() {
        let base = config("https://3dsec.sberbank.ru/payment/rest").checked_base().unwrap();
        assert_eq!(
            base.join("register.do").unwrap().as_str(),
            "https://3dsec.sberbank.ru/payment/rest/register.do"
        );
        let base = config(TEST_STAND_URL).checked_base().unwrap();
        assert_eq!(base.as_str(), TEST_STAND_URL);
    }

    #[test]
    fn plain_http_only_to_a_loopback_simulator() {
        for url in
            ["http://127.0.0.1:8080/payment/rest/", "http://localhost/sim/", "http://[::1]:9/payment/rest/"]
        {
            assert!(config(url).checked_base().is_ok(), "{url}");
        }
        assert_eq!(
            config("http://securepayments.sberbank.ru/payment/rest/").checked_base(),
            Err(ConfigError::PlainHttp("securepayments.sberbank.ru".into()))
        );
        assert!(matches!(config("ftp://127.0.0.1/").checked_base(), Err(ConfigError::Scheme(_))));
    }

    #[test]
    fn the_json_gateway_is_refused_until_implemented() {
        let mut config = config(TEST_STAND_URL);
        config.flavour = ApiFlavour::EcomJson;
        assert_eq!(config.checked_base(), Err(ConfigError::UnsupportedFlavour(ApiFlavour::EcomJson)));
    }

    #[test]
    fn credentials_are_checked_and_never_printed() {
        let mut config = config(TEST_STAND_URL);
        assert!(!format!("{config:?}").contains("\"svet\""));
        config.credentials = Credentials::Token(Secret::new(""));
        assert_eq!(config.checked_base(), Err(ConfigError::EmptyCredential("token")));
        config.credentials = Credentials::Password { user_name: "x".repeat(31), password: Secret::new("p") };
        assert_eq!(config.checked_base(), Err(ConfigError::LongCredential("user name")));
    }
}
