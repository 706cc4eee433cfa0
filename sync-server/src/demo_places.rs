//! A demo base on a real city: the named businesses of an OpenStreetMap extract become the
//! prospects, with their real names, kinds, addresses and positions, so that the demo's map
//! shows each one on the street its tiles draw it on. `scripts/map-data` lists them
//! (`target/map/helsinki-businesses.json`) from the same extract it makes the map pack of.
//!
//! The extract is split at its middle latitude into the demo's two territories: the south is
//! Anna's, the north Boris's. Map data © OpenStreetMap contributors, under the ODbL.

use census_core::{Address, Location, NewProspect, Timestamp};
use serde::Deserialize;

use crate::demo::{DemoBase, demo_status, territories_named};

/// A list of places larger than this is not a city's businesses.
pub const MAX_PLACES_BYTES: u64 = 64 << 20;

/// One business as `scripts/map_data.py` lists it.
#[derive(Debug, Deserialize)]
struct Place {
    name: String,
    category: String,
    street: Option<String>,
    housenumber: Option<String>,
    postcode: Option<String>,
    city: Option<String>,
    lat: f64,
    lon: f64,
}

/// The demo base made of the first `limit` places of `json`.
pub fn base_from_places(json: &[u8], limit: u64, now: Timestamp) -> Result<DemoBase, String> {
    let places: Vec<Place> =
        serde_json::from_slice(json).map_err(|e| format!("the list of places cannot be read: {e}"))?;
    let places: Vec<Place> = places
        .into_iter()
        .filter(|p| !p.name.trim().is_empty() && (-90.0..=90.0).contains(&p.lat) && (-180.0..=180.0).contains(&p.lon))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .collect();
    if places.is_empty() {
        return Err("the list of places has no named place with a position".into());
    }
    let mut latitudes: Vec<f64> = places.iter().map(|p| p.lat).collect();
    latitudes.sort_by(f64::total_cmp);
    let middle = latitudes[latitudes.len() / 2];
    let (mut south, mut north): (Vec<&Place>, Vec<&Place>) = places.iter().partition(|p| p.lat < middle);
    // Places all on one latitude leave a half empty: both territories then share the one box.
    if south.is_empty() || north.is_empty() {
        (south, north) = (places.iter().collect(), places.iter().collect());
    }
    let territories = territories_named(["Хельсинки — Юг", "Хельсинки — Север"], [outline(&south), outline(&north)]);
    let prospects = places
        .iter()
        .enumerate()
        .map(|(n, place)| NewProspect {
            territory: territories[usize::from(place.lat >= middle)].id,
            name: place.name.trim().to_owned(),
            category: category_in_russian(&place.category).to_owned(),
            status: demo_status(n as u64),
            address: Address {
                line: match (&place.street, &place.housenumber) {
                    (Some(street), Some(number)) => format!("{street} {number}"),
                    (Some(street), None) => street.clone(),
                    _ => String::new(),
                },
                city: place.city.clone().unwrap_or_default(),
                postcode: place.postcode.clone().unwrap_or_default(),
                country: "Финляндия".into(),
                ..Address::default()
            },
            location: Some(Location { lat: place.lat, lon: place.lon, accuracy_m: Some(5.0), at: now }),
        })
        .collect();
    Ok(DemoBase { territories, prospects })
}

/// A box around `places`, a few metres wider, as a territory's outline (corners `[lat, lon]`).
fn outline(places: &[&Place]) -> Vec<[f64; 2]> {
    let margin = 0.0003;
    let bound = |pick: fn(&Place) -> f64, smallest: bool| {
        let values = places.iter().map(|p| pick(p));
        if smallest {
            values.fold(f64::INFINITY, f64::min) - margin
        } else {
            values.fold(f64::NEG_INFINITY, f64::max) + margin
        }
    };
    let (south, north) = (bound(|p| p.lat, true), bound(|p| p.lat, false));
    let (west, east) = (bound(|p| p.lon, true), bound(|p| p.lon, false));
    vec![[south, west], [south, east], [north, east], [north, west]]
}

