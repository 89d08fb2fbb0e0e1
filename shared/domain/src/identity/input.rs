//! The pure checks of what a person types at registration (R1–R3), login (R6), password
//! reset (R8) and in the settings (S3, S4).
//!
//! The server decides with these functions; the page's script mirrors them to answer while
//! the person types, which is why the rules are small, explicit and table-driven (character
//! lists, [`COMMON_MAIL_DOMAINS`], the strength rule). Every error has an English `Display`
//! for the logs and a `message_ru()` for the person: one short, polite sentence that names the
//! one thing to fix, in the guide's words where it has them.

mod address;
mod common_passwords;
mod email;
mod email_error;
mod mail_domains;
mod password;
mod strength;
mod text;
mod typed_account;

pub use address::{AddressMatch, AddressPart, compare_addresses, normalize_address};
pub use email::{Email, MAX_EMAIL, MAX_LOCAL, parse_email};
pub use email_error::EmailError;
pub use mail_domains::{COMMON_MAIL_DOMAINS, suggest_domain};
pub use password::{MAX_PASSWORD, MIN_PASSWORD, PasswordProblem, check_new_password, confirm_password};
pub use strength::{Strength, strength};
pub use typed_account::{Cleanup, TypedAccount, TypedAccountError, parse_typed_account};
