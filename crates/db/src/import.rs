//! `diachi db import`: the real geography, the post-office network and a generated national address set into
//! PostGIS with binary COPY, in one transaction (re-running replaces the previous import: no duplicates, and a failed
//! import leaves the previous one in place).

use bytes::Bytes;
use futures_util::SinkExt;
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use std::time::{Duration, Instant};
use tokio_postgres::Client;

use super::DbError;
use super::copy::{CopyBuf, HEADER, TRAILER};
use diachi_domain::{DigitalAddress, GridCell, LonLat, digital_address::FULL_LEVEL};
use diachi_geo::dataset::{Dataset, from_e7};
use diachi_geo::index::NationalIndex;

/// Rows encoded per chunk (a few MB).
const CHUNK: usize = 32_768;

/// What an import did and how long each part took.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ImportReport {
    /// Provinces written.
    pub provinces: u64,
    /// Wards written.
    pub wards: u64,
    /// Postal zones written.
    pub postal_zones: u64,
    /// Post offices written.
    pub post_offices: u64,
    /// Addresses written.
    pub addresses: u64,
    /// Seconds spent streaming the addresses (COPY).
    pub copy_addresses_s: f64,
    /// Seconds spent building the indexes after the COPY.
    pub index_s: f64,
    /// Seconds the whole import took.
    pub total_s: f64,
}

impl ImportReport {
    /// Addresses per second of the COPY alone.
    #[must_use]
    pub fn copy_rate(&self) -> f64 {
        self.addresses as f64 / self.copy_addresses_s.max(1e-9)
    }

    /// Addresses per second of the whole import (geography, COPY, indexes, commit).
    #[must_use]
    pub fn overall_rate(&self) -> f64 {
        self.addresses as f64 / self.total_s.max(1e-9)
    }
}

async fn copy_chunks(
    tx: &tokio_postgres::Transaction<'_>,
    statement: &str,
    mut chunks: tokio::sync::mpsc::Receiver<(usize, Bytes)>,
    progress: &ProgressBar,
) -> Result<u64, DbError> {
    let sink = tx.copy_in::<_, Bytes>(statement).await?;
    futures_util::pin_mut!(sink);
    sink.send(Bytes::from_static(HEADER)).await?;
    while let Some((rows, bytes)) = chunks.recv().await {
        sink.send(bytes).await?;
        progress.inc(rows as u64);
    }
    sink.send(Bytes::from_static(TRAILER)).await?;
    Ok(sink.finish().await?)
}

/// Encodes the rows of one table in parallel chunks on a background thread and hands them over in order.
fn encode_in_background<F>(rows: usize, encode: F) -> tokio::sync::mpsc::Receiver<(usize, Bytes)>
where
    F: Fn(std::ops::Range<usize>) -> CopyBuf + Send + Sync + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(8);
    std::thread::spawn(move || {
        let batch = CHUNK * rayon::current_num_threads().max(1);
        for start in (0..rows).step_by(batch) {
            let end = (start + batch).min(rows);
            let chunks: Vec<(usize, Bytes)> = (start..end)
                .step_by(CHUNK)
                .collect::<Vec<_>>()
                .into_par_iter()
                .map(|s| {
                    let r = s..(s + CHUNK).min(end);
                    (r.len(), encode(r).buf.freeze())
                })
                .collect();
            for c in chunks {
                if tx.blocking_send(c).is_err() {
                    return; // the COPY failed and dropped the receiver
                }
            }
        }
    });
    rx
}

fn da_parts(lon_e7: i32, lat_e7: i32, unit: u16) -> Option<(i64, String)> {
    let p = LonLat::new(from_e7(lon_e7), from_e7(lat_e7)).ok()?;
    let cell = GridCell::from_lonlat(p, FULL_LEVEL).ok()?;
    let code = DigitalAddress::new(cell, unit).ok()?;
    Some((cell.index() as i64, code.to_string()))
}

/// H3 cells of a point as the signed 64-bit integers PostgreSQL stores.
#[must_use]
pub fn h3_columns(p: LonLat) -> (i64, i64) {
    NationalIndex::h3_cells(p).map_or((0, 0), |(f, c)| (u64::from(f) as i64, u64::from(c) as i64))
}

