//! Vector tiles, TileJSON, the catalog of sources and the map style. Thin: parsing, caching headers, errors.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use std::sync::Arc;

use crate::http::error::{BadRequest, NotFound, NotReady};
use crate::http::{ApiError, AppState};
use diachi_db::tiles::PgLayer;
use diachi_tiles::files::FileSources;
use diachi_tiles::{BOUNDS, CachedTile, Source, TileError, TileId};

/// The MVT media type.
pub const MVT: &str = "application/vnd.mapbox-vector-tile";
/// Tiles change only when addresses are edited (live updates drop the affected tiles): clients may reuse them for
/// five minutes and revalidate with `If-None-Match`.
const TILE_CACHE_CONTROL: &str = "public, max-age=300, stale-while-revalidate=60";
/// The style in the repository, with `http://localhost:8080` standing for this server's public URL in its URLs.
const STYLE: &str = include_str!("../../../../../styles/diachi.json");
const STYLE_ORIGIN: &str = "http://localhost:8080";
/// TileJSON and the style may be reused for five minutes.
const DOC_CACHE_CONTROL: &str = "public, max-age=300";

impl From<TileError> for ApiError {
    fn from(e: TileError) -> Self {
        match e {
            TileError::InvalidTile(_) => Self::bad_request("invalid_tile", e.to_string()),
            TileError::ZoomOutOfRange { .. } => Self::not_found("tile_out_of_range", e.to_string()),
            TileError::UnknownSource(_) => Self::not_found("source_not_found", e.to_string()),
            TileError::Encode(_) | TileError::Io(_) => {
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "tile_encoding_failed", e.to_string())
            }
        }
    }
}

/// A JSON document whose URLs start with `base`: `Vary` on the forwarding headers when they are followed (some proxy
/// is trusted); with no proxy trusted the URLs depend on no request header.
fn url_document(state: &AppState, cache: bool, doc: &serde_json::Value) -> HttpResponse {
    let mut res = HttpResponse::Ok();
    if cache {
        res.insert_header((header::CACHE_CONTROL, DOC_CACHE_CONTROL));
    }
    if let Some(vary) = state.origin.vary() {
        res.append_header(vary);
    }
    res.json(doc)
}

fn parse_u64(what: &str, s: &str) -> Result<u64, ApiError> {
    if s.is_empty() || s.len() > 10 || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("invalid_tile", format!("{what} must be a non-negative integer, got {s:?}")));
    }
    s.parse().map_err(|_| ApiError::bad_request("invalid_tile", format!("{what} is out of range")))
}

/// `z`, `x`, `y` of a tile path; `y` may end in `.mvt` or `.pbf`.
fn tile_id(z: &str, x: &str, y: &str) -> Result<TileId, ApiError> {
    let y = y.strip_suffix(".mvt").or_else(|| y.strip_suffix(".pbf")).unwrap_or(y);
    let z = parse_u64("z", z)?;
    let z = u32::try_from(z).map_err(|_| ApiError::bad_request("invalid_tile", "z is out of range"))?;
    Ok(TileId::new(z, parse_u64("x", x)?, parse_u64("y", y)?)?)
}

fn accepts_gzip(req: &HttpRequest) -> bool {
    req.headers().get_all(header::ACCEPT_ENCODING).filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|part| {
            let mut it = part.trim().split(';');
            let name = it.next().unwrap_or("").trim();
            let q_zero = it.any(|p| matches!(p.trim(), "q=0" | "q=0.0" | "q=0.00" | "q=0.000"));
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !q_zero
        })
    })
}

