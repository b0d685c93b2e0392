//! The national address set and the post-office network as compact columns (about 26 bytes per address),
//! whatever produced them: the synthetic generator (crate `diachi-synth`) or, later, a database.

pub mod output;

use serde::Serialize;
use std::fmt::Write as _;

use crate::geography::Geography;
use diachi_domain::{AddressId, DigitalAddress, GridCell, HouseNumber, LonLat, WardIdx, digital_address::FULL_LEVEL};

/// Coordinates are stored as integers of 1e-7 degree (about 1 cm).
pub const COORD_SCALE: f64 = 1e7;

/// Degrees to integer 1e-7 degrees, rounded.
#[must_use]
pub fn to_e7(deg: f64) -> i32 {
    (deg * COORD_SCALE).round() as i32
}

/// Integer 1e-7 degrees to degrees.
#[must_use]
pub fn from_e7(v: i32) -> f64 {
    f64::from(v) / COORD_SCALE
}

/// Every address of the dataset as columns; the address id ([`AddressId`]) is the row number.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct AddressSet {
    /// Longitude of each address in 1e-7 degrees.
    pub lon_e7: Vec<i32>,
    /// Latitude of each address in 1e-7 degrees.
    pub lat_e7: Vec<i32>,
    /// Index into [`Geography::wards`] (a [`WardIdx`] stored bare), or [`NO_WARD`] for a row that holds no address.
    pub ward: Vec<u16>,
    /// Index into `street_names`.
    pub street: Vec<u32>,
    /// House number (`12`, `12A`, `38B/2`).
    pub house: Vec<HouseNumber>,
    /// The alley's number (the house number where it leaves the street); 0 = not in an alley.
    pub alley: Vec<u16>,
    /// Apartment / unit number inside a multi-unit building; 0 = a single-unit building.
    pub apartment: Vec<u16>,
    /// The digital address's unit number within its 1 m cell (1 = the bare code).
    pub da_unit: Vec<u16>,
    /// Interned street (or village) names.
    pub street_names: Vec<Box<str>>,
}

/// The kind of a post office or service point.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PostOfficeKind {
    /// The province's central post office (`Bưu điện tỉnh / thành phố`).
    ProvincialHub,
    /// A post office (`bưu cục`).
    PostOffice,
    /// A commune's post and culture point (`Điểm Bưu điện – Văn hóa xã`).
    CulturalPostPoint,
    /// A smaller service point / agent (`điểm giao dịch`).
    ServicePoint,
}

impl PostOfficeKind {
    /// Every kind, largest first.
    pub const ALL: [Self; 4] = [Self::ProvincialHub, Self::PostOffice, Self::CulturalPostPoint, Self::ServicePoint];

    /// The snake_case name used in JSON, tiles and the database.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ProvincialHub => "provincial_hub",
            Self::PostOffice => "post_office",
            Self::CulturalPostPoint => "cultural_post_point",
            Self::ServicePoint => "service_point",
        }
    }

    /// The kind named `s` (see [`PostOfficeKind::as_str`]).
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A post office or service point of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct PostOffice {
    /// Its id in the network (the generator's number or the database row id).
    pub id: u32,
    /// Its name.
    pub name: String,
    /// Its kind.
    pub kind: PostOfficeKind,
    /// The ward it stands in.
    pub ward: WardIdx,
    /// Longitude in 1e-7 degrees.
    pub lon_e7: i32,
    /// Latitude in 1e-7 degrees.
    pub lat_e7: i32,
}

impl PostOffice {
    /// Its location; `None` if the stored numbers are not a valid coordinate.
    #[must_use]
    pub fn location(&self) -> Option<LonLat> {
        LonLat::new(from_e7(self.lon_e7), from_e7(self.lat_e7)).ok()
    }
}

/// Distance in metres from a street's centreline to the line its houses stand on, in a ward of this kind: the
/// half-width the generator lays streets with (7 m in urban wards, `phường`; 10 m elsewhere), and that the map's
/// street lines are read back with.
#[must_use]
pub fn street_half_width_m(kind: crate::geography::WardKind) -> f64 {
    if kind == crate::geography::WardKind::Phuong { 7.0 } else { 10.0 }
}

/// The alley word of a region: `Ngõ` in the north, `Kiệt` in Huế and Đà Nẵng, `Hẻm` in the south.
#[must_use]
pub fn alley_word(province_code: u32) -> &'static str {
    match province_code {
        46 | 48 => "Kiệt",
        c if c >= 51 => "Hẻm",
        _ => "Ngõ",
    }
}