/// Imports `data` (replacing what an earlier import wrote), applying the migrations first.
pub async fn import(client: &mut Client, data: Dataset, show_progress: bool) -> Result<ImportReport, DbError> {
    let t0 = Instant::now();
    super::migrate::run(client).await?;
    let data = std::sync::Arc::new(data);
    let geo = &data.geography;
    let mut report = ImportReport::default();
    let tx = client.transaction().await?;
    tx.batch_execute(include_str!("../sql/db/import_begin.sql")).await?;
    let quiet = ProgressBar::hidden();

    let mut c = CopyBuf::default();
    for p in &geo.provinces {
        c.row(5).text(p.code.as_str()).text(&p.name).text(&p.name_en).text(&p.kind).multipolygon(&p.geometry);
    }
    report.provinces =
        copy_all(&tx, "COPY provinces (code, name, name_en, kind, geom) FROM STDIN (FORMAT binary)", c).await?;

    let mut c = CopyBuf::default();
    for (i, w) in geo.wards.iter().enumerate() {
        let province = geo.province_of(w);
        c.row(7)
            .text(w.code.as_str())
            .i32(i as i32)
            .text(province.code.as_str())
            .text(&w.name)
            .text(w.kind.slug())
            .text(w.postcode.as_str())
            .multipolygon(&w.geometry);
    }
    report.wards = copy_all(
        &tx,
        "COPY wards (code, idx, province_code, name, kind, postcode, geom) FROM STDIN (FORMAT binary)",
        c,
    )
    .await?;
    report.postal_zones = tx.execute(include_str!("../sql/db/postal_zones.sql"), &[]).await?;

    let mut c = CopyBuf::default();
    for o in &data.post_offices {
        let Some(p) = o.location() else { continue };
        let Some(ward) = geo.wards.get(usize::from(o.ward)) else { continue };
        let (r10, r6) = h3_columns(p);
        c.row(7)
            .i32(o.id as i32)
            .text(&o.name)
            .text(o.kind.as_str())
            .text(ward.code.as_str())
            .point(p.lon(), p.lat())
            .i64(r10)
            .i64(r6);
    }
    report.post_offices = copy_all(
        &tx,
        "COPY post_offices (id, name, kind, ward_code, geom, h3_r10, h3_r6) FROM STDIN (FORMAT binary)",
        c,
    )
    .await?;

    let n = data.addresses.len();
    let progress = if show_progress {
        let pb = ProgressBar::new(n as u64);
        pb.set_style(
            ProgressStyle::with_template(
                "{elapsed_precise} [{bar:40}] {human_pos}/{human_len} addresses ({per_sec}, {eta})",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        pb.enable_steady_tick(Duration::from_millis(250));
        pb
    } else {
        quiet
    };
    let enc_data = data.clone();
    let chunks = encode_in_background(n, move |range| encode_addresses(&enc_data, range));
    let t = Instant::now();
    report.addresses = copy_chunks(
        &tx,
        "COPY addresses (id, ward_code, street, house, alley, apartment, da_cell, da_unit, digital_address, geom, \
         h3_r10, h3_r6, house_suffix) FROM STDIN (FORMAT binary)",
        chunks,
        &progress,
    )
    .await?;
    report.copy_addresses_s = t.elapsed().as_secs_f64();
    progress.finish_and_clear();

    let t = Instant::now();
    if show_progress {
        eprintln!("building indexes…");
    }
    tx.batch_execute(include_str!("../sql/db/import_end.sql")).await?;
    tx.commit().await?;
    report.index_s = t.elapsed().as_secs_f64();
    report.total_s = t0.elapsed().as_secs_f64();
    Ok(report)
}

async fn copy_all(tx: &tokio_postgres::Transaction<'_>, statement: &str, rows: CopyBuf) -> Result<u64, DbError> {
    let (s, r) = tokio::sync::mpsc::channel(1);
    s.send((0, rows.buf.freeze())).await.map_err(|_| DbError::Unavailable("copy channel closed".into()))?;
    drop(s);
    copy_chunks(tx, statement, r, &ProgressBar::hidden()).await
}

fn encode_addresses(data: &Dataset, range: std::ops::Range<usize>) -> CopyBuf {
    let set = &data.addresses;
    let geo = &data.geography;
    let mut c = CopyBuf::with_capacity(range.len() * 150);
    for i in range {
        let (x, y) = (set.lon_e7[i], set.lat_e7[i]);
        let Some(ward) = geo.wards.get(usize::from(set.ward[i])) else { continue };
        let Some((cell, code)) = da_parts(x, y, set.da_unit[i]) else { continue };
        let Ok(p) = LonLat::new(from_e7(x), from_e7(y)) else { continue };
        let (r10, r6) = h3_columns(p);
        let street = set.street_names.get(set.street[i] as usize).map_or("", |s| &**s);
        let house = set.house[i];
        c.row(13)
            .i64(i as i64)
            .text(ward.code.as_str())
            .text(street)
            .i32(i32::from(house.number()))
            .i32(i32::from(set.alley[i]))
            .i32(i32::from(set.apartment[i]))
            .i64(cell)
            .i32(i32::from(set.da_unit[i]))
            .text(&code)
            .point(p.lon(), p.lat())
            .i64(r10)
            .i64(r6)
            .text(&house.suffix());
    }
    c
}
