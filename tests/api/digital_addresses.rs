//! `/v1/digital-addresses/encode` and `/v1/digital-addresses/{code}`.

use crate::helpers::*;
use diachi_domain::{AddressId, GridCell, LonLat};
use diachi_geo::index::NationalIndex;

/// Ids of the addresses whose 1 m cell lies in `area`, in id order (brute force).
fn ids_in(ix: &NationalIndex, area: GridCell) -> Vec<u64> {
    let set = &ix.data.addresses;
    set.ids().filter(|&id| area.contains(&set.cell(id).unwrap())).map(|id| u64::from(id.get())).collect()
}

fn ids(v: &serde_json::Value) -> Vec<u64> {
    v["delivery_points"].as_array().unwrap().iter().map(|a| a["id"].as_u64().unwrap()).collect()
}

fn data_chars(code: &str) -> String {
    let s: String = code.split('.').next().unwrap().chars().filter(|c| *c != '-').collect();
    s[..s.len() - 1].to_owned()
}

#[actix_web::test]
async fn encode_matches_the_reference_codes_of_the_specification() {
    let app = spawn_app().await;
    // docs/digital-address.md, section 8
    for (lat, lon, code) in [
        (21.0378, 105.8342, "V98-FE4-RYEW"),
        (10.7769, 106.7009, "8PE-CNT-D8CD"),
        (8.6453, 111.9183, "96Y-44V-2REE"),
        (16.53, 111.61, "N6N-9JT-39JW"),
    ] {
        let e = app.ok(&format!("/v1/digital-addresses/encode?lat={lat}&lon={lon}")).await;
        assert_eq!(e["code"], code);
        assert_eq!(e["level"], 9);
    }
    let e = app.ok("/v1/digital-addresses/encode?lat=10.7769&lon=106.7009&level=4").await;
    assert_eq!(e["code"], "8PE-CF");
    let e = app.ok("/v1/digital-addresses/encode?lat=10.7769&lon=106.7009&level=1").await;
    assert_eq!(e["code"], "84");
    assert_eq!(bbox_of(&e["bbox"]), [104.0, 8.0, 108.0, 12.0]);
}

#[actix_web::test]
async fn encode_then_look_up_gives_a_cell_containing_the_point() {
    let app = spawn_app().await;
    let ix = &app.index;
    let mut points: Vec<(f64, f64)> = sample_wards(ix).iter().map(|w| (w.label.lat(), w.label.lon())).collect();
    points.push((16.047_079, 108.206_230)); // Đà Nẵng
    points.push((12.0, 110.5)); // at sea: has a code, no ward
    for (lat, lon) in points {
        let mut data9 = String::new();
        for level in (1..=9u8).rev() {
            let e = app.ok(&format!("/v1/digital-addresses/encode?lat={lat}&lon={lon}&level={level}")).await;
            assert_eq!(e["level"], level);
            let code = e["code"].as_str().unwrap();
            let b = bbox_of(&e["bbox"]);
            assert!(b[0] <= lon && lon < b[2] && b[1] <= lat && lat < b[3], "{code} {b:?} ∌ {lat},{lon}");
            let side = 20.0 / 5f64.powi(i32::from(level));
            assert!((b[2] - b[0] - side).abs() < 1e-9 && (b[3] - b[1] - side).abs() < 1e-9);
            assert!(in_bbox(b, f(&e["center"]["lon"]), f(&e["center"]["lat"])));
            // hierarchical: the area's data characters are a prefix of the full code's
            if level == 9 {
                data9 = data_chars(code);
            } else {
                assert!(data9.starts_with(&data_chars(code)), "{code} is not a prefix of {data9}");
            }

            let d = app.ok(&format!("/v1/digital-addresses/{code}")).await;
            assert_eq!(d["code"], code);
            assert_eq!(d["level"], level);
            // a unit only where a full code names a delivery point
            if level == 9 && d["delivery_point_count"].as_u64().unwrap() > 0 {
                assert_eq!(d["unit"], 1);
            } else {
                assert!(d.get("unit").is_none(), "{code}: {d}");
            }
            assert_eq!(bbox_of(&d["bbox"]), b);
            assert_eq!(d["center"], e["center"]);
            if level == 9 && lat != 12.0 {
                // a full cell on land: its ward is the point's
                let w = ix.data.geography.ward_near(LonLat::new(lon, lat).unwrap(), 2_000.0).unwrap().0;
                let w = &ix.data.geography.wards[usize::from(w)];
                assert_eq!(d["ward"]["code"], w.code.to_string());
                assert_eq!(d["postcode"], w.postcode.to_string());
                assert_eq!(d["province"]["code"], ix.data.geography.province_of(w).code.to_string());
            }
            if lat == 12.0 && level >= 5 {
                assert!(d.get("ward").is_none() && d.get("postcode").is_none(), "{d}");
            }
        }
    }
}

