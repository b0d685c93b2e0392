//! API keys without a database: made with `diachi keys create --keys-file`, then 401 / 403 / 429 as JSON errors,
//! and the registry's 503 without a PII key or a database.

use crate::helpers::*;
use serde_json::{Value, json};
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

fn cli(args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_diachi")).args(args).output().unwrap();
    assert!(out.status.success(), "diachi {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

fn create(file: &Path, scopes: &[&str], limit: Option<&str>) -> String {
    let f = file.to_str().unwrap();
    let mut args = vec!["keys", "create", "--keys-file", f, "--name", "test"];
    for s in scopes {
        args.extend(["--scope", s]);
    }
    if let Some(l) = limit {
        args.extend(["--rate-limit", l]);
    }
    cli(&args)
}

/// The app over the shared index, with keys from `file`; `pii` sets a PII key.
#[allow(clippy::unused_async)]
async fn spawn_with_keys(file: &Path, pii: bool) -> String {
    let keyring = diachi_auth::Keyring::new(Some("legacy-token".into()), Some(file.to_owned()), 100, Duration::ZERO);
    let mut shared = shared_with_keys(keyring);
    if pii {
        let p = diachi_pii::Pii::from_base64(&diachi_pii::new_master_key().unwrap()).unwrap();
        shared.registry = Some(Arc::new(diachi_registry::Registry::new(p, 30)));
    }
    let app = app_with(shared);
    let base = format!("http://127.0.0.1:{}", app.port);
    actix_web::rt::spawn(app.run_until_stopped());
    base
}

async fn post(base: &str, path: &str, key: Option<&str>, body: Value) -> (u16, Value, reqwest::header::HeaderMap) {
    let mut req = reqwest::Client::new().post(format!("{base}{path}")).json(&body);
    if let Some(k) = key {
        req = req.bearer_auth(k);
    }
    let res = req.send().await.unwrap();
    let (status, headers) = (res.status().as_u16(), res.headers().clone());
    (status, res.json().await.unwrap(), headers)
}

#[actix_web::test]
async fn keys_from_the_file_scopes_and_rate_limits() {
    let dir = std::env::temp_dir().join(format!("diachi-api-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.jsonl");
    let registry = create(&file, &["registry:write"], None);
    let identity = create(&file, &["identity:verify", "registry:write"], Some("2"));
    let admin = create(&file, &["admin"], None);
    assert!(registry.starts_with("dck_") && identity != registry);
    let stored = std::fs::read_to_string(&file).unwrap();
    for k in [&registry, &identity, &admin] {
        assert!(!stored.contains(&k[13..]), "the secret is not stored");
        assert!(stored.contains(&k[4..12]), "the id is");
    }
    let listed = cli(&["keys", "list", "--keys-file", file.to_str().unwrap()]);
    assert!(listed.contains("registry:write,identity:verify") && !listed.contains(&identity[13..]), "{listed}");

    let base = spawn_with_keys(&file, false).await;
    let body = json!({"citizen_id": "001190012345", "address": "V98-F6P-FJY6"});
    let path = "/v1/identity/verify-address";
    let (st, e, h) = post(&base, path, None, body.clone()).await;
    assert_eq!(st, 401);
    assert_error(&e, "unauthorized", "no key");
    assert_eq!(h["www-authenticate"], "Bearer");
    let (st, e, _) =
        post(&base, path, Some("dck_zzzzzzzz_0123456789abcdefghijklmnopqrstuvwxyzABCDEFG"), body.clone()).await;
    assert_eq!(st, 403);
    assert_error(&e, "invalid_key", "unknown key");
    let (st, e, _) = post(&base, path, Some(&registry), body.clone()).await;
    assert_eq!(st, 403);
    assert_error(&e, "forbidden", "no scope");
    // a valid key with the scope passes; without a PII key the registry answers 503
    let (st, e, _) = post(&base, path, Some(&identity), body.clone()).await;
    assert_eq!(st, 503);
    assert_error(&e, "pii_key_not_configured", "no pii key");
    let (st, _, _) = post(&base, path, Some(&identity), body.clone()).await;
    assert_eq!(st, 503);
    // the third request within the minute: over the limit of 2
    let (st, e, h) = post(&base, path, Some(&identity), body.clone()).await;
    assert_eq!(st, 429);
    assert_error(&e, "rate_limited", "limit");
    assert!(h["retry-after"].to_str().unwrap().parse::<u64>().unwrap() >= 1);
    // address writes: a key with `admin`, or the legacy admin token; others are forbidden
    let write = json!({"lat": 21.0, "lon": 105.8, "house_number": 1, "street": "X"});
    for (k, status, code) in [
        (&registry, 403, "forbidden"),
        (&admin, 503, "database_not_configured"),
        (&"legacy-token".to_owned(), 503, "database_not_configured"),
    ] {
        let (st, e, _) = post(&base, "/v1/addresses", Some(k), write.clone()).await;
        assert_eq!(st, status, "{e}");
        assert_error(&e, code, k);
    }
    // revoked in the file: refused once the server looks again (at most a second later)
    let id = &admin[4..12];
    cli(&["keys", "revoke", id, "--keys-file", file.to_str().unwrap()]);
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (st, e, _) = post(&base, "/v1/addresses", Some(&admin), write.clone()).await;
        if st == 403 {
            assert_error(&e, "invalid_key", "revoked");
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the revocation was not seen");
        actix_web::rt::time::sleep(Duration::from_millis(100)).await; // polling interval, not synchronisation
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[actix_web::test]
async fn the_registry_needs_a_database() {
    let dir = std::env::temp_dir().join(format!("diachi-api-keys-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("keys.jsonl");
    let k = create(&file, &["registry:write"], None);
    let base = spawn_with_keys(&file, true).await;
    let body = json!({"citizen_id": "001190012345", "name": "An", "phone": "0912345678", "address": "V98-F6P-FJY6"});
    let (st, e, _) = post(&base, "/v1/registrations", Some(&k), body).await;
    assert_eq!(st, 503);
    assert_error(&e, "database_not_configured", "no database");
    // hostile bodies never give a 5xx other than that 503
    for h in ["", "\u{0}", "'; DROP TABLE registrations; --", "😀", &"x".repeat(1 << 20)] {
        let (st, _, _) =
            post(&base, "/v1/registrations", Some(&k), json!({"citizen_id": h, "name": h, "phone": h, "address": h}))
                .await;
        assert!(st == 503 || st == 413 || st == 400, "{st}");
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn pii_key_command_prints_a_fresh_key() {
    let a = cli(&["keys", "pii-key"]);
    let b = cli(&["keys", "pii-key"]);
    assert_ne!(a, b);
    assert!(diachi_pii::Pii::from_base64(&a).is_ok(), "{a}");
}

#[test]
fn residents_command_writes_csv() {
    let out = cli(&["residents", "--households", "500", "--count", "20", "--seed", "3"]);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 21);
    assert_eq!(lines[0], "address_id,citizen_id,name,sex,birth_year,phone,pre_reform,address");
    assert_eq!(out, cli(&["residents", "--households", "500", "--count", "20", "--seed", "3"]));
}
