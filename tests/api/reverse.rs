//! `/v1/reverse`.

use crate::helpers::*;
use diachi_domain::DigitalAddress;
use h3o::{LatLng, Resolution};

#[actix_web::test]
async fn a_wards_label_point_reverses_to_that_ward() {
    let app = spawn_app().await;
    let ix = &app.index;
    let geo = &ix.data.geography;
    for w in sample_wards(ix) {
        let (lat, lon) = (w.label.lat(), w.label.lon());
        let r = app.ok(&format!("/v1/reverse?lat={lat}&lon={lon}")).await;
        assert_eq!((f(&r["lat"]), f(&r["lon"])), (lat, lon));
        assert_eq!(r["ward"]["code"], w.code.to_string(), "{r}");
        assert_eq!(r["ward"]["name"], w.name);
        assert_eq!(r["ward"]["kind"], w.kind.label().to_lowercase());
        assert_eq!(r["postcode"], w.postcode.to_string());
        assert_eq!(r["province"]["code"], geo.province_of(w).code.to_string());
        assert_eq!(r["ward_match"], "inside");
        assert_eq!(f(&r["ward_distance_m"]), 0.0);

        // H3 cells of the point
        let ll = LatLng::new(lat, lon).unwrap();
        assert_eq!(r["h3"]["cell"], ll.to_cell(Resolution::Ten).to_string());
        assert_eq!(r["h3"]["resolution"], 10);
        assert_eq!(r["h3"]["coarse_cell"], ll.to_cell(Resolution::Six).to_string());
        assert_eq!(r["h3"]["coarse_resolution"], 6);

        // the digital address names a 1 m cell containing the point
        let da = DigitalAddress::parse(r["digital_address"].as_str().unwrap()).unwrap();
        assert_eq!(da.unit(), 1);
        let b = da.cell().bounds();
        assert!(b[0] <= lon && lon < b[2] && b[1] <= lat && lat < b[3], "{da} {b:?} ∌ {lat},{lon}");

        // the nearest address: its distance is the haversine of its coordinates, and none is nearer
        let near = &r["nearest_address"];
        let d = f(&near["distance_m"]);
        let (alon, alat) = (f(&near["lon"]), f(&near["lat"]));
        assert!((d - haversine(lon, lat, alon, alat)).abs() <= 0.006, "{d} vs {}", haversine(lon, lat, alon, alat));
        let id = near["id"].as_u64().unwrap() as u32;
        assert_eq!(addr_point(ix, id), (alon, alat));
        let best = all_addresses(ix).map(|(_, x, y)| haversine(lon, lat, x, y)).fold(f64::INFINITY, f64::min);
        assert!((d - best).abs() <= 0.006, "nearest at {d} m but brute force finds {best} m");
    }
}

#[actix_web::test]
async fn an_address_location_reverses_to_its_ward_and_itself() {
    let app = spawn_app().await;
    let ix = &app.index;
    for id in [0u32, 1, 4_321, 12_345, ix.data.addresses.len() as u32 - 1] {
        let a = app.ok(&format!("/v1/addresses/{id}")).await;
        let r = app.ok(&format!("/v1/reverse?lat={}&lon={}", a["lat"], a["lon"])).await;
        let near = &r["nearest_address"];
        assert_eq!(f(&near["distance_m"]), 0.0);
        // co-located addresses tie; the nearest is one of them, at the same spot
        assert_eq!((&near["lat"], &near["lon"]), (&a["lat"], &a["lon"]));
        assert_eq!(r["ward"]["code"], a["ward"]["code"], "{r}\n{a}");
        assert_eq!(r["postcode"], a["postcode"]);
        // same 1 m cell (the address may carry a unit)
        assert_eq!(
            r["digital_address"].as_str().unwrap(),
            a["digital_address"].as_str().unwrap().split('.').next().unwrap()
        );
    }
}

#[actix_web::test]
async fn a_point_just_off_the_coast_snaps_to_the_nearest_ward() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    // walk east from a coastal ward's label until the point leaves every ward; within 2 km it snaps
    let w = geo.ward(diachi_domain::WardCode::parse("22736").unwrap()).unwrap().1; // Trường Sa
    let (lon0, lat) = (w.label.lon(), w.label.lat());
    let mut found = false;
    for step in 1..2000 {
        let lon = lon0 + f64::from(step) * 0.0001;
        let p = diachi_domain::LonLat::new(lon, lat).unwrap();
        if geo.ward_at(p).is_none()
            && let Some((wi, d)) = geo.ward_near(p, 2_000.0)
        {
            let r = app.ok(&format!("/v1/reverse?lat={lat}&lon={lon}")).await;
            assert_eq!(r["ward_match"], "nearest");
            assert_eq!(r["ward"]["code"], geo.wards[usize::from(wi)].code.to_string());
            assert!((f(&r["ward_distance_m"]) - (d * 10.0).round() / 10.0).abs() < 1e-9);
            assert!(f(&r["ward_distance_m"]) > 0.0 && f(&r["ward_distance_m"]) <= 2_000.0);
            found = true;
            break;
        }
    }
    assert!(found, "no off-shore point found near Trường Sa");
}

#[actix_web::test]
async fn bad_points() {
    let app = spawn_app().await;
    for q in [
        "",
        "?lat=21.03",
        "?lon=105.83",
        "?lat=abc&lon=105.83",
        "?lat=21.03&lon=abc",
        "?lat=NaN&lon=105.83",
        "?lat=21.03&lon=-inf",
        "?lat=91&lon=105.83",
        "?lat=-90.0001&lon=105.83",
        "?lat=21.03&lon=180.5",
        "?lat=21,03&lon=105,83",
        "?lat=0x15&lon=105",
    ] {
        app.error(&format!("/v1/reverse{q}"), 400, "invalid_coordinates").await;
    }
    // Paris; the grid box's edges (excluded); at sea inside the box, far from any ward
    for q in ["?lat=48.8566&lon=2.3522", "?lat=24&lon=105", "?lat=21&lon=120", "?lat=12&lon=110.5", "?lat=5&lon=119"] {
        app.error(&format!("/v1/reverse{q}"), 422, "outside_coverage").await;
    }
}
