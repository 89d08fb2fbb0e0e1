//! The retailer's configuration: company, contacts, time zone, tariffs. White-label values live
//! in `config/retailer.toml`, which every binary embeds; `SVET_CONFIG` names another file.

use serde::Deserialize;

/// The configuration shipped with Svet (the reference company's values).
pub const DEFAULT_TOML: &str = include_str!("../../../config/retailer.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub company: Company,
    pub mail: MailConfig,
    /// The payee's requisites for bills and their QR code.
    pub payee: crate::billing::Payee,
    pub tariffs: Vec<Tariff>,
    pub identity: IdentityConfig,
    /// Card payments; every value has a default, so the section may be left out.
    #[serde(default)]
    pub payments: PaymentsConfig,
    /// `company.time_zone` found in the time zone database compiled into the binary, once, when
    /// the configuration is checked.
    #[serde(skip, default = "utc")]
    zone: jiff::tz::TimeZone,
}

fn utc() -> jiff::tz::TimeZone {
    jiff::tz::TimeZone::UTC
}

/// Card payments through the bank's gateway.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PaymentsConfig {
    /// The bank's limit on one card payment, in whole rubles (B8); larger sums are paid in parts.
    pub max_payment_rubles: i64,
    /// The lifetime of an order at the bank (`sessionTimeoutSecs`): after it the page no longer
    /// takes a card and the order expires.
    pub order_lifetime_seconds: i64,
    /// How long after an order's lifetime reconciliation asks the bank about a payment whose
    /// outcome it still does not know.
    pub reconcile_margin_seconds: i64,
}

impl Default for PaymentsConfig {
    fn default() -> Self {
        PaymentsConfig {
            max_payment_rubles: 100_000,
            order_lifetime_seconds: 1200,
            reconcile_margin_seconds: 300,
        }
    }
}

impl PaymentsConfig {
    /// The per-payment limit in kopecks.
    pub fn max_payment(&self) -> crate::Kopecks {
        crate::Kopecks::new(self.max_payment_rubles.saturating_mul(100))
    }
}

