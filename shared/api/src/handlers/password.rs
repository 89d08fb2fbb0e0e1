//! «Забыли пароль?» and setting a new one from the mailed link.

use http::StatusCode;
use serde::Deserialize;
use serde_json::json;
use svet_domain::identity;
use svet_domain::identity::recover::PasswordChanged;

use crate::error::json;
use crate::request::json_body;
use crate::session::{client_ip, same_origin};
use crate::{ApiError, App, Body, Request, Response};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ForgotForm {
    account: String,
    email: String,
}

/// `POST /api/password/forgot`: the same answer whether or not the pair is known.
pub async fn forgot(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: ForgotForm = json_body(&request)?;
    let not_sent =
        identity::recover::forgot(&app.deps(), &form.account, &form.email, &client_ip(&request)).await?;
    log_link_not_sent(not_sent.as_ref(), "recovery");
    json(StatusCode::ACCEPTED, &json!({ "status": "sent_if_registered" }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ResetForm {
    token: String,
    password: String,
    password_confirm: String,
}

/// `POST /api/password/reset`: every session ends; the customer logs in with the new password.
pub async fn reset(app: &App, request: Request) -> Result<Response<Body>, ApiError> {
    same_origin(app, &request)?;
    let form: ResetForm = json_body(&request)?;
    let done =
        identity::recover::reset(&app.deps(), &form.token, &form.password, &form.password_confirm).await?;
    log_notice_failure(&done);
    json(StatusCode::OK, &json!({ "account": done.account }))
}

/// A link the customer was told may have been mailed and was not (the mail service failing,
/// or the address's hourly limit): the operators' alarm on mail errors sees it; the customer
/// is never told, so that the answer reveals nothing about the pair.
pub(crate) fn log_link_not_sent(not_sent: Option<&identity::MailNotSent>, link: &str) {
    if let Some(why) = not_sent {
        crate::metrics::emit(&[(crate::metrics::Metric::MailsFailed, 1)]);
        tracing::error!(link, error = %crate::observe::scrub(&why.0), "a link was not mailed; the customer was answered as if it was");
    }
}

/// A password change whose notice could not be mailed: the change stands, the log says so.
pub(crate) fn log_notice_failure(done: &PasswordChanged) {
    if let Some(why) = &done.notice_failure {
        // The mail service's message may quote the address.
        tracing::error!(account = %done.account.masked(), error = %crate::observe::scrub(why), "the password-change notice was not sent");
    }
}
