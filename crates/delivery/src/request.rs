//! What a dispatcher sends (`PlanRequest`, as JSON) and its checked form (`Batch`): newtypes that cannot hold bad
//! values. Recipient names are masked here, at ingest; the full name goes no further than this module.

use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use std::fmt;
use utoipa::ToSchema;

use super::mask::MaskedName;
use super::{DeliveryError, Settings};
use diachi_domain::LonLat;

/// Characters a shipment id may have at most.
pub const MAX_ID_CHARS: usize = 64;
/// Bytes of an address text at most (the resolver cuts at 1 KiB anyway).
pub const MAX_ADDRESS_BYTES: usize = 1024;
/// Couriers of one fleet at most.
pub const MAX_FLEET: u32 = 1_000;
/// Fleets of one post office at most (each kind of courier is one; vehicle types cost the solver per insertion).
pub const MAX_FLEETS_PER_OFFICE: usize = 16;
/// Couriers of one post office at most, all its fleets together.
pub const MAX_OFFICE_COURIERS: u64 = 1_000;
/// Parcels one courier carries at most (a van full of ID-card envelopes is a few thousand).
pub const MAX_CAPACITY: u32 = 100_000;
/// Parcels of one shipment at most.
pub const MAX_PARCELS: u32 = 100_000;
/// Service time at one stop at most (seconds).
pub const MAX_SERVICE_S: u32 = 4 * 3600;
/// Default service time at a stop (seconds).
pub const DEFAULT_SERVICE_S: u32 = 120;

/// A day's batch of shipments and the post offices (with their couriers) to deliver them from.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PlanRequest {
    /// The shipments (the service sets the most a plan takes).
    pub shipments: Vec<ShipmentInput>,
    /// The post offices taking part, with their couriers. A shipment goes to the nearest listed office of its ward,
    /// else the nearest listed office of its province.
    pub post_offices: Vec<PostOfficeInput>,
    /// Seed of the search: the same request and seed give the same plan.
    #[serde(default)]
    pub seed: Option<u64>,
    /// The day of the plan (`YYYY-MM-DD`), echoed in the answer; times are local times of that day.
    #[serde(default)]
    #[schema(example = "2026-11-26")]
    pub date: Option<String>,
}

/// One shipment (an ID card to hand over). Give exactly one of `address`, `digital_address` or `lon`+`lat`.
// no `Debug`: `recipient` is personal data and must not reach a log
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShipmentInput {
    /// Unique within the batch, at most 64 characters.
    #[schema(example = "HN-000123")]
    pub id: String,
    /// The address as written: any form, old or new units, with or without diacritics.
    #[serde(default)]
    #[schema(example = "so 12 ngo 45 pho hue, p. hang bai, q. hoan kiem, ha noi")]
    pub address: Option<String>,
    /// A digital address.
    #[serde(default)]
    #[schema(example = "V98-FE4-RYEW")]
    pub digital_address: Option<String>,
    /// Longitude in degrees, with `lat`.
    #[serde(default)]
    #[schema(minimum = -180.0, maximum = 180.0)]
    pub lon: Option<f64>,
    /// Latitude in degrees, with `lon`.
    #[serde(default)]
    #[schema(minimum = -90.0, maximum = 90.0)]
    pub lat: Option<f64>,
    /// When the recipient can receive it (service must start within it).
    #[serde(default)]
    pub window: Option<WindowInput>,
    /// Parcels (capacity units); default 1.
    #[serde(default)]
    #[schema(minimum = 1, maximum = 100_000)]
    pub parcels: Option<u32>,
    /// Time at the door in seconds; default 120.
    #[serde(default)]
    #[schema(maximum = 14_400)]
    pub service_s: Option<u32>,
    /// The recipient's name: personal data, kept only masked (`Nguyễn Văn An` → `N. V. An`).
    #[serde(default)]
    pub recipient: Option<String>,
}

/// `HH:MM` local times of the plan's day, start before end.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WindowInput {
    /// `HH:MM`.
    #[schema(example = "08:00")]
    pub start: String,
    /// `HH:MM`, not before `start`.
    #[schema(example = "17:00")]
    pub end: String,
}

