//! Postal zones: one 5-digit postcode per ward.
//!
//! Decision 2334/QĐ-BKHCN (2025) re-assigned ward postcodes after the merger, but its table is not public in a
//! usable form. Until an official table is imported ([`PostcodeTable`]), each ward's code is **generated**
//! deterministically inside the 2017 postcode range of the old province it mostly came from: the range is cut into
//! one slice per old district (in old district code order, as the real 3rd–4th digits follow districts) and the
//! district's wards are spread evenly over its slice in ward code order.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use super::source::{MappingRow, PrefixRow};
use super::{GeographyError, Province, Ward};
use diachi_domain::{Postcode, ProvinceCode, WardCode, WardIdx};

/// Where the ward postcodes came from.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PostcodeOrigin {
    /// Generated inside the old provinces' 2017 ranges (not official).
    Generated,
    /// Imported from an official table, covering this many wards (the rest generated).
    Imported {
        /// Wards the table covered.
        wards: usize,
    },
}

/// An official ward → postcode table, as read by `diachi import postcodes FILE.csv`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PostcodeTable(pub BTreeMap<WardCode, Postcode>);

impl PostcodeTable {
    /// Reads CSV with a header naming a ward code column (`ward_code`, `ma_xa` or `code`) and a postcode column
    /// (`postcode`, `postal_code` or `ma_buu_chinh`). Every row must be well formed; a ward listed twice with
    /// different codes is an error.
    pub fn read_csv(reader: impl Read) -> Result<Self, GeographyError> {
        let err = |m: String| GeographyError::Postcodes(m);
        let mut rdr = csv::ReaderBuilder::new().flexible(false).trim(csv::Trim::All).from_reader(reader);
        let headers = rdr.headers().map_err(|e| err(e.to_string()))?.clone();
        let find = |names: &[&str]| {
            headers.iter().position(|h| names.iter().any(|n| h.trim_start_matches('\u{feff}').eq_ignore_ascii_case(n)))
        };
        let ward_col = find(&["ward_code", "ma_xa", "code"])
            .ok_or_else(|| err("no ward code column (ward_code, ma_xa or code)".into()))?;
        let post_col = find(&["postcode", "postal_code", "ma_buu_chinh"])
            .ok_or_else(|| err("no postcode column (postcode, postal_code or ma_buu_chinh)".into()))?;
        let mut table = BTreeMap::new();
        for (i, rec) in rdr.records().enumerate() {
            let line = i + 2;
            let rec = rec.map_err(|e| err(format!("line {line}: {e}")))?;
            let ward =
                WardCode::parse(rec.get(ward_col).unwrap_or("")).map_err(|e| err(format!("line {line}: {e}")))?;
            let code =
                Postcode::parse(rec.get(post_col).unwrap_or("")).map_err(|e| err(format!("line {line}: {e}")))?;
            if let Some(prev) = table.insert(ward, code)
                && prev != code
            {
                return Err(err(format!("line {line}: ward {ward} listed with {prev} and {code}")));
            }
        }
        if table.is_empty() {
            return Err(err("the table has no rows".into()));
        }
        Ok(Self(table))
    }

    /// Writes the canonical form (`ward_code,postcode`, sorted by ward code).
    pub fn write_csv(&self, writer: impl std::io::Write) -> Result<(), GeographyError> {
        let mut w = csv::Writer::from_writer(writer);
        let io = |e: csv::Error| GeographyError::Postcodes(e.to_string());
        w.write_record(["ward_code", "postcode"]).map_err(io)?;
        for (ward, code) in &self.0 {
            w.write_record([ward.as_str(), code.as_str()]).map_err(io)?;
        }
        w.flush().map_err(|e| GeographyError::Postcodes(e.to_string()))
    }
}

/// `"10000-14999"` → `(10000, 14999)`.
#[must_use]
pub fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = s.split_once('-')?;
    let (a, b) = (a.trim().parse().ok()?, b.trim().parse().ok()?);
    (a <= b && b < 100_000).then_some((a, b))
}

fn most_common<'a>(items: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for it in items {
        *counts.entry(it).or_default() += 1;
    }
    // ties go to the smallest code: BTreeMap iterates in order and max_by_key keeps the last maximum, so reverse
    counts.into_iter().rev().max_by_key(|&(_, n)| n).map(|(k, _)| k)
}

