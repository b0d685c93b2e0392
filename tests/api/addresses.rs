//! `/v1/addresses/{id}`, `/v1/addresses/nearest` and `/v1/addresses?bbox=` / `?lat&lon&radius_m`.

use crate::helpers::*;
use diachi_domain::AddressId;
use serde_json::Value;

fn results(v: &Value) -> &Vec<Value> {
    v["results"].as_array().unwrap()
}

fn result_ids(v: &Value) -> Vec<u64> {
    results(v).iter().map(|a| a["id"].as_u64().unwrap()).collect()
}

#[actix_web::test]
async fn an_address_by_id_is_the_indexed_record() {
    let app = spawn_app().await;
    let ix = &app.index;
    let geo = &ix.data.geography;
    let set = &ix.data.addresses;
    let last = set.len() as u32 - 1;
    let with_apartment = (0..=last).find(|&i| set.apartment[i as usize] != 0);
    let with_alley = (0..=last).find(|&i| set.alley[i as usize] != 0);
    let split_lot = (0..=last).find(|&i| set.house[i as usize].letter().is_some());
    let with_slash = (0..=last).find(|&i| set.house[i as usize].sub() > 0);
    assert!(split_lot.is_some() && with_slash.is_some(), "the set holds house numbers with letters and slashes");
    let ids = [Some(0), Some(1), Some(9_999), Some(last), with_apartment, with_alley, split_lot, with_slash];
    for id in ids.into_iter().flatten() {
        let a = app.ok(&format!("/v1/addresses/{id}")).await;
        let i = id as usize;
        let ward = &geo.wards[usize::from(set.ward[i])];
        let (lon, lat) = addr_point(ix, id);
        assert_eq!(a["id"], id);
        assert_eq!((f(&a["lon"]), f(&a["lat"])), (lon, lat));
        assert_eq!(a["house_number"], set.house[i].to_string());
        assert_eq!(a["street"], &*set.street_names[set.street[i] as usize]);
        assert_eq!(a["ward"]["code"], ward.code.to_string());
        assert_eq!(a["ward"]["full_name"], ward.full_name());
        assert_eq!(a["province"]["code"], geo.province_of(ward).code.to_string());
        assert_eq!(a["postcode"], ward.postcode.to_string());
        assert_eq!(a["digital_address"], set.digital_address(AddressId::new(id)).unwrap().to_string());
        assert_eq!(a.get("apartment").is_some(), set.apartment[i] != 0);
        assert_eq!(a.get("alley").is_some(), set.alley[i] != 0);
        assert!(a.get("distance_m").is_none());
        let formatted = a["formatted"].as_str().unwrap();
        assert!(formatted.contains(&format!("Số {}", set.house[i])), "{formatted}");
        assert!(formatted.ends_with(&format!("{}, {}", ward.full_name(), geo.province_of(ward).name)), "{formatted}");
    }
    // leading/trailing whitespace is accepted
    assert_eq!(app.ok("/v1/addresses/%207%20").await["id"], 7);
}

#[actix_web::test]
async fn unknown_and_malformed_address_ids() {
    let app = spawn_app().await;
    let n = app.index.data.addresses.len();
    app.error(&format!("/v1/addresses/{n}"), 404, "address_not_found").await;
    app.error("/v1/addresses/4294967295", 404, "address_not_found").await;
    for bad in ["abc", "-1", "1.5", "1e3", "4294967296", "99999999999999999999", "0x10", "%00", "%E2%91%A0", "%20"] {
        app.error(&format!("/v1/addresses/{bad}"), 400, "invalid_address_id").await;
    }
}

