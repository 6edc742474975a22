// Converts world-atlas's countries-50m.json (TopoJSON) into the web UI's
// offline basemap (GeoJSON), drawing Ukraine's internationally recognised
// borders. Run by scripts/vendor-web-assets.sh:
//   node scripts/vendor-basemap.cjs TOPOJSON_CLIENT_DIR COUNTRIES_50M_JSON OUT_GEOJSON
//
// world-atlas 2.x puts Crimea (with Sevastopol) in Russia's MultiPolygon. We
// take the Russian polygons lying inside Crimea's bounding box out of
// Russia's geometry and merge them with Ukraine's through topojson-client's
// merge, which dissolves the arcs the two shapes share: there is no line left
// at Perekop, only Ukraine's outer border. The Go test in web/basemap_test.go
// checks the result.
"use strict";
const fs = require("fs");
const [topojsonDir, input, output] = process.argv.slice(2);
if (!output) {
  console.error("usage: node vendor-basemap.cjs TOPOJSON_CLIENT_DIR COUNTRIES_50M_JSON OUT_GEOJSON");
  process.exit(2);
}
const topojson = require(require("path").resolve(topojsonDir));
const topo = JSON.parse(fs.readFileSync(input, "utf8"));

const UKRAINE = "804", RUSSIA = "643";
// Crimea, Sevastopol and the Arabat Spit; the Taman peninsula (Russia) is part
// of Russia's mainland polygon, whose box is far larger, so it never fits.
const CRIMEA_BOX = [32.0, 44.0, 36.7, 46.3];
// Countries whose shape reaches into this box are kept: Europe, the Caucasus,
// the Middle East and North Africa — the neighbourhood of any map view.
const REGION = [-25, 27, 62, 72];

const geoms = topo.objects.countries.geometries;
const ua = geoms.find((g) => g.id === UKRAINE);
const ru = geoms.find((g) => g.id === RUSSIA);
if (!ua || !ru || ru.type !== "MultiPolygon") throw new Error("Ukraine or Russia missing from " + input);

function bbox(coords, box = [Infinity, Infinity, -Infinity, -Infinity]) {
  if (typeof coords[0] === "number") {
    box[0] = Math.min(box[0], coords[0]); box[1] = Math.min(box[1], coords[1]);
    box[2] = Math.max(box[2], coords[0]); box[3] = Math.max(box[3], coords[1]);
    return box;
  }
  for (const c of coords) bbox(c, box);
  return box;
}
const within = (b, box) => b[0] >= box[0] && b[1] >= box[1] && b[2] <= box[2] && b[3] <= box[3];
const intersects = (b, box) => b[0] <= box[2] && b[2] >= box[0] && b[1] <= box[3] && b[3] >= box[1];

const crimea = [], russia = [];
for (const poly of ru.arcs) {
  const f = topojson.feature(topo, { type: "Polygon", arcs: poly });
  (within(bbox(f.geometry.coordinates), CRIMEA_BOX) ? crimea : russia).push(poly);
}
if (crimea.length === 0) throw new Error("no Crimean polygon found in Russia's geometry: has world-atlas changed?");

const ukraine = topojson.merge(topo, [ua, ...crimea.map((arcs) => ({ type: "Polygon", arcs }))]);
const russiaGeom = topojson.feature(topo, { type: "MultiPolygon", arcs: russia }).geometry;

// Rounding to 0.001° (~100 m) is far finer than a 1:50m map shows and halves
// the file; rings that collapse to fewer than 4 points are dropped, and so
// are polygons outside the region.
function round(coords) {
  if (typeof coords[0] === "number") return [Math.round(coords[0] * 1000) / 1000, Math.round(coords[1] * 1000) / 1000];
  return coords.map(round);
}
function cleanRing(ring) {
  const out = [];
  for (const p of round(ring)) {
    const q = out[out.length - 1];
    if (!q || q[0] !== p[0] || q[1] !== p[1]) out.push(p);
  }
  return out.length >= 4 ? out : null;
}
function cleanPolygon(rings) {
  const out = [];
  for (let i = 0; i < rings.length; i++) {
    const r = cleanRing(rings[i]);
    if (r) out.push(r);
    else if (i === 0) return null; // no outer ring, no polygon
  }
  return out;
}
// inRegion keeps the polygons of a country that reach into REGION and whose
// middle is not far west of it: this drops Alaska's and Greenland's shapes,
// whose boxes span the map, and Russia's Pacific islands.
function inRegion(rings) {
  const b = bbox(rings[0]);
  return intersects(b, REGION) && (b[0] + b[2]) / 2 > REGION[0] - 5;
}
function clean(geometry) {
  const polys = geometry.type === "Polygon" ? [geometry.coordinates] : geometry.coordinates;
  const out = polys.filter(inRegion).map(cleanPolygon).filter(Boolean);
  if (out.length === 0) return null;
  return out.length === 1 ? { type: "Polygon", coordinates: out[0] } : { type: "MultiPolygon", coordinates: out };
}

const features = [];
for (const g of geoms) {
  let geometry;
  if (g.id === UKRAINE) geometry = ukraine;
  else if (g.id === RUSSIA) geometry = russiaGeom;
  else geometry = topojson.feature(topo, g).geometry;
  if (!geometry || !intersects(bbox(geometry.coordinates), REGION)) continue;
  geometry = clean(geometry);
  if (!geometry) continue;
  features.push({ type: "Feature", id: g.id || "", properties: { name: g.properties.name }, geometry });
}
features.sort((a, b) => a.properties.name.localeCompare(b.properties.name));

const fc = {
  type: "FeatureCollection",
  // Read by the web UI's attribution control and by anyone opening the file.
  metadata: {
    source: "world-atlas countries-50m.json (Natural Earth 1:50m, public domain)",
    changes: "Crimea and Sevastopol moved from Russia to Ukraine: internationally recognised borders (UNGA res. 68/262); coordinates rounded to 0.001 degrees; region " + REGION.join(","),
  },
  features,
};
// One feature per line: readable diffs when the data is upgraded.
const body = fc.features.map((f) => JSON.stringify(f)).join(",\n");
fs.writeFileSync(output, '{"type":"FeatureCollection","metadata":' + JSON.stringify(fc.metadata) + ',"features":[\n' + body + "\n]}\n");
console.error(`basemap: ${features.length} countries, ${crimea.length} Crimean polygon(s) moved to Ukraine, ${fs.statSync(output).size} bytes`);
