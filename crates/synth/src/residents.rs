//! Synthetic residents of the generated households: Vietnamese names with realistic family-name frequencies, sex,
//! year of birth, a 12-digit citizen ID number in the real structure, a mobile number with a real prefix, the
//! household's address id, and whether the resident's papers still carry the pre-reform (63-province) address.
//! Deterministic: the same seed and household count give the same residents, resident by resident.

use super::rng::{Rng, mix};
use diachi_domain::AddressId;
use diachi_registry::types::{CitizenId, MOBILE_PREFIXES, OLD_PROVINCE_CODES};

/// Family names and their share of the population (per mille; GSO / surveys: Nguyễn about 38 %).
const FAMILY_NAMES: &[(&str, u32)] = &[
    ("Nguyễn", 380),
    ("Trần", 110),
    ("Lê", 95),
    ("Phạm", 70),
    ("Hoàng", 30),
    ("Huỳnh", 21),
    ("Phan", 45),
    ("Vũ", 20),
    ("Võ", 19),
    ("Đặng", 21),
    ("Bùi", 20),
    ("Đỗ", 14),
    ("Hồ", 13),
    ("Ngô", 13),
    ("Dương", 10),
    ("Lý", 5),
    ("Đinh", 8),
    ("Trương", 8),
    ("Lâm", 6),
    ("Mai", 6),
    ("Trịnh", 6),
    ("Đoàn", 6),
    ("Cao", 5),
    ("Lương", 5),
    ("Hà", 5),
    ("Tạ", 3),
    ("Chu", 3),
    ("Kiều", 2),
    ("Thái", 2),
];

const MIDDLE_MALE: &[&str] = &["Văn", "Văn", "Văn", "Đức", "Minh", "Quang", "Hữu", "Công", "Thành", "Ngọc", "Xuân"];
const MIDDLE_FEMALE: &[&str] = &["Thị", "Thị", "Thị", "Ngọc", "Thu", "Thanh", "Minh", "Mai", "Hồng", "Phương", "Kim"];
const GIVEN_MALE: &[&str] = &[
    "An", "Anh", "Bảo", "Bình", "Cường", "Dũng", "Duy", "Đạt", "Hải", "Hiếu", "Hoàng", "Hùng", "Huy", "Khang", "Khánh",
    "Kiên", "Long", "Minh", "Nam", "Nghĩa", "Phong", "Phúc", "Quân", "Sơn", "Tài", "Thắng", "Thành", "Tiến", "Toàn",
    "Trung", "Tuấn", "Việt", "Vinh",
];
const GIVEN_FEMALE: &[&str] = &[
    "An", "Anh", "Châu", "Chi", "Dung", "Giang", "Hà", "Hạnh", "Hằng", "Hiền", "Hoa", "Hương", "Lan", "Linh", "Loan",
    "Mai", "My", "Ngân", "Ngọc", "Nhung", "Oanh", "Phương", "Quỳnh", "Thảo", "Thủy", "Trang", "Trinh", "Tuyết", "Vân",
    "Vy", "Yến",
];

/// Share of residents whose papers carry the old (63-province, district, ward) form of their address.
pub const PRE_REFORM_SHARE: f64 = 0.30;

/// One synthetic resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    /// The household's address id in the generated set.
    pub address_id: AddressId,
    /// Full name.
    pub name: String,
    /// Whether she is a woman.
    pub female: bool,
    /// Year of birth.
    pub birth_year: u16,
    /// The citizen ID number, consistent with the rest.
    pub citizen_id: CitizenId,
    /// 10 digits, `0` and a real mobile prefix.
    pub phone: String,
    /// The resident's papers give the pre-reform address.
    pub pre_reform: bool,
}

fn pick<'a>(rng: &mut Rng, items: &[&'a str]) -> &'a str {
    items[rng.below(items.len() as u32) as usize]
}

fn family_name(rng: &mut Rng) -> &'static str {
    let total: u32 = FAMILY_NAMES.iter().map(|(_, w)| w).sum();
    let mut x = rng.below(total);
    for (name, w) in FAMILY_NAMES {
        if x < *w {
            return name;
        }
        x -= w;
    }
    "Nguyễn"
}

/// Birth province (old GSO code): the two metropolises weigh most, as in the population.
fn birth_province(rng: &mut Rng) -> u8 {
    let x = rng.f64();
    if x < 0.09 {
        1 // Hà Nội
    } else if x < 0.18 {
        79 // TP. Hồ Chí Minh
    } else {
        OLD_PROVINCE_CODES[rng.below(OLD_PROVINCE_CODES.len() as u32) as usize]
    }
}

