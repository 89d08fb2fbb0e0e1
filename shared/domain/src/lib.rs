//! Svet's domain: the values customers and operators deal with, the ports (traits) through
//! which the domain reaches storage, documents, mail, the clock and id generation, and the use
//! cases built on them.
//!
//! Nothing here knows about AWS, HTTP or an async runtime: adapters live in `svet-embedded`
//! (one machine) and `svet-aws` (Lambda), and both pass the same contract suite in `tests/`.
//! Values are parsed once at the edge into types that cannot hold bad data
//! ([`AccountNumber`], [`Kopecks`], [`Meter`]).

pub mod account;
pub mod billing;
pub mod bills;
pub mod clock;
pub mod config;
pub mod documents;
pub mod identity;
pub mod mail;
pub mod meter;
pub mod money;
pub mod payments;
pub mod readings;
pub mod registry;
pub mod store;

pub use account::AccountNumber;
pub use clock::{Clock, FixedClock, IdGen, RandomIds, SequentialIds, SystemClock};
pub use config::Config;
pub use documents::Documents;
pub use mail::{Attachment, Mail, Mailer};
pub use meter::Meter;
pub use money::Kopecks;
pub use store::{Condition, Item, Key, Page, Query, SkRange, Store, StoreError, Write};
