//! A plan for the dispatcher's map (GeoJSON) and for each courier (GPX 1.1 route, CSV manifest). The JSON form is
//! the plan itself (serde).

use serde_json::{Value, json};
use std::fmt::Write as _;

use super::plan::{CourierRoute, OfficePlan, Plan};

/// A colour per courier, distinct for neighbours: golden-angle hues at fixed saturation and lightness.
#[must_use]
pub fn colour(k: usize) -> String {
    let h = (k as f64 * 137.507_764) % 360.0;
    let (s, l) = (0.70, 0.45);
    let c = (1.0 - (2.0 * l - 1.0_f64).abs()) * s;
    let x = c * (1.0 - ((h / 60.0) % 2.0 - 1.0).abs());
    let m = l - c / 2.0;
    let (r, g, b) = match (h / 60.0) as u32 {
        0 => (c, x, 0.0),
        1 => (x, c, 0.0),
        2 => (0.0, c, x),
        3 => (0.0, x, c),
        4 => (x, 0.0, c),
        _ => (c, 0.0, x),
    };
    let byte = |v: f64| ((v + m) * 255.0).round().clamp(0.0, 255.0) as u8;
    format!("#{:02x}{:02x}{:02x}", byte(r), byte(g), byte(b))
}

/// The plan as a GeoJSON FeatureCollection: a Point per post office, a LineString per courier route (office →
/// stops → office) and a Point per stop, the courier's colour on its route and stops.
#[must_use]
pub fn geojson(plan: &Plan) -> Value {
    let mut features = Vec::new();
    let mut k = 0;
    for o in &plan.post_offices {
        features.push(json!({
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [o.lon, o.lat]},
            "properties": {
                "kind": "post_office", "post_office": o.id, "name": o.name, "ward": o.ward.name,
                "shipments": o.shipments, "couriers": o.couriers.len(),
            },
        }));
        for c in &o.couriers {
            let colour = colour(k);
            k += 1;
            let mut line = Vec::with_capacity(c.stops.len() + 2);
            line.push(json!([o.lon, o.lat]));
            line.extend(c.stops.iter().map(|s| json!([s.lon, s.lat])));
            line.push(json!([o.lon, o.lat]));
            features.push(json!({
                "type": "Feature",
                "geometry": {"type": "LineString", "coordinates": line},
                "properties": {
                    "kind": "route", "post_office": o.id, "courier": c.courier, "courier_index": c.index,
                    "color": colour, "profile": c.profile, "distance_m": c.distance_m, "duration_s": c.duration_s,
                    "stops": c.stops.len(), "parcels": c.parcels, "departure": c.departure, "return": c.return_time,
                },
            }));
            for s in &c.stops {
                features.push(json!({
                    "type": "Feature",
                    "geometry": {"type": "Point", "coordinates": [s.lon, s.lat]},
                    "properties": {
                        "kind": "stop", "sequence": s.sequence, "courier": c.courier, "post_office": o.id,
                        "color": colour, "shipment": s.shipment, "arrival": &s.arrival[..5.min(s.arrival.len())],
                        "digital_address": s.digital_address, "address": s.address, "parcels": s.parcels,
                    },
                }));
            }
        }
    }
    json!({"type": "FeatureCollection", "features": features})
}

/// `s` with the five XML special characters escaped, and characters XML 1.0 cannot hold dropped.
#[must_use]
pub fn xml_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
    out
}

/// One courier's route as GPX 1.1: a `<rte>` (office, the stops in order, office) and a `<wpt>` for the office.
#[must_use]
pub fn gpx(office: &OfficePlan, c: &CourierRoute) -> String {
    let mut g = String::with_capacity(256 + c.stops.len() * 200);
    g.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    g.push_str("<gpx version=\"1.1\" creator=\"diachi\" xmlns=\"http://www.topografix.com/GPX/1/1\">\n");
    let _ = writeln!(g, "  <metadata><name>{}</name></metadata>", xml_escape(&c.courier));
    let office_name = xml_escape(&office.name);
    let _ = writeln!(g, "  <wpt lat=\"{}\" lon=\"{}\"><name>{office_name}</name></wpt>", office.lat, office.lon);
    let _ = writeln!(g, "  <rte>\n    <name>{}</name>", xml_escape(&c.courier));
    let _ =
        writeln!(g, "    <rtept lat=\"{}\" lon=\"{}\"><name>0 {office_name}</name></rtept>", office.lat, office.lon);
    for s in &c.stops {
        let _ = writeln!(
            g,
            "    <rtept lat=\"{}\" lon=\"{}\"><name>{} {}</name><desc>{}</desc></rtept>",
            s.lat,
            s.lon,
            s.sequence,
            xml_escape(&s.shipment),
            xml_escape(&s.address)
        );
    }
    let _ = writeln!(
        g,
        "    <rtept lat=\"{}\" lon=\"{}\"><name>{} {office_name}</name></rtept>",
        office.lat,
        office.lon,
        c.stops.len() + 1
    );
    g.push_str("  </rte>\n</gpx>\n");
    g
}

