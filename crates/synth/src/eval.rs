//! Accuracy and speed of the resolver on a labelled set (`testdata/addresses-noisy.jsonl`, made by
//! [`crate::noise`]; or the held-out sets of `testdata/heldout/`, made by another generator, which name the ward and
//! province only).

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
    /// The hard case the line exercises (held-out sets only).
    #[serde(default)]
    pub class: Option<String>,
    /// The right answer.
    pub expected: LabelledExpected,
}

/// What the line should resolve to.
#[derive(Debug, Clone, Deserialize)]
pub struct LabelledExpected {
    /// The delivery point (none on lines whose address is not in the register: only the ward is known).
    #[serde(default)]
    pub address_id: Option<AddressId>,
    /// Today's ward code.
    pub ward_code: String,
    /// Today's province code.
    pub province_code: String,
    /// The delivery point's digital address (with `address_id`).
    #[serde(default)]
    pub digital_address: Option<String>,
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
    /// Lines that name a delivery point (`exact` counts among these).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exact_lines: Option<u32>,
    /// Answers flagged ambiguous.
    pub ambiguous: u32,
    /// `ward / lines`, to 4 decimals.
    pub ward_accuracy: f64,
    /// `province / lines`, to 4 decimals (held-out sets only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub province_accuracy: Option<f64>,
    /// `exact / lines` (lines that name a delivery point), to 4 decimals.
    pub exact_accuracy: f64,
}

impl Tally {
    /// Counts one line; `exact` is `None` when the line names no delivery point.
    fn add(&mut self, ward: bool, province: bool, exact: Option<bool>, ambiguous: bool) {
        self.lines += 1;
        self.ward += u32::from(ward);
        self.province += u32::from(province);
        self.exact += u32::from(exact == Some(true));
        self.exact_lines = Some(self.exact_lines.unwrap_or(0) + u32::from(exact.is_some()));
        self.ambiguous += u32::from(ambiguous);
    }

    fn finish(&mut self) {
        let ratio = |a: u32, b: u32| (f64::from(a) / f64::from(b.max(1)) * 10_000.0).round() / 10_000.0;
        self.ward_accuracy = ratio(self.ward, self.lines);
        let exact_lines = self.exact_lines.unwrap_or(0);
        self.exact_accuracy = ratio(self.exact, exact_lines);
        // the report of a set where every line names its delivery point is as it always was
        if exact_lines == self.lines {
            self.exact_lines = None;
        } else {
            self.province_accuracy = Some(ratio(self.province, self.lines));
        }
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
    /// Per hard case (`class` of the held-out sets).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub by_class: BTreeMap<String, Tally>,
    /// Single-thread throughput, best of the passes.
    pub addresses_per_second: f64,
    /// Timed passes over the set.
    pub passes: u32,
    /// Lines whose ward was wrong (at most [`LISTED_ERRORS`] unless asked), for reading.
    pub ward_errors: Vec<String>,
    /// Lines whose ward was right but not the delivery point (as many).
    pub exact_errors: Vec<String>,
}

/// Lines listed in [`Report::ward_errors`] and [`Report::exact_errors`] by [`evaluate`].
pub const LISTED_ERRORS: usize = 30;

/// Resolves every line `passes` times on the calling thread; accuracy from the first pass. With `coordinates`
/// false the lines' coordinates are not given to the resolver (text only, as a text-only peer sees them).
#[must_use]
pub fn evaluate(r: &Resolver, ix: &NationalIndex, lines: &[Labelled], passes: u32, coordinates: bool) -> Report {
    evaluate_listing(r, ix, lines, passes, coordinates, LISTED_ERRORS)
}

/// [`evaluate`], listing up to `listed` wrong lines of each kind.
#[must_use]
pub fn evaluate_listing(
    r: &Resolver,
    ix: &NationalIndex,
    lines: &[Labelled],
    passes: u32,
    coordinates: bool,
    listed: usize,
) -> Report {
    let mut report = Report {
        all: Tally::default(),
        by_form: BTreeMap::new(),
        by_noise: BTreeMap::new(),
        by_class: BTreeMap::new(),
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
            let exact = l
                .expected
                .digital_address
                .as_deref()
                .map(|want| a.and_then(|a| a.digital_address.as_deref()) == Some(want));
            let amb = res.verdict.ambiguous;
            report.all.add(ward, province, exact, amb);
            report.by_form.entry(l.form.clone()).or_default().add(ward, province, exact, amb);
            for k in &l.noise {
                report.by_noise.entry(k.clone()).or_default().add(ward, province, exact, amb);
            }
            if let Some(c) = &l.class {
                report.by_class.entry(c.clone()).or_default().add(ward, province, exact, amb);
            }
            if ward && exact == Some(false) && report.exact_errors.len() < listed {
                report.exact_errors.push(format!(
                    "#{} [{}] {:?} → {:?}",
                    l.n,
                    l.form,
                    l.input,
                    a.map(|a| (a.address_id.map(AddressId::get), a.units, res.verdict.validation_granularity)),
                ));
            }
            if !ward && report.ward_errors.len() < listed {
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
    report.by_class.values_mut().for_each(Tally::finish);
    report.addresses_per_second = (lines.len() as f64 / best.max(1e-9)).round();
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};
    use std::fmt::Write as _;

    /// The held-out sets are frozen (`testdata/heldout/README.md`): the resolver is tuned on `tune.jsonl` only, and
    /// neither file may change once numbers are reported on it.
    const FROZEN: [(&str, &str, &str, usize); 2] = [
        (
            "tune.jsonl",
            include_str!("../../../testdata/heldout/tune.jsonl"),
            "9b58d36ee8af1b291ff9f7a61641c555c687ccc2fef11f985d3899d94e3f0d50",
            3000,
        ),
        (
            "heldout.jsonl",
            include_str!("../../../testdata/heldout/heldout.jsonl"),
            "ad12882c5dce60dafb75d2147d9a0bb595daefb045cb6c561c17b80ba2ec742b",
            5000,
        ),
    ];

    #[test]
    fn the_held_out_sets_are_frozen_and_read_as_labelled_lines() {
        for (name, text, sha, count) in FROZEN {
            let hex = Sha256::digest(text.as_bytes()).iter().fold(String::new(), |mut s, b| {
                let _ = write!(s, "{b:02x}");
                s
            });
            assert_eq!(hex, sha, "testdata/heldout/{name} changed: it is frozen (see its README)");
            let lines: Vec<Labelled> =
                text.lines().map(|l| serde_json::from_str(l).expect("a labelled line")).collect();
            assert_eq!(lines.len(), count);
            assert!(lines.iter().all(|l| l.class.is_some() && l.expected.address_id.is_none()));
        }
    }

    #[test]
    fn a_line_without_a_delivery_point_counts_for_the_ward_only() {
        let mut t = Tally::default();
        t.add(true, true, None, false);
        t.add(false, true, None, false);
        t.finish();
        assert_eq!((t.ward_accuracy, t.province_accuracy, t.exact_lines), (0.5, Some(1.0), Some(0)));
        let mut t = Tally::default();
        t.add(true, true, Some(true), false);
        t.finish();
        // a set that names every delivery point is reported as before
        assert_eq!((t.exact_accuracy, t.exact_lines, t.province_accuracy), (1.0, None, None));
    }
}