/// The category a Russian-speaking company would file an OpenStreetMap kind of place under.
fn category_in_russian(kind: &str) -> &'static str {
    match kind {
        "restaurant" => "Ресторан",
        "cafe" | "tea" | "coffee" | "ice_cream" => "Кафе",
        "fast_food" | "food_court" => "Фастфуд",
        "pub" | "bar" | "biergarten" | "nightclub" => "Бар",
        "clothes" | "shoes" | "fashion" | "boutique" | "bag" | "fabric" => "Одежда и обувь",
        "hairdresser" | "beauty" | "cosmetics" | "perfumery" | "massage" | "tattoo" => "Салон красоты",
        "company" | "office" | "lawyer" | "estate_agent" | "insurance" | "it" | "consulting" => "Офис",
        "hotel" | "hostel" | "guest_house" => "Гостиница",
        "jewelry" | "watches" => "Ювелирный",
        "bank" | "atm" | "bureau_de_change" | "money_lender" => "Банк",
        "optician" | "pharmacy" | "chemist" | "medical_supply" => "Аптека и оптика",
        "supermarket" | "convenience" | "kiosk" | "deli" | "bakery" | "butcher" | "greengrocer" | "alcohol"
        | "confectionery" | "beverages" | "wine" => "Продукты",
        "furniture" | "interior_decoration" | "houseware" | "hardware" | "doityourself" | "lighting" => "Дом и ремонт",
        "books" | "stationery" | "newsagent" | "gift" | "art" | "toys" | "music" | "photo" => "Книги и подарки",
        "theatre" | "cinema" | "arts_centre" | "museum" | "gallery" => "Культура",
        _ => "Другое",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_places_become_prospects_on_their_streets_in_two_territories_split_north_and_south() {
        let json = br#"[
            {"osm_id": "node/1", "name": "Kahvila Ekberg", "category": "cafe", "street": "Bulevardi",
             "housenumber": "9", "postcode": "00120", "city": "Helsinki", "lat": 60.1652, "lon": 24.9376},
            {"osm_id": "node/2", "name": "Stockmann", "category": "department_store", "street": "Aleksanterinkatu",
             "housenumber": "52", "postcode": "00100", "city": "Helsinki", "lat": 60.1686, "lon": 24.9422},
            {"osm_id": "node/3", "name": "  ", "category": "cafe", "street": null, "housenumber": null,
             "postcode": null, "city": null, "lat": 60.17, "lon": 24.94},
            {"osm_id": "node/4", "name": "Apteekki", "category": "pharmacy", "street": "Mannerheimintie",
             "housenumber": null, "postcode": null, "city": "Helsinki", "lat": 60.1712, "lon": 24.9390}
        ]"#;
        let at = Timestamp::from_unix_millis(1_795_800_000_000);
        let base = base_from_places(json, 100, at).unwrap();
        assert_eq!(base.prospects.len(), 3, "the place with no name is left out");
        let ekberg = &base.prospects[0];
        assert_eq!((ekberg.name.as_str(), ekberg.category.as_str()), ("Kahvila Ekberg", "Кафе"));
        assert_eq!(ekberg.address.line, "Bulevardi 9");
        assert_eq!(ekberg.territory, base.territories[0].id, "the south is the centre's (Anna's)");
        assert_eq!(base.prospects[2].address.line, "Mannerheimintie");
        assert_eq!(base.prospects[2].territory, base.territories[1].id);
        assert_eq!(base.prospects[1].category, "Другое");
        for prospect in &base.prospects {
            let territory = base.territories.iter().find(|t| t.id == prospect.territory).unwrap();
            let location = prospect.location.as_ref().unwrap();
            let (lats, lons): (Vec<f64>, Vec<f64>) = territory.boundary.iter().map(|c| (c[0], c[1])).unzip();
            assert!(lats.iter().any(|&l| l < location.lat) && lats.iter().any(|&l| l > location.lat));
            assert!(lons.iter().any(|&l| l < location.lon) && lons.iter().any(|&l| l > location.lon));
        }
        assert_eq!(base_from_places(json, 1, at).unwrap().prospects.len(), 1, "the limit holds");
        assert!(base_from_places(b"{\"not\": \"a list\"}", 10, at).unwrap_err().contains("cannot be read"));
        assert!(base_from_places(b"[]", 10, at).unwrap_err().contains("no named place"));
    }
}
