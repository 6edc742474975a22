// pactwatch map page: draws the offline basemap, the agreement's zones and the
// incidents (or observations) as clustered markers: shape by category
// family, colour by review status. Everything it needs comes
// from the #map element's data-* attributes, set by templates/map.html; no
// inline script, so the page runs under a strict Content-Security-Policy.
//
// When the basemap, the zones and the markers of the latest filter are all on
// the map it sets data-ready="true"; with data-marker-count, data-zone-count,
// data-basemap-features, data-render-ms (markers: request to drawn) and
// data-basemap-ms and data-ready-ms (since navigation start) on #map, the browser tests and
// the benchmark read what was drawn and how fast.
(function () {
  "use strict";
  var el = document.getElementById("map");
  if (!el || !window.L) { return; }
  var msgs = JSON.parse(el.dataset.messages || "{}");
  var lang = el.dataset.lang || "en";
  var statusEl = document.getElementById("map-status");
  var form = document.getElementById("map-filter");

  // Each load (the first, then each filter) has a generation; responses of
  // an older one are dropped.
  var generation = 0;

  function t(id) { return msgs[id] || id; }
  function plural(id, n) {
    var forms = msgs[id] || {};
    var text = forms[new Intl.PluralRules(lang).select(n)] || forms.other || id;
    return text.replace("{n}", n.toLocaleString(lang));
  }
  function say(text) { if (statusEl) { statusEl.textContent = text; } }
  function escapeHTML(s) {
    return String(s).replace(/[&<>"']/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c];
    });
  }
  function getJSON(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(function (r) {
      if (!r.ok) { throw new Error(url + ": HTTP " + r.status); }
      return r.json();
    });
  }

  var dateFmt;
  try {
    dateFmt = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short", timeZone: el.dataset.tz || "UTC" });
  } catch (e) {
    dateFmt = new Intl.DateTimeFormat(lang, { dateStyle: "long", timeStyle: "short" });
  }

  // Zoom 4 (Europe) to 14 (a village): markercluster builds one grid per
  // zoom level, so fewer levels load 10k markers faster.
  var map = L.map(el, { zoomSnap: 0.5, minZoom: 4, maxZoom: 14, keyboard: true, zoomControl: false });
  L.control.zoom({ zoomInTitle: t("map.zoom_in"), zoomOutTitle: t("map.zoom_out") }).addTo(map);
  map.attributionControl.setPrefix("Leaflet");
  map.attributionControl.addAttribution(escapeHTML(t("map.attribution")));
  // Ukraine and its neighbourhood until the zones load; then the view fits
  // the agreement's zones, whatever the conflict.
  map.fitBounds([[44.2, 22.1], [52.4, 40.3]]);
  var fitted = false;

  // Panes order the layers: land under zones under markers.
  map.createPane("basemap").style.zIndex = 200;
  map.createPane("zones").style.zIndex = 400;

  var basemapReady = getJSON(el.dataset.basemap).then(function (fc) {
    L.geoJSON(fc, {
      pane: "basemap",
      interactive: false,
      style: function (f) {
        return { className: f.properties && f.properties.name === "Ukraine" ? "basemap basemap-ua" : "basemap" };
      }
    }).addTo(map);
    el.dataset.basemapFeatures = String(fc.features.length);
    el.dataset.basemapMs = String(Math.round(performance.now()));
  });

  // Zones: one overlay per kind, switchable from the layers control.
  var zoneLayers = {};
  var layersControl = L.control.layers(null, {}, { collapsed: true }).addTo(map);
  var toggle = layersControl.getContainer().querySelector(".leaflet-control-layers-toggle");
  if (toggle) {
    toggle.title = t("map.layers");
    toggle.setAttribute("aria-label", t("map.layers"));
  }
  // Leaflet's popup close button speaks English; make it speak the page's language.
  map.on("popupopen", function (ev) {
    var close = ev.popup.getElement() && ev.popup.getElement().querySelector(".leaflet-popup-close-button");
    if (close) { close.setAttribute("aria-label", t("map.close")); close.title = t("map.close"); }
  });
  var known = ["territory", "controlled_area", "demilitarised", "withdrawal", "buffer", "holding_area", "party_line", "contact_line"];

  function zoneKind(f) {
    var k = f.properties && f.properties.kind;
    return known.indexOf(k) >= 0 ? k : "other";
  }

  // Each party's lines and areas take its colour (zone-p0, zone-p1, …).
  function zoneClass(f, kind) {
    var i = f.properties && f.properties.party_index;
    return "zone zone-" + kind + (typeof i === "number" ? " zone-p" + i : "");
  }

  function loadZones(url) {
    var gen = generation;
    return getJSON(url).then(function (fc) {
      if (gen !== generation) { return; } // a newer filter is loading
      Object.keys(zoneLayers).forEach(function (k) {
        layersControl.removeLayer(zoneLayers[k]);
        map.removeLayer(zoneLayers[k]);
      });
      zoneLayers = {};
      var count = 0;
      // Areas first, lines on top, in the order of the legend.
      known.concat(["other"]).forEach(function (kind) {
        var feats = fc.features.filter(function (f) { return zoneKind(f) === kind; });
        if (!feats.length) { return; }
        var layer = L.geoJSON({ type: "FeatureCollection", features: feats }, {
          pane: "zones",
          style: function (f) { return { className: zoneClass(f, kind) }; },
          pointToLayer: function (f, latlng) {
            return L.circleMarker(latlng, { pane: "zones", radius: 7, className: zoneClass(f, kind) });
          },
          onEachFeature: function (f, l) {
            var p = f.properties || {};
            var name = p.name || p.id || "";
            var html = "<strong>" + escapeHTML(t("zone." + kind)) + "</strong>";
            if (name) { html += "<br>" + escapeHTML(name); }
            if (p.phase) { html += "<br>" + escapeHTML(p.phase); }
            if (p.inventory) {
              html += "<br>" + escapeHTML(t("map.inventory")) + ":";
              Object.keys(p.inventory).sort().forEach(function (w) {
                html += "<br>" + escapeHTML(t("weapon." + w)) + ": " + Number(p.inventory[w]).toLocaleString(lang);
              });
            }
            if (p.illustrative) { html += "<br><em>" + escapeHTML(t("map.illustrative")) + "</em>"; }
            l.bindTooltip(html, { sticky: true });
          }
        }).addTo(map);
        zoneLayers[kind] = layer;
        layersControl.addOverlay(layer, escapeHTML(t("zone." + kind)));
        count += feats.length;
      });
      el.dataset.zoneCount = String(count);
      if (!fitted && count > 0) {
        fitted = true;
        var bounds = L.latLngBounds([]);
        Object.keys(zoneLayers).forEach(function (k) { bounds.extend(zoneLayers[k].getBounds()); });
        if (bounds.isValid()) { map.fitBounds(bounds, { padding: [12, 12], animate: false }); }
      }
    });
  }

  // Markers. One divIcon per (family, status): the shape is the family's
  // symbol in the sprite (static/img/markers.svg), the fill the status's
  // colour (static/css/map.css).
  var sprite = el.dataset.sprite || "";
  var icons = {};
  function icon(family, status) {
    var key = family + "|" + status;
    if (!icons[key]) {
      icons[key] = L.divIcon({
        className: "pw-marker pw-fam-" + family + " pw-st-" + status,
        iconSize: [18, 18],
        html: '<svg aria-hidden="true" focusable="false"><use href="' + escapeHTML(sprite + "#fam-" + family) + '"></use></svg>'
      });
    }
    return icons[key];
  }
  // chunkedLoading adds markers in slices of chunkInterval ms so the page
  // stays responsive; chunkProgress tells when the last slice is in.
  var chunksDone = null;
  var cluster = L.markerClusterGroup({
    chunkedLoading: true,
    chunkInterval: 200,
    chunkDelay: 0,
    chunkProgress: function (processed, total) {
      if (processed === total && chunksDone) {
        var done = chunksDone;
        chunksDone = null;
        done();
      }
    },
    showCoverageOnHover: false,
    // Clusters are drawn in a neutral colour (static/css/map.css): the
    // plugin's default green-yellow-orange by size would read as statuses.
    iconCreateFunction: function (c) {
      var n = c.getChildCount();
      var size = n < 10 ? "small" : n < 100 ? "medium" : "large";
      return L.divIcon({ html: "<div><span>" + n + "</span></div>", className: "marker-cluster pw-cluster pw-cluster-" + size, iconSize: L.point(40, 40) });
    },
    maxClusterRadius: 50,
    spiderfyOnMaxZoom: true
  }).addTo(map);

  function popup(row, col) {
    var div = document.createElement("div");
    div.className = "pw-popup";
    var dl = document.createElement("dl");
    function item(label, value) {
      var dt = document.createElement("dt");
      dt.textContent = label;
      var dd = document.createElement("dd");
      dd.textContent = value;
      dl.appendChild(dt);
      dl.appendChild(dd);
    }
    item(t("popup.kind"), t("kind." + row[col.kind]));
    item(t("popup.time"), dateFmt.format(new Date(row[col.time] * 1000)));
    // An incident's last report ends later: say until when.
    if (row[col.until] > row[col.time] + 60) { item(t("popup.until"), dateFmt.format(new Date(row[col.until] * 1000))); }
    item(t("popup.category"), t("category." + row[col.category]));
    item(t("popup.status"), t("status." + row[col.status]));
    if (row[col.count] > 1) { item(t("popup.count"), row[col.count].toLocaleString(lang)); }
    if (row[col.observer]) {
      item(t("popup.uncertainty"), t("popup.from_observer"));
    } else if (row[col.radius_km] > 0) {
      item(t("popup.uncertainty"), t("popup.within").replace("{km}", Number(row[col.radius_km]).toLocaleString(lang, { maximumFractionDigits: 1 })));
    }
    if (row[col.grade]) { item(t("popup.grade"), row[col.grade]); }
    if (row[col.reports] > 0) { item(t("popup.reports"), row[col.reports].toLocaleString(lang)); }
    div.appendChild(dl);
    if (row[col.summary]) {
      var p = document.createElement("p");
      p.textContent = row[col.summary]; // narratives are shown as submitted
      div.appendChild(p);
    }
    var url = row[col.url];
    if (url && url.charAt(0) === "/" && url.charAt(1) !== "/") { // same-origin paths only
      var a = document.createElement("a");
      a.href = url;
      a.textContent = t("popup.details");
      div.appendChild(a);
    }
    return div;
  }

  // One popup for all markers, filled on click (or Enter on a focused
  // marker): binding a popup to each of 10k markers costs more than drawing them.
  var col = {};
  var detail = L.popup({ maxWidth: 320 });
  // The open incident's uncertainty: a dashed circle of its radius, drawn
  // while its details are open.
  var uncertainty = null;
  function clearUncertainty() {
    if (uncertainty) { map.removeLayer(uncertainty); uncertainty = null; }
  }
  map.on("popupclose", clearUncertainty);
  function openDetail(ev) {
    if (!ev.layer || !ev.layer.row) { return; }
    var row = ev.layer.row;
    detail.setLatLng(ev.layer.getLatLng()).setContent(popup(row, col)).openOn(map);
    clearUncertainty();
    if (row[col.radius_km] > 0 && !row[col.observer]) {
      uncertainty = L.circle(ev.layer.getLatLng(), { radius: row[col.radius_km] * 1000, interactive: false, className: "pw-uncertainty" }).addTo(map);
    }
  }
  cluster.on("click", openDetail);
  cluster.on("keypress", function (ev) {
    var e = ev.originalEvent;
    if (e && (e.key === "Enter" || e.keyCode === 13)) { openDetail(ev); }
  });

  // loadMarkers fetches the markers at once but clusters them only once
  // viewReady has settled: on the first load the view then already fits
  // the zones, so the markers are clustered once, at the final zoom,
  // rather than again (animated) when the view moves.
  function loadMarkers(url, viewReady) {
    var gen = generation;
    var start = performance.now();
    say(t("map.loading"));
    return Promise.all([getJSON(url), viewReady]).then(function (got) {
      var data = got[0];
      if (gen !== generation) { return; }
      col = {};
      data.columns.forEach(function (c, i) { col[c] = i; });
      var markers = new Array(data.markers.length);
      for (var i = 0; i < data.markers.length; i++) {
        var row = data.markers[i];
        var m = L.marker([row[col.lat], row[col.lon]], {
          icon: icon(row[col.family], row[col.status]),
          title: t("category." + row[col.category]),
          keyboard: true
        });
        m.row = row;
        markers[i] = m;
      }
      cluster.clearLayers();
      return new Promise(function (resolve) {
        if (!markers.length) { resolve(); return; }
        chunksDone = resolve;
        cluster.addLayers(markers);
      }).then(function () {
        if (gen !== generation) { return; }
        var n = markers.length;
        var text = plural("map.shown", n);
        if (data.truncated) { text += " " + t("map.truncated").replace("{n}", n.toLocaleString(lang)); }
        say(text);
        summarise(data.markers);
        el.dataset.markerCount = String(n);
        el.dataset.renderMs = String(Math.round(performance.now() - start));
      });
    });
  }

  // The table under the filters says in words what the map shows: markers
  // and events per category, most first. Screen readers read it instead of
  // the map.
  function summarise(rows) {
    var body = document.querySelector("#map-summary tbody");
    if (!body) { return; }
    var by = {};
    rows.forEach(function (r) {
      var c = r[col.category];
      by[c] = by[c] || { markers: 0, events: 0 };
      by[c].markers++;
      by[c].events += r[col.count];
    });
    var cats = Object.keys(by).sort(function (a, b) { return by[b].events - by[a].events; });
    body.textContent = "";
    cats.forEach(function (c) {
      var tr = document.createElement("tr");
      [t("category." + c), by[c].markers.toLocaleString(lang), by[c].events.toLocaleString(lang)].forEach(function (v, i) {
        var cell = document.createElement(i === 0 ? "th" : "td");
        if (i === 0) { cell.scope = "row"; } else { cell.className = "num"; }
        cell.textContent = v;
        tr.appendChild(cell);
      });
      body.appendChild(tr);
    });
  }

  function fail(err) {
    say(t("map.error"));
    el.dataset.error = String(err && err.message || err);
    if (window.console) { console.error(err); }
  }

  // data-ready is "true" once the latest load (the first, or the latest
  // filter) has drawn everything; an older load finishing late does not count.
  function load(start) {
    var gen = ++generation;
    el.dataset.ready = "false";
    return Promise.all(start()).then(function () {
      if (gen === generation) {
        el.dataset.readyMs = String(Math.round(performance.now()));
        el.dataset.ready = "true";
      }
    }).catch(fail);
  }

  load(function () {
    var zones = loadZones(el.dataset.zones);
    return [basemapReady, zones, loadMarkers(el.dataset.markers, zones.catch(function () {}))];
  });

  // The filter form reloads only the data; the URL keeps the filter so it
  // can be shared, and the language links follow it on the next load.
  if (form) {
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var q = new URLSearchParams(new FormData(form));
      Array.from(q.keys()).forEach(function (k) { if (!q.get(k)) { q.delete(k); } });
      history.replaceState(null, "", "/map?" + q.toString());
      document.querySelectorAll("a[data-lang]").forEach(function (a) {
        var lq = new URLSearchParams(q);
        lq.set("lang", a.dataset.lang);
        a.href = "/map?" + lq.toString();
      });
      var to = q.get("to") || "";
      load(function () {
        return [
          loadZones("/map/zones.geojson" + (to ? "?at=" + encodeURIComponent(to) : "")),
          loadMarkers("/map/markers.json?" + q.toString(), null)
        ];
      });
    });
  }
})();
