//! The plan: shipments located in parallel, assigned to post offices, one routing problem per office solved in
//! parallel, and the answer a courier app and a dispatcher read.

use rayon::prelude::*;
use serde::Serialize;
use std::time::Instant;
use utoipa::ToSchema;

use super::assign::Offices;
use super::locate::{Located, NotLocated, locate};
use super::mask::MaskedName;
use super::request::{Batch, Clock, Fleet, OfficeInput, Profile, Shipment, TimeWindow};
use super::travel::GreatCircle;
use super::{DeliveryError, Reason, Settings};
use diachi_geo::dataset::PostOffice;
use diachi_geo::index::NationalIndex;
use diachi_resolve::{Resolver, UnitName};
use diachi_vrp::{self as vrp, Job, Matrix, Options, Problem, TravelCost, Vehicle};

/// A day's plan.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Plan {
    /// The day, as given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<String>,
    /// The seed of the search.
    pub seed: u64,
    /// Totals.
    pub summary: Summary,
    /// Every listed post office, in the order listed, with the routes of its couriers.
    pub post_offices: Vec<OfficePlan>,
    /// Shipments on no route, in the order given, with the reason.
    pub unassigned: Vec<UnassignedShipment>,
}

/// Totals.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Summary {
    /// Shipments in the request.
    pub shipments: usize,
    /// Shipments on a route.
    pub routed: usize,
    /// Shipments on no route.
    pub unassigned: usize,
    /// Couriers with at least one stop.
    pub couriers_used: usize,
    /// Couriers in all the listed fleets.
    pub couriers_available: usize,
    /// Parcels on the routes.
    pub parcels_routed: u64,
    /// Sum of the routes' distances (metres).
    pub distance_m: f64,
    /// Sum of the routes' durations (seconds, waiting included).
    pub duration_s: f64,
    /// Time spent placing the addresses (ms); varies between runs.
    pub locate_ms: u64,
    /// Time spent routing (ms); varies between runs.
    pub solve_ms: u64,
}

/// A post office and its couriers' routes.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OfficePlan {
    /// The post office's id.
    pub id: u32,
    /// Its name.
    pub name: String,
    /// `provincial_hub`, `post_office`, `cultural_post_point` or `service_point`.
    pub kind: String,
    /// Its ward.
    pub ward: UnitName,
    /// Its province.
    pub province: UnitName,
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// Shipments assigned to this office.
    pub shipments: usize,
    /// Routes of the couriers that have stops, by courier number.
    pub couriers: Vec<CourierRoute>,
}

/// One courier's day.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CourierRoute {
    /// `<post office id>-<n>`, as in the GPX and manifest URLs.
    #[schema(example = "1042-3")]
    pub courier: String,
    /// `n`: 1-based number of the courier in the office's fleets, in the order listed.
    pub index: u32,
    /// How the courier travels.
    pub profile: Profile,
    /// Parcels the courier carries at most.
    pub capacity: u32,
    /// Leaves the office (`HH:MM:SS`).
    pub departure: String,
    /// Back at the office (`HH:MM:SS`).
    #[serde(rename = "return")]
    pub return_time: String,
    /// Length of the route (metres).
    pub distance_m: f64,
    /// Departure to return (seconds, waiting included).
    pub duration_s: f64,
    /// Parcels on the route.
    pub parcels: u64,
    /// The stops in order.
    pub stops: Vec<Stop>,
}

/// A stop on a route.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Stop {
    /// 1-based.
    pub sequence: u32,
    /// The shipment's id.
    pub shipment: String,
    /// `HH:MM:SS`
    pub arrival: String,
    /// When the service starts (after waiting for the window, if early).
    pub service_start: String,
    /// Leaves the stop (`HH:MM:SS`).
    pub departure: String,
    /// Longitude in degrees.
    pub lon: f64,
    /// Latitude in degrees.
    pub lat: f64,
    /// The address on today's map.
    pub address: String,
    /// The address's digital address, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub digital_address: Option<String>,
    /// The ward's postcode.
    pub postcode: String,
    /// The ward.
    pub ward: UnitName,
    /// The recipient's initials (`N. V. A*`), never the name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub recipient: Option<String>,
    /// Parcels handed over.
    pub parcels: u32,
    /// The window as given (`HH:MM`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub window: Option<WindowOut>,
}

