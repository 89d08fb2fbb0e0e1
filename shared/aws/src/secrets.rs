//! Secrets read once at a Lambda's cold start: the session signing key from an SSM
//! SecureString parameter (the template passes its name, never its value).

/// The parameter's decrypted value as bytes; it must hold at least 32 characters
/// (`openssl rand -base64 48` makes a good one).
pub async fn ssm_secret(config: &aws_config::SdkConfig, name: &str) -> anyhow::Result<Vec<u8>> {
    let client = aws_sdk_ssm::Client::new(config);
    let out = client.get_parameter().name(name).with_decryption(true).send().await?;
    let value = out
        .parameter
        .and_then(|p| p.value)
        .ok_or_else(|| anyhow::anyhow!("the parameter {name} has no value"))?;
    Ok(value.into_bytes())
}