/// The `i`-th resident of a set of `households` households under `seed` (`households > 0`).
#[must_use]
pub fn resident(seed: u64, households: u32, i: u64) -> Resident {
    let mut rng = Rng::new(seed ^ 0x5245_5349_4445_4E54, mix(i));
    let address_id = AddressId::new(rng.below(households.max(1)));
    let female = rng.chance(0.5);
    let birth_year = 1940 + rng.below(2008 - 1940) as u16;
    let middle = pick(&mut rng, if female { MIDDLE_FEMALE } else { MIDDLE_MALE });
    let given = pick(&mut rng, if female { GIVEN_FEMALE } else { GIVEN_MALE });
    let name = format!("{} {middle} {given}", family_name(&mut rng));
    let province = birth_province(&mut rng);
    let serial = rng.below(1_000_000);
    let citizen_id = CitizenId::from_parts(province, birth_year, female, serial)
        .unwrap_or_else(|| unreachable!("years 1940..2008 and serials below 10^6 always make an ID"));
    let prefix = pick(&mut rng, &MOBILE_PREFIXES);
    let phone = format!("{prefix}{:07}", rng.below(10_000_000));
    let pre_reform = rng.chance(PRE_REFORM_SHARE);
    Resident { address_id, name, female, birth_year, citizen_id, phone, pre_reform }
}

/// `count` residents of a set of `households` households.
pub fn residents(seed: u64, households: u32, count: u64) -> impl Iterator<Item = Resident> {
    (0..count).map(move |i| resident(seed, households, i))
}

/// The address as the resident's papers give it: today's form, or the pre-2025 form (old ward, district and
/// province, through one of the old wards that went to the household's ward) when `pre_reform`. None for an id that
/// is not in the index.
#[must_use]
pub fn papers_address(
    ix: &diachi_geo::index::NationalIndex,
    forms: &super::forms::OldForms,
    r: &Resident,
) -> Option<String> {
    let geo = &ix.data.geography;
    let v = ix.view(r.address_id)?;
    let pieces = if r.pre_reform {
        let pick =
            u32::try_from(r.citizen_id.as_str().bytes().fold(0u64, |h, b| h * 31 + u64::from(b)) % 65_536).unwrap_or(0);
        forms.old_form(geo, &v, pick).map_or_else(|| super::forms::new_form(geo, &v), |(p, _)| p)
    } else {
        super::forms::new_form(geo, &v)
    };
    Some(super::forms::join(&pieces))
}

/// Writes residents with the address on their papers as CSV (with a header).
pub fn write_csv<W: std::io::Write>(w: W, people: impl Iterator<Item = (Resident, String)>) -> csv::Result<()> {
    let mut out = csv::Writer::from_writer(w);
    out.write_record(["address_id", "citizen_id", "name", "sex", "birth_year", "phone", "pre_reform", "address"])?;
    for (r, address) in people {
        out.write_record([
            r.address_id.to_string(),
            r.citizen_id.as_str().to_owned(),
            r.name,
            if r.female { "F" } else { "M" }.to_owned(),
            r.birth_year.to_string(),
            r.phone,
            r.pre_reform.to_string(),
            address,
        ])?;
    }
    out.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use diachi_registry::types::Phone;

    #[test]
    fn residents_are_deterministic() {
        let a: Vec<Resident> = residents(7, 20_000, 500).collect();
        let b: Vec<Resident> = residents(7, 20_000, 500).collect();
        assert_eq!(a, b);
        let c: Vec<Resident> = residents(8, 20_000, 500).collect();
        assert_ne!(a, c);
        // the i-th resident does not depend on how many are asked for
        assert_eq!(resident(7, 20_000, 123), a[123]);
    }

    #[test]
    fn citizen_ids_have_the_real_structure() {
        for r in residents(1, 1000, 5000) {
            let id = r.citizen_id.as_str();
            assert_eq!(id.len(), 12);
            assert!(OLD_PROVINCE_CODES.contains(&id[..3].parse::<u8>().unwrap()), "{id}");
            let digit = id.as_bytes()[3] - b'0';
            let want = if r.birth_year >= 2000 { 2 } else { 0 } + u8::from(r.female);
            assert_eq!(digit, want, "{id} {r:?}");
            assert_eq!(id[4..6].parse::<u16>().unwrap(), r.birth_year % 100);
            assert_eq!((r.citizen_id.birth_year(), r.citizen_id.female()), (r.birth_year, r.female));
            assert!(CitizenId::parse(id).is_ok());
            assert!(Phone::parse(&r.phone).is_ok(), "{}", r.phone);
            assert_eq!(r.phone.len(), 10);
            assert!(r.address_id.get() < 1000);
        }
    }

    #[test]
    fn names_and_shares_are_plausible() {
        let people: Vec<Resident> = residents(2025, 100_000, 20_000).collect();
        let share = |f: &dyn Fn(&Resident) -> bool| people.iter().filter(|r| f(r)).count() as f64 / 20_000.0;
        let nguyen = share(&|r| r.name.starts_with("Nguyễn "));
        assert!((0.35..0.41).contains(&nguyen), "Nguyễn {nguyen}");
        let pre = share(&|r| r.pre_reform);
        assert!((0.27..0.33).contains(&pre), "pre-reform {pre}");
        let female = share(&|r| r.female);
        assert!((0.47..0.53).contains(&female), "female {female}");
        assert!(people.iter().filter(|r| r.female).all(|r| !r.name.contains(" Văn ")));
        assert!(people.iter().all(|r| r.name.split(' ').count() == 3));
        let mut ids: Vec<&str> = people.iter().map(|r| r.citizen_id.as_str()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert!(ids.len() >= 19_990, "citizen IDs practically unique: {}", ids.len());
    }
}
