use super::*;
use crate::lonlat::haversine_m;
use proptest::prelude::*;

// ---------------------------------------------------------------- helpers

/// `SplitMix64`: deterministic pseudo-random numbers for test data.
struct SplitMix(u64);

impl SplitMix {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn symbol(&mut self) -> u8 {
        (self.next() % 25) as u8
    }
}

fn pt(lon: f64, lat: f64) -> LonLat {
    LonLat::new(lon, lat).unwrap()
}

/// The data characters of a canonical code (dashes, check and unit removed).
fn data_chars(code: &str) -> String {
    let code = code.split('.').next().unwrap().replace('-', "");
    code[..code.len() - 1].to_string()
}

fn in_bounds(b: [f64; 4], p: LonLat) -> bool {
    (b[0]..b[2]).contains(&p.lon()) && (b[1]..b[3]).contains(&p.lat())
}

// ------------------------------------------------------------------ GF(25)

/// x² + x + 2 has no root in GF(5); a quadratic without roots is
/// irreducible, so GF(5)[x]/(x² + x + 2) is a field with 25 elements.
#[test]
fn modulus_is_irreducible() {
    for r in 0..5u32 {
        assert_ne!((r * r + r + 2) % 5, 0, "x = {r} is a root");
    }
}

/// The multiplication table agrees with schoolbook polynomial
/// multiplication followed by reduction with x² + x + 2, written
/// independently here.
#[test]
fn multiplication_matches_polynomial_arithmetic() {
    for a in 0..25u8 {
        for b in 0..25u8 {
            let (a1, a0) = (i32::from(a / 5), i32::from(a % 5));
            let (b1, b0) = (i32::from(b / 5), i32::from(b % 5));
            // (a1 x + a0)(b1 x + b0) = p2 x² + p1 x + p0
            let (p2, mut p1, mut p0) = (a1 * b1, a1 * b0 + a0 * b1, a0 * b0);
            // subtract p2 · (x² + x + 2)
            p1 -= p2;
            p0 -= 2 * p2;
            let expect = (p1.rem_euclid(5) * 5 + p0.rem_euclid(5)) as u8;
            assert_eq!(gf25::mul(a, b), expect, "{a} * {b}");
        }
    }
}

#[test]
fn field_axioms_hold() {
    for a in 0..25u8 {
        assert_eq!(gf25::add(a, 0), a);
        assert_eq!(gf25::mul(a, 1), a);
        assert_eq!(gf25::add(a, gf25::neg(a)), 0);
        if a != 0 {
            assert_eq!((1..25u8).filter(|&b| gf25::mul(a, b) == 1).count(), 1, "{a} has exactly one inverse");
        }
        for b in 0..25u8 {
            assert_eq!(gf25::mul(a, b), gf25::mul(b, a));
            assert_eq!(gf25::add(a, b), gf25::add(b, a));
            for c in 0..25u8 {
                assert_eq!(gf25::mul(gf25::mul(a, b), c), gf25::mul(a, gf25::mul(b, c)));
                assert_eq!(gf25::mul(a, gf25::add(b, c)), gf25::add(gf25::mul(a, b), gf25::mul(a, c)));
            }
        }
    }
}

/// g = x has multiplicative order 24, so it generates all non-zero elements,
/// and the weights g⁰ … g⁹ of a code are distinct, and none is −1 times
/// another (g¹² = −1 and 12 > 9).
#[test]
fn generator_is_primitive() {
    let mut powers = vec![1u8];
    let mut p = gf25::G;
    while p != 1 {
        powers.push(p);
        p = gf25::mul(p, gf25::G);
        assert!(powers.len() <= 24);
    }
    assert_eq!(powers.len(), 24, "order of g");
    let mut sorted = powers.clone();
    sorted.sort_unstable();
    assert_eq!(sorted, (1..25).collect::<Vec<u8>>());
    assert_eq!(powers[12], gf25::neg(1));
}

/// The tables used at run time compute Σ gⁿ⁻ⁱ·sᵢ.
#[test]
fn weighted_sum_matches_definition() {
    let mut rng = SplitMix(7);
    for n in 1..=10 {
        for _ in 0..200 {
            let s: Vec<u8> = (0..n).map(|_| rng.symbol()).collect();
            let mut sum = 0;
            for (i, &v) in s.iter().enumerate() {
                let mut w = 1;
                for _ in 0..(n - 1 - i) {
                    w = gf25::mul(w, gf25::G);
                }
                sum = gf25::add(sum, gf25::mul(w, v));
            }
            assert_eq!(gf25::weighted_sum(&s), sum);
            let c = gf25::check_value(&s[..n - 1]);
            let mut with_check = s[..n - 1].to_vec();
            with_check.push(c);
            assert!(gf25::is_valid(&with_check));
        }
    }
}