fn not_modified(req: &HttpRequest, etag: &str) -> bool {
    req.headers()
        .get_all(header::IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*" || t.trim().trim_start_matches("W/") == etag))
}

/// Whether the client will need the tile uncompressed and the cached copy does not have it yet.
fn wants_raw(req: &HttpRequest, tile: &CachedTile) -> bool {
    tile.gzip.is_some() && tile.raw.is_none() && !accepts_gzip(req) && !not_modified(req, &tile.etag)
}

fn tile_response(req: &HttpRequest, tile: &CachedTile) -> Result<HttpResponse, ApiError> {
    let etag = HeaderValue::from_str(&tile.etag)
        .map_err(|e| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "tile_encoding_failed", e.to_string()))?;
    if not_modified(req, &tile.etag) {
        return Ok(HttpResponse::NotModified()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, TILE_CACHE_CONTROL))
            .finish());
    }
    let Some(gz) = &tile.gzip else {
        return Ok(HttpResponse::NoContent()
            .insert_header((header::ETAG, etag))
            .insert_header((header::CACHE_CONTROL, TILE_CACHE_CONTROL))
            .finish());
    };
    let mut res = HttpResponse::Ok();
    res.content_type(MVT)
        .insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, TILE_CACHE_CONTROL))
        .insert_header((header::VARY, "Accept-Encoding"));
    if accepts_gzip(req) {
        res.insert_header((header::CONTENT_ENCODING, "gzip"));
        Ok(res.body(bytes::Bytes::from_owner(gz.clone())))
    } else {
        // identity: keep the compression middleware from encoding it again
        res.insert_header((header::CONTENT_ENCODING, "identity"));
        match &tile.raw {
            Some(raw) => Ok(res.body(bytes::Bytes::from_owner(raw.clone()))),
            None => Ok(res.body(tile.mvt().map_err(|e| ApiError::from(TileError::Io(e)))?)),
        }
    }
}

/// Where a tile comes from: a source rendered in memory, or a tile file.
enum Origin {
    BuiltIn(Source),
    File(Arc<FileSources>),
}

/// A binary MVT body in the OpenAPI document (`type: string, format: binary`).
struct MvtBody;

impl utoipa::PartialSchema for MvtBody {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Binary)))
            .into()
    }
}

impl utoipa::ToSchema for MvtBody {}

/// A Mapbox Vector Tile (MVT 2.1) of a source.
///
/// `y` may carry a `.mvt` or `.pbf` suffix. Gzip-compressed when the client accepts it; `ETag` / `If-None-Match`
/// give 304; an empty tile is 204.
#[utoipa::path(get, path = "/tiles/{source}/{z}/{x}/{y}", tag = "tiles",
    params(
        ("source" = String, Path, description = "`vietnam`, one layer's name or a tile file's (see /catalog)",
            example = "vietnam"),
        ("z" = String, Path, description = "zoom, 0 to the source's maxzoom", example = "6"),
        ("x" = String, Path, description = "column, 0 to 2^z - 1", example = "50"),
        ("y" = String, Path, description = "row from the north, 0 to 2^z - 1, optionally with `.mvt` or `.pbf`",
            example = "28.mvt"),
    ),
    responses(
        (status = 200, description = "The tile", content_type = "application/vnd.mapbox-vector-tile",
            body = inline(MvtBody)),
        (status = 204, description = "An empty tile (nothing of the source there)"),
        (status = 304, description = "Not modified (`If-None-Match` matched the `ETag`)"),
        BadRequest, NotFound, NotReady))]
pub async fn tile(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String, String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (name, z, x, y) = path.into_inner();
    // a PostGIS source (`serve --database-url`)
    if let Some(layer) = PgLayer::from_source_name(&name) {
        let id = tile_id(&z, &x, &y)?;
        let db = state.db().map_err(|e| if e.code == "database_not_configured" { unknown_source(&name) } else { e })?;
        let mut tile = db.tiles.get(layer, id).await?;
        if wants_raw(&req, &tile) {
            tile = db.tiles.with_raw(layer, id, &tile).map_err(TileError::Io)?;
        }
        return tile_response(&req, &tile);
    }
    // a built-in source, else a file source (`serve --tiles-file`) of that name
    let src = match name.parse() {
        Ok(s) => Origin::BuiltIn(s),
        Err(e) => Origin::File(state.shared.files.as_ref().filter(|f| f.contains(&name)).cloned().ok_or(e)?),
    };
    let id = tile_id(&z, &x, &y)?;
    // a cached tile is answered on the async worker; rendering (or reading a file) goes to the blocking pool
    if let (Origin::BuiltIn(s), Some(t)) = (&src, state.ready().map(|s| &s.tiles)) {
        if let Some(mut tile) = t.cached(*s, id) {
            if wants_raw(&req, &tile) {
                tile = t.with_raw(*s, id, &tile).map_err(TileError::Io)?;
            }
            return tile_response(&req, &tile);
        }
    }
    let tile = web::block(move || -> Result<CachedTile, ApiError> {
        match src {
            Origin::BuiltIn(s) => Ok(state.tiles()?.get(s, id)?),
            Origin::File(files) => Ok(files.tile(&name, id)?),
        }
    })
    .await
    .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "overloaded", e.to_string()))??;
    tile_response(&req, &tile)
}

