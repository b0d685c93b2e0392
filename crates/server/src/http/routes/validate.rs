//! Address validation: free text in, the address on today's map and a verdict out; one at a time or up to 10,000
//! as NDJSON, streamed back line by line.

use actix_web::{HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use crate::http::auth::{Forbidden, NoKey, RateLimited, Scoped, scope};
use crate::http::error::{BadRequest, NotReady, UnsupportedBody};
use crate::http::{ApiError, AppState};
use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;
use diachi_resolve::{Resolution, Resolver};

/// Lines of one batch at most.
pub const MAX_BATCH: usize = 10_000;
/// Bytes of one batch line at most.
const MAX_LINE: usize = 16 * 1024;
/// Lines resolved per blocking task.
const CHUNK: usize = 256;

/// An address to validate.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ValidateRequest {
    /// The address as written: any order, with or without diacritics, abbreviations, the old or new units.
    #[schema(example = "so 12 ngo 45 pho hue, p. hang bai, q. hoan kiem, ha noi")]
    pub address: String,
    /// Where the person is (a phone's position), to decide between candidates; give both or neither.
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: Option<f64>,
}

impl ValidateRequest {
    fn hint(&self) -> Result<Option<LonLat>, ApiError> {
        match (self.lat, self.lon) {
            (None, None) => Ok(None),
            (Some(lat), Some(lon)) => {
                LonLat::new(lon, lat).map(Some).map_err(|e| ApiError::bad_request("invalid_coordinates", e.to_string()))
            }
            _ => Err(ApiError::bad_request("invalid_coordinates", "give both lat and lon, or neither")),
        }
    }
}

/// Validates one address.
#[utoipa::path(post, path = "/v1/addresses/validate", tag = "validation", request_body = ValidateRequest,
    security(("api_key" = ["address:validate"])),
    responses(
        (status = 200, description = "The resolution: the address on today's map, candidates and a verdict. Input \
            that names nothing gets a verdict saying so (`validation_granularity: other`), not an error.",
            body = Resolution),
        BadRequest, NoKey, Forbidden, RateLimited, UnsupportedBody, NotReady))]
pub async fn validate(
    _key: Scoped<scope::AddressValidate>,
    state: web::Data<AppState>,
    body: web::Json<ValidateRequest>,
) -> Result<web::Json<Resolution>, ApiError> {
    let hint = body.hint()?;
    let (ix, resolver) = resolver(&state).await?;
    let req = body.into_inner();
    let res = web::block(move || resolver.resolve(&ix, &req.address, hint))
        .await
        .map_err(|_| ApiError::new(actix_web::http::StatusCode::SERVICE_UNAVAILABLE, "overloaded", "try again"))?;
    Ok(web::Json(res))
}

/// The index and the resolver, or 503 `not_ready`.
pub(super) async fn resolver(state: &web::Data<AppState>) -> Result<(Arc<NationalIndex>, Arc<Resolver>), ApiError> {
    let services = state.services()?;
    Ok((services.index.clone(), services.resolver.clone()))
}

/// One line of a batch answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct BatchLine {
    /// 1-based line number in the request.
    pub line: usize,
    /// The `id` the line carried, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub result: Option<Resolution>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<crate::http::error::ErrorDetail>,
}

#[derive(Deserialize)]
struct BatchRequestLine {
    #[serde(default)]
    id: Option<serde_json::Value>,
    address: String,
    lat: Option<f64>,
    lon: Option<f64>,
}

fn error_line(line: usize, id: Option<serde_json::Value>, e: &ApiError) -> BatchLine {
    BatchLine { line, id, result: None, error: Some(e.detail()) }
}

fn resolve_lines(ix: &NationalIndex, r: &Resolver, lines: Vec<(usize, Bytes)>) -> Bytes {
    let mut out = Vec::with_capacity(lines.len() * 600);
    for (n, raw) in lines {
        let parsed = if raw.len() > MAX_LINE {
            Err(ApiError::bad_request("line_too_long", format!("a line is at most {MAX_LINE} bytes")))
        } else {
            serde_json::from_slice::<BatchRequestLine>(&raw)
                .map_err(|e| ApiError::bad_request("invalid_line", e.to_string()))
        };
        let line = match parsed {
            Ok(l) => {
                let req = ValidateRequest { address: l.address, lat: l.lat, lon: l.lon };
                match req.hint() {
                    Ok(hint) => {
                        BatchLine { line: n, id: l.id, result: Some(r.resolve(ix, &req.address, hint)), error: None }
                    }
                    Err(e) => error_line(n, l.id, &e),
                }
            }
            Err(e) => error_line(n, None, &e),
        };
        if serde_json::to_writer(&mut out, &line).is_ok() {
            out.push(b'\n');
        }
    }
    Bytes::from(out)
}

