//! The local server: every API route of the one route table (the same handlers the Lambdas
//! run), the static front end from `web/`, signed document links under `/files/`, and the
//! mail outbox at `/dev/mail`.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use bytes::Bytes;
use http::{HeaderValue, Method, StatusCode, header};
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use lambda_http::RequestExt;
use svet_api::observe::{REQUEST_ID_HEADER, RequestId, new_request_id, plain_request_id, request_span};
use svet_api::session::ClientIp;
use svet_api::{ApiError, App, routes::ROUTES};
use svet_domain::documents::DocKey;
use svet_domain::registry::{self, ImportOptions, Quiet};
use svet_domain::{Condition, Item, Key};
use svet_embedded::{FolderDocuments, SqliteStore};
use tracing::Instrument;

/// The largest request body accepted (API Gateway's payload limit is larger; ours is enough
/// for every form and keeps a flood of bytes out).
const MAX_BODY: usize = 1 << 20;

/// The demo registry seeded on first start (README lists its accounts).
const DEMO_REGISTRY: &str = include_str!("../demo-registry.csv");

struct Server {
    app: App,
    store: SqliteStore,
    documents: FolderDocuments,
    outbox: PathBuf,
    web: PathBuf,
    /// The bank's gateway, played locally under [`SIM_PREFIX`] (docs/sberbank-simulator.md).
    bank: Arc<svet_sberbank_sim::Simulator>,
}

/// Where the local server serves the OpenAPI document of the API (docs/openapi.yaml). It is
/// not a route of the table: on AWS no Lambda function serves it.
pub const OPENAPI_PATH: &str = "/api/openapi.yaml";

/// The OpenAPI 3.1 document of every route in the table, as built into the binary.
const OPENAPI: &str = include_str!("../../../docs/openapi.yaml");

/// Where the local server mounts the Sberbank gateway simulator; the bank's own paths follow,
/// e.g. `/sim/sberbank/payment/rest/register.do`.
pub const SIM_PREFIX: &str = "/sim/sberbank";