/// Lifetimes of mailed links and sessions, and the consent text's version.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdentityConfig {
    pub activation_hours: i64,
    pub reset_minutes: i64,
    pub email_change_hours: i64,
    pub session_idle_minutes: i64,
    pub session_absolute_hours: i64,
    pub consent_version: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Company {
    pub name: String,
    pub short_name: String,
    /// The postal address printed in the bill's header.
    #[serde(default)]
    pub address: String,
    pub support_phone: String,
    pub support_email: String,
    pub website: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailConfig {
    pub from: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tariff {
    pub code: String,
    pub name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the configuration is not valid TOML or has unknown keys: {0}")]
    Parse(#[from] toml::de::Error),
    #[error("the configuration is invalid: {0}")]
    Invalid(String),
}

impl Config {
    /// Parses and checks a configuration text.
    pub fn parse(text: &str) -> Result<Self, ConfigError> {
        let mut config: Config = toml::from_str(text)?;
        config.check()?;
        // The compiled-in database, not the system's: the same rules on every machine, and no
        // walk of `/usr/share/zoneinfo` (about a hundred directories, half a millisecond of
        // every cold start: docs/performance.md, «Cold start»).
        config.zone = jiff::tz::TimeZoneDatabase::bundled().get(&config.company.time_zone).map_err(|e| {
            ConfigError::Invalid(format!("unknown time zone {:?}: {e}", config.company.time_zone))
        })?;
        Ok(config)
    }

    /// The file named by `SVET_CONFIG`, or the embedded default.
    pub fn from_env() -> Result<Self, ConfigError> {
        match std::env::var("SVET_CONFIG") {
            Ok(path) if !path.is_empty() => {
                let text =
                    std::fs::read_to_string(&path).map_err(|source| ConfigError::Read { path, source })?;
                Config::parse(&text)
            }
            _ => Config::parse(DEFAULT_TOML),
        }
    }

    pub fn tariff(&self, code: &str) -> Option<&Tariff> {
        self.tariffs.iter().find(|t| t.code == code)
    }

    /// The company's time zone, found when the configuration was parsed.
    pub fn time_zone(&self) -> jiff::tz::TimeZone {
        self.zone.clone()
    }

    fn check(&self) -> Result<(), ConfigError> {
        if self.tariffs.is_empty() {
            return Err(ConfigError::Invalid("no tariffs are configured".into()));
        }
        for (i, t) in self.tariffs.iter().enumerate() {
            let valid = !t.code.is_empty()
                && t.code.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
            if !valid {
                return Err(ConfigError::Invalid(format!(
                    "tariff code {:?} must be lowercase letters, digits and underscores",
                    t.code
                )));
            }
            if self.tariffs[..i].iter().any(|o| o.code == t.code) {
                return Err(ConfigError::Invalid(format!("tariff code {:?} is listed twice", t.code)));
            }
        }
        self.payee.check().map_err(|e| ConfigError::Invalid(e.to_string()))?;
        let i = &self.identity;
        let lifetimes = [
            i.activation_hours,
            i.reset_minutes,
            i.email_change_hours,
            i.session_idle_minutes,
            i.session_absolute_hours,
        ];
        if lifetimes.iter().any(|v| *v <= 0) {
            return Err(ConfigError::Invalid("identity lifetimes must be positive".into()));
        }
        if i.session_idle_minutes > i.session_absolute_hours * 60 {
            return Err(ConfigError::Invalid(
                "the idle timeout is longer than the absolute session limit".into(),
            ));
        }
        let p = &self.payments;
        if p.max_payment_rubles <= 0 || p.max_payment_rubles > 1_000_000_000 {
            return Err(ConfigError::Invalid(
                "payments.max_payment_rubles must be 1 to 1 000 000 000".into(),
            ));
        }
        if p.order_lifetime_seconds < 60 || p.reconcile_margin_seconds < 0 {
            return Err(ConfigError::Invalid(
                "payments.order_lifetime_seconds must be at least 60 and the margin not negative".into(),
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_configuration_is_valid() {
        let config = Config::parse(DEFAULT_TOML).unwrap();
        assert!(config.tariff("urban").is_some());
        assert!(config.tariff("rural").is_some());
        assert!(config.tariff("dacha").is_none());
    }

    #[test]
    fn the_time_zone_is_the_configured_one() {
        let noon = jiff::Timestamp::from_second(1_795_000_000).unwrap();
        let offset = |toml: &str| Config::parse(toml).unwrap().time_zone().to_offset(noon).seconds();
        assert_eq!(offset(DEFAULT_TOML), 3 * 3600, "Europe/Moscow");
        assert_eq!(offset(&DEFAULT_TOML.replace("Europe/Moscow", "Asia/Vladivostok")), 10 * 3600);
        assert_eq!(offset(&DEFAULT_TOML.replace("Europe/Moscow", "europe/kaliningrad")), 2 * 3600);
    }

    #[test]
    fn duplicate_tariffs_and_unknown_zones_are_refused() {
        let twice = DEFAULT_TOML.replace("code = \"rural\"", "code = \"urban\"");
        assert!(matches!(Config::parse(&twice), Err(ConfigError::Invalid(m)) if m.contains("twice")));
        let zone = DEFAULT_TOML.replace("Europe/Moscow", "Europe/Atlantis");
        assert!(matches!(Config::parse(&zone), Err(ConfigError::Invalid(m)) if m.contains("time zone")));
        let unknown = format!("{DEFAULT_TOML}\nsurprise = 1\n");
        assert!(matches!(Config::parse(&unknown), Err(ConfigError::Parse(_))));
    }

    #[test]
    fn the_payment_limit_has_a_default_and_is_checked() {
        let shipped = Config::parse(DEFAULT_TOML).unwrap();
        assert_eq!(shipped.payments.max_payment(), crate::Kopecks::new(10_000_000));
        let start = DEFAULT_TOML.find("[payments]").unwrap();
        let without = &DEFAULT_TOML[..start];
        let defaults = Config::parse(without).unwrap();
        assert_eq!(defaults.payments.max_payment_rubles, 100_000);
        assert_eq!(defaults.payments.order_lifetime_seconds, 1200);
        let zero = DEFAULT_TOML.replace("max_payment_rubles = 100000", "max_payment_rubles = 0");
        assert!(matches!(Config::parse(&zero), Err(ConfigError::Invalid(m)) if m.contains("max_payment")));
    }
}
