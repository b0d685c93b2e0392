//! POST /v1/addresses/validate and its NDJSON batch.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{assert_error, spawn_app};
use diachi_domain::AddressId;

impl crate::helpers::TestApp {
    /// POST a JSON body to `path`; the status and the answer as JSON.
    pub async fn post_json(&self, path: &str, body: &Value) -> (StatusCode, Value) {
        let res = self.authorized(self.client.post(self.url(path))).json(body).send().await.expect("sent");
        let status = res.status();
        let text = res.text().await.expect("a body");
        (
            status,
            serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("POST {path}: {status}, not JSON ({e}): {text:.300}")),
        )
    }

    /// POST an NDJSON batch; the status and the answer lines.
    pub async fn post_batch(&self, body: String) -> (StatusCode, Vec<Value>) {
        let res = self
            .authorized(self.client.post(self.url("/v1/addresses/validate/batch")))
            .header("content-type", "application/x-ndjson")
            .body(body)
            .send()
            .await
            .expect("sent");
        let status = res.status();
        let text = res.text().await.expect("a body");
        let lines = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l:.300}")))
            .collect();
        (status, lines)
    }
}

#[actix_web::test]
async fn a_formatted_address_validates_to_its_delivery_point() {
    let app = spawn_app().await;
    // a house (not a flat of a building: that validates to `sub_premise`)
    let set = &app.index.data.addresses;
    let id = (321..set.len()).find(|&i| set.apartment[i] == 0).expect("a house") as u32;
    let v = app.index.view(AddressId::new(id)).expect("id exists");
    let (status, res) = app.post_json("/v1/addresses/validate", &json!({ "address": v.formatted })).await;
    assert_eq!(status, StatusCode::OK, "{res}");
    let a = &res["address"];
    assert_eq!(a["address_id"], id, "{res}");
    assert_eq!(a["digital_address"], v.digital_address.as_str());
    assert_eq!(a["postcode"], v.postcode);
    assert_eq!(a["ward"]["code"], v.ward_code);
    assert_eq!(res["verdict"]["validation_granularity"], "premise");
    assert_eq!(res["verdict"]["possible_next_action"], "accept");
    assert_eq!(res["verdict"]["address_complete"], true);
}

#[actix_web::test]
async fn the_old_form_without_marks_is_replaced_and_said_so() {
    let app = spawn_app().await;
    let geo = &app.index.data.geography;
    let forms = diachi_synth::forms::OldForms::new(geo);
    let mut checked = 0;
    for id in app.index.data.addresses.ids().step_by(997) {
        let v = app.index.view(id).expect("id exists");
        let Some((pieces, row)) = forms.old_form(geo, &v, id.get()) else { continue };
        if row.is_divided == 1 {
            continue;
        }
        let text = diachi_synth::noise::strip_marks(&diachi_synth::forms::join(&pieces)).to_lowercase();
        let (status, res) = app.post_json("/v1/addresses/validate", &json!({ "address": text })).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(res["address"]["ward"]["code"], v.ward_code, "{text}: {res}");
        assert_eq!(res["verdict"]["has_replaced_components"], true, "{text}");
        assert_eq!(res["address"]["old_units"]["ward"]["code"], row.old_ward_code.as_str(), "{text}");
        let district =
            res["components"].as_array().unwrap().iter().find(|c| c["type"] == "district").expect("district");
        assert_eq!(district["replaced"], true);
        checked += 1;
    }
    assert!(checked >= 5, "{checked}");
}

