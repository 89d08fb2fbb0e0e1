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
use svet_domain::payments::{
    BankStatus, CallbackNotice, CallbackRefused, GatewayError, OrderRef, OrderRequest, PaymentGateway,
    RegisteredOrder,
};
use svet_domain::{Config, Kopecks, RandomIds, SystemClock};
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
/// The cold start is kept short (docs/performance.md, «Cold start»): the SDK's clients share
/// one HTTP client that sets up TLS on its first request, the S3 and SES clients are built on
/// first use, and the function's secrets (the session's private key for login and activation,
/// the bank's for the payment functions) come in one SSM call that is begun here and awaited
/// by the first request that needs them ([`Secrets`]). With
/// `AWS_LAMBDA_LOG_LEVEL=info,svet_functions=debug` one line gives each step's time.
pub async fn aws_app() -> anyhow::Result<App> {
    let started = Instant::now();
    let sdk = svet_aws::sdk_config().await;
    let sdk_loaded = started.elapsed();
    let secrets = Arc::new(Secrets::from_env(sdk.clone())?);
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
    let session_key = Arc::new(session_key(&secrets, optional_env("SESSION_PUBLIC_KEY"))?);
    let bank = if secrets.bank.is_some() {
        let user_name = env("SBERBANK_USER_NAME")?;
        let signature = std::env::var("SBERBANK_CALLBACK_SIGNATURE").ok();
        Some(Arc::new(BankOnFirstUse::new(secrets.clone(), user_name, signature)))
    } else {
        None
    };
    let built = started.elapsed();
    if secrets.any() {
        // Read and check the secrets now, beside the runtime's first poll: a request that needs
        // them waits only for the rest of the read, and a missing or bad one is in the log at
        // once (the request that needs it answers 503, and the next tries again).
        let (key, bank) = (session_key.clone(), bank.clone());
        let signs = secrets.session.is_some();
        tokio::spawn(async move {
            if signs && let Err(e) = key.ready().await {
                tracing::error!(error = format!("{e:#}"), "the session's private key cannot be used");
            }
            if let Some(bank) = bank
                && let Err(e) = bank.ready().await
            {
                tracing::error!(error = %e, "the bank's gateway cannot be used");
            }
        });
    }
    let app = App {
        store,
        documents,
        mailer,
        clock,
        ids,
        hasher: Arc::new(Argon2Hasher),
        session_key,
        config: Arc::new(config),
        origins: vec![public_url.trim_end_matches('/').to_owned()],
        public_url,
        payments: bank.map(|bank| bank as Arc<dyn PaymentGateway>),
    };
    tracing::debug!(
        sdk_config_us = micros(sdk_loaded),
        config_us = micros(configured - sdk_loaded),
        clients_us = micros(built - configured),
        rest_us = micros(started.elapsed() - built),
        "cold start: the application is built"
    );
    Ok(app)
}