/// A time window in the answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct WindowOut {
    /// `HH:MM`.
    pub start: String,
    /// `HH:MM`.
    pub end: String,
}

/// A shipment on no route.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnassignedShipment {
    /// The shipment's id.
    pub shipment: String,
    /// Why it is on no route.
    pub reason: Reason,
    /// The reason in words.
    pub message: String,
    /// The post office it was given to, when it got that far.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub post_office: Option<u32>,
    /// Places the address could mean (`ambiguous_address`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub candidates: Option<usize>,
}

impl Plan {
    /// A courier's route and its office, by `<office>-<n>`.
    #[must_use]
    pub fn courier(&self, name: &str) -> Option<(&OfficePlan, &CourierRoute)> {
        self.post_offices.iter().find_map(|o| o.couriers.iter().find(|c| c.courier == name).map(|c| (o, c)))
    }
}

fn unit(code: &str, name: String) -> UnitName {
    UnitName { code: code.to_owned(), name }
}

fn window_out(w: TimeWindow) -> WindowOut {
    WindowOut { start: w.start().to_string(), end: w.end().to_string() }
}

/// Couriers of an office, one vehicle each, in the order of its fleets.
fn vehicles(fleets: &[Fleet], profiles: &[Profile]) -> Vec<(Vehicle, Fleet)> {
    let mut v = Vec::new();
    for f in fleets {
        let profile = profiles.iter().position(|p| *p == f.profile).unwrap_or(0);
        for _ in 0..f.count {
            v.push((Vehicle { profile, capacity: f.capacity, depot: 0, shift: f.shift.to_vrp() }, *f));
        }
    }
    v
}

struct OfficeWork<'a> {
    office: &'a PostOffice,
    input: &'a OfficeInput,
    /// Indices into the batch's shipments.
    shipments: Vec<usize>,
}

struct OfficeResult {
    plan: OfficePlan,
    /// `(shipment index, reason)`
    unassigned: Vec<(usize, Reason)>,
}

fn solve_office(
    ix: &NationalIndex,
    work: &OfficeWork<'_>,
    batch: &Batch,
    located: &[Result<Located, NotLocated>],
    settings: &Settings,
    time_limit: std::time::Duration,
) -> Result<OfficeResult, DeliveryError> {
    let geo = &ix.data.geography;
    let o = work.office;
    let ward = &geo.wards[usize::from(o.ward)];
    let province = geo.province_of(ward);
    let (lon, lat) = (diachi_geo::dataset::from_e7(o.lon_e7), diachi_geo::dataset::from_e7(o.lat_e7));
    let mut plan = OfficePlan {
        id: o.id,
        name: o.name.clone(),
        kind: o.kind.as_str().to_owned(),
        ward: unit(ward.code.as_str(), ward.full_name()),
        province: unit(province.code.as_str(), province.name.clone()),
        lon,
        lat,
        shipments: work.shipments.len(),
        couriers: Vec::new(),
    };
    if work.shipments.is_empty() {
        return Ok(OfficeResult { plan, unassigned: Vec::new() });
    }
    let mut profiles: Vec<Profile> = Vec::new();
    for f in &work.input.fleets {
        if !profiles.contains(&f.profile) {
            profiles.push(f.profile);
        }
    }
    let mut points = Vec::with_capacity(work.shipments.len() + 1);
    points.push([lon, lat]);
    let mut jobs = Vec::with_capacity(work.shipments.len());
    for (k, &s) in work.shipments.iter().enumerate() {
        let Some(Ok(l)) = located.get(s) else { continue };
        let sh = &batch.shipments[s];
        points.push([l.point.lon(), l.point.lat()]);
        jobs.push(Job {
            location: k + 1,
            demand: sh.parcels,
            service: f64::from(sh.service_s),
            window: sh.window.map_or(vrp::Window::ALWAYS, TimeWindow::to_vrp),
        });
    }
    let great_circle = GreatCircle { points, profiles: profiles.clone() };
    let matrix;
    let cost: &dyn TravelCost = if great_circle.locations() <= settings.matrix_max_locations {
        matrix = Matrix::from_cost(&great_circle);
        &matrix
    } else {
        &great_circle
    };
    let fleet = vehicles(&work.input.fleets, &profiles);
    let problem = Problem { jobs, vehicles: fleet.iter().map(|(v, _)| v.clone()).collect(), cost };
    let options = Options { seed: batch.seed, iterations: None, time_limit, minimize_vehicles: false };
    let solution = vrp::solve(&problem, &options)?;

    let unassigned = solution.unassigned.iter().map(|&(j, why)| (work.shipments[j], Reason::from(why))).collect();
    let mut routes: Vec<&vrp::Route> = solution.routes.iter().filter(|r| !r.visits.is_empty()).collect();
    routes.sort_by_key(|r| r.vehicle);
    for r in routes {
        let Some((_, f)) = fleet.get(r.vehicle) else { continue };
        let n = r.vehicle as u32 + 1;
        let mut stops = Vec::with_capacity(r.visits.len());
        for (seq, v) in r.visits.iter().enumerate() {
            let s = work.shipments[v.job];
            let (sh, Some(Ok(l))): (&Shipment, _) = (&batch.shipments[s], located.get(s)) else { continue };
            let w = &geo.wards[usize::from(l.ward)];
            stops.push(Stop {
                sequence: seq as u32 + 1,
                shipment: sh.id.to_string(),
                arrival: Clock::hms(v.arrival),
                service_start: Clock::hms(v.start),
                departure: Clock::hms(v.departure),
                lon: l.point.lon(),
                lat: l.point.lat(),
                address: l.address.clone(),
                digital_address: l.digital_address.clone(),
                postcode: l.postcode.clone(),
                ward: unit(w.code.as_str(), w.full_name()),
                recipient: sh.recipient.as_ref().map(|m: &MaskedName| m.as_str().to_owned()),
                parcels: sh.parcels,
                window: sh.window.map(window_out),
            });
        }
        plan.couriers.push(CourierRoute {
            courier: format!("{}-{n}", o.id),
            index: n,
            profile: f.profile,
            capacity: f.capacity,
            departure: Clock::hms(r.departure),
            return_time: Clock::hms(r.return_time),
            distance_m: r.distance.round(),
            duration_s: r.duration.round(),
            parcels: r.load,
            stops,
        });
    }
    Ok(OfficeResult { plan, unassigned })
}

