//! Domain types: parse, don't validate. Nothing here knows about HTTP, storage or indexes.

mod codes;
pub mod digital_address;
mod house;
pub mod ids;
pub mod lonlat;

pub use codes::{CodeFormatError, Postcode, ProvinceCode, WardCode};
pub use digital_address::{CodeError, DigitalAddress, GridCell};
pub use house::{HouseNumber, HouseNumberError, MAX_SUB as MAX_HOUSE_SUB};
pub use ids::{AddressId, WardIdx};
pub use lonlat::{CoordError, LonLat};
