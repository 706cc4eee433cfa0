//! Thumbnails: a picture's small copy, about [`THUMBNAIL_EDGE`] pixels on its long side, made on
//! the device when the picture is taken. Lists and cards show thumbnails, which every device of
//! a territory fetches after its pulls; originals travel only when someone opens them.
//!
//! A JPEG (what phone and laptop cameras write) is decoded already scaled down, an eighth of its
//! size at most, so a 12-megapixel photo costs a fraction of a full decode. PNG and WebP are
//! decoded whole within bounds. A HEIC photo has no decoder here: it is kept and synced as it
//! is, without a thumbnail. A picture claiming more pixels than any camera makes is left alone.

use census_core::pictures::{ImageKind, SNIFFED_BYTES};
use image::{DynamicImage, GrayImage, RgbImage};

/// The long side of a thumbnail, in pixels.
pub const THUMBNAIL_EDGE: u32 = 320;

/// The most pixels a picture may claim before it is decoded (a 100-megapixel camera's).
const MOST_PIXELS: u64 = 100_000_000;

/// The thumbnail of `bytes` as a JPEG, when the picture can be decoded here.
pub fn thumbnail_of(bytes: &[u8]) -> Option<Vec<u8>> {
    let picture = match ImageKind::of(&bytes[..bytes.len().min(SNIFFED_BYTES)])? {
        ImageKind::Jpeg => scaled_jpeg(bytes)?,
        ImageKind::Png => bounded(bytes, image::ImageFormat::Png)?,
        ImageKind::WebP => bounded(bytes, image::ImageFormat::WebP)?,
        ImageKind::Heic => return None,
    };
    let small = on_white(&picture.thumbnail(THUMBNAIL_EDGE, THUMBNAIL_EDGE));
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80).encode_image(&small).ok()?;
    Some(out)
}

/// The picture as RGB, its transparent parts on white (as the page shows it), not black.
fn on_white(picture: &DynamicImage) -> RgbImage {
    let rgba = picture.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a))) / 255) as u8;
        image::Rgb([over(r), over(g), over(b)])
    })
}

/// A JPEG decoded at the smallest scale that still covers a thumbnail.
fn scaled_jpeg(bytes: &[u8]) -> Option<DynamicImage> {
    let mut decoder = jpeg_decoder::Decoder::new(bytes);
    decoder.read_info().ok()?;
    let info = decoder.info()?;
    if u64::from(info.width) * u64::from(info.height) > MOST_PIXELS {
        return None;
    }
    let edge = u16::try_from(THUMBNAIL_EDGE).unwrap_or(u16::MAX);
    decoder.scale(edge, edge).ok()?;
    let pixels = decoder.decode().ok()?;
    let info = decoder.info()?;
    let (width, height) = (u32::from(info.width), u32::from(info.height));
    match info.pixel_format {
        jpeg_decoder::PixelFormat::RGB24 => RgbImage::from_raw(width, height, pixels).map(DynamicImage::ImageRgb8),
        jpeg_decoder::PixelFormat::L8 => GrayImage::from_raw(width, height, pixels).map(DynamicImage::ImageLuma8),
        jpeg_decoder::PixelFormat::CMYK32 => {
            let rgb = pixels
                .chunks_exact(4)
                .flat_map(|p| {
                    let k = 255 - u16::from(p[3]);
                    [p[0], p[1], p[2]].map(|c| ((255 - u16::from(c)) * k / 255) as u8)
                })
                .collect();
            RgbImage::from_raw(width, height, rgb).map(DynamicImage::ImageRgb8)
        }
        jpeg_decoder::PixelFormat::L16 => None,
    }
}

/// A PNG or WebP decoded whole, refused past the pixel bound before any pixel is made.
fn bounded(bytes: &[u8], format: image::ImageFormat) -> Option<DynamicImage> {
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_alloc = Some(MOST_PIXELS * 4);
    reader.limits(limits);
    let (width, height) =
        image::ImageReader::with_format(std::io::Cursor::new(bytes), format).into_dimensions().ok()?;
    if u64::from(width) * u64::from(height) > MOST_PIXELS {
        return None;
    }
    reader.decode().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn jpeg(width: u32, height: u32) -> Vec<u8> {
        let picture = RgbImage::from_fn(width, height, |x, y| image::Rgb([(x % 256) as u8, (y % 256) as u8, 90]));
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 85).encode_image(&picture).unwrap_or_default();
        out
    }

    #[test]
    fn a_thumbnail_is_a_small_jpeg_of_the_same_shape() {
        let thumbnail = thumbnail_of(&jpeg(1600, 1200)).unwrap_or_default();
        assert_eq!(ImageKind::of(&thumbnail), Some(ImageKind::Jpeg));
        let small = image::load_from_memory(&thumbnail).map(|i| (i.width(), i.height())).ok();
        assert_eq!(small, Some((320, 240)));
        let png = {
            let mut out = std::io::Cursor::new(Vec::new());
            let picture = RgbImage::from_pixel(200, 800, image::Rgb([10, 20, 30]));
            picture.write_to(&mut out, image::ImageFormat::Png).map(|_| out.into_inner()).unwrap_or_default()
        };
        let small = thumbnail_of(&png).and_then(|t| image::load_from_memory(&t).ok()).map(|i| (i.width(), i.height()));
        assert_eq!(small, Some((80, 320)));
    }

    #[test]
    fn what_cannot_be_decoded_here_has_no_thumbnail() {
        assert_eq!(thumbnail_of(b"\0\0\0\x18ftypheic\0\0\0\0 and the rest"), None, "HEIC is kept as it is");
        assert_eq!(thumbnail_of(&[0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3]), None, "a broken JPEG");
        assert_eq!(thumbnail_of(b"not a picture at all"), None);
    }
}
