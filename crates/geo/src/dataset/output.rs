//! Writing the dataset as CSV or GeoJSON lines, byte-stable for a given dataset.

use std::io::{self, Write};

use super::{AddressSet, PostOffice, alley_word};
use crate::geography::Geography;

/// Output formats of `diachi generate`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Comma-separated values with a header line.
    Csv,
    /// One GeoJSON Feature per line (RFC 8142 without the record separator).
    Geojsonl,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Self::Csv),
            "geojsonl" => Ok(Self::Geojsonl),
            _ => Err(format!("the format is `csv` or `geojsonl`, not {s:?}")),
        }
    }
}

/// Writes an `i32` of 1e-7 degrees as a decimal with 7 fraction digits (exact, no float formatting).
fn write_e7(w: &mut impl Write, v: i32) -> io::Result<()> {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    write!(w, "{sign}{}.{:07}", a / 10_000_000, a % 10_000_000)
}

fn csv_field(w: &mut impl Write, s: &str) -> io::Result<()> {
    if s.contains([',', '"', '\n']) { write!(w, "\"{}\"", s.replace('"', "\"\"")) } else { w.write_all(s.as_bytes()) }
}

fn json_str(s: &str) -> String {
    serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into())
}

/// Writes every address.
pub fn write_addresses(w: &mut impl Write, geo: &Geography, set: &AddressSet, format: Format) -> io::Result<()> {
    if format == Format::Csv {
        writeln!(
            w,
            "id,house_number,alley,apartment,street,ward_code,ward,province_code,province,postcode,lon,lat,digital_address"
        )?;
    }
    for id in 0..set.len() as u32 {
        let i = id as usize;
        let ward = &geo.wards[usize::from(set.ward[i])];
        let prov = geo.province_of(ward);
        let street = &set.street_names[set.street[i] as usize];
        let alley = if set.alley[i] == 0 {
            String::new()
        } else {
            format!("{} {}", alley_word(prov.code.as_u32()), set.alley[i])
        };
        let apt = if set.apartment[i] == 0 { String::new() } else { set.apartment[i].to_string() };
        let da = set.digital_address(diachi_domain::AddressId::new(id)).map(|d| d.to_string()).unwrap_or_default();
        match format {
            Format::Csv => {
                write!(w, "{id},{},{alley},{apt},", set.house[i])?;
                csv_field(w, street)?;
                write!(w, ",{},", ward.code)?;
                csv_field(w, &ward.full_name())?;
                write!(w, ",{},", prov.code)?;
                csv_field(w, &prov.name)?;
                write!(w, ",{},", ward.postcode)?;
                write_e7(w, set.lon_e7[i])?;
                w.write_all(b",")?;
                write_e7(w, set.lat_e7[i])?;
                writeln!(w, ",{da}")?;
            }
            Format::Geojsonl => {
                w.write_all(br#"{"type":"Feature","geometry":{"type":"Point","coordinates":["#)?;
                write_e7(w, set.lon_e7[i])?;
                w.write_all(b",")?;
                write_e7(w, set.lat_e7[i])?;
                write!(w, r#"]}},"properties":{{"id":{id},"house_number":"{}","#, set.house[i])?;
                if !alley.is_empty() {
                    write!(w, r#""alley":{},"#, json_str(&alley))?;
                }
                if !apt.is_empty() {
                    write!(w, r#""apartment":{apt},"#)?;
                }
                writeln!(
                    w,
                    r#""street":{},"ward_code":"{}","ward":{},"province_code":"{}","province":{},"postcode":"{}","digital_address":"{da}"}}}}"#,
                    json_str(street),
                    ward.code,
                    json_str(&ward.full_name()),
                    prov.code,
                    json_str(&prov.name),
                    ward.postcode,
                )?;
            }
        }
    }
    Ok(())
}

/// Writes the post offices.
pub fn write_post_offices(
    w: &mut impl Write,
    geo: &Geography,
    offices: &[PostOffice],
    format: Format,
) -> io::Result<()> {
    if format == Format::Csv {
        writeln!(w, "id,name,kind,ward_code,province_code,lon,lat")?;
    }
    for o in offices {
        let ward = &geo.wards[usize::from(o.ward)];
        let prov = geo.province_of(ward);
        let kind = serde_json::to_value(o.kind).ok().and_then(|v| v.as_str().map(str::to_owned)).unwrap_or_default();
        match format {
            Format::Csv => {
                write!(w, "{},", o.id)?;
                csv_field(w, &o.name)?;
                write!(w, ",{kind},{},{},", ward.code, prov.code)?;
                write_e7(w, o.lon_e7)?;
                w.write_all(b",")?;
                write_e7(w, o.lat_e7)?;
                writeln!(w)?;
            }
            Format::Geojsonl => {
                w.write_all(br#"{"type":"Feature","geometry":{"type":"Point","coordinates":["#)?;
                write_e7(w, o.lon_e7)?;
                w.write_all(b",")?;
                write_e7(w, o.lat_e7)?;
                writeln!(
                    w,
                    r#"]}},"properties":{{"id":{},"name":{},"kind":"{kind}","ward_code":"{}","province_code":"{}"}}}}"#,
                    o.id,
                    json_str(&o.name),
                    ward.code,
                    prov.code
                )?;
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e7_formatting_is_exact() {
        let mut out = Vec::new();
        for v in [1_058_342_000, -1, 0, -215_000_001, 7] {
            write_e7(&mut out, v).unwrap();
            out.push(b' ');
        }
        assert_eq!(String::from_utf8(out).unwrap(), "105.8342000 -0.0000001 0.0000000 -21.5000001 0.0000007 ");
    }
}
