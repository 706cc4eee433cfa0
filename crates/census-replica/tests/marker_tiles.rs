//! The map's markers made from a real replica: the tiles over a base count every prospect the
//! filter shows exactly once, clustered far out and one by one close in; the summary counts
//! them and frames them; the nearest not yet visited come nearest first.

#![allow(clippy::unwrap_used, reason = "a test fails loudly on any unexpected error")]

use census_core::*;
use census_replica::*;
use rand::{Rng, SeedableRng};

mod common;
use common::*;

/// A decoded marker: a cluster's count, or a prospect's id and status.
#[derive(Debug)]
enum Marker {
    Cluster(u64),
    Prospect { id: String, status: String },
}

fn varint(bytes: &[u8], at: &mut usize) -> u64 {
    let mut value = 0;
    let mut shift = 0;
    loop {
        let byte = bytes[*at];
        *at += 1;
        value |= u64::from(byte & 0x7F) << shift;
        if byte < 0x80 {
            return value;
        }
        shift += 7;
    }
}

/// The fields of one protobuf message: (field, varint value or bytes).
fn fields(bytes: &[u8]) -> Vec<(u64, Result<u64, Vec<u8>>)> {
    let mut at = 0;
    let mut out = Vec::new();
    while at < bytes.len() {
        let key = varint(bytes, &mut at);
        match key & 7 {
            0 => out.push((key >> 3, Ok(varint(bytes, &mut at)))),
            2 => {
                let len = varint(bytes, &mut at) as usize;
                out.push((key >> 3, Err(bytes[at..at + len].to_vec())));
                at += len;
            }
            other => panic!("wire type {other} is not in a markers tile"),
        }
    }
    out
}

fn decode(tile: &[u8]) -> Vec<Marker> {
    let Some((3, Err(layer))) = fields(tile).into_iter().next() else { return Vec::new() };
    let layer = fields(&layer);
    let keys: Vec<String> = layer
        .iter()
        .filter(|(f, _)| *f == 3)
        .map(|(_, v)| String::from_utf8(v.clone().unwrap_err()).unwrap())
        .collect();
    let values: Vec<Result<u64, String>> = layer
        .iter()
        .filter(|(f, _)| *f == 4)
        .map(|(_, v)| match fields(&v.clone().unwrap_err())[0].clone() {
            (1, Err(text)) => Err(String::from_utf8(text).unwrap()),
            (_, Ok(n)) => Ok(n),
            other => panic!("an unexpected value {other:?}"),
        })
        .collect();
    assert!(layer.iter().any(|(f, v)| *f == 1 && v.as_ref().err() == Some(&b"prospects".to_vec())));
    layer
        .iter()
        .filter(|(f, _)| *f == 2)
        .map(|(_, feature)| {
            let feature = fields(&feature.clone().unwrap_err());
            let (_, Err(tags)) = feature.iter().find(|(f, _)| *f == 2).unwrap().clone() else { panic!("no tags") };
            let mut at = 0;
            let mut props = std::collections::HashMap::new();
            while at < tags.len() {
                let (key, value) = (varint(&tags, &mut at), varint(&tags, &mut at));
                props.insert(keys[key as usize].clone(), values[value as usize].clone());
            }
            match props.get("point_count") {
                Some(Ok(count)) => Marker::Cluster(*count),
                _ => Marker::Prospect {
                    id: props["id"].clone().unwrap_err(),
                    status: props["status"].clone().unwrap_err(),
                },
            }
        })
        .collect()
}

/// The tiles at `z` over the box, west-south to east-north.
fn tiles_over(z: u8, (south, north, west, east): (f64, f64, f64, f64)) -> Vec<(u32, u32)> {
    let scale = f64::from(1u32 << z);
    let x = |lon: f64| ((lon + 180.0) / 360.0 * scale) as u32;
    let y = |lat: f64| {
        let sin = lat.to_radians().sin();
        ((0.5 - ((1.0 + sin) / (1.0 - sin)).ln() / (4.0 * std::f64::consts::PI)) * scale) as u32
    };
    (x(west)..=x(east)).flat_map(|tx| (y(north)..=y(south)).map(move |ty| (tx, ty))).collect()
}

