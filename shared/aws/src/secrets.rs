//! Secrets read once at a Lambda's cold start from SSM SecureString parameters (the template
//! passes their names, never their values): the session signing key, the bank's password and
//! its callback key. A function reads all of its parameters with one `GetParameters` call
//! (decrypted), one round trip instead of one per parameter.

use anyhow::Context;

/// SSM answers at most this many names per `GetParameters` call.
const MAX_NAMES: usize = 10;

/// The decrypted values of the parameters `names`, as bytes, in the order asked, read with one
/// `GetParameters` call. A name SSM does not know fails the whole read and is named in the
/// error; a name asked twice is read once.
pub async fn ssm_secrets(config: &aws_config::SdkConfig, names: &[&str]) -> anyhow::Result<Vec<Vec<u8>>> {
    let mut unique: Vec<&str> = Vec::with_capacity(names.len());
    for name in names {
        if !unique.contains(name) {
            unique.push(name);
        }
    }
    anyhow::ensure!(!unique.is_empty(), "no SSM parameter to read");
    anyhow::ensure!(unique.len() <= MAX_NAMES, "SSM reads at most {MAX_NAMES} parameters at once");
    let client = aws_sdk_ssm::Client::new(config);
    let out = client
        .get_parameters()
        .set_names(Some(unique.iter().map(|name| (*name).to_owned()).collect()))
        .with_decryption(true)
        .send()
        .await
        .with_context(|| format!("reading the SSM parameters {}", unique.join(", ")))?;
    let invalid = out.invalid_parameters.unwrap_or_default();
    anyhow::ensure!(invalid.is_empty(), "no SSM parameter named {}", invalid.join(", "));
    let found = out.parameters.unwrap_or_default();
    names
        .iter()
        .map(|name| {
            let parameter = found
                .iter()
                .find(|p| p.name.as_deref() == Some(*name))
                .ok_or_else(|| anyhow::anyhow!("SSM did not answer for the parameter {name}"))?;
            let value = parameter
                .value
                .clone()
                .ok_or_else(|| anyhow::anyhow!("the parameter {name} has no value"))?;
            Ok(value.into_bytes())
        })
        .collect()
}

/// One parameter's decrypted value as bytes (see [`ssm_secrets`]). A session key must hold at
/// least 32 characters (`openssl rand -base64 48` makes a good one).
pub async fn ssm_secret(config: &aws_config::SdkConfig, name: &str) -> anyhow::Result<Vec<u8>> {
    let mut values = ssm_secrets(config, &[name]).await?;
    Ok(values.remove(0))
}
