//! The national web map: its page and scripts (embedded in the binary) and MapLibre GL JS (read at run time from the
//! npm package, `web/node_modules/maplibre-gl/dist/`, or `$DIACHI_WEB_ASSETS`). Not API: these routes are not in the
//! OpenAPI document.

use std::path::{Path, PathBuf};

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpResponse, web};

use crate::http::ApiError;

const INDEX_HTML: &str = include_str!("../../../../../web/index.html");
const APP_JS: &str = include_str!("../../../../../web/app.js");
const APP_CSS: &str = include_str!("../../../../../web/app.css");

const HTML: &str = "text/html; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const JSON: &str = "application/json";

/// Where MapLibre's `dist/` is looked for when `DIACHI_WEB_ASSETS` is not set (relative to the working directory).
pub const DEFAULT_WEB_ASSETS: &str = "web/node_modules/maplibre-gl/dist";

/// The files of MapLibre's `dist/` that are served, and nothing else (no path is ever built from the request).
const MAPLIBRE_FILES: [(&str, &str); 3] =
    [("maplibre-gl.js", JS), ("maplibre-gl.css", CSS), ("maplibre-gl.js.map", JSON)];

fn respond(
    content_type: &'static str,
    cache: &'static str,
    body: impl actix_web::body::MessageBody + 'static,
) -> HttpResponse {
    let mut res = HttpResponse::Ok().body(body);
    let headers = res.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    headers.insert(CACHE_CONTROL, HeaderValue::from_static(cache));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    res
}

/// The web map (`web/index.html`).
pub async fn web_index() -> HttpResponse {
    respond(HTML, "no-cache", INDEX_HTML)
}

/// `app.js` and `app.css` of the web map.
pub async fn web_asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    match path.as_str() {
        "app.js" => Ok(respond(JS, "no-cache", APP_JS)),
        "app.css" => Ok(respond(CSS, "no-cache", APP_CSS)),
        _ => Err(ApiError::not_found("not_found", "no such file of the web map")),
    }
}

/// MapLibre GL JS (`maplibre-gl.js`, `maplibre-gl.css`, `maplibre-gl.js.map`) from the installed npm package.
pub async fn maplibre_asset(path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (name, content_type) = MAPLIBRE_FILES
        .iter()
        .copied()
        .find(|(n, _)| *n == path.as_str())
        .ok_or_else(|| ApiError::not_found("not_found", "no such file of MapLibre GL JS"))?;
    let dir = web_assets_dir();
    let file = dir.join(name);
    let bytes = web::block(move || std::fs::read(file))
        .await
        .map_err(|_| ApiError::web_assets_missing(&dir))?
        .map_err(|_| ApiError::web_assets_missing(&dir))?;
    Ok(respond(content_type, "public, max-age=3600", bytes))
}

/// `$DIACHI_WEB_ASSETS`, else `web/node_modules/maplibre-gl/dist` under the working directory, else the same folder
/// of the source tree the binary was built from (so that a binary started elsewhere still finds it).
fn web_assets_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("DIACHI_WEB_ASSETS").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let relative = Path::new(DEFAULT_WEB_ASSETS);
    if relative.is_dir() {
        return relative.to_path_buf();
    }
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(DEFAULT_WEB_ASSETS);
    if built.is_dir() { built } else { relative.to_path_buf() }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::body::to_bytes;
    use actix_web::http::StatusCode;

    #[actix_web::test]
    async fn the_page_and_its_scripts_are_embedded_with_their_types() {
        let res = web_index().await;
        assert_eq!(res.status(), StatusCode::OK);
        assert_eq!(res.headers().get(CONTENT_TYPE), Some(&HeaderValue::from_static(HTML)));
        let body = to_bytes(res.into_body()).await.unwrap_or_default();
        assert!(String::from_utf8_lossy(&body).contains("/web/maplibre-gl/maplibre-gl.js"));
        for (name, ct) in [("app.js", JS), ("app.css", CSS)] {
            let res = web_asset(web::Path::from(name.to_owned())).await.map_err(|e| e.to_string());
            let ct_got = res.map(|r| r.headers().get(CONTENT_TYPE).cloned());
            assert_eq!(ct_got, Ok(Some(HeaderValue::from_static(ct))), "{name}");
        }
    }

    #[actix_web::test]
    async fn only_the_named_files_are_served() {
        for name in ["index.html", "../Cargo.toml", "app.js.map", "", "maplibre-gl.js"] {
            let e = web_asset(web::Path::from(name.to_owned())).await.err().map(|e| (e.status, e.code));
            assert_eq!(e, Some((StatusCode::NOT_FOUND, "not_found")), "{name}");
        }
        for name in ["../../../Cargo.toml", "package.json", "maplibre-gl-dev.js", "maplibre-gl.JS", "/etc/passwd"] {
            let e = maplibre_asset(web::Path::from(name.to_owned())).await.err().map(|e| (e.status, e.code));
            assert_eq!(e, Some((StatusCode::NOT_FOUND, "not_found")), "{name}");
        }
    }

    #[test]
    fn missing_assets_say_how_to_install_them() {
        let e = ApiError::web_assets_missing(Path::new("nowhere"));
        assert_eq!((e.status, e.code), (StatusCode::SERVICE_UNAVAILABLE, "web_assets_missing"));
        assert!(e.message.contains("npm ci --prefix web"), "{}", e.message);
    }
}
