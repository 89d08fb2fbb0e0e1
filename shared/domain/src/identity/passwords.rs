//! The password-hashing port: argon2id on a blocking thread in the HTTP crate. A port because
//! hashing is slow on purpose and must leave the async threads alone.

use async_trait::async_trait;

#[async_trait]
pub trait PasswordHasher: Send + Sync {
    /// A PHC string for a new password.
    async fn hash(&self, password: &str) -> anyhow::Result<String>;

    /// Whether `password` matches the PHC string. With `None` (an unknown account), it spends
    /// the same time on a dummy hash and answers false, so timing reveals nothing.
    async fn verify(&self, password: &str, phc: Option<&str>) -> anyhow::Result<bool>;
}
