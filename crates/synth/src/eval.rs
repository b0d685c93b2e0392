//! Accuracy and speed of the resolver on a labelled set (`testdata/addresses-noisy.jsonl`, made by
//! [`crate::noise`]).

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::time::Instant;

use diachi_domain::{AddressId, LonLat};
use diachi_geo::index::NationalIndex;
use diachi_resolve::Resolver;

/// One line of the labelled set, as read back.
#[derive(Debug, Clone, Deserialize)]
pub struct Labelled {
    /// Line number, from 0.
    pub n: u32,
    /// The messy address.
    pub input: String,
    /// `new` or `old`.
    pub form: String,
    /// Latitude given with the line, if any.
    #[serde(default)]
    pub lat: Option<f64>,
    /// Longitude given with the line, if any.
    #[serde(default)]
    pub lon: Option<f64>,
    /// The damage done, by name.
    #[serde(default)]
    pub noise: Vec<String>,
    /// The right answer.
    pub expected: LabelledExpected,
}

/// What the line should resolve to.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledExpected {
    /// The delivery point.
    pub address_id: AddressId,
    /// Today's ward code.
    pub ward_code: String,
    /// Today's province code.
    pub province_code: String,
    /// The delivery point's digital address.
    pub digital_address: String,
}

/// Counts of one group of lines.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Tally {
    /// Lines counted.
    pub lines: u32,
    /// Today's ward right.
    pub ward: u32,
    /// Today's province right.
    pub province: u32,
    /// The delivery point right (its digital address).
    pub exact: u32,
    /// Answers flagged ambiguous.
    pub ambiguous: u32,
    /// `ward / lines`, to 4 decimals.
    pub ward_accuracy: f64,
    /// `exact / lines`, to 4 decimals.
    pub exact_accuracy: f64,
}

impl Tally {
    fn add(&mut self, ward: bool, province: bool, exact: bool, ambiguous: bool) {
        self.lines += 1;
        self.ward += u32::from(ward);
        self.province += u32::from(province);
        self.exact += u32::from(exact);
        self.ambiguous += u32::from(ambiguous);
    }

    fn finish(&mut self) {
        let n = f64::from(self.lines.max(1));
        self.ward_accuracy = (f64::from(self.ward) / n * 10_000.0).round() / 10_000.0;
        self.exact_accuracy = (f64::from(self.exact) / n * 10_000.0).round() / 10_000.0;
    }
}

/// The report of one evaluation.
#[derive(Debug, Clone, Serialize)]
pub struct Report {
    /// Every line.
    pub all: Tally,
    /// Per form (`new`, `old`).
    pub by_form: BTreeMap<String, Tally>,
    /// Per kind of damage (a line counts under each of its kinds).
    pub by_noise: BTreeMap<String, Tally>,
    /// Single-thread throughput, best of the passes.
    pub addresses_per_second: f64,
    /// Timed passes over the set.
    pub passes: u32,
    /// Lines whose ward was wrong (at most 30), for reading.
    pub ward_errors: Vec<String>,
    /// Lines whose ward was right but not the delivery point (at most 30).
    pub exact_errors: Vec<String>,
}

/// Resolves every line `passes` times on the calling thread; accuracy from the first pass. With `coordinates`
/// false the lines' coordinates are not given to the resolver (text only, as a text-only peer sees them).
#[must_use]
pub fn evaluate(r: &Resolver, ix: &NationalIndex, lines: &[Labelled], passes: u32, coordinates: bool) -> Report {
    let mut report = Report {
        all: Tally::default(),
        by_form: BTreeMap::new(),
        by_noise: BTreeMap::new(),
        addresses_per_second: 0.0,
        passes: passes.max(1),
        ward_errors: Vec::new(),
        exact_errors: Vec::new(),
    };
    let hint =
        |l: &Labelled| l.lat.zip(l.lon).filter(|_| coordinates).and_then(|(lat, lon)| LonLat::new(lon, lat).ok());
    let mut best = f64::INFINITY;
    for pass in 0..passes.max(1) {
        let t = Instant::now();
        for l in lines {
            let res = r.resolve(ix, &l.input, hint(l));
            if pass > 0 {
                std::hint::black_box(&res);
                continue;
            }
            let a = res.address.as_ref();
            let ward = a.is_some_and(|a| a.ward.code == l.expected.ward_code);
            let province = a.is_some_and(|a| a.province.code == l.expected.province_code);
            let exact = a.and_then(|a| a.digital_address.as_deref()) == Some(l.expected.digital_address.as_str());
            let amb = res.verdict.ambiguous;
            report.all.add(ward, province, exact, amb);
            report.by_form.entry(l.form.clone()).or_default().add(ward, province, exact, amb);
            for k in &l.noise {
                report.by_noise.entry(k.clone()).or_default().add(ward, province, exact, amb);
            }
            if ward && !exact && report.exact_errors.len() < 30 {
                report.exact_errors.push(format!(
                    "#{} [{}] {:?} → {:?}",
                    l.n,
                    l.form,
                    l.input,
                    a.map(|a| (a.address_id.map(AddressId::get), a.units, res.verdict.validation_granularity)),
                ));
            }
            if !ward && report.ward_errors.len() < 30 {
                report.ward_errors.push(format!(
                    "#{} [{}] {:?} → {:?} (expected {})",
                    l.n,
                    l.form,
                    l.input,
                    a.map(|a| format!("{} {}", a.ward.code, a.ward.name)),
                    l.expected.ward_code
                ));
            }
        }
        best = best.min(t.elapsed().as_secs_f64());
    }
    report.all.finish();
    report.by_form.values_mut().for_each(Tally::finish);
    report.by_noise.values_mut().for_each(Tally::finish);
    report.addresses_per_second = (lines.len() as f64 / best.max(1e-9)).round();
    report
}
