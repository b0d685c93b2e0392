//! `/v1/post-offices/nearest`.

use crate::helpers::*;
use diachi_geo::dataset::from_e7;

#[actix_web::test]
async fn nearest_post_offices_are_sorted_with_exact_distances() {
    let app = spawn_app().await;
    let ix = &app.index;
    let geo = &ix.data.geography;
    let offices = &ix.data.post_offices;
    for w in sample_wards(ix).into_iter().take(10) {
        let (lon, lat) = (w.label.lon(), w.label.lat());
        let mut brute: Vec<f64> =
            offices.iter().map(|o| haversine(lon, lat, from_e7(o.lon_e7), from_e7(o.lat_e7))).collect();
        brute.sort_by(f64::total_cmp);
        for k in [1usize, 10, 100] {
            let r = app.ok(&format!("/v1/post-offices/nearest?lat={lat}&lon={lon}&k={k}")).await;
            let list = r["results"].as_array().unwrap();
            assert_eq!(list.len(), k);
            let mut prev = 0.0;
            for (i, o) in list.iter().enumerate() {
                let d = f(&o["distance_m"]);
                assert!(d >= prev, "not sorted");
                prev = d;
                assert!((d - haversine(lon, lat, f(&o["lon"]), f(&o["lat"]))).abs() <= 0.006);
                assert!((d - brute[i]).abs() <= 0.006, "#{i}: {d} vs brute force {}", brute[i]);
                // the record is the indexed one
                let id = o["id"].as_u64().unwrap() as usize;
                let po = &offices[id];
                assert_eq!(po.id as usize, id);
                assert_eq!(o["name"], po.name);
                assert_eq!((f(&o["lon"]), f(&o["lat"])), (from_e7(po.lon_e7), from_e7(po.lat_e7)));
                let pw = &geo.wards[usize::from(po.ward)];
                assert_eq!(o["ward"]["code"], pw.code.to_string());
                assert_eq!(o["postcode"], pw.postcode.to_string());
                assert_eq!(o["province"]["code"], geo.province_of(pw).code.to_string());
                let kind = o["kind"].as_str().unwrap();
                assert!(
                    ["provincial_hub", "post_office", "cultural_post_point", "service_point"].contains(&kind),
                    "{kind}"
                );
            }
        }
        let r = app.ok(&format!("/v1/post-offices/nearest?lat={lat}&lon={lon}")).await;
        assert_eq!(r["results"].as_array().unwrap().len(), 10);
    }
}

#[actix_web::test]
async fn bad_post_office_queries() {
    let app = spawn_app().await;
    let p = "lat=21.0378&lon=105.8342";
    app.error(&format!("/v1/post-offices/nearest?{p}&k=101"), 400, "limit_too_large").await;
    for k in ["0", "-1", "ten", ""] {
        app.error(&format!("/v1/post-offices/nearest?{p}&k={k}"), 400, "invalid_limit").await;
    }
    for q in ["", "lon=105", "lat=abc&lon=105", "lat=NaN&lon=105", "lat=91&lon=105", "lat=21&lon=200"] {
        app.error(&format!("/v1/post-offices/nearest?{q}"), 400, "invalid_coordinates").await;
    }
    for q in ["lat=48.8566&lon=2.3522", "lat=-33.86&lon=151.2"] {
        app.error(&format!("/v1/post-offices/nearest?{q}"), 422, "outside_coverage").await;
    }
}