/// One courier's manifest as CSV (RFC 4180: CRLF, quoted where needed):
/// `sequence,shipment,recipient,address,digital_address,postcode,arrival,parcels`; the recipient masked.
pub fn manifest_csv(c: &CourierRoute) -> Result<String, csv::Error> {
    let mut w = csv::WriterBuilder::new().terminator(csv::Terminator::CRLF).from_writer(Vec::new());
    w.write_record([
        "sequence",
        "shipment",
        "recipient",
        "address",
        "digital_address",
        "postcode",
        "arrival",
        "parcels",
    ])?;
    for s in &c.stops {
        w.write_record([
            s.sequence.to_string().as_str(),
            &s.shipment,
            s.recipient.as_deref().unwrap_or(""),
            &s.address,
            s.digital_address.as_deref().unwrap_or(""),
            &s.postcode,
            &s.arrival,
            &s.parcels.to_string(),
        ])?;
    }
    let bytes = w.into_inner().map_err(|e| csv::Error::from(e.into_error()))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Profile;
    use crate::plan::Stop;
    use diachi_resolve::UnitName;

    fn route() -> (OfficePlan, CourierRoute) {
        let unit = || UnitName { code: "00004".into(), name: "Phường Ba Đình".into() };
        let stop = |n: u32, addr: &str| Stop {
            sequence: n,
            shipment: format!("S<{n}>&\"x\""),
            arrival: "08:10:00".into(),
            service_start: "08:10:00".into(),
            departure: "08:12:00".into(),
            lon: 105.83,
            lat: 21.03,
            address: addr.into(),
            digital_address: Some("V98-FE4-RYEW".into()),
            postcode: "11100".into(),
            ward: unit(),
            recipient: Some("N. V. A*".into()),
            parcels: 1,
            window: None,
        };
        let c = CourierRoute {
            courier: "7-1".into(),
            index: 1,
            profile: Profile::Motorbike,
            capacity: 10,
            departure: "08:00:00".into(),
            return_time: "09:00:00".into(),
            distance_m: 1000.0,
            duration_s: 3600.0,
            parcels: 2,
            stops: vec![stop(1, "Số 1, Phố \"Huế\", Hà Nội"), stop(2, "Căn 3 <b>, Ngõ 5 & 7\nHà Nội")],
        };
        let o = OfficePlan {
            id: 7,
            name: "Bưu cục <Ba Đình> & Co".into(),
            kind: "post_office".into(),
            ward: unit(),
            province: unit(),
            lon: 105.82,
            lat: 21.02,
            shipments: 2,
            couriers: vec![c.clone()],
        };
        (o, c)
    }

    #[test]
    fn colours_are_hex_and_distinct_for_neighbours() {
        let cs: Vec<String> = (0..12).map(colour).collect();
        for c in &cs {
            assert!(c.len() == 7 && c.starts_with('#') && c[1..].bytes().all(|b| b.is_ascii_hexdigit()), "{c}");
        }
        let distinct: std::collections::HashSet<_> = cs.iter().collect();
        assert_eq!(distinct.len(), cs.len());
    }

    #[test]
    fn gpx_escapes_text() {
        let (o, c) = route();
        let g = gpx(&o, &c);
        assert!(g.contains("&lt;Ba Đình&gt; &amp; Co"));
        assert!(g.contains("S&lt;1&gt;&amp;&quot;x&quot;"));
        assert!(!g.contains("<b>"));
        assert_eq!(g.matches("<rtept").count(), 4);
    }

    #[test]
    fn csv_quotes_per_rfc_4180() {
        let (_, c) = route();
        let csv = manifest_csv(&c).expect("csv");
        let lines: Vec<&str> = csv.split("\r\n").collect();
        assert_eq!(lines[0], "sequence,shipment,recipient,address,digital_address,postcode,arrival,parcels");
        assert!(
            lines[1].starts_with("1,\"S<1>&\"\"x\"\"\",N. V. A*,\"Số 1, Phố \"\"Huế\"\", Hà Nội\","),
            "{}",
            lines[1]
        );
        let mut r = csv::Reader::from_reader(csv.as_bytes());
        let rows: Vec<csv::StringRecord> = r.records().collect::<Result<_, _>>().expect("parses back");
        assert_eq!(rows.len(), 2);
        assert_eq!(&rows[1][3], "Căn 3 <b>, Ngõ 5 & 7\nHà Nội");
    }
}
