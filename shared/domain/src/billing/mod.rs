//! Billing: periods, effective-dated tariffs, the checks on a typed meter reading, and the
//! monthly bill with its payment QR payload. Pure domain code: the only input it reads is the
//! embedded (or `SVET_TARIFFS`) tariff file.

mod bill;
mod payee;
mod period;
mod readings;
mod tariff_file;
mod tariffs;

pub use bill::{
    Basis, Bill, BillError, BillInput, ChargedSegment, DUE_DAY, MeterKind, Registers, ZoneLine, compute_bill,
    split_kwh,
};
pub use payee::{MAX_BANK_NAME, MAX_MANDATORY_BYTES, MAX_NAME, MAX_PURPOSE, Payee, PayeeError, qr_payload};
pub use period::{
    MAX_YEAR, MIN_YEAR, Period, PeriodError, date_dots, date_ru, month_genitive_ru, month_name_ru,
};
pub use readings::{
    CheckedReading, JUMP_FACTOR, ReadingError, ReadingSource, ReadingStatus, check_reading,
    period_for_submission, usual_monthly,
};
pub use tariff_file::{MAX_NORM, MAX_PRICE};
pub use tariffs::{
    EMBEDDED_TOML, MissingPrice, PriceEntry, PriceSegment, RateType, TariffError, Tariffs, Zone, ZoneHours,
};
