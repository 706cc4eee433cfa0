//! Pictures as sync sees them: named by the SHA-256 of their bytes, kept outside the document,
//! and moved between devices and the server by a resumable upload. This file holds what both
//! sides decide the same way: which pictures a prospect refers to (its photos and the photo
//! answers of its visits), what an upload may be (an image by its first bytes, not by what a
//! device says it is; at most [`MAX_PICTURE_BYTES`]), and how a picture's name is written.

use std::collections::BTreeSet;

use crate::prospect::Prospect;
use crate::questionnaire::Answer;

/// The largest picture a device keeps or the server takes: a phone camera's full-size photo
/// fits with room to spare.
pub const MAX_PICTURE_BYTES: u64 = 20 * 1024 * 1024;

/// How many first bytes [`ImageKind::of`] needs to tell a picture's kind.
pub const SNIFFED_BYTES: usize = 16;

/// The kinds of picture Census takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageKind {
    Jpeg,
    Png,
    WebP,
    /// A phone's HEIF photo: kept and synced as it is.
    Heic,
}

impl ImageKind {
    /// The kind the first bytes of a file show, if it is a picture Census takes.
    pub fn of(first: &[u8]) -> Option<ImageKind> {
        match first {
            [0xFF, 0xD8, 0xFF, ..] => Some(ImageKind::Jpeg),
            [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some(ImageKind::Png),
            [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some(ImageKind::WebP),
            // An ISO media file whose major brand is one of HEIF's.
            [_, _, _, _, b'f', b't', b'y', b'p', brand @ ..] if brand.len() >= 4 => {
                matches!(&brand[..4], b"heic" | b"heix" | b"heim" | b"heis" | b"mif1" | b"msf1" | b"hevc")
                    .then_some(ImageKind::Heic)
            }
            _ => None,
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            ImageKind::Jpeg => "image/jpeg",
            ImageKind::Png => "image/png",
            ImageKind::WebP => "image/webp",
            ImageKind::Heic => "image/heic",
        }
    }
}

/// Whether `text` is a picture's name: the lower-case hex SHA-256 of its bytes.
pub fn is_picture_name(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Every picture `prospect` refers to: its photos and its visits' photo answers.
pub fn pictures_of(prospect: &Prospect) -> BTreeSet<String> {
    let photos = prospect.photos.values().map(|photo| photo.sha256.clone());
    let answers = prospect.visits.values().flat_map(|visit| visit.answers.values()).filter_map(|answer| match answer {
        Answer::Photo(photo) => Some(photo.sha256.clone()),
        _ => None,
    });
    photos.chain(answers).filter(|name| is_picture_name(name)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_known_by_their_first_bytes() {
        assert_eq!(ImageKind::of(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(ImageKind::Jpeg));
        assert_eq!(ImageKind::of(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(ImageKind::Png));
        assert_eq!(ImageKind::of(b"RIFF\x10\0\0\0WEBPVP8 "), Some(ImageKind::WebP));
        assert_eq!(ImageKind::of(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(ImageKind::Heic));
        assert_eq!(ImageKind::of(b"\0\0\0\x18ftypisom\0\0\0\0"), None, "a video is not a picture");
        assert_eq!(ImageKind::of(b"<svg xmlns="), None);
        assert_eq!(ImageKind::of(b"MZ\x90\0"), None);
        assert_eq!(ImageKind::of(&[]), None);
        assert_eq!(ImageKind::of(&[0xFF, 0xD8]), None, "too short to tell");
    }

    #[test]
    fn a_picture_name_is_a_lower_case_sha256() {
        assert!(is_picture_name(&"ab".repeat(32)));
        assert!(!is_picture_name(&"AB".repeat(32)));
        assert!(!is_picture_name(&"ab".repeat(31)));
        assert!(!is_picture_name(&format!("../{}", "a".repeat(61))));
    }
}