#[actix_web::test]
async fn area_codes_count_the_delivery_points_inside() {
    let app = spawn_app().await;
    let ix = &app.index;
    let (lon, lat) = addr_point(ix, 777);
    for level in 1..=9u8 {
        let area = GridCell::from_lonlat(LonLat::new(lon, lat).unwrap(), level).unwrap();
        let expected = ids_in(ix, area);
        let d = app.ok(&format!("/v1/digital-addresses/{area}?limit=1000")).await;
        assert_eq!(d["delivery_point_count"], expected.len(), "{area}");
        assert!(expected.contains(&777));
        let got = ids(&d);
        assert_eq!(got, expected.iter().copied().take(1000).collect::<Vec<_>>(), "{area}");
        assert_eq!(d["truncated"], expected.len() > 1000);
        for p in d["delivery_points"].as_array().unwrap() {
            assert!(in_bbox(bbox_of(&d["bbox"]), f(&p["lon"]), f(&p["lat"])));
        }
        // the default limit is 100, and a small limit truncates
        let d = app.ok(&format!("/v1/digital-addresses/{area}")).await;
        assert_eq!(ids(&d).len(), expected.len().min(100));
        assert_eq!(d["truncated"], expected.len() > 100);
        let d = app.ok(&format!("/v1/digital-addresses/{area}?limit=1")).await;
        assert_eq!(ids(&d), expected[..1]);
        assert_eq!(d["delivery_point_count"], expected.len());
        assert_eq!(d["truncated"], expected.len() > 1);
    }
}

#[actix_web::test]
async fn an_addresses_digital_address_finds_that_address() {
    let app = spawn_app().await;
    let ix = &app.index;
    let set = &ix.data.addresses;
    let with_unit = (0..set.len() as u32).find(|&i| set.da_unit[i as usize] >= 2).expect("a shared 1 m cell");
    let single = (0..set.len() as u32).find(|&i| ids_in(ix, set.cell(AddressId::new(i)).unwrap()).len() == 1).unwrap();
    for id in [single, with_unit] {
        let a = app.ok(&format!("/v1/addresses/{id}")).await;
        let code = a["digital_address"].as_str().unwrap();
        let unit = set.da_unit[id as usize];
        let bare = code.split('.').next().unwrap();
        let cell = GridCell::parse(bare).unwrap();
        assert_eq!(Some(cell), set.cell(AddressId::new(id)));
        let in_cell = ids_in(ix, cell);

        // the code as written on the address
        let d = app.ok(&format!("/v1/digital-addresses/{code}")).await;
        assert_eq!(d["code"], code);
        assert_eq!(d["unit"], unit);
        if unit >= 2 {
            assert!(code.ends_with(&format!(".{unit}")), "{code}");
            assert_eq!(ids(&d), [u64::from(id)], "{d}");
            assert_eq!(d["delivery_point_count"], 1);
        } else {
            assert_eq!(ids(&d), in_cell);
        }
        assert_eq!(d["delivery_points"].as_array().unwrap().iter().find(|p| p["id"] == id).unwrap(), &a);

        // the bare code lists every point of the cell
        let d = app.ok(&format!("/v1/digital-addresses/{bare}")).await;
        assert_eq!(d["code"], bare);
        assert_eq!(d["unit"], 1);
        assert_eq!(ids(&d), in_cell);
        assert_eq!(d["delivery_point_count"], in_cell.len());
        assert!(in_cell.contains(&u64::from(id)));

        // `.N` names exactly the point with that unit, `.1` the bare code's point
        for u in 1..=set.da_unit[id as usize].max(2) + 1 {
            let holder = in_cell.iter().copied().find(|&i| set.da_unit[i as usize] == u);
            let path = format!("/v1/digital-addresses/{bare}.{u}");
            match holder {
                Some(h) => {
                    let d = app.ok(&path).await;
                    assert_eq!(ids(&d), [h]);
                    assert_eq!(d["unit"], u);
                    assert_eq!(d["code"], if u == 1 { bare.to_owned() } else { format!("{bare}.{u}") });
                }
                None => {
                    app.error(&path, 404, "delivery_point_not_found").await;
                }
            }
        }
        let max = in_cell.iter().map(|&i| set.da_unit[i as usize]).max().unwrap();
        app.error(&format!("/v1/digital-addresses/{bare}.{}", max + 1), 404, "delivery_point_not_found").await;
        app.error(&format!("/v1/digital-addresses/{bare}.65535"), 404, "delivery_point_not_found").await;

        // lenient forms: lowercase, no dashes, spaces, underscores, leading zeros in the unit
        let lower = code.to_lowercase();
        let forms = [
            lower.clone(),
            lower.replace('-', ""),
            code.replace('-', ""),
            enc(&lower.replace('-', " ")),
            code.replace('-', "_"),
            enc(&format!("  {code}  ")),
        ];
        for form in forms {
            let d = app.ok(&format!("/v1/digital-addresses/{form}")).await;
            assert_eq!(d["code"], code, "{form}");
            assert!(ids(&d).contains(&u64::from(id)));
        }
        if unit >= 2 {
            let d = app.ok(&format!("/v1/digital-addresses/{}.00{unit}", bare.to_lowercase())).await;
            assert_eq!(ids(&d), [u64::from(id)]);
        }
    }
}