/// The session's keys (`svet_api::session::SessionKey`): the functions that start sessions
/// (login, activation) are given the private key's parameter (`SESSION_KEY_PARAMETER`) and sign
/// with it, read on first use; every function is given the public key (`SESSION_PUBLIC_KEY`,
/// no secret) to check sessions with. A function given neither (a test's stack) gets a
/// throwaway key, good for no session anywhere else.
fn session_key(secrets: &Arc<Secrets>, public: Option<String>) -> anyhow::Result<SessionKey> {
    match (secrets.session.is_some(), public) {
        (true, Some(public)) => {
            let secrets = secrets.clone();
            SessionKey::ed25519_issuer_on_first_use(
                &public,
                Box::new(move || {
                    let secrets = secrets.clone();
                    Box::pin(async move {
                        let pem = secrets.get().await?.session_key.clone();
                        pem.ok_or_else(|| anyhow::anyhow!("SSM answered no session key"))
                    })
                }),
            )
        }
        (true, None) => anyhow::bail!("SESSION_KEY_PARAMETER is set but SESSION_PUBLIC_KEY is not"),
        (false, Some(public)) => SessionKey::ed25519_verifier(&public),
        (false, None) => {
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

/// How long the secrets' read may take before the request waiting for it gives up (503) and
/// the next one tries again. Also bounds a read that a frozen container left hanging.
const SECRETS_TIMEOUT: Duration = Duration::from_secs(5);

/// The function's SSM SecureString parameters, read with one call on first use: the session's
/// private key (`SESSION_KEY_PARAMETER`, for the functions that start sessions) and, for the
/// functions given `SBERBANK_URL` (those that start or confirm payments), the bank password's
/// and the callback key's (`SBERBANK_PASSWORD_PARAMETER`, `SBERBANK_CALLBACK_KEY_PARAMETER`).
/// A failed read is not kept: the next request that needs a secret reads again.
struct Secrets {
    sdk: svet_aws::aws_config::SdkConfig,
    /// The session key's parameter name.
    session: Option<String>,
    /// The bank's URL and its two parameters' names.
    bank: Option<(String, String, String)>,
    read: tokio::sync::OnceCell<SecretValues>,
}

struct SecretValues {
    /// The session's private key, a PKCS#8 PEM.
    session_key: Option<String>,
    bank: Option<BankSecrets>,
}

/// What the bank's gateway needs beyond the environment's plain settings.
struct BankSecrets {
    password: String,
    callback_key: String,
}

impl Secrets {
    /// The parameters' names from the environment; a name missing is a cold start's error.
    fn from_env(sdk: svet_aws::aws_config::SdkConfig) -> anyhow::Result<Secrets> {
        let bank = match optional_env("SBERBANK_URL") {
            Some(url) => {
                Some((url, env("SBERBANK_PASSWORD_PARAMETER")?, env("SBERBANK_CALLBACK_KEY_PARAMETER")?))
            }
            None => None,
        };
        Ok(Secrets::new(sdk, optional_env("SESSION_KEY_PARAMETER"), bank))
    }

    fn new(
        sdk: svet_aws::aws_config::SdkConfig,
        session: Option<String>,
        bank: Option<(String, String, String)>,
    ) -> Secrets {
        Secrets { sdk, session, bank, read: tokio::sync::OnceCell::new() }
    }

    /// Whether the function has any secret to read.
    fn any(&self) -> bool {
        self.session.is_some() || self.bank.is_some()
    }

    async fn get(&self) -> anyhow::Result<&SecretValues> {
        self.read
            .get_or_try_init(|| async {
                tokio::time::timeout(SECRETS_TIMEOUT, self.read_now())
                    .await
                    .map_err(|_| anyhow::anyhow!("SSM did not answer within {SECRETS_TIMEOUT:?}"))?
            })
            .await
    }

    async fn read_now(&self) -> anyhow::Result<SecretValues> {
        let mut names: Vec<&str> = Vec::new();
        names.extend(self.session.as_deref());
        if let Some((_, password, callback_key)) = &self.bank {
            names.extend([password.as_str(), callback_key.as_str()]);
        }
        let mut values = svet_aws::secrets::ssm_secrets(&self.sdk, &names).await?.into_iter();
        let mut next = || values.next().ok_or_else(|| anyhow::anyhow!("SSM answered fewer values"));
        let text = |bytes: Vec<u8>, what: &str| {
            String::from_utf8(bytes)
                .map(|s| s.trim().to_owned())
                .map_err(|_| anyhow::anyhow!("{what} is not UTF-8"))
        };
        let session_key = match self.session {
            Some(_) => Some(text(next()?, "the session's private key")?),
            None => None,
        };
        let bank = match &self.bank {
            Some(_) => Some(BankSecrets {
                password: text(next()?, "the bank password")?,
                callback_key: text(next()?, "the callback key")?,
            }),
            None => None,
        };
        Ok(SecretValues { session_key, bank })
    }
}

/// The bank's gateway, built when the bank's secrets have come: the merchant login from
/// `SBERBANK_USER_NAME`, the password and the callback key from SSM (an HMAC token, or with
/// `SBERBANK_CALLBACK_SIGNATURE=rsa` the bank's PEM public key). The functions not given
/// `SBERBANK_URL` get none.
struct BankOnFirstUse {
    secrets: Arc<Secrets>,
    user_name: String,
    signature: Option<String>,
    gateway: tokio::sync::OnceCell<SberbankGateway>,
}

impl BankOnFirstUse {
    fn new(secrets: Arc<Secrets>, user_name: String, signature: Option<String>) -> BankOnFirstUse {
        BankOnFirstUse { secrets, user_name, signature, gateway: tokio::sync::OnceCell::new() }
    }

    async fn gateway(&self) -> Result<&SberbankGateway, GatewayError> {
        self.gateway
            .get_or_try_init(|| async {
                let secrets = self.secrets.get().await?;
                let bank =
                    secrets.bank.as_ref().ok_or_else(|| anyhow::anyhow!("SSM answered no bank secrets"))?;
                let credentials = Credentials::Password {
                    user_name: self.user_name.clone(),
                    password: Secret::new(bank.password.clone()),
                };
                let (url, _, _) =
                    self.secrets.bank.as_ref().ok_or_else(|| anyhow::anyhow!("SBERBANK_URL is not set"))?;
                let client = Client::new(GatewayConfig::new(Url::parse(url)?, credentials))?;
                anyhow::Ok(SberbankGateway::new(
                    client,
                    callback_key_of(self.signature.as_deref(), &bank.callback_key)?,
                    // The cheque's VAT and payment object: confirm with the bank's fiscal settings.
                    FiscalSettings { tax: TaxType::Vat20, payment_object: PaymentObject::Commodity },
                ))
            })
            .await
            // Nothing was sent: the request never left for the bank.
            .map_err(|e| GatewayError::NotSent(format!("the bank's gateway is not ready: {e:#}")))
    }
}

#[async_trait::async_trait]
impl PaymentGateway for BankOnFirstUse {
    async fn register(&self, order: &OrderRequest) -> Result<RegisteredOrder, GatewayError> {
        self.gateway().await?.register(order).await
    }

    async fn status(&self, order: OrderRef<'_>) -> Result<BankStatus, GatewayError> {
        self.gateway().await?.status(order).await
    }

    async fn refund(&self, order_id: &str, amount: Kopecks) -> Result<(), GatewayError> {
        self.gateway().await?.refund(order_id, amount).await
    }

    async fn reverse(&self, order_id: &str) -> Result<(), GatewayError> {
        self.gateway().await?.reverse(order_id).await
    }

    async fn ready(&self) -> Result<(), GatewayError> {
        self.gateway().await.map(|_| ())
    }

    fn verify_callback(&self, params: &[(String, String)]) -> Result<CallbackNotice, CallbackRefused> {
        match self.gateway.get() {
            Some(gateway) => gateway.verify_callback(params),
            // `ready` comes first (svet_domain::payments::Payments::callback).
            None => Err(CallbackRefused::Checksum("the callback key is not loaded".into())),
        }
    }
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
        Ok::<_, Infallible>(AsMade(dispatch(app, route, request).await))
    }))
    .await
}

