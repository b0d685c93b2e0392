//! Writes to the address table (the live-update API). Each write is one transaction; the table's trigger records
//! the change and notifies every running instance (see [`super::feed`]).

use deadpool_postgres::Pool;
use tokio_postgres::error::SqlState;

use super::DbError;
use super::import::h3_columns;
use diachi_domain::{
    AddressId, DigitalAddress, GridCell, HouseNumber, LonLat, WardCode, WardIdx, digital_address::FULL_LEVEL,
};
use diachi_geo::dataset::{AddressRecord, to_e7};
use diachi_geo::geography::Geography;

/// How far outside its ward's (simplified) border a point may lie: coasts and sliver gaps.
pub const WARD_SNAP_M: f64 = 2_000.0;
/// The longest street name accepted.
pub const MAX_STREET_CHARS: usize = 200;

/// The fields of an address as a client gives them.
#[derive(Debug, Clone, PartialEq)]
pub struct AddressInput {
    /// Where the address is.
    pub location: LonLat,
    /// The ward; found from the location when not given (and checked against it when given).
    pub ward: Option<WardCode>,
    /// Street (or village) name, at most [`MAX_STREET_CHARS`] characters.
    pub street: String,
    /// House number (`12`, `12A`, `38B/2`).
    pub house: HouseNumber,
    /// The alley's number; 0 = not in an alley.
    pub alley: u16,
    /// Apartment / unit number; 0 = a single-unit building.
    pub apartment: u16,
}

/// Changes to some fields of an address.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct AddressPatch {
    /// New location; `None` = unchanged.
    pub location: Option<LonLat>,
    /// New ward; `None` = unchanged (or found from a new location).
    pub ward: Option<WardCode>,
    /// New street name; `None` = unchanged.
    pub street: Option<String>,
    /// New house number; `None` = unchanged.
    pub house: Option<HouseNumber>,
    /// New alley number (0 = none); `None` = unchanged.
    pub alley: Option<u16>,
    /// New apartment number (0 = none); `None` = unchanged.
    pub apartment: Option<u16>,
}

/// Errors of an address write.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The input breaks a rule (`code` is the stable error code).
    #[error("{message}")]
    Invalid {
        /// The stable error code.
        code: &'static str,
        /// What is wrong, in words.
        message: String,
    },
    /// No address with this id.
    #[error("no address {0}")]
    NotFound(AddressId),
    /// The database failed.
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<tokio_postgres::Error> for WriteError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Db(DbError::Query(e))
    }
}

impl From<deadpool_postgres::PoolError> for WriteError {
    fn from(e: deadpool_postgres::PoolError) -> Self {
        Self::Db(e.into())
    }
}

fn invalid(code: &'static str, message: impl Into<String>) -> WriteError {
    WriteError::Invalid { code, message: message.into() }
}

/// Checks the input against the geography: the street, and the ward (found, or checked against the location).
/// Returns the ward's index.
pub fn check(geo: &Geography, input: &AddressInput) -> Result<WardIdx, WriteError> {
    let street = input.street.trim();
    if street.is_empty() {
        return Err(invalid("invalid_street", "street must not be empty"));
    }
    if street.chars().count() > MAX_STREET_CHARS || street.chars().any(char::is_control) {
        return Err(invalid(
            "invalid_street",
            format!("street: at most {MAX_STREET_CHARS} characters, no control characters"),
        ));
    }
    let p = input.location;
    if GridCell::from_lonlat(p, FULL_LEVEL).is_err() {
        return Err(invalid("outside_coverage", "the location is outside Việt Nam's digital-address grid"));
    }
    let near = geo.ward_near(p, WARD_SNAP_M);
    match input.ward {
        None => near.map(|(w, _)| w).ok_or_else(|| invalid("outside_wards", "the location is in no ward")),
        Some(code) => {
            let (w, ward) =
                geo.ward(code).ok_or_else(|| invalid("unknown_ward", format!("no ward {}", code.as_str())))?;
            let inside = ward.area.contains(p.lon(), p.lat()) || near.is_some_and(|(n, _)| n == w);
            if inside {
                Ok(w)
            } else {
                Err(invalid("ward_mismatch", format!("the location is not in ward {}", code.as_str())))
            }
        }
    }
}

