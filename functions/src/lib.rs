//! What every Lambda binary shares: the AWS composition root ([`aws_app`]) and the runner for
//! an HTTP route ([`serve`]). A binary in `src/bin/` is a few lines that pick a route (or a
//! job: [`registry_import`], [`bills`]) and call into here.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::{Duration, Instant};

use lambda_http::service_fn;
use svet_api::hasher::Argon2Hasher;
use svet_api::session::SessionKey;
use svet_api::{App, Route, dispatch};
use svet_aws::{DynamoStore, S3Documents, SesMailer};
use svet_domain::payments::PaymentGateway;
use svet_domain::{Config, RandomIds, SystemClock};
use svet_sberbank::{
    CallbackKey, Client, Credentials, FiscalSettings, GatewayConfig, PaymentObject, SberbankGateway, Secret,
    TaxType, Url,
};

pub mod bills;
pub mod refund;
pub mod registry_import;

/// Required environment variables, set by template.yaml.
fn env(name: &'static str) -> anyhow::Result<String> {
    std::env::var(name).map_err(|_| anyhow::anyhow!("the environment variable {name} is not set"))
}

/// An environment variable the template sets for some functions only; empty is unset.
fn optional_env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|value| !value.is_empty())
}

/// The application on AWS: DynamoDB, S3 and SES clients built once per container.
///
/// The cold start is kept short (docs/performance.md, «Cold start»): the function's secrets
/// come in one SSM call, made first and awaited last, so that the configuration is parsed and
/// checked and the clients are built while it is on the way; the SDK's clients share one HTTP
/// client that sets up TLS on its first request, and the S3 and SES clients are built on first
/// use. With `AWS_LAMBDA_LOG_LEVEL=info,svet_functions=debug` one line gives each step's time.
pub async fn aws_app() -> anyhow::Result<App> {
    let started = Instant::now();
    let sdk = svet_aws::sdk_config().await;
    let sdk_loaded = started.elapsed();
    let secrets = tokio::spawn(Secrets::read(sdk.clone()));
    let config = Config::from_env()?;
    // A tariff file with gaps, overlaps or unknown codes fails the cold start, not a bill run.
    svet_domain::billing::Tariffs::from_env()?.check_codes(&config)?;
    let configured = started.elapsed();
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(RandomIds);
    let from = std::env::var("MAIL_FROM").unwrap_or_else(|_| config.mail.from.clone());
    let public_url = env("PUBLIC_URL")?;
    let store = Arc::new(DynamoStore::new(
        svet_aws::dynamodb_client::Client::new(&sdk),
        env("TABLE_NAME")?,
        clock.clone(),
    ));
    // Built on first use: most functions never touch the bucket or send mail.
    let documents = Arc::new(S3Documents::on_first_use(&sdk, env("BUCKET_NAME")?));
    let mailer = Arc::new(SesMailer::on_first_use(&sdk, from, ids.clone()));
    let built = started.elapsed();
    let secrets = secrets.await.map_err(|e| anyhow::anyhow!("reading the secrets stopped: {e}"))??;
    let secrets_read = started.elapsed();
    let session_key = session_key(secrets.session_key, optional_env("SESSION_PUBLIC_KEY"))?;
    let app = App {
        store,
        documents,
        mailer,
        clock,
        ids,
        hasher: Arc::new(Argon2Hasher),
        session_key: Arc::new(session_key),
        config: Arc::new(config),
        origins: vec![public_url.trim_end_matches('/').to_owned()],
        public_url,
        payments: secrets.bank.map(bank).transpose()?,
    };
    tracing::debug!(
        sdk_config_us = micros(sdk_loaded),
        config_us = micros(configured - sdk_loaded),
        clients_us = micros(built - configured),
        secrets_wait_us = micros(secrets_read - built),
        rest_us = micros(started.elapsed() - secrets_read),
        "cold start: the application is built"
    );
    Ok(app)
}

/// The session's keys (`svet_api::session::SessionKey`): the functions that start sessions
/// (login, activation) are given the private key's parameter (`SESSION_KEY_PARAMETER`) and sign
/// with it; every function is given the public key (`SESSION_PUBLIC_KEY`, no secret) to check
/// sessions with. A function given neither (a test's stack) gets a throwaway key: it can
/// neither start a session nor accept one.
fn session_key(private_pem: Option<Vec<u8>>, public: Option<String>) -> anyhow::Result<SessionKey> {
    match (private_pem, public) {
        (Some(pem), Some(public)) => {
            let pem = String::from_utf8(pem)
                .map_err(|_| anyhow::anyhow!("the session's private key is not UTF-8"))?;
            SessionKey::ed25519_issuer(&pem, &public)
        }
        (Some(_), None) => anyhow::bail!("SESSION_KEY_PARAMETER is set but SESSION_PUBLIC_KEY is not"),
        (None, Some(public)) => SessionKey::ed25519_verifier(&public),
        (None, None) => {
            let mut throwaway = vec![0u8; 32];
            getrandom::fill(&mut throwaway).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            SessionKey::hmac(&throwaway)
        }
    }
}

/// Whole microseconds, for log fields that Logs Insights can add up.
fn micros(duration: Duration) -> u64 {
    u64::try_from(duration.as_micros()).unwrap_or(u64::MAX)
}

/// The function's SSM SecureString parameters, read with one call: the session's private key
/// (`SESSION_KEY_PARAMETER`, for the functions that start sessions) and,
/// for the functions given `SBERBANK_URL` (those that start or confirm payments), the bank
/// password's and the callback key's (`SBERBANK_PASSWORD_PARAMETER`,
/// `SBERBANK_CALLBACK_KEY_PARAMETER`).
struct Secrets {
    session_key: Option<Vec<u8>>,
    bank: Option<BankSecrets>,
}