/// A response handed to lambda_http as [`dispatch`] made it. A plain `Response<Body>` goes
/// through lambda_http's body conversion first, which collects the body into a new buffer and
/// decodes a text type's bytes again as UTF-8 (on x86_64 its first use in a process also asks
/// the CPU for its features, which in a virtual machine is slow). `dispatch`'s bodies are
/// `Body::Text` for text and `Body::Binary` for PDF already, so that work is only a copy; an
/// empty body (a redirect) stays absent instead of becoming `""`.
struct AsMade(lambda_http::Response<lambda_http::Body>);

impl lambda_http::IntoResponse for AsMade {
    fn into_response(
        self,
    ) -> std::pin::Pin<Box<dyn Future<Output = lambda_http::Response<lambda_http::Body>> + Send>> {
        Box::pin(std::future::ready(self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What Lambda gets for a response: the API Gateway v2 answer lambda_http serializes.
    async fn as_lambda_gives(response: lambda_http::Response<lambda_http::Body>) -> serde_json::Value {
        use lambda_http::Service;
        let event: lambda_http::request::LambdaRequest = serde_json::from_value(serde_json::json!({
            "version": "2.0", "routeKey": "GET /api/x", "rawPath": "/api/x", "rawQueryString": "",
            "headers": {}, "isBase64Encoded": false,
            "requestContext": {
                "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d",
                "http": {"method": "GET", "path": "/api/x", "protocol": "HTTP/1.1",
                         "sourceIp": "192.0.2.1", "userAgent": "t"},
                "requestId": "r", "routeKey": "GET /api/x", "stage": "$default",
                "time": "27/Nov/2026:04:00:00 +0000", "timeEpoch": 0
            }
        }))
        .unwrap();
        let response = std::sync::Mutex::new(Some(response));
        let mut adapter = lambda_http::Adapter::from(service_fn(|_request| {
            let made = response.lock().unwrap().take().unwrap();
            async move { Ok::<_, Infallible>(AsMade(made)) }
        }));
        let answer = adapter
            .call(lambda_http::LambdaEvent::new(event, lambda_http::Context::default()))
            .await
            .unwrap();
        serde_json::to_value(answer).unwrap()
    }

    /// Handed over as made, a response reaches Lambda whole: status, headers and cookies, a
    /// JSON body as text (Cyrillic intact), a PDF as base64, and a redirect with no body.
    #[tokio::test]
    async fn responses_reach_lambda_as_dispatch_made_them() {
        let json = lambda_http::Response::builder()
            .status(401)
            .header("content-type", "application/json; charset=utf-8")
            .header("set-cookie", "a=1; Path=/")
            .body(lambda_http::Body::from(r#"{"message":"Войдите снова"}"#.to_owned()))
            .unwrap();
        let got = as_lambda_gives(json).await;
        assert_eq!(got["statusCode"], 401);
        assert_eq!(got["body"], r#"{"message":"Войдите снова"}"#);
        assert_eq!(got["isBase64Encoded"], false);
        assert_eq!(got["headers"]["content-type"], "application/json; charset=utf-8");
        assert_eq!(got["cookies"], serde_json::json!(["a=1; Path=/"]));

        let pdf = lambda_http::Response::builder()
            .header("content-type", "application/pdf")
            .body(lambda_http::Body::Binary(b"%PDF-1.7 \xff".to_vec()))
            .unwrap();
        let got = as_lambda_gives(pdf).await;
        assert_eq!(got["isBase64Encoded"], true);
        use base64::Engine;
        let bytes = base64::engine::general_purpose::STANDARD.decode(got["body"].as_str().unwrap()).unwrap();
        assert_eq!(bytes, b"%PDF-1.7 \xff");

        let redirect = lambda_http::Response::builder()
            .status(303)
            .header("location", "/pay")
            .body(lambda_http::Body::Empty)
            .unwrap();
        let got = as_lambda_gives(redirect).await;
        assert_eq!(got["statusCode"], 303);
        assert_eq!(got["headers"]["location"], "/pay");
        assert!(got.get("body").is_none_or(|body| body.is_null()), "{got}");
    }

    /// The SDK at moto's server, which the test command starts. Missing is a failure.
    async fn moto() -> svet_aws::aws_config::SdkConfig {
        assert!(
            std::env::var("AWS_ENDPOINT_URL").is_ok_and(|url| !url.is_empty()),
            "AWS_ENDPOINT_URL is not set: these tests need moto's server (./scripts/test starts it)"
        );
        svet_aws::sdk_config().await
    }

    fn unique(what: &str) -> String {
        let mut bytes = [0u8; 6];
        getrandom::fill(&mut bytes).unwrap();
        let run: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        format!("/svet/test-{run}/{what}")
    }

    async fn put(sdk: &svet_aws::aws_config::SdkConfig, name: &str, value: &str) {
        svet_aws::ssm_client::Client::new(sdk)
            .put_parameter()
            .name(name)
            .value(value)
            .r#type(svet_aws::ssm_client::types::ParameterType::SecureString)
            .send()
            .await
            .unwrap();
    }

    /// A login function signs with the private key read on its first need; a read that fails
    /// (the parameter not there yet) is tried again by the next need, not kept.
    #[tokio::test]
    async fn the_session_key_is_read_when_first_needed_and_again_after_a_failure() {
        let sdk = moto().await;
        let name = unique("session-key");
        let seed = [9u8; 32];
        let signing = ed25519_dalek::SigningKey::from_bytes(&seed);
        let pem = {
            use ed25519_dalek::pkcs8::EncodePrivateKey;
            signing.to_pkcs8_pem(ed25519_dalek::pkcs8::spki::der::pem::LineEnding::LF).unwrap().to_string()
        };
        let public = {
            use base64::Engine;
            base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(signing.verifying_key().to_bytes())
        };
        let secrets = Arc::new(Secrets::new(sdk.clone(), Some(name.clone()), None));
        let key = session_key(&secrets, Some(public.clone())).unwrap();
        assert!(key.can_sign());
        let missing = key.ready().await.unwrap_err();
        assert!(format!("{missing:#}").contains(&name), "the parameter is named: {missing:#}");
        put(&sdk, &name, &pem).await;
        key.ready().await.expect("read again, and the pair matches");
        assert!(secrets.read.get().is_some(), "kept once read");

        assert!(
            !session_key(&Arc::new(Secrets::new(sdk.clone(), None, None)), Some(public)).unwrap().can_sign()
        );
        let unpaired = session_key(&Arc::new(Secrets::new(sdk, Some(name), None)), None).err().unwrap();
        assert!(unpaired.to_string().contains("SESSION_PUBLIC_KEY is not"), "{unpaired}");
    }

    /// The bank's gateway is built when its secrets come: before that it sends nothing and says
    /// so (no secret in the message), and a callback is checked only once it is ready.
    #[tokio::test]
    async fn the_bank_gateway_is_built_when_its_secrets_come() {
        let sdk = moto().await;
        let (password, callback) = (unique("password"), unique("callback-key"));
        let url = "https://3dsec.sberbank.ru/payment/rest/".to_owned();
        let secrets =
            Arc::new(Secrets::new(sdk.clone(), None, Some((url, password.clone(), callback.clone()))));
        let bank = BankOnFirstUse::new(secrets, "merchant-api".into(), None);
        let params = vec![("mdOrder".to_owned(), "x".to_owned())];
        let before = bank.verify_callback(&params).unwrap_err().to_string();
        assert!(before.contains("not loaded"), "{before}");
        match bank.ready().await {
            Err(GatewayError::NotSent(why)) => assert!(why.contains("not ready"), "{why}"),
            other => panic!("expected NotSent, got {other:?}"),
        }
        put(&sdk, &password, "merchant-password-1").await;
        put(&sdk, &callback, "callback-token-1").await;
        bank.ready().await.expect("the secrets are there now");
        let after = bank.verify_callback(&params).unwrap_err().to_string();
        assert!(!after.contains("not loaded") && !after.contains("callback-token-1"), "{after}");
    }

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
