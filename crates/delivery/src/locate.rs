//! From a shipment's address (text, digital address or coordinates) to a point on the map, with the normalised
//! address a courier reads. Text goes through the same resolver as `POST /v1/addresses/validate`.

use super::Reason;
use super::request::Place;
use diachi_domain::{AddressId, DigitalAddress, LonLat, WardCode, WardIdx};
use diachi_geo::index::NationalIndex;
use diachi_resolve::{Granularity, Resolver};

/// How far from a ward's edge a point may lie and still belong to it (coasts, sliver gaps).
const SNAP_M: f64 = 2_000.0;
/// A point given as coordinates takes the address of a delivery point this close.
const SAME_PLACE_M: f64 = 15.0;

/// A shipment placed on the map.
#[derive(Debug, Clone, PartialEq)]
pub struct Located {
    pub point: LonLat,
    /// Index in `Geography::wards`.
    pub ward: WardIdx,
    pub address_id: Option<AddressId>,
    /// The address on today's map, one line.
    pub address: String,
    pub digital_address: Option<String>,
    pub postcode: String,
}

/// Why a shipment could not be placed.
#[derive(Debug, Clone, PartialEq)]
pub struct NotLocated {
    pub reason: Reason,
    pub message: String,
    pub candidates: Option<usize>,
}

fn fail(reason: Reason, message: impl Into<String>) -> NotLocated {
    NotLocated { reason, message: message.into(), candidates: None }
}

fn from_address(ix: &NationalIndex, id: AddressId, point: Option<LonLat>) -> Option<Located> {
    let v = ix.view(id)?;
    let point = match point {
        Some(p) => p,
        None => LonLat::new(v.lon, v.lat).ok()?,
    };
    Some(Located {
        point,
        ward: v.ward_index,
        address_id: Some(id),
        address: v.formatted,
        digital_address: Some(v.digital_address).filter(|d| !d.is_empty()),
        postcode: v.postcode.to_owned(),
    })
}

/// A point with no delivery point of its own: the ward and province as its address.
fn bare_point(ix: &NationalIndex, point: LonLat, digital: Option<String>) -> Result<Located, NotLocated> {
    let geo = &ix.data.geography;
    let (ward, _) = geo
        .ward_near(point, SNAP_M)
        .ok_or_else(|| fail(Reason::OutsideCoverage, "the point is not within 2 km of any ward of Vietnam"))?;
    let w = &geo.wards[usize::from(ward)];
    let digital = digital.or_else(|| DigitalAddress::from_lonlat(point).ok().map(|d| d.to_string()));
    Ok(Located {
        point,
        ward,
        address_id: None,
        address: format!("{}, {}", w.full_name(), geo.province_of(w).name),
        digital_address: digital,
        postcode: w.postcode.to_string(),
    })
}

fn digital(ix: &NationalIndex, text: &str) -> Result<Located, NotLocated> {
    let da = DigitalAddress::parse(text.trim())
        .map_err(|e| fail(Reason::InvalidDigitalAddress, format!("not a digital address: {e}")))?;
    if let Some(id) = ix.address_by_code(da)
        && let Some(l) = from_address(ix, id, None)
    {
        return Ok(l);
    }
    // a cell with no registered delivery point: its centre
    bare_point(ix, da.cell().center(), Some(da.to_string()))
}

fn text(ix: &NationalIndex, resolver: &Resolver, text: &str) -> Result<Located, NotLocated> {
    if DigitalAddress::parse(text.trim()).is_ok() {
        return digital(ix, text);
    }
    let res = resolver.resolve(ix, text, None);
    let Some(a) = res.address else {
        return Err(fail(Reason::AddressNotFound, "the address names no place on the map"));
    };
    if res.verdict.ambiguous && a.address_id.is_none() {
        let n = res.candidates.len();
        return Err(NotLocated {
            reason: Reason::AmbiguousAddress,
            message: format!("the address fits {n} places (an old ward split in 2025, or a name in several provinces)"),
            candidates: Some(n),
        });
    }
    if let Some(id) = a.address_id
        && let Some(l) = from_address(ix, id, None)
    {
        return Ok(l);
    }
    if res.verdict.geocode_granularity < Granularity::Premise {
        return Err(fail(
            Reason::ImpreciseAddress,
            "only the street or ward of the address was found, not the house: no point to deliver to",
        ));
    }
    let point = match (a.lon, a.lat) {
        (Some(lon), Some(lat)) => LonLat::new(lon, lat).ok(),
        _ => None,
    }
    .ok_or_else(|| fail(Reason::ImpreciseAddress, "the address has no location"))?;
    let ward = WardCode::parse(&a.ward.code)
        .ok()
        .and_then(|c| ix.data.geography.ward(c))
        .map(|(i, _)| i)
        .ok_or_else(|| fail(Reason::AddressNotFound, "the address's ward is not on the map"))?;
    Ok(Located {
        point,
        ward,
        address_id: None,
        address: a.formatted,
        digital_address: a.digital_address,
        postcode: a.postcode,
    })
}

fn point(ix: &NationalIndex, p: LonLat) -> Result<Located, NotLocated> {
    if let Some(hit) = ix.nearest_addresses(p, 1).first()
        && hit.distance_m <= SAME_PLACE_M
        && let Some(l) = from_address(ix, hit.id, Some(p))
    {
        return Ok(l);
    }
    bare_point(ix, p, None)
}

/// Places one shipment. Never panics on any input.
pub fn locate(ix: &NationalIndex, resolver: &Resolver, place: &Place) -> Result<Located, NotLocated> {
    match place {
        Place::Text(t) => text(ix, resolver, t),
        Place::Digital(d) => digital(ix, d),
        Place::Point(p) => point(ix, *p),
    }
}
