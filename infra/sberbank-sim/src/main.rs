//! `sberbank-sim`: the gateway simulator on its own, on 127.0.0.1 (docs/sberbank-simulator.md).

use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use svet_sberbank_sim::{Config, Simulator, server};

const HELP: &str = "\
sberbank-sim: a simulator of Sberbank's acquiring gateway on 127.0.0.1

  --port N                 listen on this port (default 8091; 0 picks a free one)
  --login NAME             the merchant's API login (default svet-api)
  --password TEXT          its password (default svet)
  --token TEXT             also accept this API token instead of login and password
  --callback-url URL       send callbacks here (default: none are sent)
  --callback-key KEY       the HMAC-SHA256 callback key (default: the documented test key)
  --no-checksum            send callbacks without a checksum
  --callback-amount        add amount to every callback
  --public-url URL         the URL the payment page is reached at (default: from Host)
  --session-timeout SECS   the default order lifetime (default 1200)
  --drop-percent N         never send N % of callbacks
  --delay-ms N             wait N ms before sending each callback
  --duplicates N           send N extra copies of each callback
  --reorder                send callbacks in swapped pairs
  --retry-ms N             the first retry's wait in ms (default 1000; doubles each time)
";

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    match run(std::env::args().skip(1).collect()).await {
        Ok(code) => code,
        Err(e) => {
            eprintln!("sberbank-sim: {e:#}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: Vec<String>) -> anyhow::Result<ExitCode> {
    let mut port: u16 = 8091;
    let mut config = Config::default();
    let mut args = args.into_iter();
    while let Some(flag) = args.next() {
        let mut value = || args.next().with_context(|| format!("{flag} needs a value"));
        let merchant = &mut config.merchants[0];
        match flag.as_str() {
            "--help" | "-h" => {
                print!("{HELP}");
                return Ok(ExitCode::SUCCESS);
            }
            "--port" => port = number(&flag, &value()?)?,
            "--login" => merchant.login = value()?,
            "--password" => merchant.password = value()?,
            "--token" => merchant.token = Some(value()?),
            "--callback-url" => merchant.callback_url = Some(value()?),
            "--callback-key" => merchant.callback_key = Some(value()?),
            "--no-checksum" => merchant.callback_key = None,
            "--callback-amount" => merchant.callback_amount = true,
            "--public-url" => config.public_url = Some(value()?),
            "--session-timeout" => {
                config.default_session_timeout = Duration::from_secs(number(&flag, &value()?)?)
            }
            "--drop-percent" => {
                config.callbacks.faults.drop_percent = number::<u8>(&flag, &value()?)?.min(100)
            }
            "--delay-ms" => config.callbacks.faults.delay = Duration::from_millis(number(&flag, &value()?)?),
            "--duplicates" => config.callbacks.faults.duplicates = number(&flag, &value()?)?,
            "--reorder" => config.callbacks.faults.reorder = true,
            "--retry-ms" => config.callbacks.first_backoff = Duration::from_millis(number(&flag, &value()?)?),
            other => anyhow::bail!("unknown option {other:?} (see --help)"),
        }
    }
    let listener = tokio::net::TcpListener::bind(SocketAddr::from(([127, 0, 0, 1], port)))
        .await
        .with_context(|| format!("cannot listen on 127.0.0.1:{port} (in use? try --port)"))?;
    let port = listener.local_addr()?.port();
    println!("sberbank-sim listening on http://127.0.0.1:{port}/payment/rest/");
    let sim = Arc::new(Simulator::new(config));
    tokio::select! {
        served = server::serve(listener, sim) => served?,
        _ = tokio::signal::ctrl_c() => {}
    }
    Ok(ExitCode::SUCCESS)
}

fn number<T: std::str::FromStr>(flag: &str, text: &str) -> anyhow::Result<T> {
    text.parse().map_err(|_| anyhow::anyhow!("{flag} {text:?} is not a number"))
}
