//! docs/openapi.yaml against the code: the document has exactly the routes of the one route
//! table (method, path, and the function as operationId), every state-changing operation
//! declares the Origin requirement and its 403, and real responses — a call of every route
//! through the route table on the SQLite portal, successes and the usual errors — have a
//! documented status, content type and a JSON body that fits the documented schema (which
//! refuses undocumented fields).

use std::collections::BTreeSet;
use std::sync::Arc;

use http::Method;
use jiff::Timestamp;
use serde_json::{Value, json};
use svet_api::App;
use svet_api::routes::ROUTES;
use svet_domain::AccountNumber;
use svet_domain::payments::{Started, list};

use crate::bills::generate;
use crate::payments::{Bank, callback, pay_on_page};
use crate::portal::{Portal, Reply};

const DOCUMENT: &str = include_str!("../../docs/openapi.yaml");
const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

const SINGLE: (&str, &str) = ("180211111", "г. Калуга, ул. Ленина, д. 12, кв. 5");
const DAY_NIGHT: (&str, &str) = ("180211112", "г. Калуга, ул. Кирова, д. 3, кв. 41");
const NO_METER: (&str, &str) =
    ("180211113", "Калужская обл., Дзержинский р-н, д. Галкино, ул. Садовая, д. 7");
const PASSWORD: &str = "Светлячок-2026";

fn document() -> Value {
    serde_yaml::from_str(DOCUMENT).expect("docs/openapi.yaml is YAML")
}

/// (METHOD, path, operationId) of every operation in the document.
fn operations(doc: &Value) -> BTreeSet<(String, String, String)> {
    let mut found = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for (method, op) in item.as_object().expect("a path item") {
            assert!(
                METHODS.contains(&method.as_str())
                    || ["summary", "description", "parameters"].contains(&method.as_str()),
                "{path}: unexpected key {method}"
            );
            if METHODS.contains(&method.as_str()) {
                let id = op["operationId"].as_str().unwrap_or_default().to_owned();
                found.insert((method.to_uppercase(), path.clone(), id));
            }
        }
    }
    found
}

/// Follows `$ref`s inside the document.
fn resolve<'a>(doc: &'a Value, mut value: &'a Value) -> &'a Value {
    while let Some(reference) = value.get("$ref").and_then(Value::as_str) {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("an outside $ref {reference}"));
        value = doc.pointer(pointer).unwrap_or_else(|| panic!("{reference} names nothing"));
    }
    value
}

