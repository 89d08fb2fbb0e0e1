//! «Настройки»: delivery and notices, the password, the e-mail.

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use svet_domain::identity::{self, mails::mask_email, profile::Delivery};

use crate::error::json;
use crate::request::json_body;
use crate::session::{caller, same_origin};
use crate::{ApiError, App, Body, Request, Response};

fn view(profile: &identity::profile::Profile) -> serde_json::Value {
    json!({
        "email": profile.email,
        "email_masked": mask_email(&profile.email),
        "delivery": profile.delivery,
        "notices": profile.notices,
    })
}

/// `GET /api/settings`
pub async fn get(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    let who = caller(app, &request).await?;
    json(StatusCode::OK, &view(&identity::settings::get(&app.deps(), &who.account).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DeliveryForm {
    delivery: Delivery,
    notices: bool,
}

/// `PUT /api/settings`
pub async fn put(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let who = caller(app, &request).await?;
    let form: DeliveryForm = json_body(&request)?;
    let profile =
        identity::settings::update_delivery(&app.deps(), &who.account, form.delivery, form.notices).await?;
    json(StatusCode::OK, &view(&profile))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordForm {
    current_password: String,
    password: String,
    password_confirm: String,
}

/// `POST /api/settings/password`: ends every other session.
pub async fn password(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let who = caller(app, &request).await?;
    let form: PasswordForm = json_body(&request)?;
    let done = identity::settings::change_password(
        &app.deps(),
        &who.account,
        &who.session,
        &form.current_password,
        &form.password,
        &form.password_confirm,
    )
    .await?;
    crate::handlers::password::log_notice_failure(&done);
    json(StatusCode::OK, &json!({ "status": "changed" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EmailForm {
    email: String,
}

/// `POST /api/settings/email`: a confirmation link goes to the new address.
pub async fn email(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let who = caller(app, &request).await?;
    let form: EmailForm = json_body(&request)?;
    let pending = identity::settings::change_email(&app.deps(), &who.account, &form.email).await?;
    json(StatusCode::ACCEPTED, &json!({ "pending_email": pending }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenForm {
    token: String,
}

/// `POST /api/settings/email/confirm`: from the link in the mail to the new address.
pub async fn confirm_email(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: TokenForm = json_body(&request)?;
    let account = identity::settings::confirm_email(&app.deps(), &form.token).await?;
    json(StatusCode::OK, &json!({ "account": account }))
}