/// A post office taking part and its couriers.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostOfficeInput {
    /// The post office's id (as in `GET /v1/post-offices/nearest`).
    pub id: u32,
    /// One fleet, or a list of at most 16 fleets (say walkers and motorbikes), at most 1,000 couriers in all.
    pub couriers: Fleets,
}

/// One fleet or several.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum Fleets {
    /// One fleet.
    One(FleetInput),
    /// Several fleets (at most 16).
    Many(Vec<FleetInput>),
}

/// Couriers alike: how many, what each carries, their shift and how they travel.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FleetInput {
    /// How many couriers.
    #[schema(minimum = 1, maximum = 1000)]
    pub count: u32,
    /// Parcels one courier carries.
    #[schema(minimum = 1, maximum = 100_000)]
    pub capacity: u32,
    /// Leave the office no earlier than `start`, be back by `end`.
    pub shift: WindowInput,
    /// How they travel.
    pub profile: Profile,
}

/// How a courier travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Profile {
    /// On foot.
    Walking,
    /// By motorbike.
    Motorbike,
    /// By van.
    Van,
}

impl Profile {
    /// The profile's name: `walking`, `motorbike` or `van`.
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Profile::Walking => "walking",
            Profile::Motorbike => "motorbike",
            Profile::Van => "van",
        }
    }
}

/// A time of day, in whole seconds from midnight (`00:00` … `24:00`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Clock(u32);

impl Clock {
    /// 00:00.
    pub const MIDNIGHT: Self = Self(0);
    /// 24:00.
    pub const END_OF_DAY: Self = Self(86_400);

    /// `HH:MM` or `HH:MM:SS`, 00:00 to 24:00.
    pub fn parse(s: &str) -> Result<Self, String> {
        let bad = || format!("{s:.20?} is not a time of day (HH:MM, 00:00 to 24:00)");
        let parts: Vec<&str> = s.split(':').collect();
        if !(2..=3).contains(&parts.len())
            || parts.iter().any(|p| p.len() != 2 || !p.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(bad());
        }
        let n = |i: usize| parts.get(i).and_then(|p| p.parse::<u32>().ok()).unwrap_or(0);
        let (h, m, sec) = (n(0), n(1), n(2));
        if m > 59 || sec > 59 || h > 24 || (h == 24 && (m > 0 || sec > 0)) {
            return Err(bad());
        }
        Ok(Self(h * 3600 + m * 60 + sec))
    }

    /// Seconds from midnight.
    #[must_use]
    pub fn seconds(self) -> u32 {
        self.0
    }

    /// A time in seconds from midnight as `HH:MM:SS` (rounded to the second; past midnight reads 24:…).
    #[must_use]
    pub fn hms(seconds: f64) -> String {
        let s = if seconds.is_finite() { seconds.round().max(0.0) as u64 } else { 0 };
        format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
    }

    /// `HH:MM` (to the second, then cut to the minute).
    #[must_use]
    pub fn hm(seconds: f64) -> String {
        let s = if seconds.is_finite() { seconds.round().max(0.0) as u64 } else { 0 };
        format!("{:02}:{:02}", s / 3600, s / 60 % 60)
    }
}

impl fmt::Display for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 3600, self.0 / 60 % 60)?;
        if !self.0.is_multiple_of(60) {
            write!(f, ":{:02}", self.0 % 60)?;
        }
        Ok(())
    }
}

/// A time window of the day, start ≤ end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeWindow {
    start: Clock,
    end: Clock,
}

impl TimeWindow {
    /// The window from `start` to `end`; an error if it ends before it starts.
    pub fn new(start: Clock, end: Clock) -> Result<Self, String> {
        if end < start {
            return Err(format!("the window ends ({end}) before it starts ({start})"));
        }
        Ok(Self { start, end })
    }

    fn parse(w: &WindowInput) -> Result<Self, String> {
        Self::new(Clock::parse(&w.start)?, Clock::parse(&w.end)?)
    }

