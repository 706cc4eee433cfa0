import { createExpression, featureFilter, validateStyleMin } from '@maplibre/maplibre-gl-style-spec';
import type { LayerSpecification, StyleSpecification } from 'maplibre-gl';
import { describe, expect, it } from 'vitest';
import { BASEMAP_FONT, BASEMAP_FONT_BOLD, OSM_ATTRIBUTION, basemapStyle } from './basemap_style';

// The layers tilemaker 2.2's example profile writes, from the Debian package's
// /usr/share/doc/tilemaker/examples/config-openmaptiles.json once `write_to` is followed
// (poi_detail → poi, ocean → water, urban_areas → landuse, glacier → landcover, …).
const TILE_LAYERS = [
  'place',
  'boundary',
  'poi',
  'housenumber',
  'waterway',
  'transportation',
  'transportation_name',
  'building',
  'water',
  'water_name',
  'aeroway',
  'aerodrome_label',
  'park',
  'landuse',
  'landcover',
  'mountain_peak',
];

const TILES = 'census-map://localhost/tiles/{z}/{x}/{y}.pbf';
const GLYPHS = 'census-map://localhost/glyphs/{fontstack}/{range}.pbf';
const withPack = basemapStyle({ tiles: TILES, glyphs: GLYPHS, bounds: [24.93, 60.16, 24.96, 60.18] });
const noPack = basemapStyle({ tiles: null, glyphs: GLYPHS });

function layer(style: StyleSpecification, id: string): LayerSpecification {
  const found = style.layers.find((l) => l.id === id);
  if (!found) throw new Error(`no layer ${id}`);
  return found;
}

/** Whether the layer's filter lets a tile feature through at a zoom level. */
function passes(l: LayerSpecification, zoom: number, type: 'Point' | 'LineString', properties: object): boolean {
  const filter = 'filter' in l ? l.filter : undefined;
  return featureFilter(filter, 'filter').filter({ zoom }, { type, properties });
}

function textOf(l: LayerSpecification, properties: object): unknown {
  if (l.type !== 'symbol') throw new Error(`${l.id} is no label`);
  const compiled = createExpression(l.layout?.['text-field'], 'text-field');
  if (compiled.result === 'error') throw new Error(compiled.value.map((e) => e.message).join('; '));
  return compiled.value.evaluate({ zoom: 16 }, { type: 'Point', properties });
}

