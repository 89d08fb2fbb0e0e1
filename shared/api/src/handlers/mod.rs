//! One module per resource; each handler parses, calls the domain, and answers.

pub mod auth;
pub mod bills;
pub mod company;
pub mod health;
mod identity_errors;
pub mod password;
pub mod payments;
pub mod readings;
pub mod settings;
