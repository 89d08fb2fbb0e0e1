//! One module per resource; each handler parses, calls the domain, and answers.

pub mod company;
pub mod health;