fn unknown_source(name: &str) -> ApiError {
    TileError::UnknownSource(name.to_owned()).into()
}

/// TileJSON of a PostGIS source.
fn pg_tilejson(base: &str, layer: PgLayer) -> serde_json::Value {
    let l = layer.layer();
    serde_json::json!({
        "tilejson": "3.0.0",
        "name": format!("diachi {} (PostGIS)", layer.source_name()),
        "description": format!("{} — rendered by PostGIS (ST_AsMVT)", l.description()),
        "version": env!("CARGO_PKG_VERSION"),
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", layer.source_name())],
        "minzoom": l.zooms().0,
        "maxzoom": l.zooms().1,
        "bounds": BOUNDS,
        "vector_layers": [l.vector_layer()],
    })
}

/// TileJSON 3.0.0 of a source, with tile URLs on this server.
#[utoipa::path(get, path = "/tiles/{source}.json", tag = "tiles",
    params(("source" = String, Path, description = "`vietnam`, one layer's name or a tile file's", example = "vietnam")),
    responses((status = 200, description = "TileJSON 3.0.0", body = Object), NotFound))]
pub async fn tilejson(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let name = path.into_inner();
    let base = state.origin.base(&req);
    if let Some(layer) = PgLayer::from_source_name(&name).filter(|_| state.database().is_some()) {
        return Ok(url_document(&state, true, &pg_tilejson(&base, layer)));
    }
    let source: Source = match name.parse() {
        Ok(s) => s,
        Err(e) => {
            let url = format!("{base}/tiles/{name}/{{z}}/{{x}}/{{y}}.mvt");
            let doc = state.shared.files.as_ref().and_then(|f| f.tilejson(&name, &url)).ok_or(e)?;
            return Ok(url_document(&state, true, &doc));
        }
    };
    let layers: Vec<serde_json::Value> = source.layers().into_iter().map(diachi_tiles::Layer::vector_layer).collect();
    let doc = serde_json::json!({
        "tilejson": "3.0.0",
        "name": format!("diachi {}", source.name()),
        "description": source.description(),
        "version": env!("CARGO_PKG_VERSION"),
        "attribution": diachi_tiles::export::ATTRIBUTION,
        "scheme": "xyz",
        "tiles": [format!("{base}/tiles/{}/{{z}}/{{x}}/{{y}}.mvt", source.name())],
        "minzoom": source.minzoom(),
        "maxzoom": source.maxzoom(),
        "bounds": BOUNDS,
        "center": [105.85, 21.03, 5],
        "vector_layers": layers,
    });
    Ok(url_document(&state, true, &doc))
}

/// The tile sources of this server (and the style and fonts).
#[utoipa::path(get, path = "/catalog", tag = "tiles",
    responses((status = 200, description = "Sources by name", body = Object)))]
pub async fn catalog(req: HttpRequest, state: web::Data<AppState>) -> HttpResponse {
    let base = state.origin.base(&req);
    let mut tiles: serde_json::Map<String, serde_json::Value> = Source::all()
        .into_iter()
        .map(|s| {
            (
                s.name().to_owned(),
                serde_json::json!({
                    "content_type": MVT, "description": s.description(),
                    "tilejson": format!("{base}/tiles/{}.json", s.name()),
                    "minzoom": s.minzoom(), "maxzoom": s.maxzoom(),
                    "layers": s.layers().iter().map(|l| l.name()).collect::<Vec<_>>(),
                }),
            )
        })
        .collect();
    if state.database().is_some() {
        for layer in PgLayer::ALL {
            let l = layer.layer();
            tiles.insert(
                layer.source_name().to_owned(),
                serde_json::json!({
                    "content_type": MVT, "description": format!("{} — rendered by PostGIS", l.description()),
                    "tilejson": format!("{base}/tiles/{}.json", layer.source_name()),
                    "minzoom": l.zooms().0, "maxzoom": l.zooms().1, "layers": [l.name()],
                }),
            );
        }
    }
    // file sources (`serve --tiles-file`); a built-in name is never shadowed
    for (name, info) in
        state.shared.files.as_ref().into_iter().flat_map(|f| f.names().filter_map(|n| Some((n, f.info(n)?))))
    {
        tiles.entry(name.to_owned()).or_insert_with(|| {
            serde_json::json!({
                "content_type": MVT, "description": info.description(),
                "tilejson": format!("{base}/tiles/{name}.json"),
                "minzoom": info.minzoom, "maxzoom": info.maxzoom, "layers": info.layer_ids(),
                "file_format": info.format.name(),
            })
        });
    }
    let doc = serde_json::json!({
        "tiles": tiles,
        "styles": { "diachi": { "path": format!("{base}/styles/diachi.json") } },
        "fonts": { "glyphs": format!("{base}/fonts/{{fontstack}}/{{range}}.pbf") },
    });
    url_document(&state, false, &doc)
}

