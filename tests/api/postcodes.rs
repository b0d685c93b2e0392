//! `/v1/postcodes/{code}` and `/v1/postcodes?lat&lon`.

use crate::helpers::*;

#[actix_web::test]
async fn a_wards_postcode_lists_that_ward() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    for w in sample_wards(&app.index) {
        let code = w.postcode.to_string();
        let zone = app.ok(&format!("/v1/postcodes/{code}")).await;
        assert_eq!(zone["code"], code);
        let p = geo.province_of(w);
        assert_eq!(zone["province"]["code"], p.code.to_string());
        assert_eq!(zone["province"]["name"], p.name);
        assert!(p.postcode_prefixes.contains(&w.postcode.prefix()));
        let wards = zone["wards"].as_array().unwrap();
        let listed = wards.iter().find(|x| x["code"] == w.code.to_string()).unwrap_or_else(|| panic!("{zone}"));
        assert_eq!(listed["name"], w.name);
        assert_eq!(listed["full_name"], w.full_name());
        // every listed ward has that postcode
        for x in wards {
            let wc = diachi_domain::WardCode::parse(x["code"].as_str().unwrap()).unwrap();
            assert_eq!(geo.ward(wc).unwrap().1.postcode, w.postcode);
        }
        let bbox = bbox_of(&zone["bbox"]);
        assert!(in_bbox(bbox, w.label.lon(), w.label.lat()), "{code}: label outside {bbox:?}");
        assert!(in_bbox(bbox, f(&zone["centroid"]["lon"]), f(&zone["centroid"]["lat"])));
        assert_eq!(zone["origin"], "generated");
        assert!(zone.get("geometry").is_none(), "geometry without ?geometry=true");
    }
}

#[actix_web::test]
async fn geometry_is_a_multipolygon_around_the_wards() {
    let app = spawn_app().await;
    for w in sample_wards(&app.index).into_iter().take(6) {
        let code = w.postcode;
        for flag in ["true", "1"] {
            let zone = app.ok(&format!("/v1/postcodes/{code}?geometry={flag}")).await;
            let g = &zone["geometry"];
            assert_eq!(g["type"], "MultiPolygon", "{code}");
            let polys = g["coordinates"].as_array().unwrap();
            assert!(!polys.is_empty());
            // closed rings
            for ring in polys.iter().flat_map(|p| p.as_array().unwrap()) {
                let r = ring.as_array().unwrap();
                assert!(r.len() >= 4 && r.first() == r.last(), "open ring in {code}");
            }
            let gb = geojson_bbox(&g["coordinates"]);
            assert!(in_bbox(gb, w.label.lon(), w.label.lat()), "{code}: label outside the geometry's bbox");
            assert!(in_bbox(gb, f(&zone["centroid"]["lon"]), f(&zone["centroid"]["lat"])));
            let zb = bbox_of(&zone["bbox"]);
            for i in 0..4 {
                assert!((gb[i] - zb[i]).abs() < 1e-6, "{code}: geometry bbox {gb:?} vs zone bbox {zb:?}");
            }
        }
        let zone = app.ok(&format!("/v1/postcodes/{code}?geometry=false")).await;
        assert!(zone.get("geometry").is_none());
    }
}

#[actix_web::test]
async fn the_postcode_of_a_point_is_its_wards() {
    let app = spawn_app().await;
    for w in sample_wards(&app.index) {
        let (lat, lon) = (w.label.lat(), w.label.lon());
        let zone = app.ok(&format!("/v1/postcodes?lat={lat}&lon={lon}")).await;
        assert_eq!(zone["code"], w.postcode.to_string());
        assert!(zone["wards"].as_array().unwrap().iter().any(|x| x["code"] == w.code.to_string()));
        let with = app.ok(&format!("/v1/postcodes?lat={lat}&lon={lon}&geometry=true")).await;
        assert_eq!(with["geometry"]["type"], "MultiPolygon");
    }
    // whitespace around numbers is accepted
    let w = &app.index.data.geography.wards[7];
    let zone = app.ok(&format!("/v1/postcodes?lat=%20{}%20&lon={}", w.label.lat(), w.label.lon())).await;
    assert_eq!(zone["code"], w.postcode.to_string());
}

#[actix_web::test]
async fn unknown_and_malformed_postcodes() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    let unknown = (0..100_000u32)
        .map(|n| diachi_domain::Postcode::from_u32(n).unwrap())
        .find(|p| geo.zone(*p).is_none())
        .unwrap();
    app.error(&format!("/v1/postcodes/{unknown}"), 404, "postcode_not_found").await;
    for bad in ["1000", "123456", "abcde", "1000a", "%EF%BC%91%EF%BC%90%EF%BC%90%EF%BC%90%EF%BC%90", "10%2000", "-1000"]
    {
        app.error(&format!("/v1/postcodes/{bad}"), 400, "invalid_postcode").await;
    }
    let code = geo.wards[0].postcode;
    app.error(&format!("/v1/postcodes/{code}?geometry=maybe"), 400, "invalid_parameter").await;
}

#[actix_web::test]
async fn the_postcode_of_a_bad_point() {
    let app = spawn_app().await;
    for q in [
        "",
        "?lat=21",
        "?lon=105",
        "?lat=abc&lon=105",
        "?lat=NaN&lon=105",
        "?lat=21&lon=inf",
        "?lat=91&lon=105",
        "?lat=21&lon=181",
        "?lat=&lon=",
    ] {
        app.error(&format!("/v1/postcodes{q}"), 400, "invalid_coordinates").await;
    }
    // Paris; the middle of the South China Sea (inside the grid box, far from any ward)
    for q in ["?lat=48.8566&lon=2.3522", "?lat=12&lon=110.5", "?lat=-10&lon=105"] {
        app.error(&format!("/v1/postcodes{q}"), 422, "outside_coverage").await;
    }
    let w = &app.index.data.geography.wards[0];
    app.error(
        &format!("/v1/postcodes?lat={}&lon={}&geometry=yes", w.label.lat(), w.label.lon()),
        400,
        "invalid_parameter",
    )
    .await;
}