struct Batch {
    payload: web::Payload,
    buf: BytesMut,
    line: usize,
    eof: bool,
    done: bool,
    ix: Arc<NationalIndex>,
    resolver: Arc<Resolver>,
}

impl Batch {
    /// The next chunk of answer lines, or none at the end.
    async fn next(&mut self) -> Option<Bytes> {
        if self.done {
            return None;
        }
        let mut lines: Vec<(usize, Bytes)> = Vec::new();
        let mut trailer: Option<BatchLine> = None;
        while lines.len() < CHUNK && trailer.is_none() {
            if let Some(i) = self.buf.iter().position(|&b| b == b'\n') {
                let raw = self.buf.split_to(i + 1).freeze();
                let raw = raw.slice(..raw.len() - 1);
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                if self.line == MAX_BATCH {
                    trailer = Some(error_line(
                        self.line + 1,
                        None,
                        &ApiError::new(
                            actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
                            "batch_too_large",
                            format!("a batch is at most {MAX_BATCH} lines; the rest was not read"),
                        ),
                    ));
                    break;
                }
                self.line += 1;
                lines.push((self.line, raw));
                continue;
            }
            if self.buf.len() > MAX_LINE + 1 {
                // a line too long to hold: answer it as an error and skip to its end
                self.line += 1;
                lines.push((self.line, self.buf.split().freeze()));
                while let Some(chunk) = self.payload.next().await {
                    let Ok(chunk) = chunk else { break };
                    if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                        self.buf.extend_from_slice(&chunk[i + 1..]);
                        break;
                    }
                }
                continue;
            }
            if self.eof {
                if !self.buf.iter().all(u8::is_ascii_whitespace) {
                    self.line += 1;
                    lines.push((self.line, self.buf.split().freeze()));
                }
                self.buf.clear();
                break;
            }
            match self.payload.next().await {
                Some(Ok(chunk)) => self.buf.extend_from_slice(&chunk),
                Some(Err(_)) => {
                    trailer = Some(error_line(
                        self.line + 1,
                        None,
                        &ApiError::bad_request("invalid_body", "the request body could not be read to its end"),
                    ));
                }
                None => self.eof = true,
            }
        }
        if lines.is_empty() && trailer.is_none() {
            self.done = true;
            return None;
        }
        let (ix, r) = (self.ix.clone(), self.resolver.clone());
        let mut out = if lines.is_empty() {
            Bytes::new()
        } else {
            web::block(move || resolve_lines(&ix, &r, lines)).await.unwrap_or_default()
        };
        if let Some(t) = trailer {
            self.done = true;
            let mut v = out.to_vec();
            if serde_json::to_writer(&mut v, &t).is_ok() {
                v.push(b'\n');
            }
            out = Bytes::from(v);
        }
        Some(out)
    }
}

/// Validates up to 10,000 addresses: one JSON object per line in (`{"id": …, "address": "…", "lat": …, "lon": …}`,
/// `id` optional and echoed), one per line out in the same order, streamed as they are resolved. A bad line gets
/// an `error` line and the others go on.
#[utoipa::path(post, path = "/v1/addresses/validate/batch", tag = "validation",
    security(("api_key" = ["address:validate"])),
    request_body(description = "One `{\"id\"?, \"address\", \"lat\"?, \"lon\"?}` per line, at most 10,000 lines \
        (`application/x-ndjson`; `text/plain` is taken too)",
        content((String = "application/x-ndjson"), (String = "text/plain"))),
    responses(
        (status = 200, description = "One BatchLine per input line, as NDJSON", content_type = "application/x-ndjson",
            body = BatchLine),
        BadRequest, NoKey, Forbidden, RateLimited, UnsupportedBody, NotReady))]
pub async fn validate_batch(
    _key: Scoped<scope::AddressValidate>,
    state: web::Data<AppState>,
    req: actix_web::HttpRequest,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let ct = req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
    let mime = ct.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
    if !matches!(mime.as_str(), "application/x-ndjson" | "application/jsonl" | "application/json-lines" | "text/plain")
    {
        return Err(ApiError::new(
            actix_web::http::StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the batch as application/x-ndjson: one JSON object per line",
        ));
    }
    let (ix, resolver) = resolver(&state).await?;
    let mut batch = Batch { payload, buf: BytesMut::new(), line: 0, eof: false, done: false, ix, resolver };
    // the first lines are read before answering, so that an empty batch is a clear error rather than an empty 200
    let Some(first) = batch.next().await else {
        return Err(ApiError::bad_request("empty_batch", "the batch has no line: send one JSON object per line"));
    };
    let rest = futures_util::stream::unfold(batch, |mut b| async move {
        b.next().await.map(|bytes| (Ok::<_, actix_web::Error>(bytes), b))
    });
    let stream = futures_util::stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest);
    Ok(HttpResponse::Ok().content_type("application/x-ndjson").streaming(stream))
}
