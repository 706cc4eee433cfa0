#!/usr/bin/env python3
"""Makes MapLibre GL's glyph files from a font, for scripts/glyphs; and reads them back.

    glyphs.py build FONT STACK DIR   writes DIR/{start}-{end}.pbf for every range of 256
                                     characters below 65536 that FONT has a character in, and
                                     always 0-255; STACK is only what the summary calls it
    glyphs.py check FILE [TEXT]      lists a glyph file, and draws TEXT's glyphs in it as text

A glyph file is what Mapbox's node-fontnik makes (src/glyphs.cpp, with the sdf-glyph-foundry it
vendors), and this does what they do, step by step, so that MapLibre places the glyphs just as
it places any server's (for DejaVu Sans and DejaVu Sans Bold the files come out byte for byte
the same as fontnik 0.7.7's):
  - FreeType draws the font at 24 pixels an em (FT_Set_Char_Size 24 pt at 72 dpi) and loads
    each glyph unhinted;
  - the outline is flattened into line segments (quadratic and cubic curves subdivided as AGG's
    curve3_div and curve4_div do, to within half a pixel) in single-precision floats;
  - width, height, left and the glyph's top are its flattened outline's bounding box rounded to
    whole pixels, and `top` is written less the face's ascender at that size (so it is negative
    for most glyphs: MapLibre's shaping adds 17 px to each glyph's y, SHAPING_DEFAULT_OFFSET,
    calibrated for exactly that), `advance` the advance width truncated to whole pixels;
  - the bitmap is (width + 6) x (height + 6) bytes, rows top first: a 3 px border all round,
    each byte 255 - clamp(32 * d + 64, 0, 255), truncated, where d is the distance in pixels
    from the pixel's centre to the outline, negative inside (nonzero winding), taken as
    infinite beyond 8 px. So the outline itself is 191, and 0 is 6 px or more outside;
  - a glyph with no outline (a space), or whose box rounds to nothing, has its advance, no
    bitmap, zero for width, height and left, and minus the ascender for top, as fontnik's has.
The file is a protobuf (fontnik's proto/glyphs.proto): glyphs { repeated fontstack stacks = 1 },
fontstack { string name = 1; string range = 2; repeated glyph glyphs = 3 }, glyph { uint32 id
= 1; bytes bitmap = 2; uint32 width = 3, height = 4; sint32 left = 5, top = 6; uint32 advance
= 7 }, encoded here by hand. The fontstack's name is the font's family and style, as fontnik
writes it; MapLibre reads neither it nor the range.

Needs Debian's python3-freetype and python3-numpy, for the system's Python (/usr/bin/python3).
Ranges are drawn in parallel, one process a CPU.
"""

import math
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import freetype
import numpy as np

SIZE = 24  # pixels an em
BUFFER = 3  # pixels of border round each bitmap
RADIUS = 8  # pixels beyond which the distance is taken as infinite
CUTOFF = 0.25  # the share of the 0-255 scale given to the outside of the outline
MAX_DIMENSION = 256  # fontnik drops a glyph whose box is wider or taller than this
COLLINEARITY_EPSILON = 1e-30
RECURSION_LIMIT = 32
DISTANCE_TOLERANCE_SQUARE = 0.5 * 0.5  # AGG's, at an approximation scale of 1


# ---- protobuf, the little of it that glyph files use

def varint(value):
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def field_varint(number, value):
    return varint(number << 3) + varint(value)


def field_sint(number, value):
    return field_varint(number, value * 2 if value >= 0 else -value * 2 - 1)  # zigzag


