// The MapLibre style of the offline basemap: it draws the device's map pack (OpenMapTiles-schema
// vector tiles made by tilemaker) and glyphs through the app's own URLs, so no request leaves the
// device. Its colours stay pale and unsaturated so the coloured status markers on top stand out.
import type {
  ExpressionSpecification,
  LayerSpecification,
  LineLayerSpecification,
  StyleSpecification,
  SymbolLayerSpecification,
  VectorSourceSpecification,
} from 'maplibre-gl';

export interface BasemapOptions {
  /** Tile URL template, e.g. 'census-map://localhost/tiles/{z}/{x}/{y}.pbf'; null: no pack, plain background only. */
  tiles: string | null;
  /** Glyph URL template: '<origin>/glyphs/{fontstack}/{range}.pbf'. */
  glyphs: string;
  /** Bounds of the available packs [west, south, east, north], for the source, or null. */
  bounds?: [number, number, number, number] | null;
  /** The tiles' max zoom, default 14; the map overzooms beyond it. */
  maxzoom?: number;
}

export const BASEMAP_FONT = 'census-sans';
export const BASEMAP_FONT_BOLD = 'census-sans-bold';
// Plain text: the app is offline, so a link could not be followed anyway.
export const OSM_ATTRIBUTION = '© OpenStreetMap contributors (ODbL)';

const SOURCE = 'basemap';
const BACKGROUND = '#f2f0eb';
const HALO = '#ffffff';
const SANS = [BASEMAP_FONT];
const BOLD = [BASEMAP_FONT_BOLD];

// tilemaker's OpenMapTiles profile has no preferred language, so it writes each name only as
// `name:latin`; `name` is the fallback for packs made by other OpenMapTiles tools.
const NAME: ExpressionSpecification = ['coalesce', ['get', 'name:latin'], ['get', 'name']];

interface Road {
  fill: string;
  casing: string;
  /** Line width in pixels at each of WIDTH_ZOOMS. */
  widths: readonly [number, number, number, number];
}

// Roads widen by about 1.4× a zoom level rather than the true 2×: wide enough to carry a name when
// zoomed in, thin enough to leave the streets' surroundings (and the markers) visible.
const WIDTH_ZOOMS = [5, 10, 14, 19] as const;
const CASING_EDGE = [0, 0.8, 1.6, 3] as const;

// Most important first; where roads cross, the more important one is drawn on top.
const ROADS: Record<string, Road> = {
  motorway: { fill: '#f7dcb0', casing: '#d9b27d', widths: [0.6, 1.8, 5, 22] },
  trunk: { fill: '#f9e3bb', casing: '#dcbb8a', widths: [0.5, 1.6, 4.5, 20] },
  primary: { fill: '#fcedc7', casing: '#d8c096', widths: [0.3, 1.3, 4, 18] },
  secondary: { fill: '#fff5d9', casing: '#d6c8a8', widths: [0, 1, 3.5, 16] },
  tertiary: { fill: '#ffffff', casing: '#cfc7b9', widths: [0, 0.6, 3, 14] },
  minor: { fill: '#ffffff', casing: '#d5cec2', widths: [0, 0.4, 2.2, 11] },
  service: { fill: '#ffffff', casing: '#dad4ca', widths: [0, 0.2, 1.2, 6] },
};
const ROAD_CLASSES = Object.keys(ROADS);
const PATH_CLASSES = ['path', 'track'];
// tilemaker writes OSM's railway=* value as the class; abandoned lines and platforms are left out.
const RAIL_CLASSES = ['rail', 'light_rail', 'narrow_gauge', 'preserved', 'funicular', 'monorail', 'subway'];

/** A value per feature `class`; the cast is needed because TypeScript cannot type a spread `match`. */
function byClass(values: Record<string, string | number>, fallback: string | number): ExpressionSpecification {
  const cases = Object.entries(values).flat();
  return ['match', ['get', 'class'], ...cases, fallback] as unknown[] as ExpressionSpecification;
}

function isClass(classes: string[]): ExpressionSpecification {
  return ['match', ['get', 'class'], classes, true, false];
}

function brunnelIs(kind: 'bridge' | 'tunnel'): ExpressionSpecification {
  return ['==', ['get', 'brunnel'], kind];
}

function notBrunnel(kind: 'bridge' | 'tunnel'): ExpressionSpecification {
  return ['!=', ['get', 'brunnel'], kind];
}

function roadWidth(edge: readonly number[] = [0, 0, 0, 0]): ExpressionSpecification {
  const stops = WIDTH_ZOOMS.flatMap((zoom, i) => [
    zoom,
    byClass(Object.fromEntries(ROAD_CLASSES.map((c) => [c, ROADS[c].widths[i] + edge[i]])), 0),
  ]);
  return ['interpolate', ['exponential', 1.4], ['zoom'], ...stops] as unknown[] as ExpressionSpecification;
}