/// Every `$ref` anywhere in `value`.
fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
    match value {
        Value::Object(map) => {
            for (k, v) in map {
                match (k.as_str(), v) {
                    ("$ref", Value::String(r)) => out.push(r),
                    _ => refs(v, out),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

/// `instance` against `schema` (a schema of the document, whose `$ref`s point into it), as
/// JSON Schema 2020-12 (OpenAPI 3.1's dialect) with formats checked.
fn validate(doc: &Value, schema: &Value, instance: &Value) -> Result<(), String> {
    let root = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "components": doc["components"],
        "allOf": [schema],
    });
    let validator = jsonschema::options()
        .with_draft(jsonschema::Draft::Draft202012)
        .should_validate_formats(true)
        .build(&root)
        .map_err(|e| format!("the schema does not compile: {e}"))?;
    let errors: Vec<String> =
        validator.iter_errors(instance).map(|e| format!("{e} (at {})", e.instance_path())).collect();
    if errors.is_empty() { Ok(()) } else { Err(errors.join("; ")) }
}

#[test]
fn the_document_has_every_route_of_the_table_and_nothing_else() {
    let doc = document();
    assert!(doc["openapi"].as_str().is_some_and(|v| v.starts_with("3.1.")), "OpenAPI 3.1");
    let documented = operations(&doc);
    let routes: BTreeSet<(String, String, String)> =
        ROUTES.iter().map(|r| (r.method.to_string(), r.path.to_owned(), r.function.to_owned())).collect();
    let missing: Vec<_> = routes.difference(&documented).collect();
    let extra: Vec<_> = documented.difference(&routes).collect();
    assert!(
        missing.is_empty() && extra.is_empty(),
        "docs/openapi.yaml against ROUTES (method, path, operationId = function):\n  not documented: {missing:?}\n  not routes: {extra:?}"
    );
}

#[test]
fn every_reference_resolves_and_state_changes_declare_the_origin_rule() {
    let doc = document();
    let mut all = Vec::new();
    refs(&doc, &mut all);
    for reference in all {
        let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("an outside $ref {reference}"));
        assert!(doc.pointer(pointer).is_some(), "{reference} names nothing");
    }
    for (method, path, _) in operations(&doc) {
        let op = &doc["paths"][&path][method.to_lowercase()];
        let origin = op["parameters"].as_array().into_iter().flatten().any(|p| {
            let p = resolve(&doc, p);
            p["in"] == "header" && p["name"] == "Origin" && p["required"] == true
        });
        let changes = !matches!(method.as_str(), "GET" | "HEAD" | "OPTIONS");
        assert_eq!(
            origin, changes,
            "{method} {path}: the Origin header is required exactly on state changes"
        );
        if changes {
            assert!(op["responses"].get("403").is_some(), "{method} {path}: 403 cross_origin");
        }
        let session = op["security"].as_array().into_iter().flatten().any(|s| s.get("session").is_some());
        if session && op["security"].as_array().is_some_and(|s| !s.contains(&json!({}))) {
            assert!(op["responses"].get("401").is_some(), "{method} {path}: a session route documents 401");
        }
    }
}

#[test]
fn the_check_refuses_what_the_document_does_not_describe() {
    let doc = document();
    let error = json!({ "$ref": "#/components/schemas/Error" });
    assert_eq!(validate(&doc, &error, &json!({ "error": "invalid", "message": "Проверьте поля." })), Ok(()));
    for wrong in [
        json!({ "error": "invalid", "message": "Проверьте поля.", "cause": "a stack trace" }),
        json!({ "error": "invalid" }),
        json!({ "error": "invalid", "message": "…", "fields": { "email": 1 } }),
    ] {
        assert!(validate(&doc, &error, &wrong).is_err(), "{wrong}");
    }
    let reading = json!({ "$ref": "#/components/schemas/Reading" });
    let stored = json!({
        "period": "2026-02", "period_name": "февраль 2026", "submitted_at": "2026-02-15T10:00:00Z",
        "registers": { "single": 12400 }, "source": "portal", "source_label": "Личный кабинет",
        "status_label": "Получены",
    });
    assert_eq!(validate(&doc, &reading, &stored), Ok(()));
    let mut late = stored.clone();
    late["submitted_at"] = json!("15.02.2026");
    assert!(validate(&doc, &reading, &late).is_err(), "formats are checked");
}

/// Checks replies against the document and remembers which operations were seen.
struct Checker {
    doc: Value,
    seen: BTreeSet<(String, String)>,
}

impl Checker {
    fn check(&mut self, method: &Method, path: &str, reply: &Reply) {
        let doc = &self.doc;
        let route = path.split('?').next().unwrap_or(path);
        let op = &doc["paths"][route][method.as_str().to_lowercase()];
        assert!(op.is_object(), "{method} {route} is not in docs/openapi.yaml");
        let status = reply.status.to_string();
        let response = op["responses"].get(&status).or_else(|| op["responses"].get("default"));
        let response = resolve(
            doc,
            response.unwrap_or_else(|| {
                panic!("{method} {path}: status {status} is not documented; the body: {}", reply.body)
            }),
        );
        match response.get("content").and_then(Value::as_object) {
            None => {
                assert!(reply.bytes.is_empty(), "{method} {path} {status}: a body that is not documented")
            }
            Some(content) => {
                let sent = reply.content_type.as_deref().unwrap_or_default();
                let media_type = sent.split(';').next().unwrap_or_default().trim();
                let media = content.get(media_type).unwrap_or_else(|| {
                    panic!("{method} {path} {status}: content type {sent:?} is not documented")
                });
                if media_type == "application/json" {
                    let body: Value = serde_json::from_slice(&reply.bytes)
                        .unwrap_or_else(|e| panic!("{method} {path} {status}: not JSON: {e}"));
                    if let Err(why) = validate(doc, &media["schema"], &body) {
                        panic!(
                            "{method} {path} {status}: the body does not fit the document: {why}\n{body:#}"
                        );
                    }
                } else if media_type == "application/pdf" {
                    assert!(reply.bytes.starts_with(b"%PDF-"), "{method} {path}: a PDF");
                }
            }
        }
        for (name, header) in response.get("headers").and_then(Value::as_object).into_iter().flatten() {
            let header = resolve(doc, header);
            let value = match name.to_ascii_lowercase().as_str() {
                "location" => reply.location.clone(),
                "content-type" => reply.content_type.clone(),
                // Set-Cookie, Retry-After, Content-Disposition: not kept by `Reply`.
                _ => continue,
            };
            match value {
                Some(v) => {
                    if let Err(why) = validate(doc, &header["schema"], &json!(v)) {
                        panic!("{method} {path} {status}: header {name}: {why}");
                    }
                }
                None if header["required"] == true => panic!("{method} {path} {status}: no {name} header"),
                None => {}
            }
        }
        self.seen.insert((method.to_string(), route.to_owned()));
    }
}

struct Run<'a> {
    p: &'a Portal,
    app: App,
    checker: Checker,
}

