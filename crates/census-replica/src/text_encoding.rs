//! The text of a CSV file in whichever encoding a Russian office saved it: UTF-8 (with or
//! without a byte-order mark), UTF-16 (Excel's "Unicode text"), or one of the single-byte
//! Cyrillic encodings: Windows-1251 most often, KOI8-R and DOS 866 from older programs. The
//! single-byte ones cannot be told apart by their bytes, so each is read and the one whose
//! letters are most like Russian wins; text that reads like no language in any of them is
//! refused in words rather than imported as gibberish.

use encoding_rs::{Encoding, IBM866, KOI8_R, UTF_16BE, UTF_16LE, WINDOWS_1251};

/// The single-byte encodings tried, the likeliest first (it wins a tie).
const CYRILLIC_ENCODINGS: [&Encoding; 3] = [WINDOWS_1251, KOI8_R, IBM866];

/// Russian letters, the most frequent first, and how often each appears in text, per thousand
/// letters.
const RUSSIAN_LETTERS: &str = "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё";
const PER_THOUSAND: [f64; 33] = [
    109.7, 84.5, 80.1, 73.5, 67.0, 62.6, 54.7, 47.3, 45.4, 44.0, 34.9, 32.1, 29.8, 28.1, 26.2, 20.1, 19.0, 17.4, 17.0,
    16.5, 15.9, 14.4, 12.1, 9.7, 9.4, 7.3, 6.4, 4.8, 3.6, 3.2, 2.6, 0.4, 0.4,
];

/// Letters of Cyrillic alphabets besides Russian's (Ukrainian, Belarusian), and the typography
/// Russian text uses: these are plausible but say nothing about which encoding is right.
const ALSO_PLAUSIBLE: &str = "іїєґў\u{a0}«»—–№…“”„‘’•°€";

/// How much of a file is looked at to choose its encoding.
const SAMPLE_BYTES: usize = 64 * 1024;

/// Russian text read in its own encoding averages about 0.055 here (the sum of the squared
/// letter frequencies); read in the wrong one, its letters are shuffled and average about 0.035.
const LEAST_RUSSIAN_LIKENESS: f64 = 0.042;

/// Why a file's bytes are not text Census can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NotText {
    /// Zero bytes or control characters: a picture, an archive, a program.
    Binary,
    /// Characters, but in none of the encodings tried.
    UnknownEncoding,
}

/// The file's text, or why it cannot be read.
pub(crate) fn decode_text(bytes: &[u8]) -> Result<String, NotText> {
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return text_not_binary(String::from_utf8_lossy(rest).into_owned());
    }
    // Before UTF-8: UTF-16 of ASCII and Cyrillic is valid UTF-8 too, with a zero every other byte.
    if let Some(encoding) = utf16(bytes) {
        // encoding_rs removes the byte-order mark when there is one.
        return text_not_binary(encoding.decode(bytes).0.into_owned());
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text_not_binary(text.to_owned());
    }
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES)];
    if sample.contains(&0) {
        return Err(NotText::Binary);
    }
    let (encoding, reading) = CYRILLIC_ENCODINGS
        .into_iter()
        .map(|encoding| (encoding, Reading::of(&encoding.decode_without_bom_handling(sample).0)))
        .reduce(|best, next| if next.1.likeness() > best.1.likeness() { next } else { best })
        .expect("there are encodings to try");
    if !reading.is_plausible() {
        return Err(NotText::UnknownEncoding);
    }
    text_not_binary(encoding.decode_without_bom_handling(bytes).0.into_owned())
}

/// Text has no zero characters and hardly any control characters; a binary file read as text
/// has them.
fn text_not_binary(text: String) -> Result<String, NotText> {
    let controls = text.chars().filter(|c| c.is_control() && !matches!(c, '\t' | '\r' | '\n')).count();
    if text.contains('\0') || controls * 100 > text.len() { Err(NotText::Binary) } else { Ok(text) }
}

/// UTF-16 by its byte-order mark, or, without one, by its high bytes: zero for every Latin
/// letter, digit and delimiter, 4 for every Cyrillic letter, while the low bytes are seldom zero.
fn utf16(bytes: &[u8]) -> Option<&'static Encoding> {
    match bytes {
        [0xFF, 0xFE, ..] => return Some(UTF_16LE),
        [0xFE, 0xFF, ..] => return Some(UTF_16BE),
        _ => {}
    }
    let sample = &bytes[..bytes.len().min(SAMPLE_BYTES) & !1];
    let pairs = sample.len() / 2;
    let side = |parity: usize| sample.iter().skip(parity).step_by(2);
    let zeros = |parity: usize| side(parity).filter(|b| **b == 0).count();
    let high_bytes = |parity: usize| {
        side(parity).filter(|b| matches!(**b, 0 | 4)).count() * 10 >= pairs * 9
            && zeros(parity) * 10 >= pairs
            && zeros(1 - parity) * 10 < pairs
    };
    if pairs < 8 {
        None
    } else if high_bytes(1) {
        Some(UTF_16LE)
    } else if high_bytes(0) {
        Some(UTF_16BE)
    } else {
        None
    }
}

/// What a piece of text looks like, read in one encoding.
#[derive(Debug, Default)]
struct Reading {
    /// Characters outside ASCII.
    non_ascii: usize,
    /// Of those, Cyrillic letters.
    letters: usize,
    /// Of those, neither letters nor typography: symbols a client base would not hold.
    odd: usize,
    /// Places where a Latin letter touches a Cyrillic one inside a word.
    mixed: usize,
    /// The letters' Russian frequencies, added up.
    frequency: f64,
}

impl Reading {
    fn of(text: &str) -> Reading {
        #[derive(PartialEq, Clone, Copy)]
        enum Script {
            Latin,
            Cyrillic,
            Other,
        }
        let mut reading = Reading::default();
        let mut previous = Script::Other;
        for c in text.chars() {
            let script = if c.is_ascii() {
                if c.is_ascii_alphabetic() { Script::Latin } else { Script::Other }
            } else {
                reading.non_ascii += 1;
                let lower = c.to_lowercase().next().unwrap_or(c);
                if let Some(rank) = RUSSIAN_LETTERS.chars().position(|letter| letter == lower) {
                    reading.letters += 1;
                    reading.frequency += PER_THOUSAND[rank] / 1000.0;
                    Script::Cyrillic
                } else if ALSO_PLAUSIBLE.contains(lower) {
                    if lower.is_alphabetic() {
                        reading.letters += 1;
                        Script::Cyrillic
                    } else {
                        Script::Other
                    }
                } else {
                    reading.odd += 1;
                    Script::Other
                }
            };
            if script != Script::Other && previous != Script::Other && script != previous {
                reading.mixed += 1;
            }
            previous = script;
        }
        reading
    }

    /// The average Russian frequency of its characters outside ASCII.
    fn likeness(&self) -> f64 {
        if self.non_ascii == 0 { 0.0 } else { self.frequency / self.non_ascii as f64 }
    }

    /// Whether this could be what a person typed: few odd symbols, scripts not mixed inside
    /// words, and, where there are enough letters to tell, letters as frequent as Russian's.
    fn is_plausible(&self) -> bool {
        if self.non_ascii < 8 {
            return true;
        }
        let odd_symbols = self.odd * 10 > self.non_ascii;
        let mixed_scripts = self.mixed * 4 > self.letters;
        let shuffled_letters = self.letters >= 40 && self.likeness() < LEAST_RUSSIAN_LIKENESS;
        !(odd_symbols || mixed_scripts || shuffled_letters)
    }
}