fn message(reason: Reason, office: u32) -> String {
    match reason {
        Reason::OverCapacity => format!("more parcels than any courier of post office {office} carries"),
        Reason::Unreachable => "no courier can reach it within its window and be back within the shift".to_owned(),
        Reason::NoRoom => format!("post office {office} has not enough couriers or shift time for it"),
        Reason::NoPostOffice => "no listed post office in its ward or province".to_owned(),
        _ => reason_name(reason).to_owned(),
    }
}

fn reason_name(r: Reason) -> &'static str {
    match r {
        Reason::AddressNotFound => "address_not_found",
        Reason::AmbiguousAddress => "ambiguous_address",
        Reason::ImpreciseAddress => "imprecise_address",
        Reason::InvalidDigitalAddress => "invalid_digital_address",
        Reason::OutsideCoverage => "outside_coverage",
        Reason::NoPostOffice => "no_post_office",
        Reason::OverCapacity => "over_capacity",
        Reason::Unreachable => "unreachable",
        Reason::NoRoom => "no_room",
    }
}

/// A shipment on no route: (shipment index, reason, office, message, candidates).
type Failed = (usize, Reason, Option<u32>, String, Option<usize>);

/// Checks that every listed post office is in the index (before a plan is queued).
pub fn check_offices(ix: &NationalIndex, batch: &Batch) -> Result<(), DeliveryError> {
    let known: std::collections::HashSet<u32> = ix.data.post_offices.iter().map(|p| p.id).collect();
    match batch.offices.iter().find(|o| !known.contains(&o.id)) {
        Some(o) => Err(DeliveryError::UnknownPostOffice(o.id)),
        None => Ok(()),
    }
}