function byZoom(stops: Record<number, number>): ExpressionSpecification {
  const flat = Object.entries(stops).flatMap(([zoom, value]) => [Number(zoom), value]);
  return ['interpolate', ['exponential', 1.4], ['zoom'], ...flat] as unknown[] as ExpressionSpecification;
}

const roadColour = (key: 'fill' | 'casing') =>
  byClass(Object.fromEntries(ROAD_CLASSES.map((c) => [c, ROADS[c][key]])), '#ffffff');
const roadRank = byClass(Object.fromEntries(ROAD_CLASSES.map((c, i) => [c, ROAD_CLASSES.length - i])), 0);

/** The casing and fill of the surface roads or of the bridges, drawn as one pair so junctions merge. */
function roadPair(id: string, filter: ExpressionSpecification): LayerSpecification[] {
  const layout: LineLayerSpecification['layout'] = {
    'line-cap': 'round',
    'line-join': 'round',
    'line-sort-key': roadRank,
  };
  return [
    {
      id: `${id}-casing`,
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter,
      layout,
      paint: {
        'line-color': roadColour('casing'),
        'line-width': roadWidth(CASING_EDGE),
        // Casings on hairline roads only thicken the lines of a zoomed-out map.
        'line-opacity': ['interpolate', ['linear'], ['zoom'], 9, 0, 11, 1],
      },
    },
    {
      id,
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter,
      layout,
      paint: { 'line-color': roadColour('fill'), 'line-width': roadWidth() },
    },
  ];
}

interface LabelOptions extends Partial<Pick<SymbolLayerSpecification, 'filter' | 'minzoom' | 'maxzoom'>> {
  layout?: SymbolLayerSpecification['layout'];
  font?: string[];
}

/** A text-only label: the app has no sprite sheet, so there are no icons. */
function label(
  id: string,
  sourceLayer: string,
  text: ExpressionSpecification,
  size: ExpressionSpecification | number,
  colour: string,
  { layout, font, ...rest }: LabelOptions = {},
): SymbolLayerSpecification {
  return {
    id,
    type: 'symbol',
    source: SOURCE,
    'source-layer': sourceLayer,
    ...rest,
    layout: { 'text-field': text, 'text-font': font ?? SANS, 'text-size': size, ...layout },
    paint: { 'text-color': colour, 'text-halo-color': HALO, 'text-halo-width': 1.4 },
  };
}