// ------------------------------------------------------ check character

/// Base codes (data characters only) of length `n`: the 25 constant codes
/// and `random` deterministic pseudo-random ones.
fn base_codes(n: usize, random: usize) -> Vec<Vec<u8>> {
    let mut rng = SplitMix(0xD1AC_4100 + n as u64);
    let mut out: Vec<Vec<u8>> = (0..25).map(|v| vec![v; n]).collect();
    out.extend((0..random).map(|_| (0..n).map(|_| rng.symbol()).collect()));
    out
}

/// A valid code (data + check) equal to `base` except that the positions
/// in `fixed` (check position = `base.len()`) hold the given values. If the
/// check position is fixed, the first data position not fixed is solved
/// for; `None` if there is none.
fn valid_with(base: &[u8], fixed: &[(usize, u8)]) -> Option<Vec<u8>> {
    let n = base.len();
    let mut code = base.to_vec();
    code.push(0);
    for &(p, v) in fixed {
        code[p] = v;
    }
    match fixed.iter().find(|&&(p, _)| p == n) {
        None => code[n] = gf25::check_value(&code[..n]),
        Some(&(_, c)) => {
            let free = (0..n).find(|p| fixed.iter().all(|&(q, _)| q != *p))?;
            let v = (0..25u8).find(|&v| {
                code[free] = v;
                gf25::check_value(&code[..n]) == c
            })?;
            code[free] = v;
        }
    }
    for &(p, v) in fixed {
        assert_eq!(code[p], v);
    }
    assert!(gf25::is_valid(&code));
    Some(code)
}

/// Every single substitution, at every position including the check
/// character, of every symbol a by every other symbol b, is detected, for
/// codes of every length.
///
/// Why one context per (position, a, b) is already a proof for all codes:
/// the check condition S(s) = Σ wᵢ·sᵢ = 0 (wᵢ = gⁿ⁻ⁱ) is linear over
/// GF(25). Changing a valid code s into s + e gives S(s + e) = S(e),
/// which does not depend on s. A substitution a → b at position i is
/// e = (b − a)·uᵢ with S(e) = wᵢ·(b − a): a function of (i, a, b) only, and
/// non-zero because wᵢ ≠ 0 and b ≠ a. So if it is detected in one valid
/// code it is detected in all 25ⁿ of them. The test nevertheless runs it
/// in the 25 constant codes and 300 pseudo-random ones per length, so that
/// a table error making the implementation non-linear or
/// context-dependent would also show up.
#[test]
fn every_single_substitution_is_detected() {
    let mut checked = 0u64;
    for n in 1..=9 {
        for base in base_codes(n, 300) {
            for p in 0..=n {
                for a in 0..25u8 {
                    let code = valid_with(&base, &[(p, a)]).unwrap();
                    for b in (0..25u8).filter(|&b| b != a) {
                        let mut bad = code.clone();
                        bad[p] = b;
                        assert!(!gf25::is_valid(&bad), "{n}: {code:?} pos {p} -> {b}");
                        checked += 1;
                    }
                }
            }
        }
    }
    assert!(checked > 10_000_000);
}

/// Runs every transposition of positions (i, j) with `pairs` over all
/// symbol pairs a ≠ b in the given base codes.
///
/// By the linearity argument of [`every_single_substitution_is_detected`],
/// swapping a at i and b at j changes S by (wᵢ − wⱼ)·(b − a), a function
/// of (i, j, a, b) only, non-zero since the weights g⁰ … g⁹ are distinct
/// (g has order 24 > 9) and a ≠ b.
fn check_transpositions(pairs: fn(usize) -> Vec<(usize, usize)>, random: usize) -> u64 {
    let mut checked = 0;
    for n in 1..=9 {
        for base in base_codes(n, random) {
            for (i, j) in pairs(n) {
                for a in 0..25u8 {
                    for b in (0..25u8).filter(|&b| b != a) {
                        // With one data character and the check, the check
                        // is a function of the data: take the pair there is.
                        let Some(code) = valid_with(&base, &[(i, a), (j, b)]).or_else(|| valid_with(&base, &[(i, a)]))
                        else {
                            continue;
                        };
                        if code[i] == code[j] {
                            continue;
                        }
                        let mut bad = code.clone();
                        bad.swap(i, j);
                        assert!(!gf25::is_valid(&bad), "{code:?} swap {i},{j}");
                        checked += 1;
                    }
                }
            }
        }
    }
    checked
}