describe('basemapStyle', () => {
  it('is a valid MapLibre style, with and without a map pack', () => {
    expect(validateStyleMin(withPack).map((e) => e.message)).toEqual([]);
    expect(validateStyleMin(noPack).map((e) => e.message)).toEqual([]);
    const zoomed = basemapStyle({ tiles: TILES, glyphs: GLYPHS, bounds: null, maxzoom: 12 });
    expect(validateStyleMin(zoomed).map((e) => e.message)).toEqual([]);
  });

  it('reads the pack through one vector source that says where the data comes from', () => {
    expect(withPack.sources).toEqual({
      basemap: {
        type: 'vector',
        tiles: [TILES],
        minzoom: 0,
        maxzoom: 14,
        attribution: OSM_ATTRIBUTION,
        bounds: [24.93, 60.16, 24.96, 60.18],
      },
    });
    const other = basemapStyle({ tiles: TILES, glyphs: GLYPHS, maxzoom: 12 }).sources.basemap;
    expect(other).toMatchObject({ maxzoom: 12 });
    expect(other).not.toHaveProperty('bounds');
    expect(withPack.glyphs).toBe(GLYPHS);
  });

  it('draws only a background when there is no pack', () => {
    expect(noPack.sources).toEqual({});
    expect(noPack.layers.map((l) => l.type)).toEqual(['background']);
    expect(noPack.glyphs).toBe(GLYPHS);
  });

  it('uses only layers the tiles contain', () => {
    const vector = withPack.layers.filter((l) => l.type !== 'background');
    expect(vector.length).toBeGreaterThan(20);
    for (const l of vector) {
      expect('source' in l && l.source in withPack.sources, l.id).toBe(true);
      expect(TILE_LAYERS, l.id).toContain('source-layer' in l ? l['source-layer'] : undefined);
    }
  });

  it('needs nothing the app does not serve: no sprite, no icons, only its two fonts', () => {
    for (const style of [withPack, noPack]) {
      expect(style).not.toHaveProperty('sprite');
      expect(JSON.stringify(style)).not.toContain('icon-image');
    }
    const labels = withPack.layers.filter((l) => l.type === 'symbol');
    expect(labels.length).toBeGreaterThan(5);
    for (const l of labels) {
      expect([[BASEMAP_FONT], [BASEMAP_FONT_BOLD]], l.id).toContainEqual(l.layout?.['text-font']);
    }
  });

  it('keeps to flat, cheap layer types and puts every label above every shape', () => {
    const types = withPack.layers.map((l) => l.type);
    expect(new Set(types)).toEqual(new Set(['background', 'fill', 'line', 'symbol']));
    expect(types.slice(types.indexOf('symbol')).every((t) => t === 'symbol')).toBe(true);
  });

  it('names streets from the `name:latin` key tilemaker writes, along the line', () => {
    const street = layer(withPack, 'street-name');
    const properties = { class: 'minor', 'name:latin': 'Fredrikinkatu', network: 'road' };
    expect(passes(street, 15, 'LineString', properties)).toBe(true);
    expect(textOf(street, properties)).toBe('Fredrikinkatu');
    expect(street.type === 'symbol' && street.layout?.['symbol-placement']).toBe('line');
    // Packs from other OpenMapTiles tools may carry only `name`.
    expect(textOf(street, { class: 'minor', name: 'Annankatu' })).toBe('Annankatu');
    expect(passes(street, 15, 'LineString', { class: 'rail', 'name:latin': 'Rantarata' })).toBe(false);
  });

  it('draws each road once: tunnels faintly, bridges above the streets they cross', () => {
    const road = layer(withPack, 'road');
    const tunnel = layer(withPack, 'road-tunnel');
    const bridge = layer(withPack, 'bridge');
    const surface = { class: 'primary' };
    const underground = { class: 'primary', brunnel: 'tunnel' };
    const raised = { class: 'primary', brunnel: 'bridge' };
    const drawn = (l: LayerSpecification) => [surface, underground, raised].map((p) => passes(l, 14, 'LineString', p));
    expect(drawn(road)).toEqual([true, false, false]);
    expect(drawn(tunnel)).toEqual([false, true, false]);
    expect(drawn(bridge)).toEqual([false, false, true]);
    const ids = withPack.layers.map((l) => l.id);
    expect(ids.indexOf('road-tunnel')).toBeLessThan(ids.indexOf('building'));
    expect(ids.indexOf('road')).toBeLessThan(ids.indexOf('bridge-casing'));
  });

  it('shows house numbers and points of interest only when zoomed in', () => {
    expect(layer(withPack, 'housenumber').minzoom).toBe(17);
    expect(textOf(layer(withPack, 'housenumber'), { housenumber: '12 B' })).toBe('12 B');
    const poi = layer(withPack, 'poi');
    expect(poi.minzoom).toBe(16);
    expect(passes(poi, 16, 'Point', { class: 'cafe', subclass: 'cafe', 'name:latin': 'Ekberg', rank: 25 })).toBe(true);
    const stop = { class: 'bus', subclass: 'bus_stop', 'name:latin': 'Rautatientori', rank: 3 };
    expect(passes(poi, 16, 'Point', stop)).toBe(false);
  });

  it('labels cities in the bold stack', () => {
    const city = layer(withPack, 'place-city');
    expect(passes(city, 12, 'Point', { class: 'city', 'name:latin': 'Helsinki' })).toBe(true);
    expect(city.type === 'symbol' && city.layout?.['text-font']).toEqual([BASEMAP_FONT_BOLD]);
    const suburb = { class: 'suburb', 'name:latin': 'Kamppi' };
    expect(passes(layer(withPack, 'place-suburb'), 13, 'Point', suburb)).toBe(true);
  });
});