/// Sets `old_province`, `old_district` and `postcode` on every ward.
pub(super) fn assign(
    wards: &mut [Ward],
    provinces: &[Province],
    ward_by_code: &HashMap<WardCode, WardIdx>,
    mapping: &[MappingRow],
    prefixes: &[PrefixRow],
    official: Option<&PostcodeTable>,
) -> Result<PostcodeOrigin, GeographyError> {
    let mut rows_by_ward: HashMap<&str, Vec<&MappingRow>> = HashMap::new();
    for r in mapping {
        rows_by_ward.entry(r.new_ward_code.as_str()).or_default().push(r);
    }
    for w in wards.iter_mut() {
        let rows = rows_by_ward.get(w.code.as_str()).map_or(&[][..], Vec::as_slice);
        let old_prov = most_common(rows.iter().map(|r| r.old_province_code.as_str()));
        let old_district = old_prov.and_then(|p| {
            most_common(rows.iter().filter(|r| r.old_province_code == p).map(|r| r.old_district_code.as_str()))
        });
        w.old_province = old_prov.and_then(|p| ProvinceCode::parse(p).ok());
        w.old_district = old_district.map(str::to_owned);
    }

    let ranges: HashMap<ProvinceCode, (u32, u32)> = prefixes
        .iter()
        .filter_map(|r| Some((ProvinceCode::parse(&r.old_province_code).ok()?, parse_range(&r.old_postcode_range)?)))
        .collect();

    // group wards by old province, then by old district
    let mut groups: BTreeMap<Option<ProvinceCode>, BTreeMap<String, Vec<usize>>> = BTreeMap::new();
    for (i, w) in wards.iter().enumerate() {
        let key = w.old_province.filter(|p| ranges.contains_key(p));
        groups.entry(key).or_default().entry(w.old_district.clone().unwrap_or_default()).or_default().push(i);
    }
    let mut used: std::collections::HashSet<u32> = std::collections::HashSet::new();
    for (old_prov, districts) in &groups {
        for (d, (_, members)) in districts.iter().enumerate() {
            for (k, &wi) in members.iter().enumerate() {
                let w = &wards[wi];
                // a ward with no known old province falls back to its new province's first range
                let (lo, hi) = old_prov.and_then(|p| ranges.get(&p).copied()).unwrap_or_else(|| {
                    let prefix = provinces[usize::from(w.province)].postcode_prefixes.first().copied().unwrap_or(0);
                    (u32::from(prefix) * 1000, u32::from(prefix) * 1000 + 999)
                });
                let span = u64::from(hi - lo + 1);
                let (nd, nw) = (districts.len() as u64, members.len() as u64);
                let slice_lo = u64::from(lo) + d as u64 * span / nd;
                let slice = (span / nd).max(1);
                let mut code = (slice_lo + k as u64 * slice / nw) as u32;
                // step past codes already taken (only when a slice is smaller than its ward count)
                while used.contains(&code) {
                    code = if code >= hi { lo } else { code + 1 };
                }
                used.insert(code);
                wards[wi].postcode = Postcode::from_u32(code)
                    .ok_or_else(|| GeographyError::Postcodes(format!("generated code {code} out of range")))?;
            }
        }
    }

    let Some(table) = official else { return Ok(PostcodeOrigin::Generated) };
    for (ward, code) in &table.0 {
        let Some(&i) = ward_by_code.get(ward) else {
            return Err(GeographyError::Postcodes(format!("ward {ward} is not one of the 3,321 wards")));
        };
        wards[usize::from(i)].postcode = *code;
    }
    Ok(PostcodeOrigin::Imported { wards: table.0.len() })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_parse() {
        assert_eq!(parse_range("10000-14999"), Some((10000, 14999)));
        assert_eq!(parse_range("01000-02999"), Some((1000, 2999)));
        assert_eq!(parse_range("2-1"), None);
        assert_eq!(parse_range("x"), None);
    }

    #[test]
    fn table_reads_and_rejects() {
        let t = PostcodeTable::read_csv("ward_code,postcode\n00004,10001\n00008, 10002\n".as_bytes());
        assert_eq!(t.map(|t| t.0.len()).ok(), Some(2));
        for bad in [
            "ward,postcode\n00004,10001\n",
            "ward_code,postcode\n0004,10001\n",
            "ward_code,postcode\n00004,1000\n",
            "ward_code,postcode\n00004,10001\n00004,10002\n",
            "ward_code,postcode\n",
        ] {
            assert!(PostcodeTable::read_csv(bad.as_bytes()).is_err(), "{bad}");
        }
        let mut out = Vec::new();
        let t = PostcodeTable::read_csv("ma_xa,ma_buu_chinh\n00008,10002\n00004,10001\n".as_bytes());
        assert!(t.and_then(|t| t.write_csv(&mut out)).is_ok());
        assert_eq!(String::from_utf8_lossy(&out), "ward_code,postcode\n00004,10001\n00008,10002\n");
    }
}