#[actix_web::test]
async fn malformed_codes() {
    let app = spawn_app().await;
    let good = "V98-FE4-RYEW";
    let mut bad: Vec<String> = vec![
        "V".into(),                  // too short
        "%20".into(),                // empty after trimming
        "V98-FE4-RYEWW".into(),      // 11 symbols
        "V98-FE4-RYEW-V98".into(),   // 13 symbols
        enc("V98-FE4-😀"),           // emoji
        enc("V98-FE4-RYÊW"),         // Telex turned E into Ê
        "V98-FE4-RYEW.0".into(),     // unit 0
        "V98-FE4-RYEW.65536".into(), // unit too large
        "V98-FE4-RYEW.-1".into(),    // signed unit
        "V98-FE4-RYEW.".into(),      // empty unit
        "V98-FE4-RYEW.2.3".into(),   // two dots
        "V98-FE4-RYEW.2a".into(),    // letters in the unit
        "8PE-CF.2".into(),           // a unit on an area code
        "A".repeat(65),              // longer than 64 bytes
        "A".repeat(8_000),           // a long path (over 8 KiB the HTTP layer answers 414, see errors.rs)
        "%00".into(),                // NUL
    ];
    // the excluded look-alikes, in every position
    for ch in ['0', 'O', 'I', 'L', '1', 'S', 'Z', 'B', 'G', 'U', 'Q', 'o', 'l'] {
        for pos in [0, 5, 11] {
            let mut s: Vec<char> = good.chars().collect();
            s[pos] = ch;
            bad.push(s.into_iter().collect());
        }
    }
    for code in &bad {
        let e = app.error(&format!("/v1/digital-addresses/{code}"), 400, "invalid_digital_address").await;
        if code.len() == 12 && !code.contains(['.', '%']) {
            let m = e["error"]["message"].as_str().unwrap();
            assert!(m.contains("invalid character"), "{code}: {m}");
        }
    }
}

#[actix_web::test]
async fn typing_errors_fail_the_check_character() {
    let app = spawn_app().await;
    let good = "V98-FE4-RYEW";
    app.ok(&format!("/v1/digital-addresses/{good}")).await;
    let symbols = diachi_domain::digital_address::ALPHABET;
    let chars: Vec<char> = good.chars().collect();
    let positions: Vec<usize> = (0..chars.len()).filter(|&i| chars[i] != '-').collect();
    // every single substitution in two positions (data and check)
    for &pos in &[positions[0], positions[positions.len() - 1]] {
        for sym in symbols.chars().filter(|&c| c != chars[pos]) {
            let mut s = chars.clone();
            s[pos] = sym;
            let code: String = s.into_iter().collect();
            app.error(&format!("/v1/digital-addresses/{code}"), 400, "invalid_check_character").await;
        }
    }
    // every swap of adjacent different symbols
    for w in positions.windows(2) {
        if chars[w[0]] != chars[w[1]] {
            let mut s = chars.clone();
            s.swap(w[0], w[1]);
            let code: String = s.into_iter().collect();
            app.error(&format!("/v1/digital-addresses/{code}"), 400, "invalid_check_character").await;
        }
    }
    // an area code with a wrong check character
    app.error("/v1/digital-addresses/8PE-CD", 400, "invalid_check_character").await;
    // a DIGIPIN-shaped code is refused
    app.error("/v1/digital-addresses/39J-438-TJC7", 400, "invalid_check_character").await;
}

#[actix_web::test]
async fn bad_encode_and_lookup_parameters() {
    let app = spawn_app().await;
    for q in ["", "?lat=21", "?lat=abc&lon=105", "?lat=NaN&lon=105", "?lat=91&lon=105", "?lat=21&lon=-181"] {
        app.error(&format!("/v1/digital-addresses/encode{q}"), 400, "invalid_coordinates").await;
    }
    for q in ["?lat=48.8566&lon=2.3522", "?lat=24&lon=105", "?lat=3.99&lon=105", "?lat=10&lon=99.99"] {
        app.error(&format!("/v1/digital-addresses/encode{q}"), 422, "outside_coverage").await;
    }
    for level in ["0", "10", "-1", "abc", "4.5", "256", ""] {
        app.error(&format!("/v1/digital-addresses/encode?lat=21&lon=105&level={level}"), 400, "invalid_level").await;
    }
    let code = "V98-FE4-RYEW";
    app.error(&format!("/v1/digital-addresses/{code}?limit=1001"), 400, "limit_too_large").await;
    for limit in ["0", "-1", "abc", "1.5", ""] {
        app.error(&format!("/v1/digital-addresses/{code}?limit={limit}"), 400, "invalid_limit").await;
    }
    let d = app.ok(&format!("/v1/digital-addresses/{code}?limit=1000")).await;
    assert_eq!(d["code"], code);
}