pub async fn run(args: &[String]) -> anyhow::Result<ExitCode> {
    let mut port: u16 = match std::env::var("SVET_PORT") {
        Ok(p) if !p.is_empty() => p.parse().with_context(|| format!("SVET_PORT={p:?} is not a port"))?,
        _ => 8080,
    };
    let mut demo = std::env::var("SVET_DEMO").map(|v| v != "0").unwrap_or(true);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--port" => {
                let value = args.next().context("--port needs a number")?;
                port = value.parse().with_context(|| format!("--port {value:?} is not a port"))?;
            }
            "--no-demo" => demo = false,
            other => anyhow::bail!("unknown option {other:?} (see svet help)"),
        }
    }
    let started = Instant::now();
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (in use? try --port)"))?;
    let port = listener.local_addr()?.port();
    let base_url = format!("http://127.0.0.1:{port}");
    let local = crate::context::open(&base_url)?;
    if demo {
        seed_demo(&local.app).await?;
    }
    let server = Arc::new(Server {
        app: local.app,
        store: local.store,
        documents: local.documents,
        outbox: local.outbox,
        web: web_dir(),
        bank: Arc::new(svet_sberbank_sim::Simulator::new(svet_sberbank_sim::Config {
            // The bank's page on another site than the portal (localhost, not 127.0.0.1), as
            // the real bank's is: the return to the portal is then a cross-site navigation
            // without the SameSite=Strict cookie, here as in production.
            public_url: Some(format!("http://localhost:{port}{SIM_PREFIX}")),
            // The bank's callbacks come to this server's own callback route.
            merchants: vec![svet_sberbank_sim::Merchant {
                callback_url: Some(format!("{base_url}{}", svet_api::routes::SBERBANK_CALLBACK.path)),
                ..svet_sberbank_sim::Merchant::default()
            }],
            ..svet_sberbank_sim::Config::default()
        })),
    });
    server.bank.spawn_expiry();
    tokio::spawn(sweep_expired(server.store.clone()));
    // SVET_AUTO_BILLS=0 leaves posting to `svet generate-bills` (an operator's cron, tests).
    if std::env::var("SVET_AUTO_BILLS").map(|v| v != "0").unwrap_or(true) {
        tokio::spawn(post_bills_on_schedule(server.app.clone()));
    }
    tokio::spawn(reconcile_payments_on_schedule(server.app.clone()));
    println!(
        "Svet is running at {base_url}/ (data in {}, mail at {base_url}/dev/mail)",
        crate::context::data_dir().display()
    );
    tracing::info!(port, ready_ms = started.elapsed().as_millis() as u64, "local server ready");

    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => accepted?,
            _ = tokio::signal::ctrl_c() => {
                println!("Svet stopped.");
                return Ok(ExitCode::SUCCESS);
            }
        };
        let server = server.clone();
        tokio::spawn(async move {
            let service = service_fn(move |mut request: hyper::Request<Incoming>| {
                let server = server.clone();
                // Every request gets an id, in a span around all it logs; the id rides along in
                // the request's extensions, into the Lambda-style request `dispatch` sees.
                let id = request
                    .headers()
                    .get(REQUEST_ID_HEADER)
                    .and_then(|v| plain_request_id(v.to_str().ok()?))
                    .map_or_else(new_request_id, str::to_owned);
                let span = request_span(&id);
                request.extensions_mut().insert(RequestId(id));
                async move { Ok::<_, Infallible>(server.handle(request, peer).await) }.instrument(span)
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

/// `web/` beside the working directory, else the repository's.
fn web_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("SVET_WEB_DIR").filter(|d| !d.is_empty()) {
        return dir.into();
    }
    let here = PathBuf::from("web");
    if here.join("index.html").is_file() {
        return here;
    }
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../web")
}

/// Imports the demo registry once per data folder.
async fn seed_demo(app: &App) -> anyhow::Result<()> {
    let marker = Key::new("META", "DEMO_SEED");
    if app.store.get(&marker).await?.is_some() {
        return Ok(());
    }
    let summary = registry::import(
        app.store.as_ref(),
        &app.config,
        app.clock.as_ref(),
        app.ids.as_ref(),
        || Ok(std::io::Cursor::new(DEMO_REGISTRY.as_bytes())),
        "demo-registry.csv",
        DEMO_REGISTRY.len() as u64,
        &ImportOptions::default(),
        &Quiet,
        &mut |issue| tracing::error!(line = issue.line, reason = %svet_api::observe::scrub(&issue.reason), "the demo registry has a bad row"),
    )
    .await?;
    let item = Item::from_serde(marker, &summary)?;
    match app.store.put(item, Condition::Absent).await {
        Ok(()) | Err(svet_domain::StoreError::ConditionFailed { .. }) => {}
        Err(e) => return Err(e.into()),
    }
    tracing::info!(accounts = summary.rows, "demo registry seeded");
    Ok(())
}

/// B2 on the local server's own clock: from 03:00 on the 5th (company time) the previous
/// month's bills are posted, once; a marker records a finished run, so later checks cost one
/// read. Generation is idempotent, so a run cut short by a restart is finished by the next.
async fn post_bills_on_schedule(app: App) {
    let tariffs = match svet_domain::billing::Tariffs::from_env() {
        Ok(t) => t,
        Err(e) => {
            tracing::error!(error = %e, "bills will not be posted: the tariffs do not load");
            return;
        }
    };
    let mut every = tokio::time::interval(Duration::from_secs(600));
    loop {
        every.tick().await;
        let now = app.clock.now().to_zoned(app.config.time_zone());
        if now.day() < 5 || (now.day() == 5 && now.hour() < 3) {
            continue;
        }
        let period = svet_domain::billing::Period::of(now.date()).prev();
        let marker = Key::new("META", format!("BILLS_POSTED#{period}"));
        match app.store.get(&marker).await {
            Ok(Some(_)) => continue,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot check whether bills were posted");
                continue;
            }
        }
        let generation = app.generation(&tariffs);
        let result = generation
            .run(
                period,
                0,
                1,
                &mut |e| tracing::error!(error = %svet_api::observe::scrub(&e.to_string()), "a bill was not posted"),
                &mut |_| {},
            )
            .await;
        match result {
            Ok(summary) => {
                tracing::info!(%period, accounts = summary.accounts, posted = summary.generated, failed = summary.failed, "bills posted");
                svet_api::metrics::emit(&svet_api::metrics::bill_run(&summary));
                // Failed accounts or mails: the next tick (10 minutes) runs it again.
                if summary.failed == 0
                    && summary.mail_failed == 0
                    && let Ok(item) = Item::from_serde(marker, &summary)
                    && let Err(e) = app.store.put(item, Condition::None).await
                {
                    tracing::warn!(error = %e, "cannot record the bill run");
                }
            }
            Err(e) => tracing::error!(error = %e, "posting bills failed; retried in 10 minutes"),
        }
    }
}

/// Reconciliation on the local server's clock, every 5 minutes as on AWS: payments whose bank
/// notice never came are settled by asking the (simulated) bank, and queued receipts are
/// mailed.
async fn reconcile_payments_on_schedule(app: App) {
    let mut every = tokio::time::interval(Duration::from_secs(300));
    loop {
        every.tick().await;
        match svet_api::jobs::reconcile_payments(&app).await {
            Ok(report) if report.has_failures() => {
                tracing::warn!(summary = %report.as_json(), "payments reconciled with failures");
            }
            Ok(report) if report.payments.checked > 0 || report.receipts.sent > 0 => {
                tracing::info!(summary = %report.as_json(), "payments reconciled");
            }
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "reconciling payments failed; retried in 5 minutes"),
        }
    }
}

/// Expired sessions and tokens are already invisible; this reclaims their space hourly.
async fn sweep_expired(store: SqliteStore) {
    let mut every = tokio::time::interval(Duration::from_secs(3600));
    loop {
        every.tick().await;
        match store.sweep_expired().await {
            Ok(n) if n > 0 => tracing::info!(removed = n, "expired items swept"),
            Ok(_) => {}
            Err(e) => tracing::warn!(error = %e, "sweeping expired items failed"),
        }
    }
}

type Reply = hyper::Response<Full<Bytes>>;

impl Server {
    async fn handle(&self, request: hyper::Request<Incoming>, peer: SocketAddr) -> Reply {
        let started = Instant::now();
        let request_id = request.extensions().get::<RequestId>().map(|RequestId(id)| id.clone());
        let (method, path) = (request.method().clone(), request.uri().path().to_owned());
        let mut reply = if path == OPENAPI_PATH {
            openapi(&method)
        } else if path.starts_with("/api/") || path == "/api" {
            self.api(request, peer).await
        } else if path.starts_with(&format!("{SIM_PREFIX}/")) {
            self.bank(request).await
        } else if method != Method::GET && method != Method::HEAD {
            text(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed")
        } else if let Some(key) = path.strip_prefix("/files/") {
            self.file(key, request.uri().query().unwrap_or(""))
        } else if path == "/dev/mail" {
            html(StatusCode::OK, crate::outbox_page::render(&self.outbox, &self.app.config))
        } else {
            self.static_file(&path)
        };
        secure_headers(reply.headers_mut());
        if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
            reply.headers_mut().insert(REQUEST_ID_HEADER, id);
        }
        // API routes were logged by `dispatch`, with their route's name; the rest here, by the
        // path only: query strings may carry tokens.
        if reply.extensions().get::<svet_api::route::Logged>().is_none() {
            tracing::info!(%method, %path, status = reply.status().as_u16(), micros = started.elapsed().as_micros() as u64, "request");
        }
        reply
    }

    async fn api(&self, request: hyper::Request<Incoming>, peer: SocketAddr) -> Reply {
        let declared = request
            .headers()
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok());
        if declared.is_some_and(|length| length > MAX_BODY) {
            return from_lambda(too_large().into_response());
        }
        let (route, params) = match svet_api::find(ROUTES, request.method(), request.uri().path()) {
            Ok(found) => found,
            Err(e) => return from_lambda(e.into_response()),
        };
        let query: HashMap<String, Vec<String>> = form_urlencoded::parse(
            request.uri().query().unwrap_or("").as_bytes(),
        )
        .fold(HashMap::new(), |mut map, (k, v)| {
            map.entry(k.into_owned()).or_default().push(v.into_owned());
            map
        });
        let (parts, body) = request.into_parts();
        let bytes = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return from_lambda(too_large().into_response()),
        };
        let body = if bytes.is_empty() {
            lambda_http::Body::Empty
        } else {
            match String::from_utf8(bytes.to_vec()) {
                Ok(text) => lambda_http::Body::Text(text),
                Err(e) => lambda_http::Body::Binary(e.into_bytes()),
            }
        };
        let mut request = lambda_http::Request::from_parts(parts, body)
            .with_path_parameters(params)
            .with_query_string_parameters(query);
        request.extensions_mut().insert(ClientIp(peer.ip().to_string()));
        from_lambda(svet_api::dispatch(&self.app, route, request).await)
    }

    /// The gateway simulator: the request with its body read (at most [`MAX_BODY`]).
    async fn bank(&self, request: hyper::Request<Incoming>) -> Reply {
        let (parts, body) = request.into_parts();
        let bytes = match Limited::new(body, MAX_BODY).collect().await {
            Ok(collected) => collected.to_bytes(),
            Err(_) => return from_lambda(too_large().into_response()),
        };
        let reply = self.bank.handle(SIM_PREFIX, hyper::Request::from_parts(parts, bytes)).await;
        reply.map(Full::new)
    }

    fn file(&self, key: &str, query: &str) -> Reply {
        let params: HashMap<String, String> = form_urlencoded::parse(query.as_bytes()).into_owned().collect();
        let expires = params.get("expires").and_then(|e| e.parse::<i64>().ok());
        let (Ok(key), Some(expires), Some(sig)) = (DocKey::parse(key), expires, params.get("sig")) else {
            return text(StatusCode::FORBIDDEN, "Ссылка недействительна.");
        };
        if !self.documents.verify_link(&key, expires, sig) {
            return text(
                StatusCode::FORBIDDEN,
                "Ссылка устарела или недействительна. Откройте документ из личного кабинета ещё раз.",
            );
        }
        match self.documents.read(&key) {
            Ok(Some(doc)) => {
                let mut reply = hyper::Response::new(Full::new(Bytes::from(doc.bytes)));
                let headers = reply.headers_mut();
                headers.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_str(&doc.content_type)
                        .unwrap_or(HeaderValue::from_static("application/octet-stream")),
                );
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
                reply
            }
            Ok(None) => text(StatusCode::NOT_FOUND, "Документ не найден."),
            Err(e) => {
                tracing::error!(error = %e, "reading a document failed");
                text(StatusCode::SERVICE_UNAVAILABLE, "Документ временно недоступен.")
            }
        }
    }

    fn static_file(&self, path: &str) -> Reply {
        let Some(relative) = safe_relative(path) else {
            return text(StatusCode::BAD_REQUEST, "Bad path");
        };
        let mut file = self.web.join(&relative);
        if file.is_dir() {
            file = file.join("index.html");
        }
        match std::fs::read(&file) {
            Ok(bytes) => {
                let mut reply = hyper::Response::new(Full::new(Bytes::from(bytes)));
                let headers = reply.headers_mut();
                headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type(&file)));
                headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
                reply
            }
            Err(_) => {
                let page = std::fs::read_to_string(self.web.join("404.html")).unwrap_or_else(|_| {
                    "<!doctype html><title>404</title><p>Страница не найдена.</p>".into()
                });
                html(StatusCode::NOT_FOUND, page)
            }
        }
    }
}

