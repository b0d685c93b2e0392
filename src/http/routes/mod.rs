//! One module per resource, mirroring the URL space.

mod addresses;
mod admin;
mod digital;
mod h3;
mod postcodes;
mod system;

use actix_web::web;

pub use addresses::*;
pub use admin::*;
pub use digital::*;
pub use h3::*;
pub use postcodes::*;
pub use system::*;

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/health", web::get().to(health))
        .route("/ready", web::get().to(ready))
        .route("/metrics", web::get().to(metrics))
        .route("/openapi.json", web::get().to(openapi))
        .route("/v1/postcodes", web::get().to(postcode_at))
        .route("/v1/postcodes/{code}", web::get().to(postcode))
        .route("/v1/reverse", web::get().to(reverse))
        .route("/v1/digital-addresses/encode", web::get().to(encode))
        .route("/v1/digital-addresses/{code}", web::get().to(digital_address))
        .route("/v1/addresses", web::get().to(addresses))
        .route("/v1/addresses/nearest", web::get().to(nearest_addresses))
        .route("/v1/addresses/{id}", web::get().to(address))
        .route("/v1/post-offices/nearest", web::get().to(nearest_post_offices))
        .route("/v1/h3/{cell}", web::get().to(h3_cell))
        .route("/v1/h3/{cell}/addresses", web::get().to(h3_addresses))
        .route("/v1/admin/provinces", web::get().to(provinces))
        .route("/v1/admin/provinces/{code}/wards", web::get().to(province_wards))
        .route("/v1/admin/wards/{code}", web::get().to(ward));
}
