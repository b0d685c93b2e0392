//! `/tiles/…`, `/catalog`, `/styles/diachi.json`: status codes, media types, compression, ETags, and the documents.

use crate::helpers::spawn_app;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, ETAG, IF_NONE_MATCH};

/// Hà Nội at z6 and z14 (x, y computed with the usual Web Mercator formula).
const Z6_HANOI: &str = "6/50/28";
const Z14_HANOI: &str = "14/13009/7212";

#[actix_web::test]
async fn a_tile_is_mvt_gzip_when_accepted_and_decodes() {
    let app = spawn_app().await;
    // reqwest does not decompress (no gzip feature): the raw body is what was sent
    let res = app
        .client
        .get(app.url(&format!("/tiles/vietnam/{Z6_HANOI}.mvt")))
        .header("Accept-Encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/vnd.mapbox-vector-tile");
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
    assert!(res.headers()[CACHE_CONTROL].to_str().unwrap().contains("max-age"));
    let gz = res.bytes().await.unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw).unwrap();
    let reader = mvt_reader::Reader::new(raw.clone()).unwrap();
    let names = reader.get_layer_names().unwrap();
    assert!(names.contains(&"provinces".to_owned()) && names.contains(&"country".to_owned()), "{names:?}");

    // without gzip: the same tile, uncompressed; `.pbf` and no suffix name the same tile
    for path in [format!("/tiles/vietnam/{Z6_HANOI}.pbf"), format!("/tiles/vietnam/{Z6_HANOI}")] {
        let res = app.client.get(app.url(&path)).header("Accept-Encoding", "identity").send().await.unwrap();
        assert_eq!(res.status(), StatusCode::OK, "{path}");
        assert_ne!(res.headers().get(CONTENT_ENCODING).map(|v| v.to_str().unwrap()), Some("gzip"));
        assert_eq!(res.bytes().await.unwrap().to_vec(), raw, "{path}");
    }
    // the cached copy now also holds the uncompressed bytes; gzip clients still get the same gzip bytes
    let res = app.client.get(app.url(&format!("/tiles/vietnam/{Z6_HANOI}.mvt"))).header("Accept-Encoding", "gzip");
    let res = res.send().await.unwrap();
    assert_eq!(res.headers()[CONTENT_ENCODING], "gzip");
    assert_eq!(res.bytes().await.unwrap(), gz);
}

#[actix_web::test]
async fn etag_and_if_none_match_give_304() {
    let app = spawn_app().await;
    let url = app.url(&format!("/tiles/vietnam/{Z14_HANOI}.mvt"));
    let first = app.client.get(&url).send().await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let etag = first.headers()[ETAG].to_str().unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'));
    let again = app.client.get(&url).header(IF_NONE_MATCH, &etag).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert_eq!(again.headers()[ETAG].to_str().unwrap(), etag);
    assert!(again.bytes().await.unwrap().is_empty());
    let other = app.client.get(&url).header(IF_NONE_MATCH, "\"0000\"").send().await.unwrap();
    assert_eq!(other.status(), StatusCode::OK);
}

#[actix_web::test]
async fn empty_tiles_are_204() {
    let app = spawn_app().await;
    // the middle of the Pacific at z8; addresses at z10 are none (the layer starts at z14)
    for path in ["/tiles/vietnam/8/10/120.mvt", "/tiles/addresses/10/813/450.mvt"] {
        let res = app.get(path).await;
        assert_eq!(res.status(), StatusCode::NO_CONTENT, "{path}");
        assert!(res.bytes().await.unwrap().is_empty());
    }
}

#[actix_web::test]
async fn bad_tiles_are_json_errors() {
    let app = spawn_app().await;
    for (path, status, code) in [
        ("/tiles/vietnam/3/8/0.mvt", 400, "invalid_tile"),
        ("/tiles/vietnam/3/0/8.mvt", 400, "invalid_tile"),
        ("/tiles/vietnam/23/0/0.mvt", 400, "invalid_tile"),
        ("/tiles/vietnam/-1/0/0.mvt", 400, "invalid_tile"),
        ("/tiles/vietnam/a/0/0.mvt", 400, "invalid_tile"),
        ("/tiles/vietnam/3/0/0.png", 400, "invalid_tile"),
        ("/tiles/vietnam/99999999999/0/0", 400, "invalid_tile"),
        ("/tiles/vietnam/17/104076/57700.mvt", 404, "tile_out_of_range"),
        ("/tiles/roads/3/0/0.mvt", 404, "source_not_found"),
        ("/tiles/roads.json", 404, "source_not_found"),
    ] {
        app.error(path, status, code).await;
    }
}

