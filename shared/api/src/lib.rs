//! The HTTP glue shared by the Lambda binaries, the local server and the tests: the
//! application context ([`App`]), one route table ([`routes::ROUTES`]), the router that
//! matches API-Gateway-style path templates, and [`dispatch`], the one place where a handler's
//! error becomes a response (handlers never return `Err` to the Lambda runtime).

pub mod app;
pub mod error;
pub mod handlers;
pub mod hasher;
pub mod jobs;
pub mod metrics;
pub mod observe;
pub mod request;
pub mod route;
pub mod routes;
pub mod session;

pub use app::App;
pub use error::ApiError;
pub use route::{Route, dispatch, find};

/// The request and response types of every handler: `lambda_http`'s, on both hosts.
pub use lambda_http::{Body, Request, Response};
