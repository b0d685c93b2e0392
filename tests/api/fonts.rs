//! `/fonts/{fontstack}/{range}.pbf`: MapLibre glyphs.

use crate::helpers::*;
use diachi_fonts::{FONT_STACK, pbf::Glyphs};
use prost::Message;
use reqwest::StatusCode;
use std::io::Read;

fn glyphs_of(body: &[u8]) -> Glyphs {
    Glyphs::decode(body).unwrap_or_else(|e| panic!("not a glyphs PBF ({e}): {} bytes", body.len()))
}

#[actix_web::test]
async fn a_range_is_a_cacheable_protobuf_under_the_requested_stack_name() {
    let app = spawn_app().await;
    let res = app.get(&format!("/fonts/{}/7680-7935.pbf", enc(FONT_STACK))).await;
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-type"], "application/x-protobuf");
    assert_eq!(res.headers()["cache-control"], "public, max-age=86400");
    assert!(res.headers().get("content-encoding").is_none(), "reqwest asked for no compression");
    let pbf = glyphs_of(&res.bytes().await.unwrap());
    assert_eq!(pbf.stacks.len(), 1);
    let stack = &pbf.stacks[0];
    assert_eq!((stack.name.as_str(), stack.range.as_str()), (FONT_STACK, "7680-7935"));
    for cp in 0x1EA0..=0x1EF9 {
        let g = stack.glyphs.iter().find(|g| g.id == cp).unwrap_or_else(|| panic!("no U+{cp:04X}"));
        assert_eq!(g.bitmap.as_ref().map(Vec::len), Some(((g.width + 6) * (g.height + 6)) as usize));
    }

    // a list of stacks, as MapLibre sends it, percent-encoded
    let name = "Noto Sans Regular,Arial Unicode MS Regular";
    let res = app.get(&format!("/fonts/{}/256-511.pbf", enc(name))).await;
    assert_eq!(res.status(), StatusCode::OK);
    let pbf = glyphs_of(&res.bytes().await.unwrap());
    assert_eq!(pbf.stacks[0].name, name);
    for c in ['Ơ', 'ơ', 'Ư', 'ư', 'Đ', 'đ'] {
        assert!(pbf.stacks[0].glyphs.iter().any(|g| g.id == c as u32), "{c}");
    }
}

#[actix_web::test]
async fn a_range_without_glyphs_is_200_with_an_empty_stack() {
    let app = spawn_app().await;
    let res = app.get("/fonts/Open%20Sans%20Bold/55296-55551.pbf").await;
    assert_eq!(res.status(), StatusCode::OK);
    let pbf = glyphs_of(&res.bytes().await.unwrap());
    assert_eq!(pbf.stacks[0].name, "Open Sans Bold");
    assert_eq!(pbf.stacks[0].range, "55296-55551");
    assert!(pbf.stacks[0].glyphs.is_empty());
}

#[actix_web::test]
async fn glyphs_are_gzipped_for_a_client_that_accepts_it() {
    let app = spawn_app().await;
    let url = app.url(&format!("/fonts/{}/0-255.pbf", enc(FONT_STACK)));
    let plain = app.client.get(&url).send().await.unwrap().bytes().await.unwrap();
    let res = app.client.get(&url).header("accept-encoding", "gzip").send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    assert_eq!(res.headers()["content-encoding"], "gzip");
    assert_eq!(res.headers()["content-type"], "application/x-protobuf");
    let zipped = res.bytes().await.unwrap();
    assert!(zipped.len() < plain.len(), "{} vs {}", zipped.len(), plain.len());
    let mut unzipped = Vec::new();
    flate2::read::GzDecoder::new(&zipped[..]).read_to_end(&mut unzipped).unwrap();
    assert_eq!(unzipped, plain);
    assert!(glyphs_of(&unzipped).stacks[0].glyphs.iter().any(|g| g.id == u32::from('A')));
}

#[actix_web::test]
async fn a_bad_range_or_stack_is_a_400_json_error() {
    let app = spawn_app().await;
    for range in ["0-256", "1-256", "256-255", "65536-65791", "00-255", "abc", "0-255-511", "%20", "99999999999-1"] {
        app.error(&format!("/fonts/Noto%20Sans%20Regular/{range}.pbf"), 400, "invalid_glyph_range").await;
    }
    for stack in ["%0A", "a%00b", &"x".repeat(257)] {
        app.error(&format!("/fonts/{stack}/0-255.pbf"), 400, "invalid_fontstack").await;
    }
    // no `.pbf`, an empty segment: not this route
    app.error("/fonts/Noto%20Sans%20Regular/0-255", 404, "not_found").await;
    app.error("/fonts//0-255.pbf", 404, "not_found").await;
}

#[actix_web::test]
async fn the_openapi_document_lists_the_256_ranges() {
    let app = spawn_app().await;
    let doc = app.ok("/openapi.json").await;
    let op = &doc["paths"]["/fonts/{fontstack}/{range}.pbf"]["get"];
    let params = op["parameters"].as_array().unwrap();
    let range = params.iter().find(|p| p["name"] == "range").unwrap();
    let values = range["schema"]["enum"].as_array().unwrap();
    assert_eq!(values.len(), 256);
    assert_eq!((values[0].as_str(), values[255].as_str()), (Some("0-255"), Some("65280-65535")));
    assert!(op["responses"]["200"]["content"]["application/x-protobuf"].is_object(), "{op}");
    assert!(op["responses"]["400"].is_object(), "{op}");
}