    /// When it opens.
    #[must_use]
    pub fn start(self) -> Clock {
        self.start
    }

    /// When it closes.
    #[must_use]
    pub fn end(self) -> Clock {
        self.end
    }

    /// The window in the solver's terms (seconds from midnight).
    #[must_use]
    pub fn to_vrp(self) -> diachi_vrp::Window {
        diachi_vrp::Window { start: f64::from(self.start.0), end: f64::from(self.end.0) }
    }
}

/// A shipment id: 1 to 64 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct ShipmentId(String);

impl ShipmentId {
    /// Checks the rules above.
    pub fn parse(s: &str) -> Result<Self, String> {
        let n = s.chars().count();
        if n == 0 || n > MAX_ID_CHARS || s.chars().any(char::is_control) || s.trim() != s {
            return Err(format!(
                "a shipment id is 1 to {MAX_ID_CHARS} characters without control characters or outer spaces"
            ));
        }
        Ok(Self(s.to_owned()))
    }

    /// The id as given.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShipmentId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a shipment goes, as given.
#[derive(Debug, Clone, PartialEq)]
pub enum Place {
    /// Free text (any form).
    Text(String),
    /// A digital address (checked when located).
    Digital(String),
    /// A point.
    Point(LonLat),
}

/// A checked shipment.
#[derive(Debug, Clone)]
pub struct Shipment {
    /// Its id.
    pub id: ShipmentId,
    /// Where it goes.
    pub place: Place,
    /// When it can be received; `None` = any time.
    pub window: Option<TimeWindow>,
    /// Parcels (capacity units).
    pub parcels: u32,
    /// Time at the door in seconds.
    pub service_s: u32,
    /// The recipient's name, masked.
    pub recipient: Option<MaskedName>,
}

/// A checked fleet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fleet {
    /// How many couriers.
    pub count: u32,
    /// Parcels one courier carries.
    pub capacity: u32,
    /// Their shift.
    pub shift: TimeWindow,
    /// How they travel.
    pub profile: Profile,
}

/// A checked post office entry (the office itself is checked against the index when planning).
#[derive(Debug, Clone)]
pub struct OfficeInput {
    /// The post office's id.
    pub id: u32,
    /// Its fleets.
    pub fleets: Vec<Fleet>,
}

/// A checked request.
#[derive(Debug, Clone)]
pub struct Batch {
    /// The shipments, in the order given.
    pub shipments: Vec<Shipment>,
    /// The post offices, in the order given.
    pub offices: Vec<OfficeInput>,
    /// Seed of the search (1 when the request gives none).
    pub seed: u64,
    /// The day, as given.
    pub date: Option<String>,
}

fn invalid(code: &'static str, message: impl Into<String>) -> DeliveryError {
    DeliveryError::Invalid { code, message: message.into() }
}

fn check_date(d: &str) -> bool {
    let b = d.as_bytes();
    if b.len() != 10 || b[4] != b'-' || b[7] != b'-' {
        return false;
    }
    let num =
        |r: std::ops::Range<usize>| d.get(r).filter(|s| s.bytes().all(|c| c.is_ascii_digit()))?.parse::<u32>().ok();
    matches!((num(0..4), num(5..7), num(8..10)), (Some(y), Some(m), Some(dd)) if y >= 2000 && (1..=12).contains(&m) && (1..=31).contains(&dd))
}

