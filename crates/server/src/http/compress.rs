//! Which answers are compressed: actix-web's `Compress` compresses every body a client accepts compressed, but a
//! small JSON answer (a reverse lookup is ~800 bytes) fits one TCP segment either way, and deflating it cost more CPU
//! than the whole lookup (a third of a `/v1/reverse` request's CPU in the profile, BENCHMARKS.md "Hot path"). So a
//! body below [`COMPRESS_MIN_BYTES`] goes out as it is, with its `Content-Length`.
//!
//! `Compress` leaves alone a response that already has a `Content-Encoding`: [`mark_small`] (inside it) gives small
//! bodies `Content-Encoding: identity`, and [`unmark`] (outside it) takes that header off again before it is sent.

use actix_web::body::{BodySize, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{CONTENT_ENCODING, HeaderValue};
use actix_web::middleware::Next;

/// Bodies smaller than this are not compressed: about one TCP segment's payload (MSS 1,460 on Ethernet).
pub const COMPRESS_MIN_BYTES: u64 = 1_400;

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
