//! Registration (R1–R5), activation and a new activation link (R4).

use super::deps::{Deps, FieldErrors, IdentityError, MailNotSent, allowed};
use super::input::{self, AddressMatch, AddressPart};
use super::limits::Rule;
use super::mails;
use super::profile::{self, Consent, Delivery, Profile, Status};
use super::tokens::{self, Grant, Purpose};
use crate::AccountNumber;
use crate::registry::{RegistryEntry, registry_key};
use crate::store::{Condition, Item, StoreError, Write};

/// Registrations tried from one IP address per hour.
pub const REGISTER_PER_IP: Rule = Rule { scope: "register-ip", max: 20, window: 3600 };
/// Address checks against one account per day: enough for typos, too few to guess a flat.
pub const REGISTER_PER_ACCOUNT: Rule = Rule { scope: "register-account", max: 10, window: 86_400 };
/// New activation links per account per hour, and per IP.
pub const RESEND_PER_ACCOUNT: Rule = Rule { scope: "resend-account", max: 3, window: 3600 };
pub const RESEND_PER_IP: Rule = Rule { scope: "resend-ip", max: 10, window: 3600 };

/// The registration form as typed.
#[derive(Debug, Clone)]
pub struct Registration {
    pub account: String,
    pub password: String,
    pub password_confirm: String,
    pub email: String,
    pub address: String,
    pub consent: bool,
    pub ip: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Registered {
    pub account: AccountNumber,
    pub email: String,
    /// Why the activation mail could not be sent (for the log); the page then offers a new
    /// link. The registration stands either way.
    pub mail_failure: Option<String>,
}

/// Every part of an address: what an unknown account answers, like a complete mismatch.
const ALL_PARTS: [AddressPart; 4] =
    [AddressPart::Locality, AddressPart::Street, AddressPart::House, AddressPart::Flat];

pub async fn register(deps: &Deps<'_>, form: &Registration) -> Result<Registered, IdentityError> {
    let mut errors = FieldErrors::default();
    let account = match input::parse_typed_account(&form.account) {
        Ok(typed) => Some(typed.account),
        Err(e) => {
            errors.add("account", e.message_ru());
            None
        }
    };
    // Without a valid account number the rules that need none (length, common passwords)
    // still run, so the page can show every problem at once.
    let placeholder = AccountNumber::parse("0000").expect("a valid account number");
    if let Err(problem) = input::check_new_password(&form.password, account.as_ref().unwrap_or(&placeholder))
    {
        errors.add("password", problem.message_ru());
    }
    if form.password != form.password_confirm {
        errors.add("password_confirm", "Пароль и подтверждение не совпадают. Введите пароль ещё раз.");
    }
    let email = match input::parse_email(&form.email) {
        Ok(email) => Some(email),
        Err(e) => {
            errors.add("email", e.message_ru());
            None
        }
    };
    if form.address.trim().is_empty() {
        errors.add("address", "Укажите адрес дома или квартиры, как в счёте.");
    } else if form.address.chars().count() > 300 {
        errors.add("address", "Адрес слишком длинный.");
    }
    if !form.consent {
        errors.add("consent", "Без согласия на обработку персональных данных зарегистрироваться нельзя.");
    }
    let (Some(account), Some(email)) = (account, email) else {
        return Err(IdentityError::Invalid(errors));
    };
    errors.into_result()?;

    allowed(REGISTER_PER_IP.hit(deps.store, deps.clock, &form.ip).await?)?;
    allowed(REGISTER_PER_ACCOUNT.hit(deps.store, deps.clock, account.as_str()).await?)?;
    let registry: Option<RegistryEntry> = match deps.store.get(&registry_key(&account)).await? {
        Some(item) => Some(item.to_serde()?),
        None => None,
    };
    let Some(entry) = registry else {
        return Err(IdentityError::AddressDiffers(ALL_PARTS.to_vec()));
    };
    if let AddressMatch::Differs(parts) = input::compare_addresses(&entry.address, &form.address) {
        return Err(IdentityError::AddressDiffers(parts));
    }

    let password = deps.hasher.hash(&form.password).await.map_err(IdentityError::Hashing)?;
    let now = deps.clock.now();
    let profile = Profile {
        account: account.clone(),
        email: email.as_str().to_owned(),
        password,
        status: Status::Pending,
        registered_at: now,
        activated_at: None,
        password_changed_at: now,
        consent: Consent {
            version: deps.config.identity.consent_version.clone(),
            at: now,
            ip: form.ip.clone(),
        },
        delivery: Delivery::Off,
        notices: true,
    };
    let expires = deps.now() + deps.config.identity.activation_hours * 3600;
    let token =
        tokens::issue(&Grant { purpose: Purpose::Activate, account: account.clone(), email: None }, expires)?;
    let item = Item::from_serde(profile::profile_key(&account), &profile)?;
    let writes = vec![Write::Put { item, condition: Condition::Absent }, token.write.clone()];
    match deps.store.transact(writes).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { index: 0 }) => {
            // This very form again after its answer was lost (the store timed out after the
            // write): the same registration, so a new link rather than «already registered».
            if !is_retry(deps, &account, email.as_str(), &form.password).await? {
                return Err(IdentityError::AlreadyRegistered);
            }
            deps.store.transact(vec![token.write]).await?;
        }
        Err(e) => return Err(e.into()),
    }
    let mail =
        mails::activation(deps.config, email.as_str(), &account, &deps.link("activate.html", &token.secret));
    let mail_failure = deps.send(mail).await.err().map(|e| format!("{e:#}"));
    Ok(Registered { account, email: email.as_str().to_owned(), mail_failure })
}