def field_bytes(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def read_fields(data):
    """Yields (field number, value) for a message: an int for a varint, bytes for the rest."""
    pos = 0

    def read_varint():
        nonlocal pos
        value = shift = 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if not byte & 0x80:
                return value

    while pos < len(data):
        key = read_varint()
        number, wire = key >> 3, key & 7
        if wire == 0:
            yield number, read_varint()
        elif wire == 2:
            length = read_varint()
            yield number, data[pos:pos + length]
            pos += length
        else:
            raise ValueError(f"unexpected wire type {wire} at byte {pos}")


def unzigzag(value):
    return (value >> 1) ^ -(value & 1)


# ---- the outline, flattened as fontnik's glyph foundry flattens it

def c_round(value):
    """C's round(): halves away from zero (Python's round() takes them to even)."""
    magnitude = abs(value)
    whole = math.floor(magnitude)
    if magnitude - whole >= 0.5:
        whole += 1
    return whole if value >= 0 else -whole


def sq_distance(x1, y1, x2, y2):
    return (x2 - x1) ** 2 + (y2 - y1) ** 2


def sq_distance_to_chord(px, py, x1, y1, x_end, y_end, dx, dy, t):
    """From (px, py) to the point at `t` along the chord from (x1, y1) by (dx, dy), held to the
    chord's ends (x1, y1) and (x_end, y_end): AGG's test of a flat curve's control points."""
    if t <= 0:
        return sq_distance(px, py, x1, y1)
    if t >= 1:
        return sq_distance(px, py, x_end, y_end)
    return sq_distance(px, py, x1 + t * dx, y1 + t * dy)


def conic_points(out, x1, y1, x2, y2, x3, y3, level=0):
    """AGG's curve3_div::recursive_bezier, with no angle tolerance."""
    if level > RECURSION_LIMIT:
        return
    x12, y12 = (x1 + x2) / 2, (y1 + y2) / 2
    x23, y23 = (x2 + x3) / 2, (y2 + y3) / 2
    x123, y123 = (x12 + x23) / 2, (y12 + y23) / 2
    dx, dy = x3 - x1, y3 - y1
    d = abs((x2 - x3) * dy - (y2 - y3) * dx)
    if d > COLLINEARITY_EPSILON:
        if d * d <= DISTANCE_TOLERANCE_SQUARE * (dx * dx + dy * dy):
            out.append((x123, y123))
            return
    else:
        da = dx * dx + dy * dy
        if da == 0:
            d = sq_distance(x1, y1, x2, y2)
        else:
            d = ((x2 - x1) * dx + (y2 - y1) * dy) / da
            if 0 < d < 1:
                return
            d = sq_distance_to_chord(x2, y2, x1, y1, x3, y3, dx, dy, d)
        if d < DISTANCE_TOLERANCE_SQUARE:
            out.append((x2, y2))
            return
    conic_points(out, x1, y1, x12, y12, x123, y123, level + 1)
    conic_points(out, x123, y123, x23, y23, x3, y3, level + 1)


def cubic_points(out, x1, y1, x2, y2, x3, y3, x4, y4, level=0):
    """AGG's curve4_div::recursive_bezier, with no angle tolerance and no cusp limit."""
    if level > RECURSION_LIMIT:
        return
    x12, y12 = (x1 + x2) / 2, (y1 + y2) / 2
    x23, y23 = (x2 + x3) / 2, (y2 + y3) / 2
    x34, y34 = (x3 + x4) / 2, (y3 + y4) / 2
    x123, y123 = (x12 + x23) / 2, (y12 + y23) / 2
    x234, y234 = (x23 + x34) / 2, (y23 + y34) / 2
    x1234, y1234 = (x123 + x234) / 2, (y123 + y234) / 2
    dx, dy = x4 - x1, y4 - y1
    d2 = abs((x2 - x4) * dy - (y2 - y4) * dx)
    d3 = abs((x3 - x4) * dy - (y3 - y4) * dx)
    case = (int(d2 > COLLINEARITY_EPSILON) << 1) + int(d3 > COLLINEARITY_EPSILON)
    if case == 0:
        k = dx * dx + dy * dy
        if k == 0:
            d2 = sq_distance(x1, y1, x2, y2)
            d3 = sq_distance(x4, y4, x3, y3)
        else:
            k = 1 / k
            d2 = k * ((x2 - x1) * dx + (y2 - y1) * dy)
            d3 = k * ((x3 - x1) * dx + (y3 - y1) * dy)
            if 0 < d2 < 1 and 0 < d3 < 1:
                return
            d2 = sq_distance_to_chord(x2, y2, x1, y1, x4, y4, dx, dy, d2)
            d3 = sq_distance_to_chord(x3, y3, x1, y1, x4, y4, dx, dy, d3)
        if d2 > d3:
            if d2 < DISTANCE_TOLERANCE_SQUARE:
                out.append((x2, y2))
                return
        elif d3 < DISTANCE_TOLERANCE_SQUARE:
            out.append((x3, y3))
            return
    elif case == 1:
        if d3 * d3 <= DISTANCE_TOLERANCE_SQUARE * (dx * dx + dy * dy):
            out.append((x23, y23))
            return
    elif case == 2:
        if d2 * d2 <= DISTANCE_TOLERANCE_SQUARE * (dx * dx + dy * dy):
            out.append((x23, y23))
            return
    elif (d2 + d3) * (d2 + d3) <= DISTANCE_TOLERANCE_SQUARE * (dx * dx + dy * dy):
        out.append((x23, y23))
        return
    cubic_points(out, x1, y1, x12, y12, x123, y123, x1234, y1234, level + 1)
    cubic_points(out, x1234, y1234, x234, y234, x34, y34, x4, y4, level + 1)


class Rings:
    """The outline's contours as closed rings of points, in pixels, y up."""

    def __init__(self):
        self.rings = []
        self.ring = []

    def close(self):
        if self.ring:
            if self.ring[0] != self.ring[-1]:
                self.ring.append(self.ring[0])
            self.rings.append(self.ring)
            self.ring = []


def move_to(to, rings):
    rings.close()
    rings.ring.append((to.x / 64, to.y / 64))


def line_to(to, rings):
    rings.ring.append((to.x / 64, to.y / 64))


def conic_to(control, to, rings):
    if rings.ring:
        x1, y1 = rings.ring.pop()
        points = rings.ring
        points.append((x1, y1))
        x3, y3 = to.x / 64, to.y / 64
        conic_points(points, x1, y1, control.x / 64, control.y / 64, x3, y3)
        points.append((x3, y3))


def cubic_to(control1, control2, to, rings):
    if rings.ring:
        x1, y1 = rings.ring.pop()
        points = rings.ring
        points.append((x1, y1))
        x4, y4 = to.x / 64, to.y / 64
        cubic_points(points, x1, y1, control1.x / 64, control1.y / 64,
                     control2.x / 64, control2.y / 64, x4, y4)
        points.append((x4, y4))


# ---- one glyph

def distance_field(rings, width, height):
    """The bitmap of fontnik's RenderSDF, rows top first, for rings already moved into it."""
    segments = np.concatenate([np.stack([ring[:-1], ring[1:]], axis=1) for ring in rings])
    x1, y1 = segments[:, 0, 0], segments[:, 0, 1]
    x2, y2 = segments[:, 1, 0], segments[:, 1, 1]
    # The R-tree's boxes for the segments, truncated to whole pixels as fontnik's are.
    box_x1, box_x2 = np.trunc(np.minimum(x1, x2)), np.trunc(np.maximum(x1, x2))
    box_y1, box_y2 = np.trunc(np.minimum(y1, y2)), np.trunc(np.maximum(y1, y2))
    cols, rows = width + 2 * BUFFER, height + 2 * BUFFER
    # Pixel centres, as a column of points against the row of segments; y counts up from the
    # bottom here.
    px = np.tile(np.arange(cols) + 0.5, rows)[:, None]
    py = np.repeat(np.arange(rows) + 0.5, cols)[:, None]

    near = ((box_x1 <= px + RADIUS) & (box_x2 >= px - RADIUS)
            & (box_y1 <= py + RADIUS) & (box_y2 >= py - RADIUS))
    vx, vy = x2 - x1, y2 - y1
    l2 = vx * vx + vy * vy
    with np.errstate(divide="ignore", invalid="ignore"):
        t = ((px - x1) * vx + (py - y1) * vy) / l2
    t = np.where(l2 == 0, 0.0, np.clip(t, 0.0, 1.0))
    # As ProjectPointOnLineSegment: the ends themselves when t falls outside 0..1, and the
    # point it returns in single precision.
    sx = np.where(t <= 0, x1, np.where(t >= 1, x2, x1 + t * vx)).astype(np.float32)
    sy = np.where(t <= 0, y1, np.where(t >= 1, y2, y1 + t * vy)).astype(np.float32)
    squared = (px - sx) ** 2 + (py - sy) ** 2
    squared = np.where(near & (squared < RADIUS * RADIUS), squared, np.inf)
    distance = np.sqrt(squared.min(axis=1)) * (256 / RADIUS)

    # Nonzero winding, as PolyContainsPoint counts it.
    left = (x2 - x1) * (py - y1) - (px - x1) * (y2 - y1)
    up = (y1 <= py) & (y2 > py) & (left > 0)
    down = (y1 > py) & (y2 <= py) & (left < 0)
    inside = (up.sum(axis=1) - down.sum(axis=1)) != 0

    distance = np.where(inside, -distance, distance) + CUTOFF * 256
    n = np.clip(distance, 0, 255).astype(np.uint8)  # truncates, as the C++ cast does
    return (255 - n).reshape(rows, cols)[::-1].tobytes()


def glyph_message(face, code, ascender):
    """fontnik's glyph message for a character, or None when the font has no glyph for it."""
    index = face.get_char_index(code)
    if index == 0:
        return None
    left = top = width = height = 0
    bitmap = b""
    advance = 0
    try:
        face.load_glyph(index, freetype.FT_LOAD_NO_HINTING)
    except freetype.FT_Exception:
        ascender = 0  # fontnik writes such a glyph with every metric zero
    else:
        slot = face.glyph
        advance = int(slot.metrics.horiAdvance / 64)  # C's division truncates
        rings = Rings()
        if slot.format == freetype.FT_GLYPH_FORMAT_OUTLINE:
            slot.outline.decompose(rings, move_to=move_to, line_to=line_to,
                                   conic_to=conic_to, cubic_to=cubic_to)
            rings.close()
        if rings.rings:
            # fontnik keeps its points as single-precision floats.
            arrays = [np.array(ring, dtype=np.float32) for ring in rings.rings]
            points = np.concatenate(arrays).astype(np.float64)
            xmin, ymin = (c_round(v) for v in points.min(axis=0))
            xmax, ymax = (c_round(v) for v in points.max(axis=0))
            w, h = xmax - xmin, ymax - ymin
            if 0 < w <= MAX_DIMENSION and 0 < h <= MAX_DIMENSION:
                left, top, width, height = xmin, ymax, w, h
                shift = np.array([BUFFER - xmin, BUFFER - ymin], dtype=np.float64)
                moved = [(ring.astype(np.float64) + shift).astype(np.float32).astype(np.float64)
                         for ring in arrays]
                bitmap = distance_field(moved, width, height)
    message = field_varint(1, code)
    if width > 0:
        message += field_bytes(2, bitmap)
    message += (field_varint(3, width) + field_varint(4, height) + field_sint(5, left)
                + field_sint(6, top - ascender) + field_varint(7, advance))
    return message


# ---- a font's ranges

FACE = None


def open_face(path):
    global FACE
    FACE = freetype.Face(path)
    FACE.set_char_size(0, SIZE * 64, 0, 0)


def face_name(face):
    family = face.family_name.decode("utf-8", "replace")
    style = face.style_name.decode("utf-8", "replace") if face.style_name else ""
    return f"{family} {style}" if style else family


def render_range(start):
    face = FACE
    ascender = int(face.size.ascender / 64)
    glyphs = [glyph_message(face, code, ascender) for code in range(start, start + 256)]
    glyphs = [g for g in glyphs if g is not None]
    stack = (field_bytes(1, face_name(face).encode()) + field_bytes(2, f"{start}-{start + 255}".encode())
             + b"".join(field_bytes(3, g) for g in glyphs))
    return start, len(glyphs), field_bytes(1, stack)


def build(font, stack, directory):
    face = freetype.Face(font)
    if face.charmap is None or face.charmap.encoding != freetype.FT_ENCODING_UNICODE:
        sys.exit(f"{font} has no Unicode character map")
    starts = sorted({0} | {code & ~0xFF for code in range(65536) if face.get_char_index(code)})
    os.makedirs(directory, exist_ok=True)
    total_glyphs = total_bytes = 0
    with ProcessPoolExecutor(os.cpu_count(), initializer=open_face, initargs=(font,)) as pool:
        for start, count, data in pool.map(render_range, starts):
            path = os.path.join(directory, f"{start}-{start + 255}.pbf")
            with open(path + ".part", "wb") as f:
                f.write(data)
            os.replace(path + ".part", path)
            total_glyphs += count
            total_bytes += len(data)
    print(f"{stack}: {total_glyphs} glyphs of {face_name(face)} in {len(starts)} ranges, "
          f"{total_bytes / 1e6:.1f} MB")


# ---- reading a file back

def read_glyphs(data):
    """The stacks of a glyph file: a list of (name, range, [glyph dicts])."""
    stacks = []
    for number, stack in read_fields(data):
        if number != 1:
            continue
        name = range_ = None
        glyphs = []
        for field, value in read_fields(stack):
            if field == 1:
                name = value.decode()
            elif field == 2:
                range_ = value.decode()
            elif field == 3:
                glyph = {"bitmap": b""}
                for key, v in read_fields(value):
                    if key == 1:
                        glyph["id"] = v
                    elif key == 2:
                        glyph["bitmap"] = v
                    elif key in (3, 4, 7):
                        glyph[{3: "width", 4: "height", 7: "advance"}[key]] = v
                    elif key in (5, 6):
                        glyph[{5: "left", 6: "top"}[key]] = unzigzag(v)
                glyphs.append(glyph)
        stacks.append((name, range_, glyphs))
    return stacks


def check(path, text):
    with open(path, "rb") as f:
        stacks = read_glyphs(f.read())
    problems = 0
    for name, range_, glyphs in stacks:
        print(f"{path}: stack {name!r}, range {range_}, {len(glyphs)} glyphs")
        for glyph in glyphs:
            w, h = glyph["width"], glyph["height"]
            expected = (w + 2 * BUFFER) * (h + 2 * BUFFER) if w else 0
            if len(glyph["bitmap"]) != expected:
                problems += 1
                print(f"  U+{glyph['id']:04X}: bitmap of {len(glyph['bitmap'])} bytes, "
                      f"not {expected}")
        by_id = {g["id"]: g for g in glyphs}
        for char in text:
            glyph = by_id.get(ord(char))
            if glyph is None:
                print(f"  {char!r} U+{ord(char):04X}: not in this range")
                continue
            print(f"  {char!r} U+{glyph['id']:04X}: width {glyph['width']} height "
                  f"{glyph['height']} left {glyph['left']} top {glyph['top']} "
                  f"advance {glyph['advance']}")
            cols = glyph["width"] + 2 * BUFFER
            bitmap = glyph["bitmap"]
            for row in range(0, len(bitmap), cols):
                # '#' inside the outline (above 191), '+' just outside it, '.' farther out.
                print("    " + "".join("#" if v > 191 else "+" if v > 127 else "." if v else " "
                                       for v in bitmap[row:row + cols]))
    if problems:
        sys.exit(f"{problems} glyphs have a bitmap of the wrong size")


def main(args):
    if len(args) == 4 and args[0] == "build":
        build(args[1], args[2], args[3])
    elif len(args) in (2, 3) and args[0] == "check":
        check(args[1], args[2] if len(args) == 3 else "")
    else:
        sys.exit(__doc__.split("\n\n")[1])


if __name__ == "__main__":
    main(sys.argv[1:])
