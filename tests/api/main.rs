//! Svet's integration tests, one binary: the contract suites that hold the embedded and the
//! AWS adapters to the same behaviour (AWS through the real SDK against moto's server, which
//! the test command starts and names in `AWS_ENDPOINT_URL`), the registry import on both, the
//! handlers, and the route table against template.yaml.

mod documents_contract;
mod handlers;
mod helpers;
mod mail_contract;
mod registry_import;
mod store_contract;
mod template;