/// The style of the repository as JSON, parsed once.
fn style_template() -> Result<&'static serde_json::Value, ApiError> {
    static TEMPLATE: std::sync::OnceLock<Option<serde_json::Value>> = std::sync::OnceLock::new();
    TEMPLATE.get_or_init(|| serde_json::from_str(STYLE).ok()).as_ref().ok_or_else(|| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "style_invalid", "the built-in style is not valid JSON")
    })
}

/// The style with its URLs (glyphs, sprite, every source's `url`, `tiles` and `data`) on `base`: the values are
/// changed in the parsed document and written out by serde, so nothing in `base` can reach the JSON text around
/// them. URLs that do not start with the template's origin are left as they are.
fn style_at(template: &serde_json::Value, base: &str) -> serde_json::Value {
    use serde_json::Value;
    fn rebase(v: &mut Value, base: &str) {
        if let Value::String(s) = v
            && let Some(rest) = s.strip_prefix(STYLE_ORIGIN)
        {
            *s = format!("{base}{rest}");
        }
    }
    let mut style = template.clone();
    if let Some(g) = style.get_mut("glyphs") {
        rebase(g, base);
    }
    match style.get_mut("sprite") {
        Some(Value::Array(sprites)) => {
            for u in sprites.iter_mut().filter_map(|s| s.get_mut("url")) {
                rebase(u, base);
            }
        }
        Some(s) => rebase(s, base),
        None => {}
    }
    if let Some(Value::Object(sources)) = style.get_mut("sources") {
        for source in sources.values_mut() {
            for key in ["url", "data"] {
                if let Some(u) = source.get_mut(key) {
                    rebase(u, base);
                }
            }
            if let Some(Value::Array(tiles)) = source.get_mut("tiles") {
                for t in tiles {
                    rebase(t, base);
                }
            }
        }
    }
    style
}

/// The MapLibre style of the national map, pointing at this server.
#[utoipa::path(get, path = "/styles/diachi.json", tag = "tiles",
    responses((status = 200, description = "MapLibre style spec v8", body = Object)))]
pub async fn style(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let style = style_at(style_template()?, &state.origin.base(&req));
    Ok(url_document(&state, true, &style))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_url_of_the_style_moves_to_the_base_and_nothing_else_changes() {
        let template = style_template().map_err(|e| e.to_string());
        let template = template.as_ref().map_or(&serde_json::Value::Null, |t| *t);
        assert!(template.is_object(), "the built-in style parses");
        let base = "https://maps.example.vn/diachi";
        let style = style_at(template, base);
        assert_eq!(style["glyphs"], format!("{base}/fonts/{{fontstack}}/{{range}}.pbf"));
        assert_eq!(style["sources"]["diachi"]["url"], format!("{base}/tiles/vietnam.json"));
        assert!(!style.to_string().contains(STYLE_ORIGIN), "every URL of the template is rebased");
        assert_eq!(style["layers"], template["layers"]);
        // a sprite, tiles and external URLs
        let t = serde_json::json!({
            "sprite": [{"id": "a", "url": "http://localhost:8080/sprites/a"}],
            "sources": {"x": {"tiles": ["http://localhost:8080/t/{z}/{x}/{y}"], "url": "https://other.example/x.json"}},
        });
        let s = style_at(&t, base);
        assert_eq!(s["sprite"][0]["url"], format!("{base}/sprites/a"));
        assert_eq!(s["sources"]["x"]["tiles"][0], format!("{base}/t/{{z}}/{{x}}/{{y}}"));
        assert_eq!(s["sources"]["x"]["url"], "https://other.example/x.json");
        let s = style_at(&serde_json::json!({"sprite": "http://localhost:8080/sprite"}), base);
        assert_eq!(s["sprite"], format!("{base}/sprite"));
    }
}
