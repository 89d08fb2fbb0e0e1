//! Registration, activation, login, logout and «who am I».

use http::{StatusCode, header};
use serde::Deserialize;
use serde_json::json;
use svet_domain::identity::{self, mails::mask_email, register::Registration};
use svet_domain::registry::{RegistryEntry, registry_key};

use crate::error::json;
use crate::request::json_body;
use crate::session::{self, caller, client_ip, same_origin};
use crate::{ApiError, App, Body, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RegisterForm {
    account: String,
    password: String,
    password_confirm: String,
    email: String,
    address: String,
    consent: bool,
}

/// `POST /api/register`
pub async fn register(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: RegisterForm = json_body(&request)?;
    let registration = Registration {
        account: form.account,
        password: form.password,
        password_confirm: form.password_confirm,
        email: form.email,
        address: form.address,
        consent: form.consent,
        ip: client_ip(&request),
    };
    let done = identity::register::register(&app.deps(), &registration).await?;
    if let Some(why) = &done.mail_failure {
        // The mail service's message may quote the address.
        tracing::error!(account = %done.account.masked(), error = %crate::observe::scrub(&why.to_string()), "the activation mail was not sent");
    }
    json(
        StatusCode::CREATED,
        &json!({ "account": done.account, "email": done.email, "mail_sent": done.mail_failure.is_none() }),
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenForm {
    token: String,
}

/// `POST /api/activate`: the activation page posts the link's token; the customer is logged in.
pub async fn activate(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: TokenForm = json_body(&request)?;
    // The key that signs the session first: without it (SSM unreachable) the link is not
    // spent and works again a moment later.
    app.session_key.ready().await.map_err(ApiError::Unavailable)?;
    let deps = app.deps();
    let account = identity::register::activate(&deps, &form.token).await?;
    let (session, write) =
        identity::sessions::open(deps.clock, deps.ids, &account, identity::login::lifetimes(&deps))?;
    app.store.transact(vec![write]).await?;
    with_cookie(
        json(StatusCode::OK, &json!({ "account": account }))?,
        session::cookie(app, &account, &session).await?,
    )
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AccountEmailForm {
    account: String,
    email: String,
}

/// `POST /api/activation/resend`: always the same answer.
pub async fn resend_activation(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: AccountEmailForm = json_body(&request)?;
    let not_sent =
        identity::register::resend_activation(&app.deps(), &form.account, &form.email, &client_ip(&request))
            .await?;
    super::password::log_link_not_sent(not_sent.as_ref(), "activation");
    json(StatusCode::ACCEPTED, &json!({ "status": "sent_if_registered" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LoginForm {
    account: String,
    password: String,
}

/// `POST /api/login`
pub async fn login(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: LoginForm = json_body(&request)?;
    // The signing key is read (on its first use in a Lambda container) while the password is
    // checked; without it the login answers 503 and the customer tries again.
    let (deps, ip) = (app.deps(), client_ip(&request));
    let (ready, outcome) = tokio::join!(
        app.session_key.ready(),
        identity::login::login(&deps, &form.account, &form.password, &ip),
    );
    let (account, session) = outcome?;
    ready.map_err(ApiError::Unavailable)?;
    with_cookie(
        json(StatusCode::OK, &json!({ "account": account }))?,
        session::cookie(app, &account, &session).await?,
    )
}

/// `POST /api/logout`: the session record goes, so the cookie is refused from now on.
pub async fn logout(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    if let Ok(who) = caller(app, &request).await {
        identity::sessions::close(app.store.as_ref(), &who.account, &who.session).await?;
    }
    let mut response =
        with_cookie(json(StatusCode::OK, &json!({ "status": "logged_out" }))?, session::clear_cookie())?;
    // The browser drops what it kept for this site: a link's token or a split payment's rest in
    // sessionStorage, and cached pages (a shared computer's next user sees none of it).
    response.headers_mut().insert(
        http::HeaderName::from_static("clear-site-data"),
        http::HeaderValue::from_static("\"cache\", \"storage\""),
    );
    Ok(response)
}

/// `GET /api/me`: the logged-in customer's account, address and e-mail.
pub async fn me(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    let profile = identity::settings::get(&app.deps(), &who.account).await?;
    let registry: Option<RegistryEntry> = match app.store.get(&registry_key(&who.account)).await? {
        Some(item) => Some(item.to_serde()?),
        None => None,
    };
    json(
        StatusCode::OK,
        &json!({
            "account": who.account,
            "address": registry.as_ref().map(|r| r.address.clone()),
            "email": profile.email,
            "email_masked": mask_email(&profile.email),
        }),
    )
}

pub(crate) fn with_cookie(
    mut response: Response<Body>,
    cookie: http::HeaderValue,
) -> Result<Response<Body>, ApiError> {
    response.headers_mut().append(header::SET_COOKIE, cookie);
    Ok(response)
}