impl ShipmentInput {
    fn check(self) -> Result<Shipment, DeliveryError> {
        let id = ShipmentId::parse(&self.id).map_err(|m| invalid("invalid_shipment_id", m))?;
        let at = |m: String| format!("shipment {id}: {m}");
        let place = match (self.address, self.digital_address, self.lon, self.lat) {
            (Some(a), None, None, None) => {
                if a.trim().is_empty() || a.len() > MAX_ADDRESS_BYTES {
                    return Err(invalid(
                        "invalid_address",
                        at(format!("the address is empty or longer than {MAX_ADDRESS_BYTES} bytes")),
                    ));
                }
                Place::Text(a)
            }
            (None, Some(d), None, None) => {
                if d.trim().is_empty() || d.len() > 64 {
                    return Err(invalid(
                        "invalid_digital_address",
                        at("the digital address is empty or too long".into()),
                    ));
                }
                Place::Digital(d)
            }
            (None, None, Some(lon), Some(lat)) => {
                Place::Point(LonLat::new(lon, lat).map_err(|e| invalid("invalid_coordinates", at(e.to_string())))?)
            }
            _ => {
                return Err(invalid(
                    "invalid_location",
                    at("give exactly one of `address`, `digital_address` or `lon` and `lat`".into()),
                ));
            }
        };
        let window =
            self.window.as_ref().map(TimeWindow::parse).transpose().map_err(|m| invalid("invalid_window", at(m)))?;
        let parcels = self.parcels.unwrap_or(1);
        if parcels == 0 || parcels > MAX_PARCELS {
            return Err(invalid("invalid_parcels", at(format!("`parcels` is 1 to {MAX_PARCELS}"))));
        }
        let service_s = self.service_s.unwrap_or(DEFAULT_SERVICE_S);
        if service_s > MAX_SERVICE_S {
            return Err(invalid("invalid_service_time", at(format!("`service_s` is at most {MAX_SERVICE_S}"))));
        }
        // the full name is dropped here: only its mask goes on
        let recipient = self.recipient.as_deref().and_then(MaskedName::mask);
        Ok(Shipment { id, place, window, parcels, service_s, recipient })
    }
}

impl FleetInput {
    fn check(&self, office: u32) -> Result<Fleet, DeliveryError> {
        let at = |m: &str| format!("post office {office}: {m}");
        if self.count == 0 || self.count > MAX_FLEET {
            return Err(invalid("invalid_fleet", at(&format!("a fleet has 1 to {MAX_FLEET} couriers"))));
        }
        if self.capacity == 0 || self.capacity > MAX_CAPACITY {
            return Err(invalid("invalid_fleet", at(&format!("a courier carries 1 to {MAX_CAPACITY} parcels"))));
        }
        let shift = TimeWindow::parse(&self.shift).map_err(|m| invalid("invalid_shift", at(&m)))?;
        if shift.start == shift.end {
            return Err(invalid("invalid_shift", at("a shift has some length")));
        }
        Ok(Fleet { count: self.count, capacity: self.capacity, shift, profile: self.profile })
    }
}

impl PostOfficeInput {
    /// Its checked fleets (at most [`MAX_FLEETS_PER_OFFICE`], [`MAX_OFFICE_COURIERS`] couriers in all).
    fn check(&self) -> Result<OfficeInput, DeliveryError> {
        let fleets: &[FleetInput] = match &self.couriers {
            Fleets::One(f) => std::slice::from_ref(f),
            Fleets::Many(v) => v,
        };
        if fleets.is_empty() {
            return Err(invalid("invalid_fleet", format!("post office {} has no couriers", self.id)));
        }
        if fleets.len() > MAX_FLEETS_PER_OFFICE {
            return Err(invalid(
                "too_many_fleets",
                format!("post office {} lists {} fleets, at most {MAX_FLEETS_PER_OFFICE}", self.id, fleets.len()),
            ));
        }
        let fleets = fleets.iter().map(|f| f.check(self.id)).collect::<Result<Vec<_>, _>>()?;
        if couriers(&fleets) > MAX_OFFICE_COURIERS {
            return Err(invalid(
                "invalid_fleet",
                format!("post office {}: an office has at most {MAX_OFFICE_COURIERS} couriers in all", self.id),
            ));
        }
        Ok(OfficeInput { id: self.id, fleets })
    }
}

/// The couriers of these fleets (u64: no sum of u32 counts wraps).
fn couriers(fleets: &[Fleet]) -> u64 {
    fleets.iter().map(|f| u64::from(f.count)).sum()
}