/// One address, read out of the columns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AddressView<'a> {
    /// The address id.
    pub id: AddressId,
    /// Index of the ward in [`Geography::wards`].
    #[serde(skip)]
    pub ward_index: WardIdx,
    /// House number (`12`, `12A`, `38B/2`), a string in JSON.
    pub house_number: HouseNumber,
    /// `Ngõ 45`, `Hẻm 12`, `Kiệt 7`, or none.
    pub alley: Option<String>,
    /// Apartment / unit number; `None` in a single-unit building.
    pub apartment: Option<u16>,
    /// Street (or village) name.
    pub street: String,
    /// The ward's 5-digit code.
    pub ward_code: &'a str,
    /// The ward's full name, e.g. `Phường Ba Đình`.
    pub ward: String,
    /// The province's 2-digit code.
    pub province_code: &'a str,
    /// The province's name.
    pub province: &'a str,
    /// The ward's postcode.
    pub postcode: &'a str,
    /// Latitude in degrees.
    pub lat: f64,
    /// Longitude in degrees.
    pub lon: f64,
    /// The digital address (code and unit); empty if the location has none.
    pub digital_address: String,
    /// The whole address on one line, in Vietnamese order.
    pub formatted: String,
}

impl AddressSet {
    /// Number of rows, holes included.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lon_e7.len()
    }

    /// Whether the set has no rows.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.lon_e7.is_empty()
    }

    /// Every id of the set, holes included (see [`AddressSet::record`]).
    pub fn ids(&self) -> impl Iterator<Item = AddressId> + use<> {
        (0..self.len() as u32).map(AddressId::new)
    }

    /// The location of an address; `None` for an id out of range or a bad coordinate.
    #[must_use]
    pub fn location(&self, id: AddressId) -> Option<LonLat> {
        let i = id.index();
        LonLat::new(from_e7(*self.lon_e7.get(i)?), from_e7(*self.lat_e7.get(i)?)).ok()
    }

    /// The level-9 grid cell of an address.
    #[must_use]
    pub fn cell(&self, id: AddressId) -> Option<GridCell> {
        GridCell::from_lonlat(self.location(id)?, FULL_LEVEL).ok()
    }

    /// The digital address of an address; `None` for a hole or a location outside the grid.
    #[must_use]
    pub fn digital_address(&self, id: AddressId) -> Option<DigitalAddress> {
        self.record(id)?.digital_address()
    }

    /// Bytes held by the columns (the street name table included).
    #[must_use]
    pub fn heap_bytes(&self) -> usize {
        self.lon_e7.capacity() * 4
            + self.lat_e7.capacity() * 4
            + self.ward.capacity() * 2
            + self.street.capacity() * 4
            + self.house.capacity() * 4
            + (self.alley.capacity() + self.apartment.capacity() + self.da_unit.capacity()) * 2
            + self.street_names.iter().map(|s| s.len() + 16).sum::<usize>()
    }

    /// The columns of one address (none for an id that is a hole: see [`NO_WARD`]).
    #[must_use]
    pub fn record(&self, id: AddressId) -> Option<RecordRef<'_>> {
        let i = id.index();
        let ward = *self.ward.get(i)?;
        (ward != NO_WARD).then(|| RecordRef {
            lon_e7: self.lon_e7[i],
            lat_e7: self.lat_e7[i],
            ward: WardIdx::new(ward),
            street: self.street_names.get(self.street[i] as usize).map_or("", |s| &**s),
            house: self.house[i],
            alley: self.alley[i],
            apartment: self.apartment[i],
            da_unit: self.da_unit[i],
        })
    }

    /// The full record of one address.
    #[must_use]
    pub fn view<'a>(&'a self, geo: &'a Geography, id: AddressId) -> Option<AddressView<'a>> {
        AddressView::new(geo, id, self.record(id)?)
    }
}

/// The value of the [`AddressSet::ward`] column in a row that holds no address (ids deleted before a load from the
/// database leave holes). It is never a [`WardIdx`]: a record read from the columns has a ward.
pub const NO_WARD: u16 = u16::MAX;