/// Every adjacent transposition ab → ba (a ≠ b), including the last data
/// character with the check character, is detected. See
/// [`every_single_substitution_is_detected`] for why one context per
/// (position, a, b) covers every code.
#[test]
fn every_adjacent_transposition_is_detected() {
    let checked = check_transpositions(|n| (0..n).map(|i| (i, i + 1)).collect(), 300);
    assert!(checked > 1_000_000);
}

/// Every transposition of two non-adjacent positions (a "jump"
/// transposition, e.g. abc → cba) is detected.
#[test]
fn every_non_adjacent_transposition_is_detected() {
    let pairs = |n: usize| (0..=n).flat_map(|i| (i + 2..=n).map(move |j| (i, j))).collect();
    let checked = check_transpositions(pairs, 100);
    assert!(checked > 1_000_000);
}

/// Twin errors aa → bb at adjacent positions are detected too, because
/// wᵢ + wᵢ₊₁ = gᵏ·(g + 1) ≠ 0 (g ≠ −1).
#[test]
fn adjacent_twin_errors_are_detected() {
    for n in 2..=9 {
        for base in base_codes(n, 50) {
            for i in 0..n - 1 {
                for a in 0..25u8 {
                    let code = valid_with(&base, &[(i, a), (i + 1, a)]).unwrap();
                    for b in (0..25u8).filter(|&b| b != a) {
                        let mut bad = code.clone();
                        bad[i] = b;
                        bad[i + 1] = b;
                        assert!(!gf25::is_valid(&bad));
                    }
                }
            }
        }
    }
}

/// The same through the public parser, on real codes.
#[test]
fn parser_rejects_substitutions_and_swaps() {
    let mut rng = SplitMix(99);
    for _ in 0..200 {
        let level = (rng.next() % 9 + 1) as u8;
        let cell = GridCell::from_parts(level, rng.next() % POW25[usize::from(level)]).unwrap();
        let text: Vec<char> = cell.to_string().replace('-', "").chars().collect();
        for p in 0..text.len() {
            for sym in ALPHABET.chars().filter(|&c| c != text[p]) {
                let mut bad = text.clone();
                bad[p] = sym;
                let bad: String = bad.into_iter().collect();
                assert_eq!(GridCell::parse(&bad), Err(CodeError::InvalidCheckCharacter));
            }
            for q in p + 1..text.len() {
                if text[p] != text[q] {
                    let mut bad = text.clone();
                    bad.swap(p, q);
                    let bad: String = bad.into_iter().collect();
                    assert_eq!(GridCell::parse(&bad), Err(CodeError::InvalidCheckCharacter));
                }
            }
        }
    }
}

// ------------------------------------------------------------- alphabet

#[test]
fn alphabet_has_no_lookalikes() {
    assert_eq!(ALPHABET.len(), 25);
    for c in "01OQILSZBGU".chars() {
        assert!(!ALPHABET.contains(c), "{c}");
    }
    for (v, c) in ALPHABET.chars().enumerate() {
        assert_eq!(symbol_value(c), Some(v as u8));
        assert_eq!(symbol_value(c.to_ascii_lowercase()), Some(v as u8));
    }
    let valid = (0..=0x10_FFFF).filter_map(char::from_u32).filter(|&c| symbol_value(c).is_some()).count();
    assert_eq!(valid, 25 + 17, "25 symbols plus 17 lowercase letters");
}

// ------------------------------------------------------------------ grid

#[test]
fn grid_steps_is_exact_at_boundaries() {
    // 4° = 5⁸ steps exactly; the double just below is one step less.
    assert_eq!(grid_steps(4.0), 390_625);
    assert_eq!(grid_steps(4.0_f64.next_down()), 390_624);
    assert_eq!(grid_steps(0.0), 0);
    assert_eq!(grid_steps(-0.0), 0);
    assert_eq!(grid_steps(20.0_f64.next_down()), GRID_STEPS - 1);
    assert_eq!(grid_steps(20.0), GRID_STEPS - 1, "clamped");
    assert_eq!(grid_steps(f64::MIN_POSITIVE / 4.0), 0);
    assert_eq!(grid_steps(1e300), GRID_STEPS - 1);
    assert_eq!(grid_steps(f64::NAN), 0);
    // Interior grid lines are not representable; both neighbours of the
    // nearest double fall on the right sides.
    let mut rng = SplitMix(3);
    for _ in 0..10_000 {
        let k = (rng.next() % u64::from(GRID_STEPS - 1)) as u32 + 1;
        let line = f64::from(k) / STEPS_PER_DEG;
        let got = grid_steps(line);
        assert!(got == k || got == k - 1);
        assert_eq!(grid_steps(line.next_down().next_down()), k - 1);
        assert_eq!(grid_steps(line.next_up().next_up()), k);
    }
}

