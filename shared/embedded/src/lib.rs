//! The embedded adapters: Svet on one machine, with no cloud service. Storage is SQLite in WAL
//! mode (operator commands run beside the server, and operators can look inside with the
//! `sqlite3` shell); documents are files in a folder, handed out as signed links to the local
//! server; mail is an outbox folder of `.eml` files.

mod documents;
mod outbox;
mod sqlite;

pub use documents::FolderDocuments;
pub use outbox::OutboxMailer;
pub use sqlite::SqliteStore;