impl PlanRequest {
    /// Checks everything that does not need the index, within `settings`' bounds: shipments, couriers, and
    /// shipments × couriers (the work of a plan: each insertion tries every courier's route).
    pub fn check(self, settings: &Settings) -> Result<Batch, DeliveryError> {
        let max = settings.max_shipments;
        if self.shipments.len() > max {
            return Err(DeliveryError::TooManyShipments { max, got: self.shipments.len() });
        }
        if self.shipments.is_empty() || self.post_offices.is_empty() {
            return Err(invalid("empty_plan", "a plan needs at least one shipment and one post office"));
        }
        if let Some(d) = &self.date
            && !check_date(d)
        {
            return Err(invalid("invalid_date", "`date` reads YYYY-MM-DD"));
        }
        let offices = check_offices(&self.post_offices)?;
        check_size(settings, self.shipments.len() as u64, offices.iter().map(|o| couriers(&o.fleets)).sum())?;
        let shipments = check_shipments(self.shipments)?;
        Ok(Batch { shipments, offices, seed: self.seed.unwrap_or(1), date: self.date })
    }
}

fn check_offices(post_offices: &[PostOfficeInput]) -> Result<Vec<OfficeInput>, DeliveryError> {
    let mut offices = Vec::with_capacity(post_offices.len());
    let mut seen = HashSet::new();
    for o in post_offices {
        if !seen.insert(o.id) {
            return Err(invalid("duplicate_post_office", format!("post office {} is listed twice", o.id)));
        }
        offices.push(o.check()?);
    }
    Ok(offices)
}

/// The plan's couriers and its shipments × couriers within `settings`.
fn check_size(settings: &Settings, shipments: u64, couriers: u64) -> Result<(), DeliveryError> {
    let max = settings.max_couriers;
    if couriers > max {
        return Err(DeliveryError::TooManyCouriers { max, got: couriers });
    }
    let max = settings.max_plan_size;
    if shipments.saturating_mul(couriers) > max {
        return Err(DeliveryError::PlanTooLarge { max, shipments, couriers });
    }
    Ok(())
}