impl Run<'_> {
    /// A request as the portal's pages send it; its status must be `expect`, and its reply
    /// must fit the document.
    async fn call(
        &mut self,
        method: Method,
        path: &str,
        body: Option<Value>,
        cookie: Option<&str>,
        expect: u16,
    ) -> Reply {
        let reply = self.p.call_on(&self.app, method.clone(), path, body, cookie).await;
        assert_eq!(reply.status, expect, "{method} {path}: {}", reply.body);
        self.checker.check(&method, path, &reply);
        reply
    }

    /// Registers and activates an account through the API; its session cookie.
    async fn customer(&mut self, (account, address): (&str, &str)) -> String {
        let email = self.p.email(&format!("user{account}"));
        let form = json!({
            "account": account, "password": PASSWORD, "password_confirm": PASSWORD,
            "email": email, "address": address, "consent": true,
        });
        self.call(Method::POST, "/api/register", Some(form), None, 201).await;
        let token = self.p.last_token(&email, "activate.html").await;
        let reply =
            self.call(Method::POST, "/api/activate", Some(json!({ "token": token })), None, 200).await;
        reply.cookie.expect("a session cookie")
    }
}

#[tokio::test]
async fn real_responses_fit_the_document() {
    let p = Portal::sqlite().await;
    let bank = Bank::start(&p).await;
    let app = App { payments: Some(Arc::new(bank.gateway.clone())), ..p.app.clone() };
    let mut run = Run { p: &p, app, checker: Checker { doc: document(), seen: BTreeSet::new() } };
    let (get, post, put) = (Method::GET, Method::POST, Method::PUT);

    run.call(get.clone(), "/api/health", None, None, 200).await;
    run.call(get.clone(), "/api/company", None, None, 200).await;
    run.call(get.clone(), "/api/me", None, None, 401).await;

    // Identity: registration and its errors, activation, login, logout.
    let wrong_address = json!({
        "account": SINGLE.0, "password": PASSWORD, "password_confirm": PASSWORD,
        "email": p.email("wrong"), "address": "г. Калуга, ул. Ленина, д. 14, кв. 5", "consent": true,
    });
    run.call(post.clone(), "/api/register", Some(wrong_address), None, 422).await;
    run.call(post.clone(), "/api/register", Some(json!({ "account": SINGLE.0 })), None, 400).await;
    let plain = p
        .send(
            post.clone(),
            "/api/register",
            Some("account=1".into()),
            None,
            Some(crate::portal::ORIGIN),
            "text/plain",
        )
        .await;
    assert_eq!(plain.status, 415);
    run.checker.check(&post, "/api/register", &plain);
    let cookie = run.customer(SINGLE).await;
    let again = json!({
        "account": SINGLE.0, "password": PASSWORD, "password_confirm": PASSWORD,
        "email": p.email("again"), "address": SINGLE.1, "consent": true,
    });
    run.call(post.clone(), "/api/register", Some(again), None, 409).await;
    run.call(post.clone(), "/api/activate", Some(json!({ "token": "no-such-token" })), None, 410).await;
    let email = p.email(&format!("user{}", SINGLE.0));
    let pair = json!({ "account": SINGLE.0, "email": email });
    run.call(post.clone(), "/api/activation/resend", Some(pair.clone()), None, 202).await;
    let login = json!({ "account": SINGLE.0, "password": "не тот пароль" });
    run.call(post.clone(), "/api/login", Some(login), None, 401).await;
    let login = json!({ "account": SINGLE.0, "password": PASSWORD });
    let second =
        run.call(post.clone(), "/api/login", Some(login), None, 200).await.cookie.expect("a session");
    run.call(post.clone(), "/api/logout", None, Some(&second), 200).await;
    run.call(post.clone(), "/api/logout", None, None, 200).await;
    run.call(get.clone(), "/api/me", None, Some(&cookie), 200).await;

    // Settings.
    run.call(get.clone(), "/api/settings", None, Some(&cookie), 200).await;
    let delivery = json!({ "delivery": "png", "notices": false });
    run.call(put.clone(), "/api/settings", Some(delivery.clone()), Some(&cookie), 200).await;
    run.call(
        put.clone(),
        "/api/settings",
        Some(json!({ "delivery": "fax", "notices": true })),
        Some(&cookie),
        400,
    )
    .await;
    let foreign = p
        .send(
            put.clone(),
            "/api/settings",
            Some(delivery.to_string()),
            Some(&cookie),
            Some("https://evil.example"),
            "application/json",
        )
        .await;
    assert_eq!(foreign.status, 403);
    run.checker.check(&put, "/api/settings", &foreign);
    let change = json!({ "current_password": "не тот", "password": "Светлячок-2027", "password_confirm": "Светлячок-2027" });
    run.call(post.clone(), "/api/settings/password", Some(change), Some(&cookie), 400).await;
    let change = json!({ "current_password": PASSWORD, "password": "Светлячок-2027", "password_confirm": "Светлячок-2027" });
    run.call(post.clone(), "/api/settings/password", Some(change), Some(&cookie), 200).await;
    let new_email = p.email("new");
    run.call(post.clone(), "/api/settings/email", Some(json!({ "email": new_email })), Some(&cookie), 202)
        .await;
    let token = p.last_token(&new_email, "confirm-email.html").await;
    run.call(post.clone(), "/api/settings/email/confirm", Some(json!({ "token": token })), None, 200).await;
    run.call(post.clone(), "/api/settings/email/confirm", Some(json!({ "token": token })), None, 410).await;

    // Readings on each kind of meter.
    run.call(get.clone(), "/api/readings", None, Some(&cookie), 200).await;
    run.call(post.clone(), "/api/readings", Some(json!({ "single": "12400" })), Some(&cookie), 201).await;
    run.call(post.clone(), "/api/readings", Some(json!({ "single": "двенадцать" })), Some(&cookie), 400)
        .await;
    run.call(get.clone(), "/api/readings", None, Some(&cookie), 200).await;
    let day_night = run.customer(DAY_NIGHT).await;
    run.call(get.clone(), "/api/readings", None, Some(&day_night), 200).await;
    let day_night_form = json!({ "day": "23500", "night": "10300", "single": null });
    run.call(post.clone(), "/api/readings", Some(day_night_form), Some(&day_night), 201).await;
    run.call(get.clone(), "/api/readings", None, Some(&day_night), 200).await;
    let no_meter = run.customer(NO_METER).await;
    run.call(get.clone(), "/api/readings", None, Some(&no_meter), 200).await;
    run.call(post.clone(), "/api/readings", Some(json!({ "single": "1" })), Some(&no_meter), 400).await;

    // Bills: none yet, then January's posted.
    run.call(get.clone(), "/api/bill", None, Some(&cookie), 200).await;
    run.call(get.clone(), "/api/bills", None, Some(&cookie), 200).await;
    generate(&p, "2026-01").await;
    for who in [&cookie, &day_night, &no_meter] {
        run.call(get.clone(), "/api/bill", None, Some(who), 200).await;
        run.call(get.clone(), "/api/bills", None, Some(who), 200).await;
    }

    // Payments: started, paid on the bank's page, back, listed, its receipt; the bank's notice.
    run.call(get.clone(), "/api/payments", None, Some(&cookie), 200).await;
    let form = json!({ "amount": "1 234,56", "receipt_email": email, "receipt_mail": true,
        "readings": { "single": "12445" }, "form_token": "openapi-form-1" });
    let reply = run.call(post.clone(), "/api/payments", Some(form), Some(&cookie), 201).await;
    let bad = json!({ "amount": "12.50", "receipt_email": email, "readings": null, "form_token": "openapi-form-2" });
    run.call(post.clone(), "/api/payments", Some(bad), Some(&cookie), 400).await;
    let id = reply.body["payment"].as_str().expect("a payment id").to_owned();
    let account = AccountNumber::parse(SINGLE.0).unwrap();
    let end: Timestamp = "2100-01-01T00:00:00Z".parse().unwrap();
    let payment = list(p.app.store.as_ref(), &account, Timestamp::UNIX_EPOCH, end)
        .await
        .unwrap()
        .into_iter()
        .find(|x| x.id == id)
        .expect("the payment is stored");
    let started = Started { payment, form_url: reply.body["form_url"].as_str().unwrap().to_owned() };
    pay_on_page(&started, ("2202205000012424", "05/28", "649")).await;
    let order_id = started.payment.order_id.clone().unwrap();
    let back =
        run.call(get.clone(), &format!("/api/payments/return?orderId={order_id}"), None, None, 303).await;
    assert_eq!(back.location.as_deref(), Some("/bill.html?payment=paid"));
    run.call(get.clone(), "/api/payments/return", None, None, 303).await;
    run.call(get.clone(), "/api/payments", None, Some(&cookie), 200).await;
    run.call(get.clone(), "/api/payments?from=2026-01-01&to=2026-02-15", None, Some(&cookie), 200).await;
    run.call(get.clone(), "/api/payments?from=2026-13-01", None, Some(&cookie), 400).await;
    run.call(get.clone(), "/api/bill", None, Some(&cookie), 200).await;
    run.call(get.clone(), &format!("/api/payments/receipt?id={id}"), None, Some(&cookie), 200).await;
    run.call(get.clone(), &format!("/api/payments/receipt.pdf?id={id}"), None, Some(&cookie), 200).await;
    run.call(get.clone(), "/api/payments/receipt?id=nope", None, Some(&cookie), 404).await;
    run.call(get.clone(), "/api/payments/receipt.pdf?id=nope", None, Some(&cookie), 404).await;
    run.call(get.clone(), &format!("/api/payments/receipt?id={id}"), None, None, 401).await;
    let params = callback(&started.payment, "deposited", "1");
    let query: Vec<String> = params.iter().map(|(k, v)| format!("{k}={v}")).collect();
    run.call(get.clone(), &format!("/api/sberbank/callback?{}", query.join("&")), None, None, 200).await;
    let forged = query.join("&").replace("status=1", "status=0");
    run.call(get.clone(), &format!("/api/sberbank/callback?{forged}"), None, None, 400).await;

    // «Забыли пароль?» last: a reset ends every session.
    let pair = json!({ "account": SINGLE.0, "email": new_email });
    run.call(post.clone(), "/api/password/forgot", Some(pair), None, 202).await;
    let token = p.last_token(&new_email, "reset.html").await;
    let reset = json!({ "token": token, "password": "Светлячок-2028", "password_confirm": "Светлячок-2028" });
    run.call(post.clone(), "/api/password/reset", Some(reset.clone()), None, 200).await;
    run.call(post.clone(), "/api/password/reset", Some(reset), None, 410).await;
    run.call(get.clone(), "/api/settings", None, Some(&cookie), 401).await;

    let unseen: Vec<String> = ROUTES
        .iter()
        .filter(|r| !run.checker.seen.contains(&(r.method.to_string(), r.path.to_owned())))
        .map(|r| format!("{} {}", r.method, r.path))
        .collect();
    assert!(unseen.is_empty(), "routes without a checked call: {unseen:?}");
}