/// Column `i` of an address row, a number from 0 to 65,535.
fn small_col(row: &tokio_postgres::Row, i: usize, id: AddressId) -> Result<u16, WriteError> {
    let v: i32 = row.try_get(i)?;
    u16::try_from(v).map_err(|_| WriteError::Db(DbError::BadData(format!("address {id}: column {i} is {v}"))))
}

fn record(input: &AddressInput, ward: WardIdx, da_unit: u16) -> AddressRecord {
    AddressRecord {
        lon_e7: to_e7(input.location.lon()),
        lat_e7: to_e7(input.location.lat()),
        ward,
        street: input.street.trim().into(),
        house: input.house,
        alley: input.alley,
        apartment: input.apartment,
        da_unit,
    }
}

/// Writes the row of `id` (a new one when `id` is `None`) with a digital-address unit free in its cell; retried
/// when a concurrent write takes the same unit. Returns the id and the unit.
async fn write(
    pool: &Pool,
    geo: &Geography,
    id: Option<AddressId>,
    input: &AddressInput,
    ward: WardIdx,
    keep_unit: Option<(i64, i32)>,
) -> Result<(i64, u16), WriteError> {
    let p = input.location;
    let cell = GridCell::from_lonlat(p, FULL_LEVEL).map_err(|e| invalid("outside_coverage", e.to_string()))?;
    let cell_key = cell.index() as i64;
    let ward_code = geo.wards.get(usize::from(ward)).map(|w| w.code.as_str()).unwrap_or_default();
    let (r10, r6) = h3_columns(p);
    let geom = postgis::ewkb::Point::new(p.lon(), p.lat(), Some(4326));
    let (house, alley, apartment) =
        (i32::from(input.house.number()), i32::from(input.alley), i32::from(input.apartment));
    let house_suffix = input.house.suffix();
    let street = input.street.trim();
    let mut client = pool.get().await?;
    for _ in 0..5 {
        let tx = client.transaction().await?;
        let unit: i32 = match keep_unit {
            Some((c, u)) if c == cell_key => u,
            _ => tx.query_one(include_str!("../sql/db/next_unit.sql"), &[&cell_key]).await?.get(0),
        };
        let unit16 =
            u16::try_from(unit).map_err(|_| invalid("cell_full", "no free digital-address unit in this cell"))?;
        let code = DigitalAddress::new(cell, unit16).map_err(|e| invalid("cell_full", e.to_string()))?.to_string();
        let params: [&(dyn tokio_postgres::types::ToSql + Sync); 12] =
            [&ward_code, &street, &house, &alley, &apartment, &cell_key, &unit, &code, &geom, &r10, &r6, &house_suffix];
        let res = match id {
            None => tx.query_one(include_str!("../sql/db/insert_address.sql"), &params).await.map(|r| Some(r.get(0))),
            Some(id) => {
                let row_id = i64::from(id.get());
                let mut all: Vec<&(dyn tokio_postgres::types::ToSql + Sync)> = params.to_vec();
                all.push(&row_id);
                tx.query_opt(include_str!("../sql/db/update_address.sql"), &all).await.map(|r| r.map(|r| r.get(0)))
            }
        };
        match res {
            Ok(None) => return Err(WriteError::NotFound(id.unwrap_or(AddressId::new(0)))),
            Ok(Some(new_id)) => {
                tx.commit().await?;
                return Ok((new_id, unit16));
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {}
            Err(e) => return Err(e.into()),
        }
    }
    Err(invalid("conflict", "the digital-address cell is being written concurrently; try again"))
}

/// Adds an address; returns its id and record.
pub async fn insert(
    pool: &Pool,
    geo: &Geography,
    input: &AddressInput,
) -> Result<(AddressId, AddressRecord), WriteError> {
    let ward = check(geo, input)?;
    let (id, unit) = write(pool, geo, None, input, ward, None).await?;
    let id = u32::try_from(id).map(AddressId::new).map_err(|_| invalid("id_space_exhausted", "no address id left"))?;
    Ok((id, record(input, ward, unit)))
}

/// Address `id` as the database has it now (none when there is no such row): what a lookup by id answers when a
/// database is configured, so that a write is seen at once by whoever made it.
pub async fn get(pool: &Pool, geo: &Geography, id: AddressId) -> Result<Option<AddressRecord>, WriteError> {
    let client = pool.get().await?;
    let Some(row) = client.query_opt(include_str!("../sql/db/get_address.sql"), &[&i64::from(id.get())]).await? else {
        return Ok(None);
    };
    let ward_code: &str = row.try_get(0)?;
    let geom: postgis::ewkb::Point = row.try_get(5)?;
    let small = |i: usize| small_col(&row, i, id);
    Ok(Some(AddressRecord {
        lon_e7: to_e7(geom.x),
        lat_e7: to_e7(geom.y),
        ward: super::ward_index(geo, ward_code)?,
        street: row.try_get::<_, String>(1)?.into(),
        house: super::load::house_col(small(2)?, row.try_get(8)?, i64::from(id.get()))?,
        alley: small(3)?,
        apartment: small(4)?,
        da_unit: small(7)?,
    }))
}

/// Changes some fields of address `id`; the digital address changes only when the location leaves its 1 m cell.
pub async fn update(
    pool: &Pool,
    geo: &Geography,
    id: AddressId,
    patch: &AddressPatch,
) -> Result<AddressRecord, WriteError> {
    let client = pool.get().await?;
    let row = client
        .query_opt(include_str!("../sql/db/get_address.sql"), &[&i64::from(id.get())])
        .await?
        .ok_or(WriteError::NotFound(id))?;
    drop(client);
    let old_geom: postgis::ewkb::Point = row.try_get(5)?;
    let old_location =
        LonLat::new(old_geom.x, old_geom.y).map_err(|e| DbError::BadData(format!("address {id}: {e}")))?;
    let old_ward: &str = row.try_get(0)?;
    let location_changed = patch.location.is_some_and(|l| l != old_location);
    let input = AddressInput {
        location: patch.location.unwrap_or(old_location),
        // a move re-derives the ward unless the patch names one
        ward: patch.ward.or(if location_changed { None } else { WardCode::parse(old_ward).ok() }),
        street: patch.street.clone().unwrap_or(row.try_get(1)?),
        house: match patch.house {
            Some(h) => h,
            None => super::load::house_col(small_col(&row, 2, id)?, row.try_get(8)?, i64::from(id.get()))?,
        },
        alley: patch.alley.unwrap_or(u16::try_from(row.try_get::<_, i32>(3)?).unwrap_or(0)),
        apartment: patch.apartment.unwrap_or(u16::try_from(row.try_get::<_, i32>(4)?).unwrap_or(0)),
    };
    let ward = check(geo, &input)?;
    let keep = (row.try_get::<_, i64>(6)?, row.try_get::<_, i32>(7)?);
    let (_, unit) = write(pool, geo, Some(id), &input, ward, Some(keep)).await?;
    Ok(record(&input, ward, unit))
}

/// Deletes address `id`.
pub async fn delete(pool: &Pool, id: AddressId) -> Result<(), WriteError> {
    let client = pool.get().await?;
    let n = client.execute(include_str!("../sql/db/delete_address.sql"), &[&i64::from(id.get())]).await?;
    if n == 0 { Err(WriteError::NotFound(id)) } else { Ok(()) }
}