#[test]
fn coverage_edges() {
    let ok = |lon, lat| GridCell::from_lonlat(pt(lon, lat), 9).is_ok();
    assert!(ok(100.0, 4.0));
    assert!(ok(120.0_f64.next_down(), 24.0_f64.next_down()));
    assert!(!ok(120.0, 10.0));
    assert!(!ok(110.0, 24.0));
    assert!(!ok(99.999_999, 10.0));
    assert!(!ok(110.0, 3.999_999));
    assert!(matches!(GridCell::from_lonlat(pt(2.35, 48.85), 5), Err(CodeError::OutsideCoverage { .. })));
    let corner = GridCell::from_lonlat(pt(100.0, 4.0), 9).unwrap();
    assert_eq!(corner.index(), 0);
    assert_eq!(corner.bounds()[..2], [100.0, 4.0]);
    let far = GridCell::from_lonlat(pt(120.0_f64.next_down(), 24.0_f64.next_down()), 9).unwrap();
    assert_eq!(far.index(), POW25[9] - 1);
    assert_eq!(far.bounds()[2..], [120.0, 24.0]);
    assert_eq!(far.to_string(), format!("YYY-YYY-YYY{}", far.check_char()));
    assert_eq!(GridCell::from_lonlat(pt(110.0, 10.0), 0), Err(CodeError::InvalidLevel { level: 0 }));
    assert_eq!(GridCell::from_lonlat(pt(110.0, 10.0), 10), Err(CodeError::InvalidLevel { level: 10 }));
}

#[test]
fn level_one_layout() {
    // Value = row·5 + col: '2' (0) is the south-west 4° square,
    // '6' (4) the south-east one, 'Y' (24) the north-east one.
    let first = |lon, lat| GridCell::from_lonlat(pt(lon, lat), 1).unwrap();
    assert_eq!(first(100.5, 4.5).index(), 0);
    assert_eq!(first(119.5, 4.5).index(), 4);
    assert_eq!(first(100.5, 8.5).index(), 5);
    assert_eq!(first(119.5, 23.5).index(), 24);
    assert_eq!(first(101.0, 5.0).bounds(), [100.0, 4.0, 104.0, 8.0]);
    // Hà Nội is in row 4 (20–24 N), column 1 (104–108 E): value 21 = 'V'.
    assert_eq!(data_chars(&first(105.8342, 21.0378).to_string()), "V");
}

#[test]
fn hierarchy_navigation() {
    let cell = GridCell::from_lonlat(pt(106.7009, 10.7769), 9).unwrap();
    assert_eq!(cell.ancestor(9), Some(cell));
    assert_eq!(cell.ancestor(0), None);
    assert_eq!(cell.ancestor(10), None);
    assert_eq!(cell.children().count(), 0);
    let top = cell.ancestor(1).unwrap();
    assert_eq!(top.parent(), None);
    let mut walk = cell;
    while let Some(p) = walk.parent() {
        assert!(p.contains(&walk) && p.contains(&cell) && !walk.contains(&p) || walk == p);
        assert_eq!(p.children().filter(|c| *c == walk).count(), 1);
        walk = p;
    }
    assert_eq!(walk, top);
    let kids: Vec<GridCell> = top.children().collect();
    assert_eq!(kids.len(), 25);
    for (v, kid) in kids.iter().enumerate() {
        assert_eq!(kid.parent(), Some(top));
        assert_eq!(kid.index() % 25, v as u64);
        let b = kid.bounds();
        let pb = top.bounds();
        assert!(pb[0] <= b[0] && pb[1] <= b[1] && b[2] <= pb[2] && b[3] <= pb[3]);
    }
    // Children tile the parent: 5 columns of 0.8°.
    assert!((kids[6].bounds()[0] - kids[5].bounds()[0] - 0.8).abs() < 1e-12);
    let other_top = GridCell::from_lonlat(pt(111.9183, 8.6453), 1).unwrap();
    assert!(!other_top.contains(&cell));
}