#[actix_web::test]
async fn nearest_addresses_are_the_k_nearest_sorted_with_exact_distances() {
    let app = spawn_app().await;
    let ix = &app.index;
    let mut points: Vec<(f64, f64)> = sample_wards(ix).iter().take(8).map(|w| (w.label.lon(), w.label.lat())).collect();
    let (lon, lat) = addr_point(ix, 4_242);
    points.push((lon + 0.000_3, lat - 0.000_2));
    for (lon, lat) in points {
        let mut brute: Vec<f64> = all_addresses(ix).map(|(_, x, y)| haversine(lon, lat, x, y)).collect();
        brute.sort_by(f64::total_cmp);
        for k in [1usize, 7, 100] {
            let r = app.ok(&format!("/v1/addresses/nearest?lat={lat}&lon={lon}&k={k}")).await;
            let list = results(&r);
            assert_eq!(list.len(), k);
            assert_eq!(r["count"], k);
            assert_eq!(r["truncated"], false);
            let mut prev = 0.0;
            for (i, a) in list.iter().enumerate() {
                let d = f(&a["distance_m"]);
                assert!(d >= prev, "not sorted: {prev} then {d}");
                prev = d;
                let exact = haversine(lon, lat, f(&a["lon"]), f(&a["lat"]));
                assert!((d - exact).abs() <= 0.006, "{d} vs haversine {exact}");
                assert!((d - brute[i]).abs() <= 0.006, "#{i}: {d} but brute force says {}", brute[i]);
                assert_eq!(addr_point(ix, a["id"].as_u64().unwrap() as u32), (f(&a["lon"]), f(&a["lat"])));
            }
        }
        // the default k is 10
        assert_eq!(results(&app.ok(&format!("/v1/addresses/nearest?lat={lat}&lon={lon}")).await).len(), 10);
    }
}

#[actix_web::test]
async fn bad_nearest_queries() {
    let app = spawn_app().await;
    let p = "lat=21.0378&lon=105.8342";
    app.error(&format!("/v1/addresses/nearest?{p}&k=101"), 400, "limit_too_large").await;
    app.error(&format!("/v1/addresses/nearest?{p}&k=18446744073709551615"), 400, "limit_too_large").await;
    for k in ["0", "-1", "abc", "2.5", "", "18446744073709551616"] {
        app.error(&format!("/v1/addresses/nearest?{p}&k={k}"), 400, "invalid_limit").await;
    }
    for q in ["", "lat=21", "lat=abc&lon=105", "lat=NaN&lon=105", "lat=91&lon=105"] {
        app.error(&format!("/v1/addresses/nearest?{q}"), 400, "invalid_coordinates").await;
    }
    app.error("/v1/addresses/nearest?lat=48.8566&lon=2.3522", 422, "outside_coverage").await;
    assert_eq!(results(&app.ok(&format!("/v1/addresses/nearest?{p}&k=100")).await).len(), 100);
}

#[actix_web::test]
async fn addresses_in_a_bbox_are_inside_it_counted_and_in_id_order() {
    let app = spawn_app().await;
    let ix = &app.index;
    let (lon, lat) = addr_point(ix, 2_025);
    for (half, limit) in [(0.02, None), (0.2, None), (0.2, Some(1000)), (0.49, Some(3)), (0.000_001, None)] {
        let b = [lon - half, lat - half, lon + half, lat + half];
        let expected: Vec<u64> =
            all_addresses(ix).filter(|&(_, x, y)| in_bbox(b, x, y)).map(|(id, _, _)| u64::from(id)).collect();
        let lim = limit.map_or(String::new(), |l| format!("&limit={l}"));
        let r = app.ok(&format!("/v1/addresses?bbox={},{},{},{}{lim}", b[0], b[1], b[2], b[3])).await;
        let limit = limit.unwrap_or(100);
        assert_eq!(r["count"], expected.len(), "bbox {b:?}");
        assert_eq!(r["truncated"], expected.len() > limit);
        assert_eq!(result_ids(&r), expected.iter().copied().take(limit).collect::<Vec<_>>());
        for a in results(&r) {
            assert!(in_bbox(b, f(&a["lon"]), f(&a["lat"])));
            assert!(a.get("distance_m").is_none());
        }
        assert!(expected.contains(&2_025));
    }
    // whitespace around the numbers is accepted
    let r =
        app.ok(&format!("/v1/addresses?bbox={}%20,%20{},{},{}", lon - 0.01, lat - 0.01, lon + 0.01, lat + 0.01)).await;
    assert!(result_ids(&r).contains(&2_025));
    // an empty area at sea
    let r = app.ok("/v1/addresses?bbox=110,12,110.5,12.5").await;
    assert_eq!((r["count"].as_u64(), &r["truncated"], results(&r).len()), (Some(0), &Value::Bool(false), 0));
}

