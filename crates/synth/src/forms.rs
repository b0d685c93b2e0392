//! An address written out as people write it: on today's map (`Số 12, Phố Lê Lợi, Phường Hoàn Kiếm, Thành phố Hà
//! Nội`) or in the pre-2025 form still on ID cards and old documents, with the district and the old ward and
//! province (`…, Phường Hàng Trống, Quận Hoàn Kiếm, Thành phố Hà Nội`).

use diachi_domain::WardIdx;
use diachi_geo::dataset::{AddressView, alley_word};
use diachi_geo::geography::{Geography, MappingRow};

/// What a part of a written address is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// Apartment number.
    Apartment,
    /// House number.
    House,
    /// Alley.
    Alley,
    /// Street or village.
    Street,
    /// Ward or commune.
    Ward,
    /// District (old form only).
    District,
    /// Province or city.
    Province,
}

/// One part: its type word (`Phường`, `Số`, may be empty) and its name or number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// What part it is.
    pub part: Part,
    /// Its type word; may be empty.
    pub word: String,
    /// Its name or number.
    pub name: String,
}

impl Piece {
    fn new(part: Part, word: &str, name: &str) -> Self {
        Self { part, word: word.to_owned(), name: name.to_owned() }
    }
}

/// The parts joined as usual: `word name`, comma separated.
#[must_use]
pub fn join(pieces: &[Piece]) -> String {
    pieces
        .iter()
        .map(|p| if p.word.is_empty() { p.name.clone() } else { format!("{} {}", p.word, p.name) })
        .collect::<Vec<_>>()
        .join(", ")
}

/// Splits `Phường Phúc Xá` into (`Phường`, `Phúc Xá`), with the resolver's own list of type words.
fn split_type(full: &str) -> (&'static str, &str) {
    let (kind, name) = diachi_resolve::gazetteer::Gazetteer::split_name(full);
    (kind.map_or("", diachi_resolve::gazetteer::UnitKind::label), name)
}

fn street_pieces(v: &AddressView<'_>, province_code: u32) -> Vec<Piece> {
    let mut out = Vec::with_capacity(4);
    if let Some(a) = v.apartment {
        out.push(Piece::new(Part::Apartment, "Căn", &a.to_string()));
    }
    out.push(Piece::new(Part::House, "Số", &v.house_number.to_string()));
    if v.alley.is_some() {
        // the alley number is the house number where it leaves the street
        let n = v.alley.as_deref().and_then(|a| a.rsplit(' ').next()).unwrap_or_default();
        out.push(Piece::new(Part::Alley, alley_word(province_code), n));
    }
    out.push(Piece::new(Part::Street, "", &v.street));
    out
}

/// The address on today's map, in parts.
#[must_use]
pub fn new_form(geo: &Geography, v: &AddressView<'_>) -> Vec<Piece> {
    let ward = &geo.wards[usize::from(v.ward_index)];
    let province = geo.province_of(ward);
    let mut out = street_pieces(v, province.code.as_u32());
    out.push(Piece::new(Part::Ward, ward.kind.label(), &ward.name));
    let province_word = if province.kind.contains("thành phố") { "Thành phố" } else { "Tỉnh" };
    out.push(Piece::new(Part::Province, province_word, &province.name));
    out
}

/// The old wards of every new ward, for writing addresses in the old form.
#[derive(Debug)]
pub struct OldForms {
    /// Per new ward (index into `Geography::wards`): indexes into `Geography::mapping`.
    rows: Vec<Vec<u32>>,
}

impl OldForms {
    /// The old wards of every ward of `geo`, from its old → new mapping.
    #[must_use]
    pub fn new(geo: &Geography) -> Self {
        let mut rows = vec![Vec::new(); geo.wards.len()];
        for (i, row) in geo.mapping.iter().enumerate() {
            if let Some((w, _)) = diachi_domain::WardCode::parse(&row.new_ward_code).ok().and_then(|c| geo.ward(c)) {
                rows[usize::from(w)].push(i as u32);
            }
        }
        Self { rows }
    }

    /// How many old wards went (wholly or partly) to new ward `ward`.
    #[must_use]
    pub fn count(&self, ward: WardIdx) -> usize {
        self.rows.get(usize::from(ward)).map_or(0, Vec::len)
    }

    /// The address in the pre-2025 form, through the `pick`-th old ward of its new ward (modulo their number);
    /// none for a ward with no old ward on record. Also returns the mapping row used.
    #[must_use]
    pub fn old_form<'g>(
        &self,
        geo: &'g Geography,
        v: &AddressView<'_>,
        pick: u32,
    ) -> Option<(Vec<Piece>, &'g MappingRow)> {
        let rows = self.rows.get(usize::from(v.ward_index))?;
        if rows.is_empty() {
            return None;
        }
        let row = geo.mapping.get(rows[pick as usize % rows.len()] as usize)?;
        let old_province_code: u32 = row.old_province_code.parse().unwrap_or(0);
        let mut out = street_pieces(v, old_province_code);
        let (w, n) = split_type(&row.old_ward_name);
        out.push(Piece::new(Part::Ward, w, n));
        let (w, n) = split_type(&row.old_district_name);
        out.push(Piece::new(Part::District, w, n));
        let (w, n) = split_type(&row.old_province_name);
        out.push(Piece::new(Part::Province, w, n));
        Some((out, row))
    }
}