/// Makes the plan. `progress` is told the share done (0 to 1) now and then.
pub fn plan(
    ix: &NationalIndex,
    resolver: &Resolver,
    batch: &Batch,
    settings: &Settings,
    progress: &(dyn Fn(f64) + Sync),
) -> Result<Plan, DeliveryError> {
    let geo = &ix.data.geography;
    // the listed offices, as in the index
    let by_id: std::collections::HashMap<u32, &PostOffice> = ix.data.post_offices.iter().map(|p| (p.id, p)).collect();
    let mut offices: Vec<&PostOffice> = Vec::with_capacity(batch.offices.len());
    let mut places = Vec::with_capacity(batch.offices.len());
    for o in &batch.offices {
        let p = by_id.get(&o.id).copied().ok_or(DeliveryError::UnknownPostOffice(o.id))?;
        let at = p.location().ok_or(DeliveryError::UnknownPostOffice(o.id))?;
        offices.push(p);
        places.push((p.ward, at));
    }
    let serving = Offices::new(geo, &places);

    let t0 = Instant::now();
    let located: Vec<Result<Located, NotLocated>> =
        batch.shipments.par_iter().with_min_len(64).map(|s| locate(ix, resolver, &s.place)).collect();
    let locate_ms = t0.elapsed().as_millis() as u64;
    progress(0.3);

    let mut failed: Vec<Failed> = Vec::new();
    let mut work: Vec<OfficeWork<'_>> = offices
        .iter()
        .zip(&batch.offices)
        .map(|(o, input)| OfficeWork { office: o, input, shipments: Vec::new() })
        .collect();
    for (i, l) in located.iter().enumerate() {
        match l {
            Err(e) => failed.push((i, e.reason, None, e.message.clone(), e.candidates)),
            Ok(l) => match serving.serving(geo, l.ward, l.point) {
                None => failed.push((i, Reason::NoPostOffice, None, message(Reason::NoPostOffice, 0), None)),
                Some(k) => {
                    let max = work[k].input.fleets.iter().map(|f| f.capacity).max().unwrap_or(0);
                    let id = work[k].office.id;
                    if batch.shipments[i].parcels > max {
                        failed.push((i, Reason::OverCapacity, Some(id), message(Reason::OverCapacity, id), None));
                    } else {
                        work[k].shipments.push(i);
                    }
                }
            },
        }
    }

    let t1 = Instant::now();
    let total = work.len().max(1) as f64;
    // the routing budget shared by the offices' shares of the shipments (they run `threads` at a time)
    let routed_total = work.iter().map(|w| w.shipments.len()).sum::<usize>().max(1) as f64;
    let threads = rayon::current_num_threads() as f64;
    let limit_of = |w: &OfficeWork<'_>| {
        let share = settings.solve_budget.as_secs_f64() * threads * w.shipments.len() as f64 / routed_total;
        std::time::Duration::from_secs_f64(share.clamp(1.0, settings.time_limit.as_secs_f64().max(1.0)))
    };
    let done = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<OfficeResult> = work
        .par_iter()
        .with_max_len(1)
        .map(|w| {
            let r = solve_office(ix, w, batch, &located, settings, limit_of(w));
            let n = done.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
            progress(0.3 + 0.7 * n as f64 / total);
            r
        })
        .collect::<Result<_, _>>()?;
    let solve_ms = t1.elapsed().as_millis() as u64;

    let mut post_offices = Vec::with_capacity(results.len());
    for r in results {
        for (s, why) in r.unassigned {
            failed.push((s, why, Some(r.plan.id), message(why, r.plan.id), None));
        }
        post_offices.push(r.plan);
    }
    failed.sort_by_key(|f| f.0);
    let unassigned: Vec<UnassignedShipment> = failed
        .into_iter()
        .map(|(i, reason, post_office, message, candidates)| UnassignedShipment {
            shipment: batch.shipments[i].id.to_string(),
            reason,
            message,
            post_office,
            candidates,
        })
        .collect();
    let routes = post_offices.iter().flat_map(|o| &o.couriers);
    let summary = Summary {
        shipments: batch.shipments.len(),
        routed: routes.clone().map(|c| c.stops.len()).sum(),
        unassigned: unassigned.len(),
        couriers_used: routes.clone().count(),
        couriers_available: batch.offices.iter().flat_map(|o| &o.fleets).map(|f| f.count as usize).sum(),
        parcels_routed: routes.clone().fold(0, |a, c| a.saturating_add(c.parcels)),
        // (a fold from +0: an empty `sum` of floats is -0)
        distance_m: routes.clone().fold(0.0, |a, c| a + c.distance_m),
        duration_s: routes.fold(0.0, |a, c| a + c.duration_s),
        locate_ms,
        solve_ms,
    };
    Ok(Plan { date: batch.date.clone(), seed: batch.seed, summary, post_offices, unassigned })
}