#[test]
fn keys_round_trip_and_are_unique() {
    let mut seen = std::collections::HashSet::new();
    let mut rng = SplitMix(11);
    for level in 1..=9u8 {
        for index in [0, 1, POW25[usize::from(level)] - 1, rng.next() % POW25[usize::from(level)]] {
            let cell = GridCell::from_parts(level, index).unwrap();
            assert_eq!(GridCell::from_key(cell.key()), Some(cell));
            assert!(cell.key() < 1 << 42);
            seen.insert(cell.key());
        }
    }
    assert_eq!(seen.len(), 36);
    let full = GridCell::from_parts(9, 12_345).unwrap();
    assert_eq!(full.key(), 12_345);
    assert_eq!(GridCell::from_key(POW25[9] + LEVEL_KEY_OFFSET[9]), None);
    assert_eq!(GridCell::from_key(u64::MAX), None);
    assert_eq!(GridCell::from_parts(0, 0), None);
    assert_eq!(GridCell::from_parts(3, 25 * 25 * 25), None);
    let addr = DigitalAddress::new(full, 7).unwrap();
    assert_eq!(DigitalAddress::from_key(addr.key()), Some(addr));
    assert_eq!(DigitalAddress::from_key(12_345 << 16), None, "unit 0");
    assert!(addr < addr.with_unit(8).unwrap());
}

// --------------------------------------------------------- known answers

/// An independent decoder for the tests: narrows the coverage box symbol
/// by symbol with plain floating point, and checks the check character
/// with textbook polynomial arithmetic mod (5, x² + x + 2).
fn decode_by_hand(code: &str) -> ([f64; 4], bool) {
    let symbols: Vec<i32> = code.chars().filter(|c| *c != '-').map(|c| ALPHABET.find(c).unwrap() as i32).collect();
    let (data, check) = symbols.split_at(symbols.len() - 1);
    let (mut w, mut s, mut size) = (100.0, 4.0, 20.0);
    for &v in data {
        size /= 5.0;
        w += f64::from(v % 5) * size;
        s += f64::from(v / 5) * size;
    }
    // Σ x^(n−i)·dᵢ + c with polynomials (p1, p0) = p1·x + p0.
    let mul_x = |(p1, p0): (i32, i32)| ((p0 - p1).rem_euclid(5), (-2 * p1).rem_euclid(5));
    let mut acc = (0, 0);
    for &v in data {
        acc = (acc.0 + v / 5, acc.1 + v % 5);
        acc = mul_x(acc);
    }
    let sum = ((acc.0 + check[0] / 5) % 5, (acc.1 + check[0] % 5) % 5);
    ([w, s, w + size, s + size], sum == (0, 0))
}

#[test]
fn known_answers() {
    let cases = [
        ("Hà Nội, Ba Đình", 105.8342, 21.0378, "V98-FE4-RYEW"),
        ("Hồ Chí Minh City", 106.7009, 10.7769, "8PE-CNT-D8CD"),
        ("Trường Sa Lớn", 111.9183, 8.6453, "96Y-44V-2REE"),
        ("Hoàng Sa", 111.61, 16.53, "N6N-9JT-39JW"),
    ];
    for (name, lon, lat, expect) in cases {
        let p = pt(lon, lat);
        let addr = DigitalAddress::from_lonlat(p).unwrap();
        assert_eq!(addr.to_string(), expect, "{name}");
        // Not an echo: an independent decoder puts the point in the cell
        // and accepts the check character.
        let (b, check_ok) = decode_by_hand(expect);
        assert!(check_ok, "{name}: check character");
        assert!(in_bounds(b, p), "{name}: {b:?}");
        assert!((b[2] - b[0] - 1.024e-5).abs() < 1e-12);
        let parsed = DigitalAddress::parse(expect).unwrap();
        assert!(in_bounds(parsed.cell().bounds(), p), "{name}");
        assert!(parsed.cell().center().distance_m(p) < 1.0, "{name}");
        // Ancestors print as prefixes.
        for level in 1..9 {
            let part = GridCell::from_lonlat(p, level).unwrap().to_string();
            assert!(data_chars(expect).starts_with(&data_chars(&part)));
            let (pb, ok) = decode_by_hand(&part);
            assert!(ok && in_bounds(pb, p), "{name} level {level}: {part}");
        }
    }
    // Groups of three, check appended to the last group.
    let hcm = pt(106.7009, 10.7769);
    let shapes = ["84", "8PE", "8PE2", "8PE-CF", "8PE-CN9", "8PE-CNT3", "8PE-CNT-DR", "8PE-CNT-D88"];
    for (level, shape) in (1..=8).zip(shapes) {
        let text = GridCell::from_lonlat(hcm, level).unwrap().to_string();
        assert_eq!(text, shape);
    }
}

// ----------------------------------------------------------------- units