fn check_shipments(input: Vec<ShipmentInput>) -> Result<Vec<Shipment>, DeliveryError> {
    let mut shipments = Vec::with_capacity(input.len());
    let mut seen = HashSet::with_capacity(input.len());
    for s in input {
        let s = s.check()?;
        if !seen.insert(s.id.clone()) {
            return Err(invalid("duplicate_shipment_id", format!("shipment id {} is used twice", s.id)));
        }
        shipments.push(s);
    }
    Ok(shipments)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A request of `shipments` (each of `parcels`) to `offices` offices, each with these fleets.
    fn request(shipments: usize, parcels: u64, offices: u32, fleets: &serde_json::Value) -> PlanRequest {
        let ships: Vec<_> = (0..shipments)
            .map(|i| serde_json::json!({"id": format!("S{i}"), "lon": 105.8, "lat": 21.0, "parcels": parcels}))
            .collect();
        let offices: Vec<_> = (0..offices).map(|id| serde_json::json!({"id": id, "couriers": fleets})).collect();
        serde_json::from_value(serde_json::json!({"shipments": ships, "post_offices": offices})).expect("a request")
    }

    fn fleet(count: u64, capacity: u64) -> serde_json::Value {
        serde_json::json!({"count": count, "capacity": capacity, "profile": "van", "shift": {"start": "08:00", "end": "17:00"}})
    }

    fn code(r: Result<Batch, DeliveryError>) -> String {
        match r {
            Ok(_) => "ok".into(),
            Err(DeliveryError::Invalid { code, .. }) => code.into(),
            Err(e @ (DeliveryError::TooManyCouriers { .. } | DeliveryError::PlanTooLarge { .. })) => e.to_string(),
            Err(e) => panic!("{e}"),
        }
    }

    /// Issue 16, finding 1: fleets per office, couriers per office and per plan, and shipments × couriers are bounded.
    #[test]
    fn the_size_of_a_plan_is_bounded() {
        let s = Settings { max_couriers: 3_000, max_plan_size: 10_000, ..Settings::default() };
        let fleets = |n: usize, count: u64| serde_json::Value::Array(vec![fleet(count, 10); n]);
        assert_eq!(code(request(1, 1, 1, &fleets(16, 1)).check(&s)), "ok");
        assert_eq!(code(request(1, 1, 1, &fleets(17, 1)).check(&s)), "too_many_fleets");
        assert_eq!(code(request(1, 1, 1, &fleets(10_000, 1_000)).check(&s)), "too_many_fleets");
        assert_eq!(code(request(1, 1, 1, &fleets(0, 1)).check(&s)), "invalid_fleet");
        assert_eq!(code(request(1, 1, 1, &fleets(2, 500)).check(&s)), "ok");
        assert_eq!(code(request(1, 1, 1, &fleets(2, 501)).check(&s)), "invalid_fleet", "1,001 couriers at one office");
        assert_eq!(code(request(1, 1, 3, &fleet(1_000, 10)).check(&s)), "ok");
        assert_eq!(
            code(request(1, 1, 4, &fleet(1_000, 10)).check(&s)),
            "a plan has at most 3000 couriers, this one has 4000"
        );
        assert_eq!(code(request(10, 1, 1, &fleet(1_000, 10)).check(&s)), "ok");
        assert_eq!(
            code(request(11, 1, 1, &fleet(1_000, 10)).check(&s)),
            "a plan has at most 10000 shipments × couriers, this one has 11 × 1000"
        );
    }

    /// Issue 16, finding 3: capacity and parcels are bounded (loads are summed in u64 besides).
    #[test]
    fn loads_are_bounded() {
        let s = Settings::default();
        let (max_c, max_p) = (u64::from(MAX_CAPACITY), u64::from(MAX_PARCELS));
        assert_eq!(code(request(2, max_p, 1, &fleet(1, max_c)).check(&s)), "ok");
        assert_eq!(code(request(2, max_p + 1, 1, &fleet(1, max_c)).check(&s)), "invalid_parcels");
        assert_eq!(code(request(2, 0, 1, &fleet(1, max_c)).check(&s)), "invalid_parcels");
        assert_eq!(code(request(2, 1, 1, &fleet(1, max_c + 1)).check(&s)), "invalid_fleet");
        assert_eq!(code(request(2, 1, 1, &fleet(1, u64::from(u32::MAX))).check(&s)), "invalid_fleet");
    }

    #[test]
    fn times_of_day_parse_and_print() {
        assert_eq!(Clock::parse("08:30").map(Clock::seconds), Ok(8 * 3600 + 1800));
        assert_eq!(Clock::parse("00:00").map(Clock::seconds), Ok(0));
        assert_eq!(Clock::parse("24:00").map(Clock::seconds), Ok(86_400));
        assert_eq!(Clock::parse("07:05:09").map(Clock::seconds), Ok(7 * 3600 + 309));
        for bad in ["8:30", "24:01", "12:60", "", "12", "ab:cd", "12:00:00:00", "-1:00", "12:5", "１２:００"] {
            assert!(Clock::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Clock::hms(8.0 * 3600.0 + 62.4), "08:01:02");
        assert_eq!(Clock::hm(17.0 * 3600.0 + 59.0), "17:00");
        assert_eq!(Clock::parse("09:15").map(|c| c.to_string()), Ok("09:15".into()));
        assert!(TimeWindow::new(Clock(10), Clock(5)).is_err());
    }

    #[test]
    fn shipment_ids_are_short_and_printable() {
        assert!(ShipmentId::parse("HN-1").is_ok());
        assert!(ShipmentId::parse(&"é".repeat(64)).is_ok());
        assert!(ShipmentId::parse(&"a".repeat(65)).is_err());
        assert!(ShipmentId::parse("").is_err());
        assert!(ShipmentId::parse("a\nb").is_err());
        assert!(ShipmentId::parse(" a").is_err());
    }

    #[test]
    fn dates_are_checked() {
        assert!(check_date("2026-11-26"));
        assert!(!check_date("2026-13-01"));
        assert!(!check_date("26-11-2026"));
        assert!(!check_date("2026-1-1x"));
    }
}
