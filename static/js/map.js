/* A map of shelters (and the member's home and position), or a map on which an officer picks
   a household's place. Data comes from the page's #map-data; Leaflet is static/vendor. */
"use strict";
(function () {
  const box = document.getElementById("map");
  const source = document.getElementById("map-data");
  if (!box || !source || !window.L) return;
  const data = JSON.parse(source.textContent);
  const offline = document.getElementById("map-offline");
  const needsNetwork = () => { if (offline) offline.hidden = false; };
  if (!navigator.onLine) needsNetwork();

  const map = L.map(box, { scrollWheelZoom: false });
  let failed = 0;
  L.tileLayer(data.tiles, { attribution: data.attribution, maxZoom: data.max_zoom })
    .on("tileerror", () => { failed += 1; if (failed >= 2) needsNetwork(); })
    .addTo(map);

  const COLORS = { open: "#1a7f37", full: "#c45c00", unknown: "#6b6b6b", closed: "#111111" };
  const dot = (at, color, radius) => L.circleMarker(at, {
    radius: radius || 10, color: "#ffffff", weight: 2, fillColor: color, fillOpacity: 0.95,
  }).addTo(map);
  const text = (tag, value, className) => {
    const el = document.createElement(tag);
    el.textContent = value;
    if (className) el.className = className;
    return el;
  };
  const points = [];

  (data.shelters || []).forEach((s) => {
    const popup = document.createElement("div");
    popup.append(text("strong", s.name), document.createElement("br"), text("span", s.state_label));
    if (s.capacity !== null && s.capacity !== undefined) {
      popup.append(" ", text("span", data.labels.people.replace("%(people)s", s.people).replace("%(capacity)s", s.capacity)));
    }
    if (s.state !== "closed") {
      const link = text("a", data.labels.directions, "directions");
      link.href = s.directions;
      link.rel = "noopener";
      popup.append(document.createElement("br"), link);
    }
    dot([s.lat, s.lon], COLORS[s.state] || COLORS.unknown).bindPopup(popup).bindTooltip(s.name);
    points.push([s.lat, s.lon]);
  });

  // An officer's map of a household: a tap puts the place in the form's 緯度/経度 fields.
  const form = data.pick ? document.getElementById(data.pick) : null;
  let home = null;
  if (data.home) {
    home = dot(data.home, "#c8102e", 9).bindTooltip(data.labels.home);
    points.push(data.home);
  }
  if (form) {
    map.on("click", (event) => {
      const at = [event.latlng.lat, event.latlng.lng];
      form.elements.lat.value = at[0].toFixed(6);
      form.elements.lon.value = at[1].toFixed(6);
      if (home) home.setLatLng(at);
      else home = dot(at, "#c8102e", 9).bindTooltip(data.labels.home);
    });
  }

  if (points.length > 1) map.fitBounds(points, { padding: [24, 24], maxZoom: 16 });
  else if (points.length === 1) map.setView(points[0], 16);
  else if (data.centre) map.setView(data.centre, 15);
  else map.setView([35.681, 139.767], 12);

  if (!form && navigator.geolocation) {
    navigator.geolocation.getCurrentPosition((pos) => {
      const at = [pos.coords.latitude, pos.coords.longitude];
      dot(at, "#1558d6", 8).bindTooltip(data.labels.here);
    }, () => {}, { timeout: 10000, maximumAge: 60000 });
  }
})();
