//! The baseline of `scripts/bench-hotpath.sh`: a bare actix-web server that answers every GET with the same fixed JSON
//! body, of the size given, and nothing else (no middleware, no logging, no lookup). What `diachi serve` costs on top
//! of actix-web is its throughput divided by this one's, measured in the same run, pinned to the same core.
//!
//!   cargo run --release -p diachi-server --example bare_handler -- 127.0.0.1:18090 802
#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark's baseline: a bad argument stops it at once

use actix_web::{App, HttpResponse, HttpServer, web};

#[actix_web::main]
async fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let bind = args.next().unwrap_or_else(|| "127.0.0.1:18090".into());
    let bytes: usize = args.next().map_or(800, |b| b.parse().expect("body size in bytes"));
    // a JSON object of exactly `bytes` bytes: {"pad":"xxx…"}
    let body = web::Bytes::from(format!(r#"{{"pad":"{}"}}"#, "x".repeat(bytes.saturating_sub(10))));
    eprintln!("bare handler on {bind}, {} byte body", body.len());
    HttpServer::new(move || {
        let body = body.clone();
        App::new().default_service(web::to(move || {
            let body = body.clone();
            async move { HttpResponse::Ok().content_type("application/json").body(body) }
        }))
    })
    .bind(bind)?
    .run()
    .await
}
