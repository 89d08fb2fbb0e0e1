//! «Настройки» (S1–S4): bill delivery, new-bill notices, the password and the e-mail. An
//! e-mail change takes effect when the link mailed to the new address is followed; the old
//! address is told.

use super::deps::{Deps, FieldErrors, IdentityError, allowed};
use super::input;
use super::limits::Rule;
use super::mails;
use super::profile::{self, Delivery, Profile, Stored};
use super::recover::{PasswordChanged, finish_password_change};
use super::tokens::{self, Grant, Purpose};
use crate::AccountNumber;
use crate::store::{Condition, StoreError, Write};

pub const EMAIL_CHANGE_PER_ACCOUNT: Rule = Rule { scope: "email-change", max: 5, window: 86_400 };
/// Password changes tried per account per hour: a stolen session cannot guess the current
/// password.
pub const PASSWORD_CHANGE_PER_ACCOUNT: Rule = Rule { scope: "password-change", max: 5, window: 3600 };

async fn load(deps: &Deps<'_>, account: &AccountNumber) -> Result<Stored, IdentityError> {
    profile::load(deps.store, account).await?.ok_or_else(|| {
        IdentityError::Store(StoreError::Corrupt(format!("no profile for session of {}", account.masked())))
    })
}

/// Writes a changed profile over the version read; a concurrent change is retried by the caller.
async fn save(deps: &Deps<'_>, stored: &Stored, changed: &Profile) -> Result<(), IdentityError> {
    deps.store.put(stored.next_item(changed)?, Condition::VersionIs(stored.version)).await?;
    Ok(())
}

pub async fn get(deps: &Deps<'_>, account: &AccountNumber) -> Result<Profile, IdentityError> {
    Ok(load(deps, account).await?.profile)
}

/// S1, S2.
pub async fn update_delivery(
    deps: &Deps<'_>,
    account: &AccountNumber,
    delivery: Delivery,
    notices: bool,
) -> Result<Profile, IdentityError> {
    for _ in 0..5 {
        let stored = load(deps, account).await?;
        let changed = Profile { delivery, notices, ..stored.profile.clone() };
        match save(deps, &stored, &changed).await {
            Err(IdentityError::Store(StoreError::ConditionFailed { .. })) => continue,
            other => return other.map(|()| changed),
        }
    }
    Err(IdentityError::Store(StoreError::Conflict))
}

/// S3: needs the current password; ends every other session.
pub async fn change_password(
    deps: &Deps<'_>,
    account: &AccountNumber,
    session: &str,
    current: &str,
    new: &str,
    confirm: &str,
) -> Result<PasswordChanged, IdentityError> {
    allowed(PASSWORD_CHANGE_PER_ACCOUNT.hit(deps.store, deps.clock, account.as_str()).await?)?;
    let stored = load(deps, account).await?;
    if !deps.hasher.verify(current, Some(&stored.profile.password)).await.map_err(IdentityError::Hashing)? {
        return Err(IdentityError::WrongCurrentPassword);
    }
    let mut errors = FieldErrors::default();
    if let Err(problem) = input::check_new_password(new, account) {
        errors.add("password", problem.message_ru());
    }
    if new != confirm {
        errors.add("password_confirm", "Пароль и подтверждение не совпадают. Введите пароль ещё раз.");
    }
    if new == current {
        errors.add("password", "Новый пароль совпадает с текущим.");
    }
    errors.into_result()?;
    let mut changed = stored.profile.clone();
    changed.password = deps.hasher.hash(new).await.map_err(IdentityError::Hashing)?;
    changed.password_changed_at = deps.clock.now();
    save(deps, &stored, &changed).await?;
    finish_password_change(deps, account, &changed.email, Some(session)).await
}

/// S4: mails a confirmation link to the new address and a notice to the current one.
pub async fn change_email(
    deps: &Deps<'_>,
    account: &AccountNumber,
    new_email: &str,
) -> Result<String, IdentityError> {
    let email = input::parse_email(new_email).map_err(|e| {
        let mut errors = FieldErrors::default();
        errors.add("email", e.message_ru());
        IdentityError::Invalid(errors)
    })?;
    let stored = load(deps, account).await?;
    if stored.profile.email.eq_ignore_ascii_case(email.as_str()) {
        let mut errors = FieldErrors::default();
        errors.add("email", "Этот адрес уже указан в профиле.");
        return Err(IdentityError::Invalid(errors));
    }
    allowed(EMAIL_CHANGE_PER_ACCOUNT.hit(deps.store, deps.clock, account.as_str()).await?)?;
    let expires = deps.now() + deps.config.identity.email_change_hours * 3600;
    let grant = Grant {
        purpose: Purpose::ChangeEmail,
        account: account.clone(),
        email: Some(email.as_str().to_owned()),
    };
    let token = tokens::issue(&grant, expires)?;
    deps.store.transact(vec![token.write]).await?;
    deps.send(mails::email_change_confirm(
        deps.config,
        email.as_str(),
        account,
        &deps.link("confirm-email.html", &token.secret),
    ))
    .await?;
    deps.send(mails::email_change_notice(deps.config, &stored.profile.email, account, email.as_str()))
        .await?;
    Ok(email.as_str().to_owned())
}

/// Follows the link from the new address: it becomes the profile's e-mail.
pub async fn confirm_email(deps: &Deps<'_>, secret: &str) -> Result<AccountNumber, IdentityError> {
    let Some((grant, use_token)) = tokens::find(deps.store, secret, Purpose::ChangeEmail).await? else {
        return Err(IdentityError::BadLink);
    };
    let Some(email) = grant.email else { return Err(IdentityError::BadLink) };
    let stored = load(deps, &grant.account).await?;
    let changed = Profile { email, ..stored.profile.clone() };
    let put =
        Write::Put { item: stored.next_item(&changed)?, condition: Condition::VersionIs(stored.version) };
    match deps.store.transact(vec![use_token, put]).await {
        Ok(()) => Ok(grant.account),
        Err(StoreError::ConditionFailed { .. }) => Err(IdentityError::BadLink),
        Err(e) => Err(e.into()),
    }
}
