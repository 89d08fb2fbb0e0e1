//! What each step of a function's init costs, first time in a fresh process (the cold-start
//! bench, docs/performance.md, «Cold start»): run it several times with a function's
//! environment and `AWS_ENDPOINT_URL` at moto, and take medians. It prints one JSON object of
//! microseconds per step, in the order `svet_functions::aws_app` takes them.
//!
//! `cargo build --release -p svet-functions --example init_steps`

use std::time::Instant;

use svet_domain::Config;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let mut steps: Vec<(&str, u128)> = Vec::new();
    let mut clock = Instant::now();
    let mut step = |name: &'static str| {
        steps.push((name, clock.elapsed().as_micros()));
        clock = Instant::now();
    };
    step("start");
    svet_functions::init_logging("init-steps");
    step("logging");
    let config = Config::from_env()?;
    step("config");
    let tariffs = svet_domain::billing::Tariffs::from_env()?;
    step("tariffs");
    tariffs.check_codes(&config)?;
    step("tariff_codes");
    let _zone = config.time_zone();
    step("time_zone_again");
    let sdk = svet_aws::sdk_config().await;
    step("sdk_config");
    let ddb = svet_aws::dynamodb_client::Client::new(&sdk);
    step("dynamodb_client");
    let s3 = svet_aws::S3Documents::client(&sdk);
    step("s3_client");
    let ses = svet_aws::sesv2_client::Client::new(&sdk);
    step("ses_client");
    let ssm = svet_aws::ssm_client::Client::new(&sdk);
    step("ssm_client");
    if let Ok(name) = std::env::var("SESSION_KEY_PARAMETER") {
        let _ = ssm.get_parameters().names(&name).with_decryption(true).send().await?;
        step("first_ssm_call");
        let _ = ssm.get_parameters().names(&name).with_decryption(true).send().await?;
        step("second_ssm_call");
    }
    let key = svet_api::session::SessionKey::hmac(&[7u8; 48])?;
    step("session_key");
    let bank = svet_sberbank::Client::new(svet_sberbank::GatewayConfig::new(
        svet_sberbank::Url::parse("https://3dsec.sberbank.ru/payment/rest/")?,
        svet_sberbank::Credentials::Password {
            user_name: "steps".into(),
            password: svet_sberbank::Secret::new("steps".to_owned()),
        },
    ))?;
    step("bank_client");
    drop((ddb, s3, ses, key, bank));
    let fields: Vec<String> = steps.iter().map(|(name, us)| format!("\"{name}\":{us}")).collect();
    println!("{{{}}}", fields.join(","));
    Ok(())
}
