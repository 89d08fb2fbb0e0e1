//! Routes and the router. A route names the Lambda function that serves it (`function`, also
//! the binary's name and, in CamelCase + `Function`, its logical id in template.yaml), its
//! method and API-Gateway-style path template, and its handler.

use std::collections::HashMap;
use std::future::Future;
use std::pin::Pin;

use std::time::Instant;

use http::{HeaderValue, Method};
use lambda_http::{Body, Request, RequestExt, Response};
use tracing::Instrument;

use crate::observe::{self, RequestId, new_request_id};
use crate::{ApiError, App};

pub type HandlerFuture<'a> = Pin<Box<dyn Future<Output = Result<Response<Body>, ApiError>> + Send + 'a>>;
pub type Handler = for<'a> fn(&'a App, Request) -> HandlerFuture<'a>;

#[derive(Clone)]
pub struct Route {
    /// The Lambda binary that serves this route, e.g. `health`.
    pub function: &'static str,
    pub method: Method,
    /// e.g. `/api/bills/{period}`.
    pub path: &'static str,
    pub handler: Handler,
}

impl std::fmt::Debug for Route {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} -> {}", self.method, self.path, self.function)
    }
}

/// Declares a route whose handler is an `async fn(&App, Request) -> Result<Response, ApiError>`.
#[macro_export]
macro_rules! route {
    ($function:literal, $method:ident, $path:literal, $handler:path) => {
        $crate::Route {
            function: $function,
            method: ::http::Method::$method,
            path: $path,
            handler: |app, req| ::std::boxed::Box::pin($handler(app, req)),
        }
    };
}

/// Finds the route for a method and path, with the path's parameters. An unknown path is
/// [`ApiError::NotFound`]; a known path with another method is [`ApiError::MethodNotAllowed`].
pub fn find<'r>(
    routes: &'r [Route],
    method: &Method,
    path: &str,
) -> Result<(&'r Route, HashMap<String, String>), ApiError> {
    let mut allowed = Vec::new();
    for route in routes {
        if let Some(params) = match_template(route.path, path) {
            if route.method == *method {
                return Ok((route, params));
            }
            allowed.push(route.method.as_str());
        }
    }
    if allowed.is_empty() {
        Err(ApiError::NotFound)
    } else {
        allowed.sort_unstable();
        allowed.dedup();
        Err(ApiError::MethodNotAllowed { allowed: allowed.iter().map(|m| static_method(m)).collect() })
    }
}

fn static_method(m: &str) -> &'static str {
    match m {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "DELETE" => "DELETE",
        "PATCH" => "PATCH",
        _ => "OPTIONS",
    }
}

/// Matches `/api/bills/{period}` against `/api/bills/2026-01`. Parameters match one
/// non-empty segment.
fn match_template(template: &str, path: &str) -> Option<HashMap<String, String>> {
    let mut params = HashMap::new();
    let mut t = template.split('/');
    let mut p = path.split('/');
    loop {
        match (t.next(), p.next()) {
            (None, None) => return Some(params),
            (Some(ts), Some(ps)) => {
                if let Some(name) = ts.strip_prefix('{').and_then(|n| n.strip_suffix('}')) {
                    if ps.is_empty() {
                        return None;
                    }
                    params.insert(name.to_owned(), ps.to_owned());
                } else if ts != ps {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

/// Runs the route's handler; any error becomes its JSON response here, and only here. Each
/// request is logged once here, as a `request` line (method, route, status, latency), inside
/// a span that carries the request id to every line the handler logs; the response carries
/// the id back in `x-request-id`, for a customer's support call.
///
/// The request id is the local server's (a [`RequestId`] extension, its span already open),
/// else Lambda's request id from the invocation's context, else a new one (tests).
pub async fn dispatch(app: &App, route: &Route, request: Request) -> Response<Body> {
    let started = Instant::now();
    let method = request.method().clone();
    let (request_id, span) = match request.extensions().get::<RequestId>() {
        Some(RequestId(id)) => (id.clone(), tracing::Span::current()),
        None => {
            let id =
                request.lambda_context_ref().map(|c| c.request_id.clone()).unwrap_or_else(new_request_id);
            let span = observe::request_span(&id);
            (id, span)
        }
    };
    span.record("route", route.function);
    let handled = async {
        let mut response = match (route.handler)(app, request).await {
            Ok(response) => response,
            Err(error) => error.into_response(),
        };
        if let Ok(value) = HeaderValue::from_str(&request_id) {
            response.headers_mut().insert(observe::REQUEST_ID_HEADER, value);
        }
        // The route (the span's field) is the function's name, not the path: paths carry ids.
        tracing::info!(
            method = %method,
            status = response.status().as_u16(),
            latency_ms = started.elapsed().as_millis() as u64,
            "request"
        );
        response.extensions_mut().insert(Logged);
        response
    };
    handled.instrument(span).await
}

/// Marks a response whose request [`dispatch`] has logged, so that the local server does not
/// log it a second time.
#[derive(Debug, Clone, Copy)]
pub struct Logged;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn templates_match_whole_segments() {
        assert!(match_template("/api/health", "/api/health").is_some());
        assert!(match_template("/api/health", "/api/health/").is_none());
        assert!(match_template("/api/health", "/api/healthz").is_none());
        let params = match_template("/api/bills/{period}", "/api/bills/2026-01").unwrap();
        assert_eq!(params["period"], "2026-01");
        assert!(match_template("/api/bills/{period}", "/api/bills/").is_none());
    }
}
