//! `/v1/admin/provinces`, `/v1/admin/provinces/{code}/wards` and `/v1/admin/wards/{code}`.

use crate::helpers::*;
use diachi_domain::{ProvinceCode, WardCode};

#[actix_web::test]
async fn the_34_provinces() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    let body = app.ok("/v1/admin/provinces").await;
    let list = body["provinces"].as_array().unwrap();
    assert_eq!(list.len(), 34);
    assert_eq!(list.len(), geo.provinces.len());
    let hanoi = list.iter().find(|p| p["code"] == "01").expect("Hà Nội");
    assert_eq!(hanoi["name"], "Hà Nội");
    assert_eq!(hanoi["kind"], "thành phố");
    let mut wards = 0;
    for (p, g) in list.iter().zip(&geo.provinces) {
        assert_eq!(p["code"], g.code.to_string());
        assert_eq!(p["name"], g.name);
        assert_eq!(p["ward_count"], g.wards.len());
        let prefixes: Vec<String> = g.postcode_prefixes.iter().map(|x| format!("{x:02}")).collect();
        assert_eq!(p["postcode_prefixes"], serde_json::json!(prefixes));
        wards += p["ward_count"].as_u64().unwrap();
    }
    assert_eq!(wards, geo.wards.len() as u64);
    let mut codes: Vec<&str> = list.iter().map(|p| p["code"].as_str().unwrap()).collect();
    codes.dedup();
    assert_eq!(codes.len(), 34);
}

#[actix_web::test]
async fn the_wards_of_a_province() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    for code in ["01", "79", "48", "56"] {
        let body = app.ok(&format!("/v1/admin/provinces/{code}/wards")).await;
        let p = geo.province(ProvinceCode::parse(code).unwrap()).unwrap();
        assert_eq!(body["province"]["code"], code);
        assert_eq!(body["province"]["name"], p.name);
        let wards = body["wards"].as_array().unwrap();
        assert_eq!(wards.len(), p.wards.len());
        for (w, &wi) in wards.iter().zip(&p.wards) {
            let g = &geo.wards[usize::from(wi)];
            assert_eq!(w["code"], g.code.to_string());
            assert_eq!(w["postcode"], g.postcode.to_string());
            assert_eq!(w["full_name"], g.full_name());
            assert_eq!((f(&w["label"]["lon"]), f(&w["label"]["lat"])), (g.label.lon(), g.label.lat()));
            assert!(g.code.to_string().len() == 5);
        }
    }
    let hanoi = app.ok("/v1/admin/provinces/01/wards").await;
    let ba_dinh = hanoi["wards"].as_array().unwrap().iter().find(|w| w["code"] == "00004").expect("Ba Đình");
    assert_eq!(ba_dinh["name"], "Ba Đình");
    assert_eq!(ba_dinh["kind"], "phường");
    // whitespace is trimmed
    assert_eq!(app.ok("/v1/admin/provinces/%2001%20/wards").await["province"]["code"], "01");
}

#[actix_web::test]
async fn a_ward_with_the_units_it_was_formed_from() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    for w in sample_wards(&app.index) {
        let code = w.code.to_string();
        let body = app.ok(&format!("/v1/admin/wards/{code}")).await;
        assert_eq!(body["code"], code);
        assert_eq!(body["name"], w.name);
        assert_eq!(body["full_name"], w.full_name());
        assert_eq!(body["postcode"], w.postcode.to_string());
        assert_eq!(body["province"]["code"], geo.province_of(w).code.to_string());
        let b = bbox_of(&body["bbox"]);
        assert!(in_bbox(b, w.label.lon(), w.label.lat()));
        assert!(f(&body["area_km2"]) > 0.0);
        assert!(body.get("geometry").is_none());
        let mut got: Vec<(String, String, String, bool)> = body["old_units"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| {
                let s = |k: &str| u[k].as_str().unwrap().to_owned();
                (s("province"), s("district"), s("ward"), u["divided"].as_bool().unwrap())
            })
            .collect();
        let mut expected: Vec<(String, String, String, bool)> = geo
            .mapping
            .iter()
            .filter(|r| r.new_ward_code == code)
            .map(|r| {
                (r.old_province_name.clone(), r.old_district_name.clone(), r.old_ward_name.clone(), r.is_divided == 1)
            })
            .collect();
        got.sort();
        expected.sort();
        assert_eq!(got, expected, "{code}");
        if code == "00004" {
            assert!(!got.is_empty(), "Ba Đình was formed from older wards");
            assert!(got.iter().all(|u| u.0.contains("Hà Nội")), "{got:?}");
        }
    }
}

#[actix_web::test]
async fn a_wards_geometry_contains_its_label_point() {
    let app = spawn_app().await;
    for w in sample_wards(&app.index).into_iter().take(8) {
        let body = app.ok(&format!("/v1/admin/wards/{}?geometry=true", w.code)).await;
        let g = &body["geometry"];
        assert_eq!(g["type"], "MultiPolygon");
        let gb = geojson_bbox(&g["coordinates"]);
        assert!(in_bbox(gb, w.label.lon(), w.label.lat()), "{}", w.code);
        let b = bbox_of(&body["bbox"]);
        for i in 0..4 {
            assert!((gb[i] - b[i]).abs() < 1e-6, "{}: {gb:?} vs {b:?}", w.code);
        }
    }
}

#[actix_web::test]
async fn unknown_and_malformed_units() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    let no_province =
        (0..100).map(|n| ProvinceCode::from_u32(n).unwrap()).find(|c| geo.province(*c).is_none()).unwrap();
    let no_ward = (0..100_000).map(|n| WardCode::from_u32(n).unwrap()).find(|c| geo.ward(*c).is_none()).unwrap();
    app.error(&format!("/v1/admin/provinces/{no_province}/wards"), 404, "province_not_found").await;
    app.error("/v1/admin/provinces/99/wards", 404, "province_not_found").await;
    for bad in ["1", "001", "ab", "%00", "-1", "%EF%BC%90%EF%BC%91"] {
        app.error(&format!("/v1/admin/provinces/{bad}/wards"), 400, "invalid_province_code").await;
    }
    app.error(&format!("/v1/admin/wards/{no_ward}"), 404, "ward_not_found").await;
    app.error("/v1/admin/wards/99999", 404, "ward_not_found").await;
    for bad in ["4", "0004", "000004", "abcde", "0000a", "%00"] {
        app.error(&format!("/v1/admin/wards/{bad}"), 400, "invalid_ward_code").await;
    }
    app.error("/v1/admin/wards/00004?geometry=please", 400, "invalid_parameter").await;
    // a province code is not a path of its own
    app.error("/v1/admin/provinces/01", 404, "not_found").await;
}