#[test]
fn units_display_and_parse() {
    let addr = DigitalAddress::parse("8PE-CNT-D8CD").unwrap();
    assert_eq!(addr.unit(), 1);
    let two = addr.with_unit(2).unwrap();
    assert_eq!(two.to_string(), "8PE-CNT-D8CD.2");
    assert_eq!(addr.with_unit(65_535).unwrap().to_string(), "8PE-CNT-D8CD.65535");
    assert_eq!(addr.with_unit(0), Err(CodeError::InvalidUnit));
    assert_eq!(DigitalAddress::parse("8PE-CNT-D8CD.1").unwrap(), addr);
    assert_eq!(DigitalAddress::parse("8PE-CNT-D8CD.1").unwrap().to_string(), "8PE-CNT-D8CD");
    assert_eq!(DigitalAddress::parse("8pe cnt d8cd . 0002").unwrap(), two);
    assert_eq!(DigitalAddress::parse("8PECNTD8CD.65535").unwrap().unit(), 65_535);
    assert_eq!(
        DigitalAddress::new(GridCell::from_parts(4, 0).unwrap(), 1),
        Err(CodeError::IncompleteCode { level: 4 })
    );
    assert_eq!(format!("{two:>16}"), "  8PE-CNT-D8CD.2");
    assert_eq!(format!("{:<10}|", addr.cell().ancestor(6).unwrap()), "8PE-CNT3  |");
}

// --------------------------------------------------------------- parsing

#[test]
fn lenient_forms_are_accepted() {
    let addr = DigitalAddress::parse("8PE-CNT-D8CD").unwrap();
    for text in [
        "8pe-cnt-d8cd",
        "8pE-cNT-D8cd",
        "8PECNTD8CD",
        "  8PE CNT D8CD  ",
        "\t8PE_CNT_D8CD\n",
        "8-P-E-C-N-T-D-8-C-D",
        "--8PECNTD8CD--",
        "8 P E\tCNT__D8 C D",
        "\u{a0}8PE-CNT-D8CD\u{3000}",
    ] {
        assert_eq!(DigitalAddress::parse(text), Ok(addr), "{text:?}");
        assert_eq!(text.parse::<DigitalAddress>(), Ok(addr));
    }
    assert_eq!(GridCell::parse("8pe-cf").unwrap().level(), 4);
    assert_eq!("84".parse::<GridCell>().unwrap().level(), 1);
}

