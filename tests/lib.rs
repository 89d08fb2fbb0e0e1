//! Svet's integration tests live in api/.
