//! argon2id with OWASP's parameters (m = 19 MiB, t = 2, p = 1) on tokio's blocking threads, so a
//! login's 20-odd milliseconds of hashing never stall the async workers.

use std::sync::LazyLock;

use argon2::password_hash::{PasswordHash, PasswordHasher as _, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use async_trait::async_trait;
use svet_domain::identity::passwords::PasswordHasher;

/// OWASP Password Storage Cheat Sheet: argon2id, 19 MiB, 2 iterations, 1 lane.
pub const MEMORY_KIB: u32 = 19 * 1024;
pub const ITERATIONS: u32 = 2;
pub const LANES: u32 = 1;

fn argon2() -> Argon2<'static> {
    let params = Params::new(MEMORY_KIB, ITERATIONS, LANES, None).expect("valid argon2 parameters");
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// A hash of a password nobody has, verified against when the account is unknown.
static DUMMY: LazyLock<String> =
    LazyLock::new(|| hash_now("not the password of anyone").expect("hashing works"));

fn hash_now(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Ok(argon2()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("argon2: {e}"))?
        .to_string())
}

fn verify_now(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|parsed| argon2().verify_password(password.as_bytes(), &parsed).is_ok())
}

#[derive(Debug, Default, Clone, Copy)]
pub struct Argon2Hasher;

impl Argon2Hasher {
    /// Computes the dummy hash now rather than on the first unknown login.
    pub fn warm_up(&self) {
        LazyLock::force(&DUMMY);
    }
}

#[async_trait]
impl PasswordHasher for Argon2Hasher {
    async fn hash(&self, password: &str) -> anyhow::Result<String> {
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_now(&password)).await?
    }

    async fn verify(&self, password: &str, phc: Option<&str>) -> anyhow::Result<bool> {
        let password = password.to_owned();
        let (phc, real) = match phc {
            Some(p) => (p.to_owned(), true),
            None => (DUMMY.clone(), false),
        };
        let matches = tokio::task::spawn_blocking(move || verify_now(&password, &phc)).await?;
        Ok(real && matches)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn hashes_verify_and_unknown_accounts_never_match() {
        let hasher = Argon2Hasher;
        let phc = hasher.hash("Ёлка-2026!").await.unwrap();
        assert!(phc.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{phc}");
        assert!(hasher.verify("Ёлка-2026!", Some(&phc)).await.unwrap());
        assert!(!hasher.verify("ёлка-2026!", Some(&phc)).await.unwrap());
        assert!(!hasher.verify("not the password of anyone", None).await.unwrap(), "the dummy never lets in");
        assert!(!hasher.verify("x", Some("garbage")).await.unwrap());
    }
}
