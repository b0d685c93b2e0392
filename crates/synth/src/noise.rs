//! A noise model of how people really write addresses, for a labelled evaluation set: addresses of the generated set,
//! written in today's form or (30%) in the pre-2025 form, then damaged the ways forms, envelopes and ID-card
//! transcriptions are: diacritics dropped or wrong, unit words abbreviated (`P.`, `Q.1`, `TP.HCM`) or left out, one
//! typo in a name, the district or province left out, commas missing, the order reversed, `45/12` for an alley.
//! Seeded: the same dataset and seed give the same set.

use serde::Serialize;

use super::forms::{OldForms, Part, Piece, new_form};
use super::rng::Rng;
use diachi_domain::AddressId;
use diachi_geo::index::NationalIndex;

/// What the resolver should find.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Expected {
    /// The delivery point.
    pub address_id: AddressId,
    /// Today's ward and province.
    pub ward_code: String,
    /// Today's province code.
    pub province_code: String,
    /// The delivery point's digital address.
    pub digital_address: String,
}

/// One labelled messy address.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Noisy {
    /// Line number, from 0.
    pub n: u32,
    /// The messy address.
    pub input: String,
    /// `new` (today's units) or `old` (pre-2025 ward, district, province).
    pub form: &'static str,
    /// Coordinates near the address (within ~20 m), as a phone would give; on some lines only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lat: Option<f64>,
    /// Longitude, with `lat`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lon: Option<f64>,
    /// The damage done, by name.
    pub noise: Vec<&'static str>,
    /// The right answer.
    pub expected: Expected,
}

fn chance(rng: &mut Rng, p: f64) -> bool {
    f64::from(rng.below(1_000_000)) < p * 1_000_000.0
}

fn pick<'a>(rng: &mut Rng, options: &[&'a str]) -> &'a str {
    options[rng.below(options.len() as u32) as usize]
}

const TONES: [&str; 12] = [
    "aàáảãạ",
    "ăằắẳẵặ",
    "âầấẩẫậ",
    "eèéẻẽẹ",
    "êềếểễệ",
    "iìíỉĩị",
    "oòóỏõọ",
    "ôồốổỗộ",
    "ơờớởỡợ",
    "uùúủũụ",
    "ưừứửữự",
    "yỳýỷỹỵ",
];

/// Removes the marks but keeps the case (`Đà Nẵng` → `Da Nang`).
#[must_use]
pub fn strip_marks(s: &str) -> String {
    s.chars()
        .filter_map(|c| {
            let base = diachi_resolve::text::fold_char(c)?;
            Some(if c.is_uppercase() { base.to_ascii_uppercase() } else { base })
        })
        .collect()
}

/// One tone mark in `s` changed to another (`Hội` → `Hồi`).
fn wrong_tone(rng: &mut Rng, s: &str) -> Option<String> {
    let chars: Vec<char> = s.chars().collect();
    let spots: Vec<(usize, &str)> = chars
        .iter()
        .enumerate()
        .filter_map(|(i, c)| TONES.iter().find(|t| t.contains(*c)).map(|t| (i, *t)))
        .filter(|(i, t)| t.chars().next() != Some(chars[*i]))
        .collect();
    if spots.is_empty() {
        return None;
    }
    let (i, row) = spots[rng.below(spots.len() as u32) as usize];
    let row: Vec<char> = row.chars().collect();
    let others: Vec<char> = row.iter().copied().skip(1).filter(|&c| c != chars[i]).collect();
    let mut out = chars;
    out[i] = others[rng.below(others.len() as u32) as usize];
    Some(out.into_iter().collect())
}

