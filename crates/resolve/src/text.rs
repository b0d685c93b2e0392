//! Folding and tokenising Vietnamese text: case, diacritics (right, wrong or missing) and punctuation stop
//! mattering; what is left are lower-case ASCII words and numbers, grouped in the comma-separated parts of the input.

/// The base letter of a Vietnamese (or other Latin) letter: `Ặ` → `a`, `đ` → `d`, `Ư` → `u`. `None` for combining
/// marks (decomposed input), which are dropped.
#[must_use]
pub fn fold_char(c: char) -> Option<char> {
    const GROUPS: [(&str, char); 7] = [
        ("àáảãạăằắẳẵặâầấẩẫậÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬäåāÄÅĀ", 'a'),
        ("èéẻẽẹêềếểễệÈÉẺẼẸÊỀẾỂỄỆëēËĒ", 'e'),
        ("ìíỉĩịÌÍỈĨỊïîÏÎ", 'i'),
        ("òóỏõọôồốổỗộơờớởỡợÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢöøÖØ", 'o'),
        ("ùúủũụưừứửữựÙÚỦŨỤƯỪỨỬỮỰüûÜÛ", 'u'),
        ("ỳýỷỹỵỲÝỶỸỴ", 'y'),
        ("đĐ", 'd'),
    ];
    if c.is_ascii() {
        return Some(c.to_ascii_lowercase());
    }
    if ('\u{300}'..='\u{36f}').contains(&c) {
        return None;
    }
    for (set, base) in GROUPS {
        if set.contains(c) {
            return Some(base);
        }
    }
    Some(c)
}

/// `s` folded: lower case, no diacritics, `đ` as `d`.
#[must_use]
pub fn fold(s: &str) -> String {
    s.chars().filter_map(fold_char).collect()
}

/// One word or number of the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Folded text: `[a-z0-9]+`.
    pub text: String,
    /// Which comma-separated part of the input it is in.
    pub part: u16,
    /// Byte range in the original input.
    pub start: usize,
    /// End of the byte range in the original input (exclusive).
    pub end: usize,
}

impl Token {
    /// Whether the token is all digits.
    #[must_use]
    pub fn is_number(&self) -> bool {
        self.text.bytes().all(|b| b.is_ascii_digit())
    }
}

/// Letters that abbreviate a unit type or a number's kind and are often glued to it: `P12`, `Q1`, `F7`, `SN12`
/// (số nhà), `CH404` (căn hộ).
const GLUED_PREFIXES: [&str; 14] = ["p", "q", "f", "x", "tt", "tx", "tp", "h", "k", "so", "sn", "ch", "ng", "can"];

/// At most this many tokens are read; longer input is cut (and said so by the caller).
pub const MAX_TOKENS: usize = 64;

/// The words of `input`, folded. Commas, semicolons, newlines and ` - ` start a new part; other punctuation only
/// separates words. A known abbreviation glued to digits (`p12`, `q.1`) is split in two.
#[must_use]
pub fn tokenize(input: &str) -> Vec<Token> {
    let mut tokens = Vec::new();
    let mut part: u16 = 0;
    let mut word = String::new();
    let mut start = 0usize;
    let flush = |word: &mut String, start: usize, end: usize, part: u16, tokens: &mut Vec<Token>| {
        if word.is_empty() {
            return;
        }
        let text = std::mem::take(word);
        // `p12` → `p` `12`; `12a` stays (a house number)
        let split = text.find(|c: char| c.is_ascii_digit()).filter(|&i| i > 0 && GLUED_PREFIXES.contains(&&text[..i]));
        if tokens.len() < MAX_TOKENS {
            match split {
                Some(i) if text[i..].bytes().all(|b| b.is_ascii_digit()) => {
                    tokens.push(Token { text: text[..i].to_owned(), part, start, end: start + i });
                    tokens.push(Token { text: text[i..].to_owned(), part, start: start + i, end });
                }
                _ => tokens.push(Token { text, part, start, end }),
            }
        }
    };
    for (i, c) in input.char_indices() {
        let folded = fold_char(c);
        match folded {
            None => {}
            Some(f) if f.is_ascii_alphanumeric() => {
                if word.is_empty() {
                    start = i;
                }
                word.push(f);
            }
            Some(f) => {
                flush(&mut word, start, i, part, &mut tokens);
                // not ` - `: it is inside names too (`Phường Lâm Viên - Đà Lạt`)
                let breaks = matches!(f, ',' | ';' | '\n' | '|' | '(' | ')');
                if breaks && tokens.last().is_some_and(|t| t.part == part) {
                    part = part.saturating_add(1);
                }
            }
        }
    }
    flush(&mut word, start, input.len(), part, &mut tokens);
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(s: &str) -> Vec<(String, u16)> {
        tokenize(s).into_iter().map(|t| (t.text, t.part)).collect()
    }

    #[test]
    fn folds_vietnamese_letters_both_cases_and_decomposed() {
        assert_eq!(fold("Đường Nguyễn Thị Minh Khai"), "duong nguyen thi minh khai");
        assert_eq!(fold("THỪA THIÊN HUẾ"), "thua thien hue");
        // decomposed: e + combining circumflex + combining acute
        assert_eq!(fold("Hue\u{302}\u{301}"), "hue");
        // wrong diacritics fold to the same letters
        assert_eq!(fold("Hà Nộị"), fold("Hà Nội"));
    }

    #[test]
    fn splits_parts_and_glued_abbreviations() {
        assert_eq!(
            texts("12 Lê Lợi, P.Bến Nghé, Q1, TP.HCM"),
            vec![
                ("12".into(), 0),
                ("le".into(), 0),
                ("loi".into(), 0),
                ("p".into(), 1),
                ("ben".into(), 1),
                ("nghe".into(), 1),
                ("q".into(), 2),
                ("1".into(), 2),
                ("tp".into(), 3),
                ("hcm".into(), 3),
            ]
        );
        assert_eq!(texts("12a f7")[0].0, "12a");
        assert_eq!(texts("12a f7")[1].0, "f");
    }

    #[test]
    fn hostile_input_gives_bounded_tokens() {
        let long = "a ".repeat(100_000);
        assert_eq!(tokenize(&long).len(), MAX_TOKENS);
        assert!(tokenize("\u{0}\u{1f600}\u{202e}").is_empty());
        assert!(tokenize("").is_empty());
        let mixed = tokenize("Hà Nội 北京 Москва");
        assert!(mixed.iter().all(|t| !t.text.is_empty()));
    }
}
