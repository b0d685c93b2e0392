//! One module per resource, mirroring the URL space.

mod addresses;
mod admin;
mod deliveries;
mod digital;
mod fonts;
mod h3;
mod identity;
mod postcodes;
mod registrations;
mod system;
mod tiles;
mod validate;
#[path = "web.rs"]
mod web_map; // not `mod web`: that name is `actix_web::web` here
mod writes;

use actix_web::http::header::{ALLOW, HeaderValue};
use actix_web::{FromRequest, Handler, HttpResponse, Resource, Responder, ResponseError, web};

use crate::http::ApiError;

pub use addresses::*;
pub use admin::*;
pub use deliveries::*;
pub use digital::*;
pub use fonts::*;
pub use h3::*;
pub use identity::*;
pub use postcodes::*;
pub use registrations::*;
pub use system::*;
pub use tiles::*;
pub use validate::*;
pub use web_map::*;
pub use writes::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/health", health))
        .service(get("/ready", ready))
        .service(get("/metrics", metrics))
        .service(get("/openapi.json", openapi))
        .service(get("/v1/postcodes", postcode_at))
        .service(get("/v1/postcodes/{code}", postcode))
        .service(get("/v1/reverse", reverse))
        .service(get("/v1/digital-addresses/encode", encode))
        .service(get("/v1/digital-addresses/{code}", digital_address))
        .service(with_writes(
            "/v1/addresses",
            addresses,
            |r| r.route(web::post().to(create_address)),
            "GET, HEAD, POST",
        ))
        .service(get("/v1/addresses/nearest", nearest_addresses))
        .service(post("/v1/addresses/validate", validate))
        .service(post("/v1/addresses/validate/batch", validate_batch))
        .service(with_writes(
            "/v1/addresses/{id}",
            address,
            |r| r.route(web::patch().to(update_address)).route(web::delete().to(delete_address)),
            "GET, HEAD, PATCH, DELETE",
        ))
        .service(get("/v1/post-offices/nearest", nearest_post_offices))
        .service(post("/v1/deliveries/plan", plan_deliveries))
        .service(get("/v1/deliveries/plans/{id}", delivery_plan))
        .service(get("/v1/deliveries/plans/{id}/couriers/{courier}/route.gpx", courier_gpx))
        .service(get("/v1/deliveries/plans/{id}/couriers/{courier}/manifest.csv", courier_manifest))
        .service(get("/v1/h3/{cell}", h3_cell))
        .service(get("/v1/h3/{cell}/addresses", h3_addresses))
        .service(get("/v1/admin/provinces", provinces))
        .service(get("/v1/admin/provinces/{code}/wards", province_wards))
        .service(get("/v1/admin/wards/{code}", ward))
        .configure(registry_routes)
        .service(get("/catalog", catalog))
        .service(get("/tiles/{source}.json", tilejson))
        .service(get("/tiles/{source}/{z}/{x}/{y}", tile))
        .service(get("/styles/diachi.json", style))
        .service(get("/fonts/{fontstack}/{range}.pbf", glyphs))
        .configure(web_pages);
}

/// The registry and identity endpoints: POST (and GET) only, each request written to the audit log.
fn registry_routes(cfg: &mut web::ServiceConfig) {
    use actix_web::middleware::from_fn;
    let audited = |r: Resource, allow: &'static str| {
        r.default_service(web::to(move || async move { not_allowed(allow) })).wrap(from_fn(crate::http::audit::audit))
    };
    cfg.service(audited(web::resource("/v1/registrations").route(web::post().to(create_registration)), "POST"))
        .service(audited(
            web::resource("/v1/registrations/{id}")
                .route(web::get().to(registration))
                .route(web::head().to(registration)),
            "GET, HEAD",
        ))
        .service(audited(
            web::resource("/v1/registrations/{id}/verify").route(web::post().to(verify_registration)),
            "POST",
        ))
        .service(audited(
            web::resource("/v1/registrations/{id}/revoke").route(web::post().to(revoke_registration)),
            "POST",
        ))
        .service(audited(web::resource("/v1/identity/verify-address").route(web::post().to(verify_address)), "POST"));
}

fn not_allowed(allow: &'static str) -> HttpResponse {
    let mut res = ApiError::new(
        actix_web::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("this endpoint answers {allow}"),
    )
    .error_response();
    res.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    res
}

/// The web map's page and files: not API, so not in the OpenAPI document (nor in the API route list above).
fn web_pages(cfg: &mut web::ServiceConfig) {
    cfg.service(get("/", web_index))
        .service(get("/web/maplibre-gl/{file}", maplibre_asset))
        .service(get("/web/{file}", web_asset));
}

/// A read-only resource: GET, and HEAD (the same answer without its body, which caches and CDNs use). Other methods
/// get 405 with `Allow: GET, HEAD` in the API's JSON error shape (a bare `cfg.route` would let them fall through to
/// the 404 default service).
fn get<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path)
        .route(web::get().to(handler.clone()))
        .route(web::head().to(handler))
        .default_service(web::to(method_not_allowed))
}

/// A resource that only takes POST (actions such as validation); other methods get 405 with `Allow: POST`.
fn post<F, Args>(path: &str, handler: F) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    web::resource(path).route(web::post().to(handler)).default_service(web::to(|| async { not_allowed("POST") }))
}

/// A resource read with GET/HEAD and written with the methods `add` routes; `allow` lists them all for the 405.
fn with_writes<F, Args>(path: &str, handler: F, add: impl FnOnce(Resource) -> Resource, allow: &'static str) -> Resource
where
    F: Handler<Args>,
    Args: FromRequest + 'static,
    F::Output: Responder + 'static,
{
    add(web::resource(path).route(web::get().to(handler.clone())).route(web::head().to(handler)))
        .default_service(web::to(move || async move { not_allowed(allow) }))
}

async fn method_not_allowed() -> HttpResponse {
    let mut res = ApiError::method_not_allowed().error_response();
    res.headers_mut().insert(ALLOW, HeaderValue::from_static("GET, HEAD"));
    res
}