// Labels later in the list are placed first, so the order of the label layers is their priority.
function packLayers(): LayerSpecification[] {
  return [
    // Residential land goes under the land cover so that parks and woods inside it stay green.
    {
      id: 'landuse-residential',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'landuse',
      filter: ['==', ['get', 'class'], 'residential'],
      paint: { 'fill-color': '#e9e6e0', 'fill-opacity': ['interpolate', ['linear'], ['zoom'], 6, 0.8, 14, 0.5] },
    },
    {
      id: 'landcover',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'landcover',
      paint: {
        // Glaciers and ice shelves from Natural Earth come with a subclass but no class: the fallback.
        'fill-color': byClass(
          { wood: '#d9e6cc', grass: '#e1ecd5', wetland: '#dde9e3', sand: '#efe9d8', farmland: '#eceedb' },
          '#f6f9fa',
        ),
      },
    },
    {
      id: 'landuse',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'landuse',
      filter: ['!=', ['get', 'class'], 'residential'],
      paint: {
        'fill-color': byClass(
          {
            commercial: '#eeeae6',
            retail: '#eeeae6',
            industrial: '#ebe8e4',
            railway: '#ebe8e4',
            bus_station: '#ebe8e4',
            school: '#f0ebdd',
            kindergarten: '#f0ebdd',
            college: '#f0ebdd',
            university: '#f0ebdd',
            library: '#f0ebdd',
            hospital: '#f2e6e4',
            cemetery: '#dfe6d7',
            military: '#ede6e3',
            pitch: '#e1ecd5',
            playground: '#e1ecd5',
            stadium: '#e1ecd5',
            theme_park: '#e1ecd5',
            zoo: '#e1ecd5',
          },
          '#ece9e3',
        ),
      },
    },
    {
      id: 'park',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'park',
      paint: { 'fill-color': '#dcebd0', 'fill-opacity': 0.35, 'fill-outline-color': '#b9d2a5' },
    },
    {
      id: 'water',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'water',
      paint: { 'fill-color': '#bcd6e8' },
    },
    {
      id: 'waterway',
      type: 'line',
      source: SOURCE,
      'source-layer': 'waterway',
      // Culverts run underground; drawn, they would look like streams across streets and yards.
      filter: notBrunnel('tunnel'),
      layout: { 'line-cap': 'round', 'line-join': 'round' },
      paint: {
        'line-color': '#aecbe0',
        'line-width': [
          'interpolate',
          ['exponential', 1.4],
          ['zoom'],
          8,
          byClass({ river: 0.8, canal: 0.6 }, 0.2),
          14,
          byClass({ river: 3, canal: 2.5, stream: 1.2 }, 0.8),
          19,
          byClass({ river: 10, canal: 8, stream: 4 }, 2.5),
        ],
      },
    },
    {
      id: 'pier',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', ['==', ['get', 'class'], 'pier'], ['==', ['geometry-type'], 'Polygon']],
      paint: { 'fill-color': BACKGROUND, 'fill-outline-color': '#d5cec2' },
    },
    {
      id: 'pier-line',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', ['==', ['get', 'class'], 'pier'], ['==', ['geometry-type'], 'LineString']],
      paint: { 'line-color': BACKGROUND, 'line-width': byZoom({ 12: 1, 19: 8 }) },
    },
    {
      id: 'aeroway-area',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'aeroway',
      filter: ['==', ['geometry-type'], 'Polygon'],
      paint: { 'fill-color': '#e7e5eb' },
    },
    {
      id: 'aeroway-runway',
      type: 'line',
      source: SOURCE,
      'source-layer': 'aeroway',
      filter: ['all', ['==', ['geometry-type'], 'LineString'], isClass(['runway', 'taxiway'])],
      paint: {
        'line-color': '#d9d7df',
        'line-width': [
          'interpolate',
          ['exponential', 1.4],
          ['zoom'],
          11,
          byClass({ runway: 2 }, 0.5),
          19,
          byClass({ runway: 40 }, 12),
        ],
      },
    },
    // Tunnels go under the buildings, where they are; a faint line still shows where a road leads.
    {
      id: 'road-tunnel',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', isClass(ROAD_CLASSES), brunnelIs('tunnel')],
      layout: { 'line-join': 'round' },
      paint: { 'line-color': roadColour('casing'), 'line-width': roadWidth(), 'line-opacity': 0.4 },
    },
    {
      id: 'building',
      type: 'fill',
      source: SOURCE,
      'source-layer': 'building',
      minzoom: 13,
      paint: {
        'fill-color': '#e3dcd2',
        'fill-outline-color': '#cfc5b8',
        'fill-opacity': ['interpolate', ['linear'], ['zoom'], 13, 0.5, 15, 1],
      },
    },
    {
      id: 'path',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', isClass(PATH_CLASSES), notBrunnel('tunnel')],
      paint: {
        'line-color': byClass({ track: '#b9ab94' }, '#bcb2a4'),
        'line-width': byZoom({ 14: 0.8, 19: 2 }),
        'line-dasharray': [3, 2],
        // City footways (every sidewalk is one) would be a dense web when zoomed out.
        'line-opacity': ['interpolate', ['linear'], ['zoom'], 14, 0.5, 16, 1],
      },
    },
    ...roadPair('road', ['all', isClass(ROAD_CLASSES), notBrunnel('tunnel'), notBrunnel('bridge')]),
    {
      id: 'rail',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', isClass(RAIL_CLASSES), notBrunnel('tunnel')],
      paint: { 'line-color': '#bab5ad', 'line-width': byZoom({ 9: 0.5, 14: 1.2, 19: 2.5 }) },
    },
    {
      id: 'rail-hatch',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', isClass(RAIL_CLASSES), notBrunnel('tunnel')],
      minzoom: 13,
      paint: { 'line-color': '#bab5ad', 'line-width': byZoom({ 13: 3, 19: 7 }), 'line-dasharray': [0.2, 8] },
    },
    {
      id: 'tram',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['all', ['==', ['get', 'class'], 'tram'], notBrunnel('tunnel')],
      minzoom: 13,
      paint: { 'line-color': '#c4bfb8', 'line-width': byZoom({ 13: 0.5, 19: 1.6 }) },
    },
    {
      id: 'ferry',
      type: 'line',
      source: SOURCE,
      'source-layer': 'transportation',
      filter: ['==', ['get', 'class'], 'ferry'],
      paint: { 'line-color': '#9dbdd6', 'line-width': 1, 'line-dasharray': [2, 2] },
    },
    ...roadPair('bridge', ['all', isClass(ROAD_CLASSES), brunnelIs('bridge')]),
    {
      id: 'boundary',
      type: 'line',
      source: SOURCE,
      'source-layer': 'boundary',
      paint: {
        'line-color': '#a49eb0',
        'line-dasharray': [4, 2],
        // City districts (admin levels 9 and 10) stay faint: useful for orientation, not a barrier.
        'line-width': ['step', ['get', 'admin_level'], 1.4, 5, 1, 9, 0.7],
        'line-opacity': ['step', ['get', 'admin_level'], 0.8, 9, 0.45],
      },
    },
    label('water-name-line', 'water_name', NAME, byZoom({ 13: 11, 18: 13 }), '#5a83a8', {
      filter: ['==', ['geometry-type'], 'LineString'],
      layout: { 'symbol-placement': 'line', 'text-letter-spacing': 0.1 },
    }),
    label('water-name', 'water_name', NAME, byZoom({ 13: 11, 18: 14 }), '#5a83a8', {
      filter: ['==', ['geometry-type'], 'Point'],
      layout: { 'text-max-width': 8, 'text-letter-spacing': 0.1 },
    }),
    label('path-name', 'transportation_name', NAME, 10, '#7a7268', {
      filter: isClass(PATH_CLASSES),
      minzoom: 16,
      layout: { 'symbol-placement': 'line', 'symbol-spacing': 300 },
    }),
    label('street-name', 'transportation_name', NAME, byZoom({ 13: 10.5, 16: 12, 18: 13 }), '#4a4540', {
      filter: isClass(ROAD_CLASSES),
      minzoom: 13,
      layout: { 'symbol-placement': 'line', 'symbol-spacing': 300, 'text-max-angle': 30 },
    }),
    label('housenumber', 'housenumber', ['get', 'housenumber'], 10, '#8c8379', {
      minzoom: 17,
      layout: { 'text-padding': 1 },
    }),
    // Stop positions come in pairs, one per direction, and would crowd out the shops and offices
    // that canvassers look for; stations keep their names.
    label('poi', 'poi', NAME, 10.5, '#857a6f', {
      filter: ['!', ['match', ['get', 'subclass'], ['bus_stop', 'tram_stop'], true, false]],
      minzoom: 16,
      layout: { 'text-max-width': 8, 'symbol-sort-key': ['get', 'rank'] },
    }),
    label('aerodrome', 'aerodrome_label', NAME, 11, '#6b6478', { minzoom: 10, layout: { 'text-max-width': 8 } }),
    label('place-region', 'place', NAME, byZoom({ 2: 10, 6: 14 }), '#7b7486', {
      filter: isClass(['country', 'state']),
      maxzoom: 10,
      layout: { 'text-transform': 'uppercase', 'text-letter-spacing': 0.1, 'text-max-width': 8 },
    }),
    label('place-minor', 'place', NAME, byZoom({ 13: 10.5, 17: 12 }), '#6e6860', {
      filter: isClass([
        'neighbourhood',
        'quarter',
        'locality',
        'hamlet',
        'isolated_dwelling',
        'island',
        'islet',
        'square',
      ]),
      minzoom: 13,
      layout: { 'text-max-width': 8 },
    }),
    label('place-suburb', 'place', NAME, byZoom({ 11: 10, 16: 12.5 }), '#6e6860', {
      filter: isClass(['suburb', 'borough']),
      minzoom: 11,
      maxzoom: 17,
      layout: { 'text-transform': 'uppercase', 'text-letter-spacing': 0.08, 'text-max-width': 8 },
    }),
    label('place-town', 'place', NAME, byZoom({ 8: 10, 14: 14 }), '#45413c', {
      filter: isClass(['town', 'village']),
      maxzoom: 16,
      layout: { 'text-max-width': 8 },
    }),
    label('place-city', 'place', NAME, byZoom({ 5: 11, 10: 14, 14: 18 }), '#33302c', {
      filter: isClass(['city']),
      maxzoom: 15,
      font: BOLD,
      layout: { 'text-max-width': 8 },
    }),
  ];
}

export function basemapStyle(options: BasemapOptions): StyleSpecification {
  const background: LayerSpecification = {
    id: 'background',
    type: 'background',
    paint: { 'background-color': BACKGROUND },
  };
  const style: StyleSpecification = {
    version: 8,
    name: 'Census offline basemap',
    glyphs: options.glyphs,
    sources: {},
    layers: [background],
  };
  if (options.tiles === null) return style;
  const source: VectorSourceSpecification = {
    type: 'vector',
    tiles: [options.tiles],
    minzoom: 0,
    maxzoom: options.maxzoom ?? 14,
    attribution: OSM_ATTRIBUTION,
    ...(options.bounds ? { bounds: options.bounds } : {}),
  };
  return { ...style, sources: { [SOURCE]: source }, layers: [background, ...packLayers()] };
}
