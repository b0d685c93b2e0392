//! The resolution itself, in stages: the input is cut and split into words (a digital address typed alone is
//! answered at once); [`matches`] finds the administrative names in the words, [`readings`] ranks consistent
//! choices of ward, district and province, [`street`] parses the words a reading leaves over as a street address,
//! [`score`] tries the best readings on each new ward they can mean against the streets and addresses, and
//! [`assemble`] turns the best into the answer.

mod assemble;
mod matches;
mod readings;
mod score;
mod shortcut;
mod street;
#[cfg(test)]
mod tests;

use super::text::{MAX_TOKENS, Token, tokenize};
use super::verdict::Resolution;
use super::{MAX_INPUT_BYTES, Resolver};
use diachi_domain::{HouseNumber, LonLat};
use diachi_geo::index::NationalIndex;

/// The input as every stage reads it.
#[derive(Debug)]
struct Input<'a> {
    /// The text as written, cut to [`MAX_INPUT_BYTES`] (the user's own spelling is quoted back from it).
    text: &'a str,
    /// Its words.
    tokens: Vec<Token>,
    /// It was cut, or had more words than are read.
    truncated: bool,
}

impl<'a> Input<'a> {
    /// Cuts `raw` and splits it into words.
    fn new(raw: &'a str) -> Self {
        let text = cut(raw);
        let tokens = tokenize(text);
        let truncated = text.len() < raw.len() || tokens.len() >= MAX_TOKENS;
        Input { text, tokens, truncated }
    }
}

/// The number a word starts with (`12`, `12a`), if it has at most five digits.
fn number(t: &Token) -> Option<u16> {
    let digits: &str = &t.text[..t.text.bytes().take_while(u8::is_ascii_digit).count()];
    if digits.is_empty() || digits.len() > 5 {
        return None;
    }
    digits.parse().ok()
}

/// The house number a word is (`12`, `12a` → `12A`): digits, then at most one letter; `None` for anything else.
fn house_number(t: &Token) -> Option<HouseNumber> {
    let v = number(t)?;
    let rest = &t.text.as_bytes()[t.text.bytes().take_while(u8::is_ascii_digit).count()..];
    match rest {
        [] => HouseNumber::new(v),
        [l] => HouseNumber::with_parts(v, Some(*l), 0),
        _ => None,
    }
}

/// `raw` cut to at most [`MAX_INPUT_BYTES`] bytes, on a character boundary.
fn cut(raw: &str) -> &str {
    let mut cut = raw.len().min(MAX_INPUT_BYTES);
    while !raw.is_char_boundary(cut) {
        cut -= 1;
    }
    &raw[..cut]
}

/// Resolves one address: the stages in order.
pub(super) fn resolve(r: &Resolver, ix: &NationalIndex, raw: &str, hint: Option<LonLat>) -> Resolution {
    if let Some(res) = shortcut::by_digital_address(ix, cut(raw)) {
        return res;
    }
    let input = Input::new(raw);
    let matches = matches::find_matches(r, ix, &input);
    let tried = readings::readings(r, ix, &input, &matches);
    let parts: Vec<street::StreetPart> = tried.iter().map(|reading| street::street_part_of(&input, reading)).collect();
    let scored = score::score(r, ix, &input, &tried, &parts, hint);
    assemble::assemble(r, ix, &input, &tried, &parts, &scored)
}