#[actix_web::test]
async fn hostile_input_gets_a_verdict_or_a_clear_error_never_a_500() {
    let app = spawn_app().await;
    let long = "Phường Bến Nghé, ".repeat(2_500); // ~52 KB, inside the 64 KiB body limit
    for text in [
        "",
        " \t\n",
        "\u{0}\u{1}\u{7}\u{1b}[31m",
        "😀🏠📮 số 12 😀",
        "'; DROP TABLE addresses; --",
        "1 OR 1=1; SELECT * FROM pg_user",
        "Hà Nội 北京 Москва ﷽ \u{202e}gnp.exe",
        long.as_str(),
    ] {
        let (status, res) = app.post_json("/v1/addresses/validate", &json!({ "address": text })).await;
        assert_eq!(status, StatusCode::OK, "{text:.40}: {res}");
        assert!(res["verdict"]["possible_next_action"].is_string(), "{res}");
    }
    let huge = "a".repeat(1 << 20);
    let (status, res) = app.post_json("/v1/addresses/validate", &json!({ "address": huge })).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_error(&res, "body_too_large", "1 MB");
    for (body, code) in [
        (json!({ "address": "Hà Nội", "lat": 21.0 }), "invalid_coordinates"),
        (json!({ "address": "Hà Nội", "lat": 95.0, "lon": 105.0 }), "invalid_coordinates"),
        (json!({ "address": 12 }), "invalid_body"),
        (json!({ "adress": "Hà Nội" }), "invalid_body"),
        (json!(["Hà Nội"]), "invalid_body"),
    ] {
        let (status, res) = app.post_json("/v1/addresses/validate", &body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {res}");
        assert_error(&res, code, &body.to_string());
    }
    let res = app.client.get(app.url("/v1/addresses/validate")).send().await.expect("sent");
    assert_eq!(res.status(), StatusCode::METHOD_NOT_ALLOWED);
}

#[actix_web::test]
async fn a_batch_answers_line_by_line_in_order_bad_lines_included() {
    let app = spawn_app().await;
    let a = app.index.view(AddressId::new(10)).expect("id exists");
    let b = app.index.view(AddressId::new(20)).expect("id exists");
    let body = format!(
        "{}\n\n{}\nnot json\n{}\n{}",
        json!({ "id": "a", "address": a.formatted }),
        json!({ "id": 7, "address": b.formatted, "lat": b.lat, "lon": b.lon }),
        json!({ "address": "xyzzy" }),
        json!({ "id": "late", "address": "Hà Nội", "lat": 1 }),
    );
    let (status, lines) = app.post_batch(body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lines.len(), 5, "{lines:?}");
    assert_eq!(lines[0]["line"], 1);
    assert_eq!(lines[0]["id"], "a");
    assert_eq!(lines[0]["result"]["address"]["address_id"], 10);
    assert_eq!(lines[1]["id"], 7);
    assert_eq!(lines[1]["result"]["address"]["address_id"], 20);
    assert_eq!(lines[2]["error"]["code"], "invalid_line");
    assert_eq!(lines[3]["result"]["verdict"]["possible_next_action"], "fix");
    assert_eq!(lines[4]["id"], "late");
    assert_eq!(lines[4]["error"]["code"], "invalid_coordinates");
}

#[actix_web::test]
async fn a_batch_stops_after_ten_thousand_lines_and_says_so() {
    let app = spawn_app().await;
    let body: String =
        (0..10_002).map(|i| format!("{}\n", json!({ "id": i, "address": "Phường Bến Nghé, TP.HCM" }))).collect();
    let (status, lines) = app.post_batch(body).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(lines.len(), 10_001);
    assert_eq!(lines[9_999]["id"], 9_999);
    assert_eq!(lines[10_000]["error"]["code"], "batch_too_large");
    let res = app
        .authorized(app.client.post(app.url("/v1/addresses/validate/batch")))
        .header("content-type", "application/x-ndjson")
        .body("\n  \n")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::BAD_REQUEST);
    assert_error(&res.json().await.expect("JSON"), "empty_batch", "empty batch");
    let res = app
        .authorized(app.client.post(app.url("/v1/addresses/validate/batch")))
        .header("content-type", "application/xml")
        .body("<a/>")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNSUPPORTED_MEDIA_TYPE);
}

#[actix_web::test]
async fn validation_needs_a_key_with_its_scope() {
    let app = spawn_app().await;
    let res = app
        .client
        .post(app.url("/v1/addresses/validate"))
        .json(&json!({ "address": "Hà Nội" }))
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    assert_error(&res.json().await.expect("JSON"), "unauthorized", "no key");
    let res = app
        .client
        .post(app.url("/v1/addresses/validate/batch"))
        .bearer_auth("dck_zzzzzzzz_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG")
        .header("content-type", "application/x-ndjson")
        .body("{\"address\":\"Hà Nội\"}\n")
        .send()
        .await
        .expect("sent");
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
}
