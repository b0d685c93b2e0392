//! The OpenAPI 3 document, generated from the handlers' annotations.

use utoipa::OpenApi;

use super::error::ErrorBody;
use super::routes;

/// The OpenAPI document of the service.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "diachi",
        description = "Vietnam's national digital-address layer: postcodes, digital addresses, reverse geocoding and the 2025 administrative map."
    ),
    paths(
        routes::health,
        routes::ready,
        routes::metrics,
        routes::openapi,
        routes::postcode,
        routes::postcode_at,
        routes::reverse,
        routes::encode,
        routes::digital_address,
        routes::address,
        routes::nearest_addresses,
        routes::validate,
        routes::validate_batch,
        routes::addresses,
        routes::create_address,
        routes::update_address,
        routes::delete_address,
        routes::nearest_post_offices,
        routes::plan_deliveries,
        routes::delivery_plan,
        routes::courier_gpx,
        routes::courier_manifest,
        routes::h3_cell,
        routes::h3_addresses,
        routes::provinces,
        routes::province_wards,
        routes::ward,
        routes::glyphs,
        routes::tile,
        routes::tilejson,
        routes::catalog,
        routes::style,
        routes::create_registration,
        routes::registration,
        routes::verify_registration,
        routes::revoke_registration,
        routes::verify_address,
    ),
    // the error responses (`error::BadRequest`, …) reference this schema without registering it
    components(schemas(ErrorBody)),
    modifiers(&AdminToken)
)]
pub struct ApiDoc;

/// The admin endpoints' bearer token as a security scheme.
struct AdminToken;

impl utoipa::Modify for AdminToken {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_token",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        // API keys (`dck_…`, made by `diachi keys create`) with scopes, also as `Authorization: Bearer …`
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new().scheme(HttpAuthScheme::Bearer).bearer_format("dck_<id>_<secret>").build(),
            ),
        );
    }
}