/// One typing error in one word of four or more letters: a letter dropped, doubled, swapped with the next, or
/// replaced by a neighbour on the keyboard.
fn typo(rng: &mut Rng, s: &str) -> Option<String> {
    let words: Vec<&str> = s.split(' ').collect();
    let long: Vec<usize> = (0..words.len()).filter(|&i| words[i].chars().count() >= 4).collect();
    if long.is_empty() {
        return None;
    }
    let wi = long[rng.below(long.len() as u32) as usize];
    let mut w: Vec<char> = words[wi].chars().collect();
    let i = 1 + rng.below(w.len() as u32 - 2) as usize;
    match rng.below(4) {
        0 => {
            w.remove(i);
        }
        1 => w.insert(i, w[i]),
        2 => w.swap(i, i + 1),
        _ => {
            const NEIGHBOURS: &str = "qwertyuiopasdfghjklzxcvbnm";
            let base = diachi_resolve::text::fold_char(w[i]).unwrap_or('a');
            let k = NEIGHBOURS.find(base).unwrap_or(0);
            let j = if k + 1 < NEIGHBOURS.len() { k + 1 } else { k - 1 };
            w[i] = NEIGHBOURS.as_bytes()[j] as char;
        }
    }
    let mut words: Vec<String> = words.into_iter().map(str::to_owned).collect();
    words[wi] = w.into_iter().collect();
    Some(words.join(" "))
}

fn abbreviation(rng: &mut Rng, word: &str, numeric: bool) -> Option<&'static str> {
    Some(match word {
        "Phường" => {
            if numeric {
                pick(rng, &["P.", "P", "F.", "F", "Ph."])
            } else {
                pick(rng, &["P.", "P", "Ph."])
            }
        }
        "Xã" => pick(rng, &["X.", "X"]),
        "Thị trấn" => pick(rng, &["TT.", "TT", "T.Trấn"]),
        "Quận" => pick(rng, &["Q.", "Q"]),
        "Huyện" => pick(rng, &["H.", "H"]),
        "Thị xã" => pick(rng, &["TX.", "TX", "T.X"]),
        "Thành phố" => pick(rng, &["TP.", "TP", "Tp.", "T.P"]),
        "Tỉnh" => pick(rng, &["T.", "T"]),
        "Số" => pick(rng, &["số nhà", "SN", "nhà số"]),
        "Ngõ" => pick(rng, &["ngõ", "Ng."]),
        "Căn" => pick(rng, &["Căn hộ", "Phòng", "CH"]),
        _ => return None,
    })
}

fn province_alias(rng: &mut Rng, name: &str) -> Option<&'static str> {
    Some(match name {
        "Hồ Chí Minh" => pick(rng, &["TP.HCM", "TPHCM", "HCM", "Sài Gòn", "SG", "Tp. Hồ Chí Minh"]),
        "Hà Nội" => pick(rng, &["HN", "Ha Noi", "Hà Nội"]),
        _ => return None,
    })
}

