//! A day of ID-card deliveries end to end (`scripts/bench-delivery.sh`, BENCHMARKS.md "Delivery planning"):
//! `DAY_SHIPMENTS` shipments (default 500,000) drawn from the labelled-address generator over the synthetic national
//! set (`DAY_HOUSEHOLDS`, default 1,000,000, or `full`), a third each given as messy text, as a digital address and as
//! coordinates (text where the line has none), every post office of the index listed with motorbike couriers (80 parcels,
//! 07:30–16:30): one per 60 of the shipments it will be given plus `DAY_COURIERS` (default 1). `DAY_PROVINCE=01` keeps only the shipments of one province (the
//! issue's 100,000-shipment province batch). Prints the time of each step and the plan's summary.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::cast_precision_loss)]

use diachi_delivery::request::{FleetInput, Fleets, PostOfficeInput, ShipmentInput, WindowInput};
use diachi_delivery::{PlanRequest, Settings};
use std::time::Instant;

fn env<T: std::str::FromStr>(k: &str, d: T) -> T {
    std::env::var(k).ok().and_then(|v| v.parse().ok()).unwrap_or(d)
}

fn main() {
    let shipments: u32 = env("DAY_SHIPMENTS", 500_000);
    let couriers: u32 = env("DAY_COURIERS", 1);
    let province: Option<String> = std::env::var("DAY_PROVINCE").ok();
    let households = std::env::var("DAY_HOUSEHOLDS").map_or(diachi_server::config::DEFAULT_HOUSEHOLDS, |h| {
        h.parse::<diachi_server::config::Households>().unwrap().0
    });
    let t = Instant::now();
    let data = diachi_synth::build_dataset(households, 2025, None).unwrap();
    let ix = diachi_geo::index::NationalIndex::build(data);
    let resolver = diachi_resolve::Resolver::build(&ix);
    eprintln!("index + resolver: {:.1} s ({} addresses)", t.elapsed().as_secs_f64(), ix.data.addresses.len());

    let t = Instant::now();
    let draw = if province.is_some() { shipments * 40 } else { shipments };
    let mut lines = diachi_synth::noise::generate(&ix, draw, 7);
    if let Some(p) = &province {
        lines.retain(|l| &l.expected.province_code == p);
        lines.truncate(shipments as usize);
    }
    let inputs: Vec<ShipmentInput> = lines
        .iter()
        .map(|l| {
            let mut s = ShipmentInput {
                id: format!("S{}", l.n),
                address: None,
                digital_address: None,
                lon: None,
                lat: None,
                window: None,
                parcels: None,
                service_s: None,
                recipient: None,
            };
            match (l.n % 3, l.lon, l.lat) {
                (0, ..) => s.digital_address = Some(l.expected.digital_address.clone()),
                (1, Some(lon), Some(lat)) => (s.lon, s.lat) = (Some(lon), Some(lat)),
                _ => s.address = Some(l.input.clone()),
            }
            if l.n % 5 == 0 {
                s.window = Some(WindowInput { start: "13:00".into(), end: "16:00".into() });
            }
            s
        })
        .collect();
    // couriers by the office's load: its shipments as the planner will assign them, 60 a courier, plus spares
    let geo = &ix.data.geography;
    let places: Vec<(diachi_domain::WardIdx, diachi_domain::LonLat)> =
        ix.data.post_offices.iter().filter_map(|o| Some((o.ward, o.location()?))).collect();
    let serving = diachi_delivery::assign::Offices::new(geo, &places);
    let mut load = vec![0u32; places.len()];
    for l in &lines {
        if let Some(v) = ix.view(l.expected.address_id)
            && let Some(p) = ix.data.addresses.location(l.expected.address_id)
            && let Some(k) = serving.serving(geo, v.ward_index, p)
        {
            load[k] += 1;
        }
    }
    let offices: Vec<PostOfficeInput> = ix
        .data
        .post_offices
        .iter()
        .zip(&load)
        .filter(|(o, _)| {
            let geo = &ix.data.geography;
            province
                .as_ref()
                .is_none_or(|p| geo.province_of(&geo.wards[usize::from(o.ward)]).code.as_str() == p.as_str())
        })
        .map(|(o, load)| PostOfficeInput {
            id: o.id,
            couriers: Fleets::One(FleetInput {
                count: load / 60 + couriers,
                capacity: 80,
                shift: WindowInput { start: "07:30".into(), end: "16:30".into() },
                profile: diachi_delivery::Profile::Motorbike,
            }),
        })
        .collect();
    let n_offices = offices.len();
    let request = PlanRequest { shipments: inputs, post_offices: offices, seed: Some(1), date: None };
    // a national day lists more couriers than one key may plan for by default (10,000 couriers, 10^9 shipments ×
    // couriers): the operator raises them for the national post (`delivery_max_couriers`, `delivery_max_plan_size`)
    let settings = Settings { max_couriers: 100_000, max_plan_size: 100_000_000_000, ..Settings::default() };
    let batch = request.check(&settings).unwrap();
    eprintln!("request: {} shipments, {n_offices} post offices: {:.1} s", lines.len(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    let plan = diachi_delivery::plan(&ix, &resolver, &batch, &settings, &|_| {}).unwrap();
    let secs = t.elapsed().as_secs_f64();
    let s = &plan.summary;
    let mut reasons = std::collections::BTreeMap::new();
    for u in &plan.unassigned {
        *reasons.entry(format!("{:?}", u.reason)).or_insert(0) += 1;
    }
    println!(
        "plan: {secs:.1} s ({:.0} shipments/s): locate {} ms, solve {} ms; {} shipments, {} routed, {} unassigned {reasons:?}; \
         {} of {} couriers used, {:.0} km",
        f64::from(u32::try_from(s.shipments).unwrap()) / secs,
        s.locate_ms,
        s.solve_ms,
        s.shipments,
        s.routed,
        s.unassigned,
        s.couriers_used,
        s.couriers_available,
        s.distance_m / 1e3
    );
    if std::env::var("DAY_DEBUG").is_ok() {
        let mut un: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        for u in &plan.unassigned {
            if let Some(o) = u.post_office {
                *un.entry(o).or_default() += 1;
            }
        }
        let mut v: Vec<_> = plan
            .post_offices
            .iter()
            .map(|o| (un.get(&o.id).copied().unwrap_or(0), o.shipments, o.couriers.len(), o.id))
            .collect();
        v.sort_unstable_by(|a, b| b.cmp(a));
        eprintln!("worst offices (unassigned, shipments, routes, id): {:?}", &v[..10.min(v.len())]);
    }
    let t = Instant::now();
    let json = serde_json::to_vec(&plan).unwrap();
    let geo = serde_json::to_vec(&diachi_delivery::output::geojson(&plan)).unwrap();
    eprintln!(
        "outputs: JSON {} MB, GeoJSON {} MB in {:.1} s",
        json.len() >> 20,
        geo.len() >> 20,
        t.elapsed().as_secs_f64()
    );
}
