//! Names in the order people sort them, as a key that sorts byte by byte (SQLite's own order):
//! numbers by their value ("Магазин 2" before "Магазин 10"), case ignored, ё as е.

/// The key `text` sorts by. Each run of digits becomes the count of its digits (two of them)
/// and then the digits, leading zeros dropped, so that a shorter number comes first and numbers
/// of one length compare digit by digit.
pub fn sort_key(text: &str) -> String {
    let mut key = String::with_capacity(text.len() + 4);
    let mut digits = String::new();
    for c in text.trim().chars().flat_map(char::to_lowercase) {
        if c.is_ascii_digit() {
            digits.push(c);
            continue;
        }
        push_number(&mut key, &mut digits);
        key.push(if c == 'ё' { 'е' } else { c });
    }
    push_number(&mut key, &mut digits);
    key
}

/// Longer runs than this are compared by their first digits: no shop is numbered beyond it.
const LONGEST_NUMBER: usize = 99;

fn push_number(key: &mut String, digits: &mut String) {
    if digits.is_empty() {
        return;
    }
    let significant = digits.trim_start_matches('0');
    let significant = if significant.is_empty() { "0" } else { significant };
    let significant = &significant[..significant.len().min(LONGEST_NUMBER)];
    key.push_str(&format!("{:02}{significant}", significant.len()));
    digits.clear();
}

/// Compares two texts as [`sort_key`] orders them.
pub fn compare_names(a: &str, b: &str) -> std::cmp::Ordering {
    sort_key(a).cmp(&sort_key(b))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(names: &[&str]) -> Vec<String> {
        let mut names: Vec<String> = names.iter().map(|n| (*n).to_owned()).collect();
        names.sort_by(|a, b| compare_names(a, b));
        names
    }

    #[test]
    fn numbers_sort_by_value_and_case_and_yo_are_ignored() {
        assert_eq!(
            sorted(&["Магазин 10", "магазин 2", "Магазин 1", "Магазин 02а", "Магазин 100"]),
            ["Магазин 1", "магазин 2", "Магазин 02а", "Магазин 10", "Магазин 100"]
        );
        assert_eq!(sorted(&["Ёлочка", "Елена", "Ежевика"]), ["Ежевика", "Елена", "Ёлочка"]);
        assert_eq!(sort_key("ЁЛКА 7"), sort_key("елка 007"));
        assert_eq!(sorted(&["Дом 3 корп 12", "Дом 3 корп 2", "Дом 12"]), ["Дом 3 корп 2", "Дом 3 корп 12", "Дом 12"]);
        assert_eq!(sorted(&["b", "A", "a2", "a10"]), ["A", "a2", "a10", "b"]);
    }

    #[test]
    fn very_long_numbers_and_odd_text_still_have_a_key() {
        let long = "9".repeat(300);
        assert!(sort_key(&long).len() < 110);
        assert_eq!(sort_key(""), "");
        assert_eq!(sort_key("000"), "010");
        assert!(compare_names("٣", "3").is_ne(), "only ASCII digits are numbers; others sort as letters");
    }
}
