//! What every Lambda binary shares: the AWS composition root ([`aws_app`]) and the runner for
//! an HTTP route ([`serve`]). A binary in `src/bin/` is a few lines that pick a route (or a
//! job: [`registry_import`], [`bills`]) and call into here.

use std::convert::Infallible;
use std::sync::Arc;

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

/// The application on AWS: DynamoDB, S3 and SES clients built once per container.
pub async fn aws_app() -> anyhow::Result<App> {
    let config = Config::from_env()?;
    // A tariff file with gaps, overlaps or unknown codes fails the cold start, not a bill run.
    svet_domain::billing::Tariffs::from_env()?.check_codes(&config)?;
    let sdk = svet_aws::sdk_config().await;
    let clock = Arc::new(SystemClock);
    let ids = Arc::new(RandomIds);
    let from = std::env::var("MAIL_FROM").unwrap_or_else(|_| config.mail.from.clone());
    // Only the functions that read or issue the session cookie are given the key's parameter
    // (and the right to read it); the others sign with a throwaway key they never use.
    let session_key = match std::env::var("SESSION_KEY_PARAMETER") {
        Ok(name) if !name.is_empty() => svet_aws::secrets::ssm_secret(&sdk, &name).await?,
        _ => {
            let mut throwaway = vec![0u8; 32];
            getrandom::fill(&mut throwaway).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            throwaway
        }
    };
    let public_url = env("PUBLIC_URL")?;
    Ok(App {
        store: Arc::new(DynamoStore::new(
            svet_aws::dynamodb_client::Client::new(&sdk),
            env("TABLE_NAME")?,
            clock.clone(),
        )),
        documents: Arc::new(S3Documents::new(S3Documents::client(&sdk), env("BUCKET_NAME")?)),
        mailer: Arc::new(SesMailer::new(svet_aws::sesv2_client::Client::new(&sdk), from, ids.clone())),
        clock,
        ids,
        hasher: Arc::new(Argon2Hasher),
        session_key: Arc::new(SessionKey::new(&session_key)?),
        config: Arc::new(config),
        origins: vec![public_url.trim_end_matches('/').to_owned()],
        public_url,
        payments: bank(&sdk).await?,
    })
}

/// The bank's gateway, for the functions given `SBERBANK_URL` (those that start or confirm
/// payments): the merchant login from `SBERBANK_USER_NAME`, the password and the callback key
/// from the SSM SecureString parameters named by `SBERBANK_PASSWORD_PARAMETER` and
/// `SBERBANK_CALLBACK_KEY_PARAMETER` (an HMAC token, or with `SBERBANK_CALLBACK_SIGNATURE=rsa`
/// the bank's PEM public key). The other functions get none.
async fn bank(sdk: &svet_aws::aws_config::SdkConfig) -> anyhow::Result<Option<Arc<dyn PaymentGateway>>> {
    let url = match std::env::var("SBERBANK_URL") {
        Ok(url) if !url.is_empty() => url,
        _ => return Ok(None),
    };
    let text = |bytes: Vec<u8>, what: &str| {
        String::from_utf8(bytes)
            .map(|s| s.trim().to_owned())
            .map_err(|_| anyhow::anyhow!("{what} is not UTF-8"))
    };
    let password = text(
        svet_aws::secrets::ssm_secret(sdk, &env("SBERBANK_PASSWORD_PARAMETER")?).await?,
        "the bank password",
    )?;
    let callback_key = text(
        svet_aws::secrets::ssm_secret(sdk, &env("SBERBANK_CALLBACK_KEY_PARAMETER")?).await?,
        "the callback key",
    )?;
    let credentials =
        Credentials::Password { user_name: env("SBERBANK_USER_NAME")?, password: Secret::new(password) };
    let client = Client::new(GatewayConfig::new(Url::parse(&url)?, credentials))?;
    Ok(Some(Arc::new(SberbankGateway::new(
        client,
        callback_key_of(std::env::var("SBERBANK_CALLBACK_SIGNATURE").ok().as_deref(), &callback_key)?,
        // The cheque's VAT and payment object: confirm with the bank's fiscal settings.
        FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
    ))))
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
