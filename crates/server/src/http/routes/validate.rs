//! Address validation: free text in, the address on today's map and a verdict out; one at a time or up to 10,000
//! as NDJSON (at most 16 MiB), streamed back line by line.

use actix_web::{HttpResponse, web};
use bytes::{Bytes, BytesMut};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use crate::http::auth::{Forbidden, NoKey, RateLimited, Scoped, scope};
use crate::http::error::{BadRequest, ErrorBody, NotReady, UnsupportedBody};
use crate::http::{ApiError, AppState};
use diachi_domain::LonLat;
use diachi_geo::index::NationalIndex;
use diachi_resolve::{Resolution, Resolver};

/// Lines of one batch at most, blank lines included.
pub const MAX_BATCH: usize = 10_000;
/// Bytes of one batch at most.
pub const MAX_BATCH_BYTES: usize = 16 * 1024 * 1024;
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

/// 413 `batch_too_large`: past the line or byte limit.
fn batch_too_large(what: &str) -> ApiError {
    ApiError::new(
        actix_web::http::StatusCode::PAYLOAD_TOO_LARGE,
        "batch_too_large",
        format!("a batch is at most {what}; the rest was not read"),
    )
}

fn too_many_lines() -> ApiError {
    batch_too_large(&format!("{MAX_BATCH} lines, blank lines included"))
}

fn too_many_bytes() -> ApiError {
    batch_too_large(&format!("{} MiB", MAX_BATCH_BYTES >> 20))
}

/// A batch being read: lines are counted (blank ones too) and bytes, and reading stops at either limit.
struct Batch {
    payload: web::Payload,
    buf: BytesMut,
    /// Lines answered (blank lines are not).
    line: usize,
    /// Lines read, blank ones included.
    lines_read: usize,
    /// Bytes read.
    bytes_read: usize,
    /// The byte limit was reached: `buf` holds the last bytes allowed, and nothing more is read.
    cut: bool,
    eof: bool,
    done: bool,
    /// Why reading stopped early, once it has.
    stopped: Option<ApiError>,
    ix: Arc<NationalIndex>,
    resolver: Arc<Resolver>,
}

/// The next chunk of the body within the byte limit: `None` at the end (or once the limit is reached).
enum Read {
    Chunk(Bytes),
    End,
    Failed,
}

impl Batch {
    async fn read(&mut self) -> Read {
        if self.cut {
            return Read::End;
        }
        match self.payload.next().await {
            Some(Ok(chunk)) => {
                let allowed = MAX_BATCH_BYTES - self.bytes_read;
                if chunk.len() > allowed {
                    self.cut = true;
                    self.bytes_read = MAX_BATCH_BYTES;
                    return Read::Chunk(chunk.slice(..allowed));
                }
                self.bytes_read += chunk.len();
                Read::Chunk(chunk)
            }
            Some(Err(_)) => Read::Failed,
            None => Read::End,
        }
    }

    /// Stops reading with this error, answered as the batch's last line.
    fn stop(&mut self, e: ApiError) -> BatchLine {
        let line = error_line(self.line + 1, None, &e);
        self.stopped = Some(e);
        line
    }

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
                self.lines_read += 1;
                if self.lines_read > MAX_BATCH {
                    trailer = Some(self.stop(too_many_lines()));
                    break;
                }
                if raw.iter().all(u8::is_ascii_whitespace) {
                    continue;
                }
                self.line += 1;
                lines.push((self.line, raw));
                continue;
            }
            if self.buf.len() > MAX_LINE + 1 {
                // a line too long to hold: answer it as an error and skip to its end
                self.lines_read += 1;
                if self.lines_read > MAX_BATCH {
                    trailer = Some(self.stop(too_many_lines()));
                    break;
                }
                self.line += 1;
                lines.push((self.line, self.buf.split().freeze()));
                loop {
                    match self.read().await {
                        Read::Chunk(chunk) => {
                            if let Some(i) = chunk.iter().position(|&b| b == b'\n') {
                                self.buf.extend_from_slice(&chunk[i + 1..]);
                                break;
                            }
                        }
                        Read::End => {
                            self.eof = true;
                            break;
                        }
                        Read::Failed => break,
                    }
                }
                continue;
            }
            if self.eof || self.cut {
                if self.cut {
                    // the body goes on past the byte limit: the line it cuts is not answered
                    trailer = Some(self.stop(too_many_bytes()));
                } else if !self.buf.iter().all(u8::is_ascii_whitespace) {
                    self.lines_read += 1;
                    if self.lines_read > MAX_BATCH {
                        trailer = Some(self.stop(too_many_lines()));
                    } else {
                        self.line += 1;
                        lines.push((self.line, self.buf.split().freeze()));
                    }
                }
                self.buf.clear();
                break;
            }
            match self.read().await {
                Read::Chunk(chunk) => self.buf.extend_from_slice(&chunk),
                Read::Failed => {
                    trailer =
                        Some(self.stop(ApiError::bad_request(
                            "invalid_body",
                            "the request body could not be read to its end",
                        )));
                }
                Read::End => self.eof = true,
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
/// an `error` line and the others go on. A batch is at most 10,000 lines (blank lines included) and 16 MiB: past
/// either limit it stops with a `batch_too_large` line — or with 413 `batch_too_large` before any line is
/// answered (a body announced larger, or one that reaches a limit before its first line).
#[utoipa::path(post, path = "/v1/addresses/validate/batch", tag = "validation",
    security(("api_key" = ["address:validate"])),
    request_body(description = "One `{\"id\"?, \"address\", \"lat\"?, \"lon\"?}` per line, at most 10,000 lines \
        (blank lines included) and 16 MiB (`application/x-ndjson`; `text/plain` is taken too)",
        content((String = "application/x-ndjson"), (String = "text/plain"))),
    responses(
        (status = 200, description = "One BatchLine per input line, as NDJSON", content_type = "application/x-ndjson",
            body = BatchLine),
        BadRequest, NoKey, Forbidden, RateLimited, UnsupportedBody, NotReady,
        (status = 413, description = "`batch_too_large`: over 10,000 lines or 16 MiB before any line was answered",
            body = ErrorBody)))]
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
    let announced = req.headers().get(actix_web::http::header::CONTENT_LENGTH).and_then(|v| v.to_str().ok());
    if announced.and_then(|v| v.trim().parse::<u64>().ok()).is_some_and(|n| n > MAX_BATCH_BYTES as u64) {
        return Err(too_many_bytes());
    }
    let (ix, resolver) = resolver(&state).await?;
    let mut batch = Batch {
        payload,
        buf: BytesMut::new(),
        line: 0,
        lines_read: 0,
        bytes_read: 0,
        cut: false,
        eof: false,
        done: false,
        stopped: None,
        ix,
        resolver,
    };
    // the first lines are read before answering, so that an empty batch, or one over a limit before its first
    // line, is a clear error rather than a 200
    let Some(first) = batch.next().await else {
        return Err(ApiError::bad_request("empty_batch", "the batch has no line: send one JSON object per line"));
    };
    if batch.line == 0
        && let Some(e) = batch.stopped.take()
    {
        return Err(e);
    }
    let rest = futures_util::stream::unfold(batch, |mut b| async move {
        b.next().await.map(|bytes| (Ok::<_, actix_web::Error>(bytes), b))
    });
    let stream = futures_util::stream::once(async move { Ok::<_, actix_web::Error>(first) }).chain(rest);
    Ok(HttpResponse::Ok().content_type("application/x-ndjson").streaming(stream))
}