/// One address's fields, borrowed from the columns or from an [`AddressRecord`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RecordRef<'a> {
    /// Longitude in 1e-7 degrees.
    pub lon_e7: i32,
    /// Latitude in 1e-7 degrees.
    pub lat_e7: i32,
    /// The ward.
    pub ward: WardIdx,
    /// Street (or village) name.
    pub street: &'a str,
    /// House number.
    pub house: HouseNumber,
    /// The alley's number; 0 = not in an alley.
    pub alley: u16,
    /// Apartment / unit number; 0 = a single-unit building.
    pub apartment: u16,
    /// The digital address's unit number within its 1 m cell (1 = the bare code).
    pub da_unit: u16,
}

impl RecordRef<'_> {
    /// The location; `None` if the numbers are not a valid coordinate.
    #[must_use]
    pub fn location(&self) -> Option<LonLat> {
        LonLat::new(from_e7(self.lon_e7), from_e7(self.lat_e7)).ok()
    }

    /// The digital address; `None` for a location outside the grid or a bad unit.
    #[must_use]
    pub fn digital_address(&self) -> Option<DigitalAddress> {
        let cell = GridCell::from_lonlat(self.location()?, FULL_LEVEL).ok()?;
        DigitalAddress::new(cell, self.da_unit).ok()
    }

    /// The same fields, owned.
    #[must_use]
    pub fn to_owned(&self) -> AddressRecord {
        AddressRecord {
            lon_e7: self.lon_e7,
            lat_e7: self.lat_e7,
            ward: self.ward,
            street: self.street.into(),
            house: self.house,
            alley: self.alley,
            apartment: self.apartment,
            da_unit: self.da_unit,
        }
    }
}

/// One address's fields, owned (addresses changed after the index was built).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AddressRecord {
    /// Longitude in 1e-7 degrees.
    pub lon_e7: i32,
    /// Latitude in 1e-7 degrees.
    pub lat_e7: i32,
    /// The ward.
    pub ward: WardIdx,
    /// Street (or village) name.
    pub street: std::sync::Arc<str>,
    /// House number.
    pub house: HouseNumber,
    /// The alley's number; 0 = not in an alley.
    pub alley: u16,
    /// Apartment / unit number; 0 = a single-unit building.
    pub apartment: u16,
    /// The digital address's unit number within its 1 m cell (1 = the bare code).
    pub da_unit: u16,
}

impl AddressRecord {
    /// The fields, borrowed.
    #[must_use]
    pub fn as_ref(&self) -> RecordRef<'_> {
        RecordRef {
            lon_e7: self.lon_e7,
            lat_e7: self.lat_e7,
            ward: self.ward,
            street: &self.street,
            house: self.house,
            alley: self.alley,
            apartment: self.apartment,
            da_unit: self.da_unit,
        }
    }
}

impl<'a> AddressView<'a> {
    /// The view of a record with id `id`; none when its ward is not in `geo`.
    #[must_use]
    pub fn new(geo: &'a Geography, id: AddressId, r: RecordRef<'_>) -> Option<Self> {
        let ward = geo.wards.get(usize::from(r.ward))?;
        let province = geo.province_of(ward);
        let location = r.location()?;
        let alley = (r.alley != 0).then(|| format!("{} {}", alley_word(province.code.as_u32()), r.alley));
        let apartment = (r.apartment != 0).then_some(r.apartment);
        let mut formatted = String::with_capacity(96);
        // writing to a String cannot fail
        if let Some(a) = apartment {
            let _ = write!(formatted, "Căn {a}, ");
        }
        let _ = write!(formatted, "Số {}", r.house);
        if let Some(a) = &alley {
            let _ = write!(formatted, ", {a}");
        }
        let _ = write!(formatted, ", {}, {}, {}", r.street, ward.full_name(), province.name);
        Some(AddressView {
            id,
            ward_index: r.ward,
            house_number: r.house,
            alley,
            apartment,
            street: r.street.to_owned(),
            ward_code: ward.code.as_str(),
            ward: ward.full_name(),
            province_code: province.code.as_str(),
            province: &province.name,
            postcode: ward.postcode.as_str(),
            lat: location.lat(),
            lon: location.lon(),
            digital_address: r.digital_address().map(|d| d.to_string()).unwrap_or_default(),
            formatted,
        })
    }
}

/// The whole dataset that the index is built over.
#[derive(Debug)]
pub struct Dataset {
    /// The administrative and postal map.
    pub geography: Geography,
    /// The addresses.
    pub addresses: AddressSet,
    /// The post-office network.
    pub post_offices: Vec<PostOffice>,
}
