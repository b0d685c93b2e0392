//! `/v1/h3/{cell}` and `/v1/h3/{cell}/addresses`.

use crate::helpers::*;
use diachi_geo::dataset::from_e7;
use diachi_geo::index::NationalIndex;
use h3o::{CellIndex, LatLng, Resolution};
use std::collections::HashMap;

fn cell_of(lon: f64, lat: f64, res: Resolution) -> CellIndex {
    LatLng::new(lat, lon).unwrap().to_cell(res)
}

/// Brute-force counts over the index's columns: `(addresses, post offices)` in `cell`.
fn brute_counts(ix: &NationalIndex, cell: CellIndex) -> (u64, u64) {
    let res = cell.resolution();
    let a = all_addresses(ix).filter(|&(_, x, y)| cell_of(x, y, res) == cell).count() as u64;
    let p = ix.data.post_offices.iter().filter(|o| cell_of(from_e7(o.lon_e7), from_e7(o.lat_e7), res) == cell).count()
        as u64;
    (a, p)
}

/// The res-10 cell with the most addresses (ties: the smallest index).
fn busiest_cell(ix: &NationalIndex) -> CellIndex {
    let mut counts: HashMap<CellIndex, u64> = HashMap::new();
    for (_, x, y) in all_addresses(ix) {
        *counts.entry(cell_of(x, y, Resolution::Ten)).or_default() += 1;
    }
    counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0))).unwrap().0
}

#[actix_web::test]
async fn cell_counts_equal_a_brute_force_count() {
    let app = spawn_app().await;
    let ix = &app.index;
    let fine = busiest_cell(ix);
    // a post office's cell too, so that post-office counts are not all zero
    let o = &ix.data.post_offices[0];
    let office_cell = cell_of(from_e7(o.lon_e7), from_e7(o.lat_e7), Resolution::Eight);
    let mut cells = vec![office_cell];
    for res in
        [Resolution::Ten, Resolution::Nine, Resolution::Eight, Resolution::Seven, Resolution::Six, Resolution::Four]
    {
        cells.push(fine.parent(res).unwrap());
    }
    cells.push(cell_of(110.5, 12.0, Resolution::Ten)); // at sea
    let mut total_offices = 0;
    for cell in cells {
        let info = app.ok(&format!("/v1/h3/{cell}")).await;
        let (a, p) = brute_counts(ix, cell);
        assert_eq!(info["cell"], cell.to_string());
        assert_eq!(info["resolution"], u8::from(cell.resolution()));
        assert_eq!(info["addresses"], a, "addresses of {cell} (res {})", cell.resolution());
        assert_eq!(info["post_offices"], p, "post offices of {cell}");
        total_offices += p;
        let c = LatLng::from(cell);
        assert!(
            (f(&info["center"]["lat"]) - c.lat()).abs() < 1e-9 && (f(&info["center"]["lon"]) - c.lng()).abs() < 1e-9
        );
        assert!((f(&info["area_km2"]) - cell.area_km2()).abs() < 1e-9);
    }
    assert!(total_offices > 0);
    assert!(app.ok(&format!("/v1/h3/{fine}")).await["addresses"].as_u64().unwrap() >= 1);
    // upper-case hex and surrounding whitespace are accepted
    let upper = fine.to_string().to_uppercase();
    assert_eq!(app.ok(&format!("/v1/h3/{upper}")).await["cell"], fine.to_string());
    assert_eq!(app.ok(&format!("/v1/h3/%20{fine}%20")).await["cell"], fine.to_string());
}

#[actix_web::test]
async fn addresses_of_a_cell_are_inside_it_in_id_order() {
    let app = spawn_app().await;
    let ix = &app.index;
    let fine = busiest_cell(ix);
    for res in [Resolution::Ten, Resolution::Eight, Resolution::Six, Resolution::Five] {
        let cell = fine.parent(res).unwrap();
        let expected: Vec<u64> =
            all_addresses(ix).filter(|&(_, x, y)| cell_of(x, y, res) == cell).map(|(id, _, _)| u64::from(id)).collect();
        for limit in [None, Some(1), Some(1000)] {
            let q = limit.map_or(String::new(), |l| format!("?limit={l}"));
            let r = app.ok(&format!("/v1/h3/{cell}/addresses{q}")).await;
            let limit = limit.unwrap_or(100);
            assert_eq!(r["cell"], cell.to_string());
            assert_eq!(r["count"], expected.len(), "{cell}");
            assert_eq!(r["truncated"], expected.len() > limit);
            let got: Vec<u64> = r["results"].as_array().unwrap().iter().map(|a| a["id"].as_u64().unwrap()).collect();
            assert_eq!(got, expected.iter().copied().take(limit).collect::<Vec<_>>());
            for a in r["results"].as_array().unwrap() {
                assert_eq!(cell_of(f(&a["lon"]), f(&a["lat"]), res), cell);
            }
        }
    }
    let sea = cell_of(110.5, 12.0, Resolution::Nine);
    let r = app.ok(&format!("/v1/h3/{sea}/addresses")).await;
    assert_eq!((r["count"].as_u64(), r["results"].as_array().unwrap().len()), (Some(0), 0));
}

#[actix_web::test]
async fn bad_cells() {
    let app = spawn_app().await;
    let good = cell_of(105.8342, 21.0378, Resolution::Ten).to_string();
    let mut bad = vec![
        "xyz".to_owned(),
        "0".into(),
        good[1..].to_owned(), // 14 digits
        format!("{good}0"),   // 16 digits
        "ffffffffffffffff".into(),
        "8a415cb4ac6ffff0".into(),
        "-8a415cb4ac6ffff".into(),
        "%00".into(),
        "8a415cb4ac6fffg".into(),
        "12345".into(),
        enc("8a415cb4ac6ff😀"),
    ];
    // a valid hex number with a bad mode or reserved bits
    bad.push("1a415cb4ac6ffff".into());
    for b in &bad {
        app.error(&format!("/v1/h3/{b}"), 400, "invalid_h3_cell").await;
        app.error(&format!("/v1/h3/{b}/addresses"), 400, "invalid_h3_cell").await;
    }
    for res in [Resolution::Zero, Resolution::Two, Resolution::Four] {
        let coarse = cell_of(105.8342, 21.0378, res);
        app.error(&format!("/v1/h3/{coarse}/addresses"), 400, "cell_too_large").await;
        app.ok(&format!("/v1/h3/{coarse}")).await;
    }
    app.error(&format!("/v1/h3/{good}/addresses?limit=1001"), 400, "limit_too_large").await;
    for l in ["0", "-1", "many"] {
        app.error(&format!("/v1/h3/{good}/addresses?limit={l}"), 400, "invalid_limit").await;
    }
}
