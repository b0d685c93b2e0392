//! Which answers are compressed: actix-web's `Compress` compresses every body a client accepts compressed, but
//! - an answer under ~8 KiB arrives in one round trip either way (the initial congestion window is 10 segments,
//!   ~14 KB): compression saves bytes, not time;
//! - deflating it cost more CPU than the lookup: a third of a `/v1/reverse` request (835 bytes) in the profile
//!   (BENCHMARKS.md, "Hot path");
//! - actix deflates a body over 1 KiB on its blocking thread pool: a 2 KB nearest-5 answer went from 9.1k req/s and a
//!   7 ms p99 plain to 1.9k req/s and a 49 ms p99 compressed, on one core.
//!
//! So a body below [`COMPRESS_MIN_BYTES`] goes out as it is, with its `Content-Length`. Larger ones (lists, the
//! OpenAPI document, plans as GeoJSON) are still compressed for a client that accepts it.
//!
//! `Compress` leaves alone a response that already has a `Content-Encoding`: [`mark_small`] (inside it) gives small
//! bodies `Content-Encoding: identity`, and [`unmark`] (outside it) takes that header off again before it is sent.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_ENCODING, HeaderValue};
use actix_web::middleware::Next;

/// Bodies smaller than this are not compressed (see the module's documentation).
pub const COMPRESS_MIN_BYTES: u64 = 8_192;

/// Marks a small body of known size as not to be compressed (the middleware just inside `Compress`).
pub async fn mark_small(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if let BodySize::Sized(n) = res.response().body().size()
        && n < COMPRESS_MIN_BYTES
        && !res.headers().contains_key(CONTENT_ENCODING)
    {
        res.headers_mut().insert(CONTENT_ENCODING, HeaderValue::from_static("identity"));
    }
    Ok(res)
}

/// Takes off the mark of [`mark_small`] (the middleware just outside `Compress`).
pub async fn unmark(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut res = next.call(req).await?;
    if res.headers().get(CONTENT_ENCODING).is_some_and(|v| v == "identity") {
        res.headers_mut().remove(CONTENT_ENCODING);
    }
    Ok(res)
}