#[actix_web::test]
async fn tilejson_points_at_this_server() {
    let app = spawn_app().await;
    let tj = app.ok("/tiles/vietnam.json").await;
    assert_eq!(tj["tilejson"], "3.0.0");
    assert_eq!(tj["tiles"][0], format!("{}/tiles/vietnam/{{z}}/{{x}}/{{y}}.mvt", app.address));
    assert_eq!(tj["minzoom"], 0);
    assert_eq!(tj["maxzoom"], 16);
    let ids: Vec<&str> = tj["vector_layers"].as_array().unwrap().iter().map(|l| l["id"].as_str().unwrap()).collect();
    for l in
        ["country", "provinces", "wards", "postal_zones", "labels", "streets", "post_offices", "addresses", "density"]
    {
        assert!(ids.contains(&l), "{l} in {ids:?}");
    }
    let b = tj["bounds"].as_array().unwrap();
    // Trường Sa reaches past 114°E and south of 9°N
    assert!(b[2].as_f64().unwrap() > 114.5 && b[1].as_f64().unwrap() < 8.0);
    let one = app.ok("/tiles/addresses.json").await;
    assert_eq!(one["minzoom"], 14);
    assert_eq!(one["vector_layers"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn the_catalog_lists_every_source() {
    let app = spawn_app().await;
    let c = app.ok("/catalog").await;
    let tiles = c["tiles"].as_object().unwrap();
    assert_eq!(tiles.len(), 10);
    assert_eq!(tiles["vietnam"]["content_type"], "application/vnd.mapbox-vector-tile");
    assert_eq!(tiles["wards"]["tilejson"], format!("{}/tiles/wards.json", app.address));
}

#[actix_web::test]
async fn the_style_points_at_this_server() {
    let app = spawn_app().await;
    let style = app.ok("/styles/diachi.json").await;
    assert_eq!(style["version"], 8);
    let text = style.to_string();
    assert!(!text.contains("localhost:8080"), "every URL is rewritten");
    assert!(text.contains(&format!("{}/tiles/vietnam.json", app.address)));
    assert!(style["glyphs"].as_str().unwrap().starts_with(&app.address));
    // every layer of the style reads an existing source layer
    let known =
        ["country", "provinces", "wards", "postal_zones", "labels", "streets", "post_offices", "addresses", "density"];
    for l in style["layers"].as_array().unwrap() {
        if let Some(sl) = l.get("source-layer").and_then(|v| v.as_str()) {
            assert!(known.contains(&sl), "style layer {} reads {sl}", l["id"]);
        }
    }
}

#[actix_web::test]
async fn tiles_answer_get_and_head_only() {
    let app = spawn_app().await;
    let url = app.url(&format!("/tiles/vietnam/{Z6_HANOI}.mvt"));
    let res = app.client.post(&url).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(res.headers()["allow"], "GET, HEAD");
    // HEAD: the GET answer's status and headers, no body
    let get = app.client.get(&url).send().await.unwrap();
    let head = app.client.head(&url).send().await.unwrap();
    assert_eq!(head.status(), StatusCode::OK);
    assert_eq!(head.headers()[CONTENT_TYPE], "application/vnd.mapbox-vector-tile");
    assert_eq!(head.headers()[ETAG], get.headers()[ETAG]);
    assert!(head.bytes().await.unwrap().is_empty());
}

#[actix_web::test]
async fn the_tile_cache_is_in_the_metrics() {
    let app = spawn_app().await;
    let path = "/tiles/provinces/5/25/14.mvt";
    assert_eq!(app.get(path).await.status(), StatusCode::OK);
    assert_eq!(app.get(path).await.status(), StatusCode::OK);
    let text = app.get("/metrics").await.text().await.unwrap();
    let value = |name: &str| -> f64 {
        text.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("{name} missing"))
            .parse()
            .unwrap()
    };
    // the second request at least was a hit; the cache holds at least that tile
    assert!(value("diachi_tile_cache_hits") >= 1.0);
    assert!(value("diachi_tile_cache_misses") >= 1.0);
    assert!(value("diachi_tile_cache_entries") >= 1.0 && value("diachi_tile_cache_bytes") > 100.0);
}
