//! The standalone server: the simulator alone on a TCP listener, its paths at the root.

use std::convert::Infallible;
use std::sync::Arc;

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::Simulator;

/// The largest request body read; the bank's requests are small forms.
const MAX_BODY: usize = 1 << 20;

/// Serves the simulator on `listener` until the task is dropped, and expires orders on the
/// clock meanwhile.
pub async fn serve(listener: TcpListener, sim: Arc<Simulator>) -> std::io::Result<()> {
    let _expiry = sim.spawn_expiry();
    loop {
        let (stream, _) = listener.accept().await?;
        let sim = sim.clone();
        tokio::spawn(async move {
            let service = service_fn(move |request| {
                let sim = sim.clone();
                async move { Ok::<_, Infallible>(reply(&sim, request).await) }
            });
            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), service).await;
        });
    }
}

async fn reply(sim: &Simulator, request: hyper::Request<Incoming>) -> hyper::Response<Full<Bytes>> {
    let (parts, body) = request.into_parts();
    let response = match Limited::new(body, MAX_BODY).collect().await {
        Ok(collected) => sim.handle("", http::Request::from_parts(parts, collected.to_bytes())).await,
        Err(_) => {
            let mut too_large = http::Response::new(Bytes::new());
            *too_large.status_mut() = http::StatusCode::PAYLOAD_TOO_LARGE;
            too_large
        }
    };
    response.map(Full::new)
}
