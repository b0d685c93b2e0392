//! Domain types: parse, don't validate. Nothing here knows about HTTP, storage or indexes.

mod codes;
pub mod digital_address;
pub mod ids;
pub mod lonlat;

pub use codes::{CodeFormatError, Postcode, ProvinceCode, WardCode};
pub use digital_address::{CodeError, DigitalAddress, GridCell};
pub use ids::{AddressId, WardIdx};
pub use lonlat::{CoordError, LonLat};
