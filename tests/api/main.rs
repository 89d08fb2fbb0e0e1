//! Svet's integration tests, one binary: the contract suites that hold the embedded and the
//! AWS adapters to the same behaviour (AWS through the real SDK against moto's server, which
//! the test command starts and names in `AWS_ENDPOINT_URL`), the registry import on both, the
//! handlers, and the route table against template.yaml.

mod bill_fanout;
mod bills;
mod documents_contract;
mod faults;
mod handlers;
mod helpers;
mod identity;
mod logs;
mod mail_contract;
mod openapi;
mod payments;
mod payments_http;
mod portal;
mod readings;
mod refunds;
mod registry_import;
mod security;
mod store_contract;
mod template;
