//! Password recovery (R8, the "beyond" variant): account + e-mail always get the same answer;
//! when they match an active profile, a single-use link valid for an hour is mailed. Setting
//! the new password ends every session, clears the login failures and mails a notice.

use super::deps::{Deps, FieldErrors, IdentityError, MailNotSent, allowed};
use super::input;
use super::limits::Rule;
use super::profile::{self, Status};
use super::tokens::{self, Grant, Purpose};
use super::{login, mails, sessions};
use crate::AccountNumber;
use crate::store::{Condition, StoreError, Write};

pub const FORGOT_PER_IP: Rule = Rule { scope: "forgot-ip", max: 10, window: 3600 };
pub const FORGOT_PER_ACCOUNT: Rule = Rule { scope: "forgot-account", max: 3, window: 3600 };

///
/// The answer is the same for a known pair, an unknown one, and a known one whose mail could
/// not be sent (the mail service down): that failure comes back for the log, and the page
/// tells the customer to check the spam folder or call support when no letter arrives.
pub async fn forgot(
    deps: &Deps<'_>,
    account: &str,
    email: &str,
    ip: &str,
) -> Result<Option<MailNotSent>, IdentityError> {
    allowed(FORGOT_PER_IP.hit(deps.store, deps.clock, ip).await?)?;
    let (Ok(typed), Ok(email)) = (input::parse_typed_account(account), input::parse_email(email)) else {
        return Ok(None);
    };
    allowed(FORGOT_PER_ACCOUNT.hit(deps.store, deps.clock, typed.account.as_str()).await?)?;
    let Some(stored) = profile::load(deps.store, &typed.account).await? else { return Ok(None) };
    let p = &stored.profile;
    if !p.email.eq_ignore_ascii_case(email.as_str()) {
        return Ok(None);
    }
    let expires = deps.now() + deps.config.identity.reset_minutes * 60;
    let token =
        tokens::issue(&Grant { purpose: Purpose::Reset, account: p.account.clone(), email: None }, expires)?;
    deps.store.transact(vec![token.write]).await?;
    deps.send_unseen(mails::reset(deps.config, &p.email, &p.account, &deps.link("reset.html", &token.secret)))
        .await
}

/// A password changed, and why its notice could not be mailed (for the log): the change stands
/// either way.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswordChanged {
    pub account: AccountNumber,
    pub notice_failure: Option<String>,
}

/// Sets a new password from a reset link.
pub async fn reset(
    deps: &Deps<'_>,
    secret: &str,
    password: &str,
    confirm: &str,
) -> Result<PasswordChanged, IdentityError> {
    let Some((grant, use_token)) = tokens::find(deps.store, secret, Purpose::Reset).await? else {
        return Err(IdentityError::BadLink);
    };
    let mut errors = FieldErrors::default();
    if let Err(problem) = input::check_new_password(password, &grant.account) {
        errors.add("password", problem.message_ru());
    }
    if password != confirm {
        errors.add("password_confirm", "Пароль и подтверждение не совпадают. Введите пароль ещё раз.");
    }
    errors.into_result()?;
    let Some(stored) = profile::load(deps.store, &grant.account).await? else {
        return Err(IdentityError::BadLink);
    };
    let mut changed = stored.profile.clone();
    changed.password = deps.hasher.hash(password).await.map_err(IdentityError::Hashing)?;
    changed.password_changed_at = deps.clock.now();
    // Following a mailed link proves the address: a pending account becomes active.
    if changed.status == Status::Pending {
        changed.status = Status::Active;
        changed.activated_at = Some(deps.clock.now());
    }
    let put =
        Write::Put { item: stored.next_item(&changed)?, condition: Condition::VersionIs(stored.version) };
    match deps.store.transact(vec![use_token, put]).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { .. }) => return Err(IdentityError::BadLink),
        Err(e) => return Err(e.into()),
    }
    finish_password_change(deps, &grant.account, &changed.email, None).await
}

/// After any password change: every other session ends, failures are forgotten, and the
/// owner is told. The change is made by then, so a notice that cannot be sent does not fail
/// the request (the customer would try again a change that is done, and be told that the link
/// is used or the current password wrong): its failure is returned for the log.
pub async fn finish_password_change(
    deps: &Deps<'_>,
    account: &AccountNumber,
    email: &str,
    keep: Option<&str>,
) -> Result<PasswordChanged, IdentityError> {
    sessions::close_all(deps.store, account, keep).await?;
    login::forget_failures(deps, account).await?;
    let notice = deps.send(mails::password_changed(deps.config, email, account)).await;
    Ok(PasswordChanged { account: account.clone(), notice_failure: notice.err().map(|e| format!("{e:#}")) })
}
