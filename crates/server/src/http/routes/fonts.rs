//! `/fonts/{fontstack}/{range}.pbf`: MapLibre glyphs (SDF) of the embedded font, so the web map renders Vietnamese
//! labels without any font server on the internet.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::{RefOr, SchemaFormat};

use crate::http::ApiError;
use crate::http::error::{ErrorBody, NotFound};
use diachi_fonts::{self as fonts, FontError};

/// The glyphs' media type.
pub const PROTOBUF: &str = "application/x-protobuf";
/// Glyphs change only with the embedded font, i.e. with a new release.
const GLYPHS_CACHE_CONTROL: &str = "public, max-age=86400";

impl From<FontError> for ApiError {
    fn from(e: FontError) -> Self {
        match e {
            FontError::MalformedRange | FontError::InvalidRange { .. } => Self::invalid_glyph_range(e.to_string()),
            FontError::InvalidFontstack(_) => Self::bad_request("invalid_fontstack", e.to_string()),
            FontError::Font(_) | FontError::Sdf(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "glyph_rendering_failed", e.to_string())
            }
        }
    }
}

/// The path parameter `range`: one of the 256 ranges `0-255` … `65280-65535`.
struct GlyphRange;

impl utoipa::PartialSchema for GlyphRange {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new().schema_type(Type::String).enum_values(Some(fonts::ranges())).into()
    }
}

impl utoipa::ToSchema for GlyphRange {}

/// A glyphs protobuf.
struct GlyphsPbf;

impl utoipa::PartialSchema for GlyphsPbf {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(utoipa::openapi::KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for GlyphsPbf {}

/// The cached PBF as a response body, without a copy.
struct Shared(Arc<Vec<u8>>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Glyphs for MapLibre GL: the signed distance fields (24 px, 3 px buffer) of 256 code points, from the embedded
/// Noto Sans Regular, which covers Vietnamese (Latin-1, Latin Extended-A/B, combining marks, U+1EA0–U+1EF9). Every
/// font stack name is answered with this font, under the requested name. A style's `glyphs` URL is
/// `/fonts/{fontstack}/{range}.pbf`, its `text-font` `["Noto Sans Regular"]`.
#[utoipa::path(get, path = "/fonts/{fontstack}/{range}.pbf", tag = "map",
    params(
        ("fontstack" = String, Path, description = "Font stack: one font name or a comma-separated list \
            (1 to 256 characters, no control characters)", min_length = 1, max_length = 256,
            pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]+$", example = "Noto Sans Regular"),
        ("range" = inline(GlyphRange), Path, description = "Code points START-END: START a multiple of 256, \
            END = START + 255", example = "7680-7935"),
    ),
    responses(
        (status = 200, description = "The glyphs protobuf (fontnik's `glyphs.proto`); a range without glyphs has \
            none", content_type = "application/x-protobuf", body = inline(GlyphsPbf)),
        (status = 400, description = "`invalid_glyph_range`: not one of the 256 ranges; `invalid_fontstack`",
            body = ErrorBody),
        NotFound,
    ))]
pub async fn glyphs(path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (fontstack, range) = path.into_inner();
    // a bad request is answered at once; the first request for a range renders it off the worker thread
    fonts::check_fontstack(&fontstack)?;
    fonts::parse_range(&range)?;
    let pbf = web::block(move || fonts::glyph_range(&fontstack, &range))
        .await
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "glyph_rendering_failed", e.to_string()))??;
    Ok(HttpResponse::Ok()
        .content_type(PROTOBUF)
        .insert_header((CACHE_CONTROL, GLYPHS_CACHE_CONTROL))
        .body(web::Bytes::from_owner(Shared(pbf))))
}