/// Whether the account's registration is pending with this e-mail and this password: a form
/// sent again, not someone else's.
async fn is_retry(
    deps: &Deps<'_>,
    account: &AccountNumber,
    email: &str,
    password: &str,
) -> Result<bool, IdentityError> {
    let Some(stored) = profile::load(deps.store, account).await? else { return Ok(false) };
    let p = &stored.profile;
    if p.status != Status::Pending || !p.email.eq_ignore_ascii_case(email) {
        return Ok(false);
    }
    deps.hasher.verify(password, Some(&p.password)).await.map_err(IdentityError::Hashing)
}

/// Follows an activation link: the account becomes active and the token is used up.
pub async fn activate(deps: &Deps<'_>, secret: &str) -> Result<AccountNumber, IdentityError> {
    let Some((grant, use_token)) = tokens::find(deps.store, secret, Purpose::Activate).await? else {
        return Err(IdentityError::BadLink);
    };
    let Some(stored) = profile::load(deps.store, &grant.account).await? else {
        return Err(IdentityError::BadLink);
    };
    let mut activated = stored.profile.clone();
    activated.status = Status::Active;
    activated.activated_at.get_or_insert(deps.clock.now());
    let put =
        Write::Put { item: stored.next_item(&activated)?, condition: Condition::VersionIs(stored.version) };
    match deps.store.transact(vec![use_token, put]).await {
        Ok(()) => Ok(grant.account),
        // Used by a parallel click, or the profile changed meanwhile: the link is spent.
        Err(StoreError::ConditionFailed { .. }) => Err(IdentityError::BadLink),
        Err(e) => Err(e.into()),
    }
}

/// Mails a new activation link when the account is registered, not yet active and the e-mail
/// is the registration's. Answers the same either way, also when the mail could not be sent
/// (returned for the log, as [`super::recover::forgot`] does).
pub async fn resend_activation(
    deps: &Deps<'_>,
    account: &str,
    email: &str,
    ip: &str,
) -> Result<Option<MailNotSent>, IdentityError> {
    allowed(RESEND_PER_IP.hit(deps.store, deps.clock, ip).await?)?;
    let (Ok(typed), Ok(email)) = (input::parse_typed_account(account), input::parse_email(email)) else {
        return Ok(None);
    };
    allowed(RESEND_PER_ACCOUNT.hit(deps.store, deps.clock, typed.account.as_str()).await?)?;
    let Some(stored) = profile::load(deps.store, &typed.account).await? else { return Ok(None) };
    let p = &stored.profile;
    if p.status != Status::Pending || !p.email.eq_ignore_ascii_case(email.as_str()) {
        return Ok(None);
    }
    let expires = deps.now() + deps.config.identity.activation_hours * 3600;
    let token = tokens::issue(
        &Grant { purpose: Purpose::Activate, account: p.account.clone(), email: None },
        expires,
    )?;
    deps.store.transact(vec![token.write]).await?;
    deps.send_unseen(mails::activation(
        deps.config,
        &p.email,
        &p.account,
        &deps.link("activate.html", &token.secret),
    ))
    .await
}