/// What the bank's gateway needs beyond the environment's plain settings.
struct BankSecrets {
    url: String,
    password: String,
    callback_key: String,
}

impl Secrets {
    async fn read(sdk: svet_aws::aws_config::SdkConfig) -> anyhow::Result<Secrets> {
        let session = optional_env("SESSION_KEY_PARAMETER");
        let bank = match optional_env("SBERBANK_URL") {
            Some(url) => {
                Some((url, env("SBERBANK_PASSWORD_PARAMETER")?, env("SBERBANK_CALLBACK_KEY_PARAMETER")?))
            }
            None => None,
        };
        let mut names: Vec<&str> = Vec::new();
        names.extend(session.as_deref());
        if let Some((_, password, callback_key)) = &bank {
            names.extend([password.as_str(), callback_key.as_str()]);
        }
        if names.is_empty() {
            return Ok(Secrets { session_key: None, bank: None });
        }
        let mut values = svet_aws::secrets::ssm_secrets(&sdk, &names).await?.into_iter();
        let mut next = || values.next().ok_or_else(|| anyhow::anyhow!("SSM answered fewer values"));
        let session_key = match session {
            Some(_) => Some(next()?),
            None => None,
        };
        let text = |bytes: Vec<u8>, what: &str| {
            String::from_utf8(bytes)
                .map(|s| s.trim().to_owned())
                .map_err(|_| anyhow::anyhow!("{what} is not UTF-8"))
        };
        let bank = match bank {
            Some((url, _, _)) => Some(BankSecrets {
                url,
                password: text(next()?, "the bank password")?,
                callback_key: text(next()?, "the callback key")?,
            }),
            None => None,
        };
        Ok(Secrets { session_key, bank })
    }
}

/// The bank's gateway: the merchant login from `SBERBANK_USER_NAME`, the password and the
/// callback key from SSM (an HMAC token, or with `SBERBANK_CALLBACK_SIGNATURE=rsa` the bank's
/// PEM public key). The functions not given `SBERBANK_URL` get none.
fn bank(secrets: BankSecrets) -> anyhow::Result<Arc<dyn PaymentGateway>> {
    let credentials = Credentials::Password {
        user_name: env("SBERBANK_USER_NAME")?,
        password: Secret::new(secrets.password),
    };
    let client = Client::new(GatewayConfig::new(Url::parse(&secrets.url)?, credentials))?;
    Ok(Arc::new(SberbankGateway::new(
        client,
        callback_key_of(std::env::var("SBERBANK_CALLBACK_SIGNATURE").ok().as_deref(), &secrets.callback_key)?,
        // The cheque's VAT and payment object: confirm with the bank's fiscal settings.
        FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
    )))
}

/// The callback key as `SBERBANK_CALLBACK_SIGNATURE` says: `hmac` (the default: a symmetric
/// token) or `rsa` (the bank's PEM public key).
fn callback_key_of(signature: Option<&str>, text: &str) -> anyhow::Result<CallbackKey> {
    match signature {
        Some("rsa") => Ok(CallbackKey::rsa_from_pem(text)?),
        Some("hmac" | "") | None => Ok(CallbackKey::hmac(Secret::new(text))?),
        Some(other) => anyhow::bail!("SBERBANK_CALLBACK_SIGNATURE is {other:?}: expected hmac or rsa"),
    }
}

/// Logs as flat JSON lines on stdout (CloudWatch Logs), level from `AWS_LAMBDA_LOG_LEVEL` or
/// `RUST_LOG` (default info), and metrics as EMF documents with `function` (the binary's name,
/// as in the route table) as their `Function` dimension. lambda_http's
/// `init_default_subscriber` writes text unless the function's log format is JSON, and nests
/// span fields (the request id) where Logs Insights can only reach them by position.
pub fn init_logging(function: &'static str) {
    let subscriber =
        svet_api::observe::json_subscriber(svet_api::observe::filter_from_env(), std::io::stdout);
    // A second call (a test) keeps the first subscriber.
    let _ = tracing::subscriber::set_global_default(subscriber);
    svet_api::metrics::use_emf(function);
}

/// Serves one HTTP route on Lambda. Every error becomes a response in [`dispatch`], so the
/// runtime never turns one into a bare 500; `dispatch` logs the request line with Lambda's
/// request id.
pub async fn serve(route: Route) -> Result<(), lambda_http::Error> {
    init_logging(route.function);
    let app = aws_app().await?;
    let (app, route) = (&app, &route);
    lambda_http::run(service_fn(move |request| async move {
        Ok::<_, Infallible>(dispatch(app, route, request).await)
    }))
    .await
}

#[cfg(test)]
mod tests {
    use super::callback_key_of;

    #[test]
    fn the_callback_signature_setting_picks_the_key_kind_and_refuses_the_rest() {
        assert!(callback_key_of(None, "a-token-from-the-bank").is_ok(), "hmac by default");
        assert!(callback_key_of(Some("hmac"), "a-token-from-the-bank").is_ok());
        let rsa = callback_key_of(Some("rsa"), "a-token-from-the-bank").unwrap_err().to_string();
        assert!(rsa.to_lowercase().contains("key"), "a token is no PEM key: {rsa}");
        let other = callback_key_of(Some("md5"), "x").unwrap_err().to_string();
        assert!(other.contains("expected hmac or rsa"), "{other}");
    }
}