/// Writes `pieces` damaged; returns the text and the names of the damage.
fn damage(rng: &mut Rng, mut pieces: Vec<Piece>, old: bool, noise: &mut Vec<&'static str>) -> String {
    // parts left out
    if old && chance(rng, 0.2) {
        pieces.retain(|p| p.part != Part::District);
        noise.push("drop_district");
    }
    if chance(rng, if old { 0.08 } else { 0.1 }) {
        pieces.retain(|p| p.part != Part::Province);
        noise.push("drop_province");
    }
    // one typo in a name
    if chance(rng, 0.3) {
        let names: Vec<usize> = (0..pieces.len())
            .filter(|&i| matches!(pieces[i].part, Part::Street | Part::Ward | Part::District | Part::Province))
            .filter(|&i| pieces[i].name.chars().any(char::is_alphabetic))
            .collect();
        if !names.is_empty() {
            let i = names[rng.below(names.len() as u32) as usize];
            if let Some(t) = typo(rng, &pieces[i].name) {
                pieces[i].name = t;
                noise.push("typo");
            }
        }
    }
    if chance(rng, 0.1) {
        let i = rng.below(pieces.len() as u32) as usize;
        if let Some(t) = wrong_tone(rng, &pieces[i].name) {
            pieces[i].name = t;
            noise.push("wrong_tone");
        }
    }
    // unit words abbreviated or left out; province aliases
    let abbreviate = chance(rng, 0.5);
    let drop_words = !abbreviate && chance(rng, 0.25);
    let glue = chance(rng, 0.3);
    for p in &mut pieces {
        let numeric = p.name.bytes().all(|b| b.is_ascii_digit());
        if p.part == Part::Province
            && chance(rng, 0.4)
            && let Some(a) = province_alias(rng, &p.name)
        {
            p.word.clear();
            p.name = a.to_owned();
            if !noise.contains(&"province_alias") {
                noise.push("province_alias");
            }
            continue;
        }
        if abbreviate && let Some(a) = abbreviation(rng, &p.word, numeric) {
            p.word = a.to_owned();
            if glue && numeric && a.len() <= 3 {
                p.name = format!("{}{}", p.word, p.name);
                p.word.clear();
            }
            if !noise.contains(&"abbreviate") {
                noise.push("abbreviate");
            }
        } else if drop_words && !numeric && p.part != Part::Alley && p.part != Part::Apartment && !p.word.is_empty() {
            p.word.clear();
            if !noise.contains(&"drop_unit_words") {
                noise.push("drop_unit_words");
            }
        }
    }
    // `45/12 Lê Lợi` for house 12 in alley 45
    if chance(rng, 0.3)
        && let Some(ai) = pieces.iter().position(|p| p.part == Part::Alley)
        && let Some(hi) = pieces.iter().position(|p| p.part == Part::House)
    {
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        let alley = digits(&pieces[ai].name);
        let house = digits(&pieces[hi].name);
        pieces[hi] = Piece { part: Part::House, word: String::new(), name: format!("{alley}/{house}") };
        pieces.remove(ai);
        noise.push("slash_alley");
    }
    if chance(rng, 0.08) {
        pieces.reverse();
        noise.push("reverse_order");
    }
    let sep = if chance(rng, 0.25) {
        noise.push("no_commas");
        " "
    } else if chance(rng, 0.05) {
        " - "
    } else {
        ", "
    };
    let mut text = pieces
        .iter()
        .map(|p| if p.word.is_empty() { p.name.clone() } else { format!("{} {}", p.word, p.name) })
        .collect::<Vec<_>>()
        .join(sep);
    if chance(rng, 0.45) {
        text = strip_marks(&text);
        noise.push("no_diacritics");
    }
    if chance(rng, 0.35) {
        text = text.to_lowercase();
        noise.push("lower_case");
    } else if chance(rng, 0.1) {
        text = text.to_uppercase();
        noise.push("upper_case");
    }
    if chance(rng, 0.05) {
        text = format!("  {}. ", text.replace(' ', "  "));
        noise.push("extra_spaces");
    }
    text
}

/// `count` labelled messy addresses drawn from the index's addresses.
#[must_use]
pub fn generate(ix: &NationalIndex, count: u32, seed: u64) -> Vec<Noisy> {
    let geo = &ix.data.geography;
    let set = &ix.data.addresses;
    let old_forms = OldForms::new(geo);
    let mut rng = Rng::new(seed, 0x6e6f_6973_79);
    let mut out = Vec::with_capacity(count as usize);
    let len = set.len() as u32;
    if len == 0 {
        return out;
    }
    while out.len() < count as usize {
        let id = AddressId::new(rng.below(len));
        let Some(v) = ix.view(id) else { continue };
        let ward = &geo.wards[usize::from(v.ward_index)];
        let mut noise = Vec::new();
        let old = chance(&mut rng, 0.3) && old_forms.count(v.ward_index) > 0;
        let pieces = if old {
            let pick = rng.below(1 << 16);
            match old_forms.old_form(geo, &v, pick) {
                Some((p, row)) => {
                    if row.is_divided == 1 {
                        noise.push("old_ward_split");
                    }
                    p
                }
                None => new_form(geo, &v),
            }
        } else {
            new_form(geo, &v)
        };
        let input = damage(&mut rng, pieces, old, &mut noise);
        let (lat, lon) = if chance(&mut rng, 0.2) {
            // within about 20 m
            let dy = (f64::from(rng.below(4001)) - 2000.0) * 1e-7;
            let dx = (f64::from(rng.below(4001)) - 2000.0) * 1e-7;
            noise.push("coordinates");
            (Some(((v.lat + dy) * 1e6).round() / 1e6), Some(((v.lon + dx) * 1e6).round() / 1e6))
        } else {
            (None, None)
        };
        out.push(Noisy {
            n: out.len() as u32,
            input,
            form: if old { "old" } else { "new" },
            lat,
            lon,
            noise,
            expected: Expected {
                address_id: id,
                ward_code: ward.code.as_str().to_owned(),
                province_code: geo.province_of(ward).code.as_str().to_owned(),
                digital_address: v.digital_address.clone(),
            },
        });
    }
    out
}
