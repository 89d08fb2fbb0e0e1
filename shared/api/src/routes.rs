//! The one route table. The Lambda binaries pick their route from it, the local server mounts
//! all of it, and a test holds it against template.yaml.

use crate::handlers::{auth, bills, company, health, password, payments, readings, settings};
use crate::{Route, route};

pub const HEALTH: Route = route!("health", GET, "/api/health", health::get);
pub const COMPANY: Route = route!("company", GET, "/api/company", company::get);

pub const REGISTER: Route = route!("register", POST, "/api/register", auth::register);
pub const ACTIVATE: Route = route!("activate", POST, "/api/activate", auth::activate);
pub const ACTIVATION_RESEND: Route =
    route!("activation-resend", POST, "/api/activation/resend", auth::resend_activation);
pub const LOGIN: Route = route!("login", POST, "/api/login", auth::login);
pub const LOGOUT: Route = route!("logout", POST, "/api/logout", auth::logout);
pub const ME: Route = route!("me", GET, "/api/me", auth::me);
pub const PASSWORD_FORGOT: Route = route!("password-forgot", POST, "/api/password/forgot", password::forgot);
pub const PASSWORD_RESET: Route = route!("password-reset", POST, "/api/password/reset", password::reset);
pub const SETTINGS_GET: Route = route!("settings-get", GET, "/api/settings", settings::get);
pub const SETTINGS_PUT: Route = route!("settings-put", PUT, "/api/settings", settings::put);
pub const SETTINGS_PASSWORD: Route =
    route!("settings-password", POST, "/api/settings/password", settings::password);
pub const SETTINGS_EMAIL: Route = route!("settings-email", POST, "/api/settings/email", settings::email);
pub const SETTINGS_EMAIL_CONFIRM: Route =
    route!("settings-email-confirm", POST, "/api/settings/email/confirm", settings::confirm_email);

pub const READINGS_LIST: Route = route!("readings-list", GET, "/api/readings", readings::list);
pub const READINGS_SUBMIT: Route = route!("readings-submit", POST, "/api/readings", readings::submit);

pub const BILL_CURRENT: Route = route!("bill-current", GET, "/api/bill", bills::current);
pub const BILLS_HISTORY: Route = route!("bills-history", GET, "/api/bills", bills::history);

pub const PAYMENTS_START: Route = route!("payments-start", POST, "/api/payments", payments::start);
pub const PAYMENTS_RETURN: Route =
    route!("payments-return", GET, "/api/payments/return", payments::return_from_bank);
pub const PAYMENTS_LIST: Route = route!("payments-list", GET, "/api/payments", payments::history);
pub const PAYMENTS_RECEIPT: Route =
    route!("payments-receipt", GET, "/api/payments/receipt", payments::receipt);
pub const PAYMENTS_RECEIPT_PDF: Route =
    route!("payments-receipt-pdf", GET, "/api/payments/receipt.pdf", payments::receipt_pdf);
pub const SBERBANK_CALLBACK: Route =
    route!("sberbank-callback", GET, "/api/sberbank/callback", payments::callback);

pub const ROUTES: &[Route] = &[
    HEALTH,
    COMPANY,
    REGISTER,
    ACTIVATE,
    ACTIVATION_RESEND,
    LOGIN,
    LOGOUT,
    ME,
    PASSWORD_FORGOT,
    PASSWORD_RESET,
    SETTINGS_GET,
    SETTINGS_PUT,
    SETTINGS_PASSWORD,
    SETTINGS_EMAIL,
    SETTINGS_EMAIL_CONFIRM,
    READINGS_LIST,
    READINGS_SUBMIT,
    BILL_CURRENT,
    BILLS_HISTORY,
    PAYMENTS_START,
    PAYMENTS_RETURN,
    PAYMENTS_LIST,
    PAYMENTS_RECEIPT,
    PAYMENTS_RECEIPT_PDF,
    SBERBANK_CALLBACK,
];