/// The request path as a relative file path, refusing anything that could leave `web/`.
fn safe_relative(path: &str) -> Option<PathBuf> {
    let decoded: String = percent_decode(path)?;
    let mut out = PathBuf::new();
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        if segment == ".." || segment == "." || segment.contains('\\') || segment.starts_with('.') {
            return None;
        }
        out.push(segment);
    }
    Some(out)
}

fn percent_decode(path: &str) -> Option<String> {
    let bytes = path.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = path.get(i + 1..i + 3)?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok().filter(|s| !s.contains('\0'))
}

fn content_type(path: &Path) -> &'static str {
    match path.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "json" => "application/json",
        "webmanifest" => "application/manifest+json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    }
}

/// `GET /api/openapi.yaml`: the document; other methods are 405 as on the API's routes.
fn openapi(method: &Method) -> Reply {
    if method != Method::GET && method != Method::HEAD {
        return from_lambda(ApiError::MethodNotAllowed { allowed: vec!["GET"] }.into_response());
    }
    let mut reply = hyper::Response::new(Full::new(Bytes::from_static(OPENAPI.as_bytes())));
    let headers = reply.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/yaml; charset=utf-8"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    reply
}

fn too_large() -> ApiError {
    ApiError::Client {
        status: StatusCode::PAYLOAD_TOO_LARGE,
        code: "too_large",
        message: "Слишком большой запрос.".into(),
    }
}