#[test]
fn malformed_inputs_are_rejected() {
    use CodeError::*;
    let bad_char = |text: &str, ch: char, position: usize| {
        assert_eq!(GridCell::parse(text), Err(InvalidCharacter { ch, position }), "{text:?}");
        assert_eq!(DigitalAddress::parse(text), Err(InvalidCharacter { ch, position }));
    };
    let cases: &[(&str, CodeError)] = &[
        ("", Empty),
        ("   ", Empty),
        ("\t\n", Empty),
        ("-", Empty),
        ("---_ -", Empty),
        (".2", Empty),
        (".", Empty),
        ("C", TooShort),
        (" c- ", TooShort),
        ("C.2", TooShort),
        ("8PE-CNT-D8CD-2", TooLong { len: 11 }),
        ("8PECNTD8CD8PECNTD8CD", TooLong { len: 20 }),
        ("8PE-CNT-D8CC", InvalidCheckCharacter),
        ("8PE-CNT-8DCD", InvalidCheckCharacter),
        ("P8E-CNT-D8CD", InvalidCheckCharacter),
        ("8PE-CNT-D8CD.0", InvalidUnit),
        ("8PE-CNT-D8CD.00", InvalidUnit),
        ("8PE-CNT-D8CD.", InvalidUnit),
        ("8PE-CNT-D8CD. ", InvalidUnit),
        ("8PE-CNT-D8CD.99999", InvalidUnit),
        ("8PE-CNT-D8CD.65536", InvalidUnit),
        ("8PE-CNT-D8CD.99999999999999999999999", InvalidUnit),
        ("8PE-CNT-D8CD.-1", InvalidUnit),
        ("8PE-CNT-D8CD.1-2", InvalidUnit),
        ("8PE-CNT-D8CD._2", InvalidUnit),
        ("8PE-CNT-D8CD.+1", InvalidUnit),
        ("8PE-CNT-D8CD.2a", InvalidUnit),
        ("8PE-CNT-D8CD.1.2", InvalidUnit),
        ("8PE-CNT-D8CD..2", InvalidUnit),
        ("8PE-CNT-D8CD.٣", InvalidUnit),
        ("8PE-CNT-D8CD.２", InvalidUnit),
        ("8PE-CNT-D8CD.1e3", InvalidUnit),
        ("8PE-CNT-D8CD.0x10", InvalidUnit),
    ];
    for (text, err) in cases {
        assert_eq!(DigitalAddress::parse(text).as_ref(), Err(err), "{text:?}");
    }
    // Units only on full codes.
    assert_eq!(DigitalAddress::parse("8PE-CF.2"), Err(UnitOnPartialCode));
    assert_eq!(DigitalAddress::parse("8PE-CF.1"), Err(UnitOnPartialCode));
    assert_eq!(GridCell::parse("8PE-CF.2"), Err(UnitOnPartialCode));
    assert_eq!(GridCell::parse("8PE-CNT-D8CD.2"), Err(UnexpectedUnit));
    assert_eq!(DigitalAddress::parse("8PE-CF"), Err(IncompleteCode { level: 4 }));
    // A dropped character leaves a valid-length shorter code: it fails the
    // check (or, 1 time in 25, is caught as an incomplete address).
    assert!(DigitalAddress::parse("8PE-CNT-D8D").is_err());
    // Each excluded look-alike, upper- and lowercase, at its position.
    for (i, ch) in "0OQ1ILSZBGU".chars().enumerate() {
        let text = format!("CC{ch}-V4X-32Y3");
        bad_char(&text, ch, 3);
        bad_char(&text.to_lowercase(), ch.to_ascii_lowercase(), 3);
        let msg = GridCell::parse(&text).unwrap_err().to_string();
        assert!(msg.contains(ALPHABET), "{msg}");
        assert!(msg.contains("never used"), "{i}: {msg}");
    }
    let msg = GridCell::parse("CCS").unwrap_err().to_string();
    assert!(msg.contains("did you mean 5"), "{msg}");
    let msg = GridCell::parse("VUA").unwrap_err().to_string();
    assert!(msg.contains("did you mean V"), "{msg}");
    // Unicode, emoji, control characters: positions count characters.
    bad_char("8PE-CNT-D8CD🙂", '🙂', 13);
    bad_char("🙂CCJ", '🙂', 1);
    bad_char("CĆJ", 'Ć', 2);
    bad_char("ĐCJ", 'Đ', 1);
    bad_char("CCJ\0V4X32Y3", '\0', 4);
    bad_char("CCJ\u{7}", '\u{7}', 4);
    bad_char("CC\u{200b}J", '\u{200b}', 3);
    bad_char("CCＪ", 'Ｊ', 3);
    bad_char("CC\u{301}J", '\u{301}', 3);
    bad_char("C,C", ',', 2);
    bad_char("CCJ/V4X", '/', 4);
    bad_char("  x0", '0', 4);
    let msg = GridCell::parse("CCJ-VÂ").unwrap_err().to_string();
    assert!(msg.contains("Telex"), "{msg}");
    let msg = GridCell::parse("C\0J").unwrap_err().to_string();
    assert!(msg.contains("'\\0'"), "{msg}");
    // Huge inputs are rejected at once.
    let huge = "C".repeat(1 << 20);
    assert_eq!(GridCell::parse(&huge), Err(InputTooLong { bytes: 1 << 20 }));
    let huge_ws = format!("{}8PE-CNT-D8CD", " ".repeat(1 << 20));
    assert!(matches!(DigitalAddress::parse(&huge_ws), Err(InputTooLong { .. })));
    let huge_emoji = "🙂".repeat(1 << 18);
    assert!(matches!(DigitalAddress::parse(&huge_emoji), Err(InputTooLong { .. })));
}

#[test]
fn serde_uses_the_canonical_text() {
    let addr = DigitalAddress::parse("8pe cnt d8cd.12").unwrap();
    let json = serde_json::to_string(&addr).unwrap();
    assert_eq!(json, "\"8PE-CNT-D8CD.12\"");
    assert_eq!(serde_json::from_str::<DigitalAddress>(&json).unwrap(), addr);
    let cell = addr.cell().ancestor(4).unwrap();
    assert_eq!(serde_json::to_string(&cell).unwrap(), "\"8PE-CF\"");
    assert_eq!(serde_json::from_str::<GridCell>("\"8pecf\"").unwrap(), cell);
    assert!(serde_json::from_str::<GridCell>("\"8PE-CH\"").is_err());
    assert!(serde_json::from_str::<DigitalAddress>("\"8PE-CF\"").is_err());
    assert!(serde_json::from_str::<DigitalAddress>("17").is_err());
}

// ------------------------------------------------------------- proptest

fn point() -> impl Strategy<Value = LonLat> {
    (COVERAGE[0]..COVERAGE[2], COVERAGE[1]..COVERAGE[3]).prop_map(|(lon, lat)| pt(lon, lat))
}