#[test]
fn tiles_count_each_prospect_once_clustered_far_out_and_alone_close_in() {
    let dir = tempfile::tempdir().unwrap();
    let mut replica = Replica::create(&dir.path().join("map.census"), DeviceId::from_bytes([1; 16])).unwrap();
    let mut random = rand::rngs::StdRng::seed_from_u64(5);
    let mut clients = 0;
    for n in 0..1_500u64 {
        let mut new = new_prospect(
            &format!("Kauppa {n}"),
            60.17 + random.random_range(-0.01..0.01),
            24.94 + random.random_range(-0.02..0.02),
        );
        if n % 3 == 0 {
            new.status = Status::Client;
            clients += 1;
        }
        let mut id = [0u8; 16];
        id[..8].copy_from_slice(&(n + 1).to_be_bytes());
        replica.create_prospect(ProspectId::from_bytes(id), &ctx(1, n as i64), &new).unwrap();
    }
    // One more with no position: never on the map.
    replica
        .create_prospect(
            ProspectId::from_bytes([9; 16]),
            &ctx(1, 0),
            &NewProspect { location: None, ..new_prospect("Nowhere", 0.0, 0.0) },
        )
        .unwrap();

    let everyone = ListFilter::default();
    let summary = replica.map_summary(&everyone).unwrap();
    assert_eq!(summary.count, 1_500);
    let [west, south, east, north] = summary.extent.unwrap();
    assert!(west >= 24.92 && east <= 24.96 && south >= 60.16 && north <= 60.18);

    let count_at = |z: u8, filter: &ListFilter| {
        let mut counted = 0;
        let mut ids = std::collections::HashSet::new();
        let mut clusters = 0;
        for (x, y) in tiles_over(z, (south, north, west, east)) {
            for marker in decode(&replica.marker_tile(z, x, y, filter).unwrap()) {
                match marker {
                    Marker::Cluster(n) => {
                        counted += n;
                        clusters += 1;
                    }
                    Marker::Prospect { id, status } => {
                        assert!(ids.insert(id), "a prospect in two tiles");
                        if filter.status == Some(Status::Client) {
                            assert_eq!(status, "client");
                        }
                        counted += 1;
                    }
                }
            }
        }
        (counted, clusters, ids.len())
    };
    let (far, far_clusters, _) = count_at(12, &everyone);
    assert_eq!(far, 1_500, "far out, clusters count every prospect");
    assert!(far_clusters > 0 && far_clusters < 100, "{far_clusters} clusters");
    let (close, close_clusters, alone) = count_at(CLUSTER_BELOW_ZOOM, &everyone);
    assert_eq!((close, close_clusters, alone), (1_500, 0, 1_500), "close in, each stands alone, once");
    let only_clients = ListFilter { status: Some(Status::Client), ..ListFilter::default() };
    assert_eq!(count_at(13, &only_clients).0, clients);
    assert_eq!(replica.map_summary(&only_clients).unwrap().count, clients);
    assert!(decode(&replica.marker_tile(30, 0, 0, &everyone).unwrap()).is_empty(), "no tile past the last zoom");
    assert!(decode(&replica.marker_tile(3, 9, 0, &everyone).unwrap()).is_empty(), "no tile beyond the world");

    let here = (60.17, 24.94);
    let nearest = replica.nearest_unvisited(here, 8, &everyone).unwrap();
    assert_eq!(nearest.len(), 8);
    assert!(nearest.windows(2).all(|w| w[0].distance_m <= w[1].distance_m), "nearest first");
    assert!(nearest[7].distance_m < 300.0, "1,500 prospects in 2 km: the eight nearest are close");
}