#[actix_web::test]
async fn addresses_within_a_radius_are_sorted_and_within_it() {
    let app = spawn_app().await;
    let ix = &app.index;
    let (lon, lat) = addr_point(ix, 3_030);
    let (lon, lat) = (lon + 0.000_1, lat + 0.000_1);
    for (radius, limit) in [(50.0, 100usize), (500.0, 100), (5_000.0, 1000), (5_000.0, 2), (0.5, 100)] {
        let mut expected: Vec<(f64, u32)> =
            all_addresses(ix).map(|(id, x, y)| (haversine(lon, lat, x, y), id)).filter(|&(d, _)| d <= radius).collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let r = app.ok(&format!("/v1/addresses?lat={lat}&lon={lon}&radius_m={radius}&limit={limit}")).await;
        assert_eq!(r["count"], expected.len(), "radius {radius}");
        assert_eq!(r["truncated"], expected.len() > limit);
        let list = results(&r);
        assert_eq!(list.len(), expected.len().min(limit));
        let mut prev = 0.0;
        for (a, (d, _)) in list.iter().zip(&expected) {
            let got = f(&a["distance_m"]);
            assert!(got >= prev && got <= radius + 0.005, "{got} (radius {radius}, previous {prev})");
            prev = got;
            assert!((got - haversine(lon, lat, f(&a["lon"]), f(&a["lat"]))).abs() <= 0.006);
            assert!((got - d).abs() <= 0.006);
        }
    }
}

#[actix_web::test]
async fn bad_area_queries() {
    let app = spawn_app().await;
    for b in [
        "105,21,106",
        "105,21,106,22,1",
        "a,b,c,d",
        "105,21,,22",
        "",
        "106,21,105,22",
        "105,22,106,21",
        "105,-91,105.5,-90.5",
        "-181,21,-180.5,21.5",
        "105,21,106,NaN",
        "105,21,inf,22",
    ] {
        app.error(&format!("/v1/addresses?bbox={b}"), 400, "invalid_bbox").await;
    }
    for b in ["105,21,106.01,22", "100,10,102,11", "-180,-90,180,90"] {
        app.error(&format!("/v1/addresses?bbox={b}"), 400, "bbox_too_large").await;
    }
    app.ok("/v1/addresses?bbox=105,21,106,22").await; // exactly 1 square degree
    let p = "lat=21.0378&lon=105.8342";
    for r in ["0", "-5", "abc", "NaN", "inf", ""] {
        app.error(&format!("/v1/addresses?{p}&radius_m={r}"), 400, "invalid_radius").await;
    }
    for r in ["5000.1", "5001", "1e9"] {
        app.error(&format!("/v1/addresses?{p}&radius_m={r}"), 400, "radius_too_large").await;
    }
    for q in ["radius_m=100", "lat=21&radius_m=100", "lat=abc&lon=105&radius_m=100", "lat=91&lon=105&radius_m=100"] {
        app.error(&format!("/v1/addresses?{q}"), 400, "invalid_coordinates").await;
    }
    app.error("/v1/addresses?lat=48.8566&lon=2.3522&radius_m=100", 422, "outside_coverage").await;
    // neither or both forms
    for q in ["", "?lat=21&lon=105", "?bbox=105,21,105.1,21.1&radius_m=100&lat=21&lon=105"] {
        app.error(&format!("/v1/addresses{q}"), 400, "invalid_query").await;
    }
    app.error("/v1/addresses?bbox=105,21,105.1,21.1&limit=1001", 400, "limit_too_large").await;
    for l in ["0", "-1", "x"] {
        app.error(&format!("/v1/addresses?bbox=105,21,105.1,21.1&limit={l}"), 400, "invalid_limit").await;
    }
}