fn any_cell() -> impl Strategy<Value = GridCell> {
    (1..=FULL_LEVEL)
        .prop_flat_map(|level| (Just(level), 0..POW25[usize::from(level)]))
        .prop_map(|(level, index)| GridCell::from_parts(level, index).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn every_point_encodes_at_every_level(p in point()) {
        for level in 1..=FULL_LEVEL {
            let cell = GridCell::from_lonlat(p, level).unwrap();
            prop_assert_eq!(cell.level(), level);
            prop_assert!(cell.index() < POW25[usize::from(level)]);
            prop_assert!(in_bounds(cell.bounds(), p), "{:?} {:?}", cell.bounds(), p);
            // Encoding the centre gives the same cell.
            prop_assert_eq!(GridCell::from_lonlat(cell.center(), level).unwrap(), cell);
        }
    }

    #[test]
    fn exact_grid_agrees_with_float_formula(p in point()) {
        let x = ((p.lon() - 100.0) * STEPS_PER_DEG).floor() as u32;
        let y = ((p.lat() - 4.0) * STEPS_PER_DEG).floor() as u32;
        prop_assert_eq!(grid_steps(p.lon() - 100.0), x);
        prop_assert_eq!(grid_steps(p.lat() - 4.0), y);
    }

    #[test]
    fn prefixes_are_ancestors(p in point()) {
        let full = GridCell::from_lonlat(p, FULL_LEVEL).unwrap();
        let full_text = full.to_string();
        for level in 1..FULL_LEVEL {
            let cell = GridCell::from_lonlat(p, level).unwrap();
            prop_assert_eq!(full.ancestor(level), Some(cell));
            prop_assert!(cell.contains(&full));
            let (outer, inner) = (cell.bounds(), full.bounds());
            prop_assert!(outer[0] <= inner[0] && outer[1] <= inner[1]);
            prop_assert!(inner[2] <= outer[2] && inner[3] <= outer[3]);
            let child = GridCell::from_lonlat(p, level + 1).unwrap();
            prop_assert_eq!(child.parent(), Some(cell));
            prop_assert!(data_chars(&child.to_string()).starts_with(&data_chars(&cell.to_string())));
            prop_assert!(data_chars(&full_text).starts_with(&data_chars(&cell.to_string())));
        }
    }

    #[test]
    fn full_cells_are_at_most_3_5_m(p in point()) {
        let b = GridCell::from_lonlat(p, FULL_LEVEL).unwrap().bounds();
        // The southern edge is the longer one north of the equator.
        let width = haversine_m(b[0], b[1], b[2], b[1]);
        let height = haversine_m(b[0], b[1], b[0], b[3]);
        prop_assert!(width <= 3.5 && height <= 3.5, "{} x {}", width, height);
        prop_assert!((1.0..1.2).contains(&width) && (1.1..1.2).contains(&height));
    }

    #[test]
    fn cells_round_trip_through_text(cell in any_cell()) {
        let text = cell.to_string();
        prop_assert_eq!(GridCell::parse(&text), Ok(cell));
        prop_assert_eq!(GridCell::parse(&text.to_lowercase().replace('-', " ")), Ok(cell));
        prop_assert_eq!(text.chars().last(), Some(cell.check_char()));
        prop_assert_eq!(GridCell::from_key(cell.key()), Some(cell));
        prop_assert_eq!(GridCell::from_lonlat(cell.center(), cell.level()), Ok(cell));
    }

    #[test]
    fn addresses_round_trip_through_text(index in 0..POW25[9], unit in 1..=MAX_UNIT) {
        let cell = GridCell::from_parts(FULL_LEVEL, index).unwrap();
        let addr = DigitalAddress::new(cell, unit).unwrap();
        let text = addr.to_string();
        prop_assert_eq!(text.contains('.'), unit > 1);
        prop_assert_eq!(DigitalAddress::parse(&text), Ok(addr));
        prop_assert_eq!(DigitalAddress::from_key(addr.key()), Some(addr));
    }

    #[test]
    fn arbitrary_text_never_panics(text in "\\PC{0,80}") {
        if let Ok(addr) = DigitalAddress::parse(&text) {
            prop_assert_eq!(DigitalAddress::parse(&addr.to_string()), Ok(addr));
        }
        if let Ok(cell) = GridCell::parse(&text) {
            prop_assert_eq!(GridCell::parse(&cell.to_string()), Ok(cell));
        }
    }

    #[test]
    fn code_like_text_never_panics(
        text in "[ \t\\-_.0-9A-Za-z\u{0}\u{a0}ĐÂ🙂]{0,70}"
    ) {
        if let Ok(cell) = GridCell::parse(&text) {
            prop_assert_eq!(GridCell::parse(&cell.to_string()), Ok(cell));
        }
        let _ = DigitalAddress::parse(&text);
    }

    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
        let text = String::from_utf8_lossy(&bytes);
        let _ = GridCell::parse(&text);
        let _ = DigitalAddress::parse(&text);
    }
}
