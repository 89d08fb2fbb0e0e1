//! Login (R6): the full account number and the password. An unknown account costs as long as
//! a wrong password and gets the same answer. After five failures on an account the next try
//! waits 30 s, doubling with each further failure up to an hour; an IP address has its own
//! limit. A session starts on success (R7).

use serde::{Deserialize, Serialize};

use super::deps::{Deps, FieldErrors, IdentityError, allowed};
use super::input;
use super::limits::Rule;
use super::profile::{self, Status};
use super::sessions::{self, Lifetimes, Session};
use crate::AccountNumber;
use crate::store::{Condition, Item, Key, StoreError, Write};

/// Login attempts from one IP address per 10 minutes.
pub const LOGIN_PER_IP: Rule = Rule { scope: "login-ip", max: 30, window: 600 };
/// Failures on an account before back-off starts.
pub const FREE_FAILURES: u32 = 5;
const FIRST_WAIT: i64 = 30;
const LONGEST_WAIT: i64 = 3600;

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Failures {
    count: u32,
    last: i64,
}

fn failures_key(account: &AccountNumber) -> Key {
    Key::new(format!("ACCOUNT#{account}"), "LOGIN_FAILURES")
}

/// Seconds to wait after `count` failures.
pub fn back_off(count: u32) -> i64 {
    if count < FREE_FAILURES {
        return 0;
    }
    let doublings = (count - FREE_FAILURES).min(10);
    (FIRST_WAIT << doublings).min(LONGEST_WAIT)
}

/// The session lifetimes from the configuration.
pub fn lifetimes(deps: &Deps<'_>) -> Lifetimes {
    let i = &deps.config.identity;
    Lifetimes { idle: i.session_idle_minutes * 60, absolute: i.session_absolute_hours * 3600 }
}

pub async fn login(
    deps: &Deps<'_>,
    account: &str,
    password: &str,
    ip: &str,
) -> Result<(AccountNumber, Session), IdentityError> {
    allowed(LOGIN_PER_IP.hit(deps.store, deps.clock, ip).await?)?;
    let account = match input::parse_typed_account(account) {
        Ok(typed) => typed.account,
        Err(e) => {
            let mut errors = FieldErrors::default();
            errors.add("account", e.message_ru());
            return Err(IdentityError::Invalid(errors));
        }
    };
    if password.is_empty() {
        let mut errors = FieldErrors::default();
        errors.add("password", "Введите пароль.");
        return Err(IdentityError::Invalid(errors));
    }
    let reserved = reserve_attempt(deps, &account).await?;

    let stored = profile::load(deps.store, &account).await?;
    let phc = stored.as_ref().map(|s| s.profile.password.as_str());
    let ok = deps.hasher.verify(password, phc).await.map_err(IdentityError::Hashing)?;
    // A failure is already counted: the reservation is left standing.
    let Some(stored) = stored.filter(|_| ok) else { return Err(IdentityError::LoginFailed) };
    // The right password ends the count, but only as this attempt left it: an attempt that
    // reserved after this one keeps its count.
    let key = failures_key(&account);
    if stored.profile.status != Status::Active {
        match deps.store.delete(&key, Condition::VersionIs(reserved)).await {
            Ok(()) | Err(StoreError::ConditionFailed { .. } | StoreError::Conflict) => {}
            Err(e) => return Err(e.into()),
        }
        return Err(IdentityError::NotActivated);
    }
    // The session and the end of the count in one transaction. Another attempt's count written
    // meanwhile (or, on DynamoDB, being written at that moment) stays, and the session opens.
    let (session, write) = sessions::open(deps.clock, deps.ids, &account, lifetimes(deps))?;
    let forget = Write::Delete { key, condition: Condition::VersionIs(reserved) };
    match deps.store.transact(vec![write.clone(), forget]).await {
        Ok(()) => {}
        Err(StoreError::ConditionFailed { index: 1 } | StoreError::Conflict) => {
            deps.store.transact(vec![write]).await?
        }
        Err(e) => return Err(e.into()),
    }
    Ok((account, session))
}

/// Counts this attempt as a failure before the password is checked, and answers the version
/// of the count it wrote. Counting first makes the back-off hold for attempts made at once:
/// each must write its own count (conditionally on the count it read), so of any number of
/// simultaneous tries at most the free ones are checked before the wait begins. An attempt
/// that loses the race reads the count again; after a few losses it is told to wait.
async fn reserve_attempt(deps: &Deps<'_>, account: &AccountNumber) -> Result<u64, IdentityError> {
    const TRIES: usize = 3;
    let key = failures_key(account);
    for _ in 0..TRIES {
        let current = deps.store.get(&key).await?;
        let failures: Failures = current.as_ref().map(Item::to_serde).transpose()?.unwrap_or_default();
        let wait_until = failures.last + back_off(failures.count);
        if deps.now() < wait_until {
            return Err(IdentityError::TooManyAttempts { retry_after: wait_until - deps.now() });
        }
        let next = Failures { count: failures.count + 1, last: deps.now() };
        let mut item = Item::from_serde(key.clone(), &next)?.expires_at(deps.now() + 86_400);
        item.version = current.as_ref().map_or(1, |i| i.version + 1);
        let version = item.version;
        let condition = current.as_ref().map_or(Condition::Absent, |i| Condition::VersionIs(i.version));
        match deps.store.put(item, condition).await {
            Ok(()) => return Ok(version),
            Err(StoreError::ConditionFailed { .. }) => continue,
            Err(e) => return Err(e.into()),
        }
    }
    Err(IdentityError::TooManyAttempts { retry_after: 1 })
}

/// Clears the failure count (after a password reset).
pub async fn forget_failures(deps: &Deps<'_>, account: &AccountNumber) -> Result<(), StoreError> {
    deps.store.delete(&failures_key(account), Condition::None).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn back_off_starts_after_five_failures_and_doubles_to_an_hour() {
        let waits: Vec<i64> = (0..14).map(back_off).collect();
        assert_eq!(waits, [0, 0, 0, 0, 0, 30, 60, 120, 240, 480, 960, 1920, 3600, 3600]);
    }
}