fn secure_headers(headers: &mut http::HeaderMap) {
    headers.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
    headers.insert("referrer-policy", HeaderValue::from_static("same-origin"));
    headers.insert("x-frame-options", HeaderValue::from_static("DENY"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
    );
    headers.entry(header::CONTENT_SECURITY_POLICY).or_insert(HeaderValue::from_static(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ));
}

fn from_lambda(response: lambda_http::Response<lambda_http::Body>) -> Reply {
    let (parts, body) = response.into_parts();
    let bytes = match body {
        lambda_http::Body::Empty => Bytes::new(),
        lambda_http::Body::Text(text) => Bytes::from(text),
        lambda_http::Body::Binary(bytes) => Bytes::from(bytes),
        _ => Bytes::new(),
    };
    hyper::Response::from_parts(parts, Full::new(bytes))
}

fn text(status: StatusCode, message: &str) -> Reply {
    let mut reply = hyper::Response::new(Full::new(Bytes::from(message.to_owned())));
    *reply.status_mut() = status;
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    reply
}

fn html(status: StatusCode, page: String) -> Reply {
    let mut reply = hyper::Response::new(Full::new(Bytes::from(page)));
    *reply.status_mut() = status;
    reply.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/html; charset=utf-8"));
    reply.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    reply
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn static_paths_cannot_leave_the_web_folder() {
        assert_eq!(safe_relative("/"), Some(PathBuf::new()));
        assert_eq!(safe_relative("/css/site.css"), Some(PathBuf::from("css/site.css")));
        for bad in
            ["/../Cargo.toml", "/%2e%2e/Cargo.toml", "/a/%2E%2E/%2E%2E/x", "/.svet/svet.db", "/a%00b", "/%zz"]
        {
            assert_eq!(safe_relative(bad), None, "{bad}");
        }
    }
}
