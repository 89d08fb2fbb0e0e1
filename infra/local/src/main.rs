//! `svet`: Svet on one machine. `svet serve` (the default) runs the portal on
//! http://127.0.0.1:8080 with the embedded store; the other subcommands are the operators'
//! jobs and work while the server runs (SQLite in WAL mode lets both at the data folder).

mod bills;
mod context;
mod import;
mod outbox_page;
mod refund;
mod server;

use std::process::ExitCode;

const USAGE: &str = "\
Svet, the customer portal of an electricity retailer, on one machine.

Usage:
  svet [serve] [--port N] [--no-demo]   run the portal (default port 8080, or SVET_PORT)
  svet import-registry FILE [--dry-run] import the retailer's customer registry
  svet generate-bills [--period YYYY-MM] post a month's bills (default: last month)
  svet refund PAYMENT_ID AMOUNT         refund AMOUNT rubles (e.g. 100,50) of a paid payment
                                        to its card (the server must be running: its bank)
  svet help                             this text

Environment:
  SVET_DATA_DIR   data folder (default ./.svet): svet.db, documents/, outbox/
  SVET_PORT       port of the local server (default 8080)
  SVET_WEB_DIR    the static front end (default: the repository's web/)
  SVET_CONFIG     a retailer configuration file (default: the embedded config/retailer.toml)
  SVET_TARIFFS    a tariff file (default: the embedded config/tariffs.toml)
  SVET_AUTO_BILLS 0: do not post last month's bills on the 5th by the server's clock
  RUST_LOG        log level (default info)
  SVET_LOG_FORMAT json: logs as JSON lines (default: human-readable), on stderr
";

/// Logs on stderr: human-readable lines by default, or with `SVET_LOG_FORMAT=json` the flat
/// JSON lines of the Lambda functions (a log shipper's format). Counters (`svet_api::metrics`)
/// are log events here, not EMF documents.
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let json = std::env::var("SVET_LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("json"));
    use tracing_subscriber::util::SubscriberInitExt as _;
    let _ = if json {
        svet_api::observe::json_subscriber(filter, std::io::stderr).try_init()
    } else {
        tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_target(false)
            .finish()
            .try_init()
    };
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    init_logging();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("svet: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = match args.first().map(String::as_str) {
        None | Some("serve") | Some("--port") | Some("--no-demo") => {
            let rest = if args.first().is_some_and(|a| a == "serve") { &args[1..] } else { &args[..] };
            runtime.block_on(server::run(rest))
        }
        Some("import-registry") => runtime.block_on(import::run(&args[1..])),
        Some("generate-bills") => runtime.block_on(bills::run(&args[1..])),
        Some("refund") => runtime.block_on(refund::run(&args[1..])),
        Some("help" | "--help" | "-h") => {
            print!("{USAGE}");
            Ok(ExitCode::SUCCESS)
        }
        Some(other) => {
            eprintln!("svet: unknown command {other:?}\n\n{USAGE}");
            Ok(ExitCode::from(2))
        }
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("svet: {e:#}");
            ExitCode::FAILURE
        }
    }
}
