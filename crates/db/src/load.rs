//! Streams the address set and the post offices out of PostGIS into the in-memory columns (`COPY … TO STDOUT` in
//! binary: rows are decoded as they arrive, never held as one query result).

use futures_util::TryStreamExt;
use postgis::ewkb;
use std::collections::HashMap;
use tokio_postgres::Client;
use tokio_postgres::binary_copy::BinaryCopyOutStream;
use tokio_postgres::types::Type;

use super::DbError;
use diachi_domain::HouseNumber;
use diachi_geo::dataset::{AddressSet, Dataset, NO_WARD, PostOffice, PostOfficeKind, to_e7};
use diachi_geo::geography::Geography;

/// A dataset read from the database, and the last change of the change feed it includes.
pub struct Loaded {
    /// The dataset.
    pub data: Dataset,
    /// Id of the last change-feed entry the dataset includes.
    pub last_change: i64,
}

fn u16_col(v: i32, what: &str, id: i64) -> Result<u16, DbError> {
    u16::try_from(v).map_err(|_| DbError::BadData(format!("address {id}: {what} {v} out of range")))
}

/// The house number stored as its number and suffix (`38`, `B/2`).
pub(crate) fn house_col(number: u16, suffix: &str, id: i64) -> Result<HouseNumber, DbError> {
    HouseNumber::from_number_and_suffix(number, suffix).map_err(|e| DbError::BadData(format!("address {id}: {e}")))
}

/// Interns street names.
#[derive(Default)]
pub struct Streets {
    ids: HashMap<Box<str>, u32>,
}

impl Streets {
    /// The id of street name `name` in `set.street_names`, added if new.
    pub fn intern(&mut self, set: &mut AddressSet, name: &str) -> u32 {
        if let Some(&i) = self.ids.get(name) {
            return i;
        }
        let i = set.street_names.len() as u32;
        set.street_names.push(name.into());
        self.ids.insert(name.into(), i);
        i
    }
}

/// Reads everything in one repeatable-read snapshot, so that the change feed can resume exactly after it.
pub async fn load(client: &mut Client, geography: Geography) -> Result<Loaded, DbError> {
    let tx = client
        .build_transaction()
        .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .await?;
    let head = tx.query_one(include_str!("../sql/db/load_head.sql"), &[]).await?;
    let last_change: i64 = head.get(0);
    let max_id: Option<i64> = head.get(1);
    let geom_type = tx.prepare("SELECT geom FROM addresses LIMIT 0").await?.columns()[0].type_().clone();

    let ward_index = |code: &str| super::ward_index(&geography, code);

    let len = max_id.map_or(0, |m| m + 1);
    let len = usize::try_from(len).map_err(|_| DbError::BadData(format!("address id {len} out of range")))?;
    let mut set = AddressSet {
        lon_e7: vec![0; len],
        lat_e7: vec![0; len],
        ward: vec![NO_WARD; len],
        street: vec![0; len],
        house: vec![HouseNumber::ONE; len],
        alley: vec![0; len],
        apartment: vec![0; len],
        da_unit: vec![1; len],
        street_names: Vec::new(),
    };
    let mut streets = Streets::default();
    let stream = tx.copy_out(include_str!("../sql/db/load_addresses.sql")).await?;
    let rows = BinaryCopyOutStream::new(
        stream,
        &[
            Type::INT8,
            Type::TEXT,
            Type::TEXT,
            Type::INT4,
            Type::INT4,
            Type::INT4,
            Type::INT4,
            geom_type.clone(),
            Type::TEXT,
        ],
    );
    futures_util::pin_mut!(rows);
    while let Some(row) = rows.try_next().await? {
        let id: i64 = row.try_get(0)?;
        let i = usize::try_from(id)
            .ok()
            .filter(|&i| i < len)
            .ok_or_else(|| DbError::BadData(format!("address id {id}")))?;
        set.ward[i] = ward_index(row.try_get(1)?)?.get();
        set.street[i] = streets.intern(&mut set, row.try_get(2)?);
        set.house[i] = house_col(u16_col(row.try_get(3)?, "house", id)?, row.try_get(8)?, id)?;
        set.alley[i] = u16_col(row.try_get(4)?, "alley", id)?;
        set.apartment[i] = u16_col(row.try_get(5)?, "apartment", id)?;
        set.da_unit[i] = u16_col(row.try_get(6)?, "digital-address unit", id)?;
        let p: ewkb::Point = row.try_get(7)?;
        set.lon_e7[i] = to_e7(p.x);
        set.lat_e7[i] = to_e7(p.y);
    }

    let mut post_offices = Vec::new();
    for row in tx.query(include_str!("../sql/db/load_post_offices.sql"), &[]).await? {
        let id: i32 = row.try_get(0)?;
        let kind: &str = row.try_get(2)?;
        let p: ewkb::Point = row.try_get(4)?;
        post_offices.push(PostOffice {
            id: u32::try_from(id).map_err(|_| DbError::BadData(format!("post office id {id}")))?,
            name: row.try_get(1)?,
            kind: PostOfficeKind::parse(kind).ok_or_else(|| DbError::BadData(format!("post office kind {kind:?}")))?,
            ward: ward_index(row.try_get(3)?)?,
            lon_e7: to_e7(p.x),
            lat_e7: to_e7(p.y),
        });
    }
    tx.commit().await?;
    Ok(Loaded { data: Dataset { geography, addresses: set, post_offices }, last_change })
}
