//! Who the customer is: registration, activation, login and password reset (R1–R8).
//!
//! [`input`] holds the pure checks of what people type; the use cases that store accounts,
//! send letters and open sessions build on it.

mod deps;
pub mod input;
pub mod limits;
pub mod login;
pub mod mails;
pub mod passwords;
pub mod profile;
pub mod recover;
pub mod register;
pub mod sessions;
pub mod settings;
pub mod tokens;

pub use deps::{Deps, FieldErrors, IdentityError, MailNotSent};

pub use input::{
    AddressMatch, AddressPart, Cleanup, Email, EmailError, PasswordProblem, Strength, TypedAccount,
    TypedAccountError, check_new_password, compare_addresses, parse_email, parse_typed_account, strength,
    suggest_domain,
};
