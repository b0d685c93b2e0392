// The national web map of diachi: MapLibre GL JS over /styles/diachi.json, a search box for postcodes and digital
// addresses, and a reverse-geocoding popup on click. Plain JS, no bundler; `maplibregl` is the global of
// /web/maplibre-gl/maplibre-gl.js.
(function () {
  'use strict';

  // All of Việt Nam, Hoàng Sa and Trường Sa included: the union of the 34 provinces' bounding boxes.
  const VIETNAM_BOUNDS = [[102.14, 7.18], [117.83, 23.4]];
  const POSTCODE = /^\d{5}$/;

  // Vietnamese messages for the API's stable error codes; the API's own (English) message is kept as the title.
  const MESSAGES = {
    postcode_not_found: 'Không có vùng bưu chính mang mã này.',
    invalid_postcode: 'Mã bưu chính gồm 5 chữ số.',
    invalid_digital_address: 'Địa chỉ số không hợp lệ.',
    invalid_check_character: 'Sai ký tự kiểm tra: mã có lỗi gõ (sai, thiếu, thừa hoặc đảo ký tự).',
    delivery_point_not_found: 'Không có điểm giao nhận này trong ô.',
    outside_coverage: 'Điểm nằm ngoài vùng phủ của Việt Nam.',
    invalid_coordinates: 'Toạ độ không hợp lệ.',
    not_ready: 'Dịch vụ đang khởi động, vui lòng thử lại sau giây lát.',
  };

  // The same for fetching a delivery plan; also by HTTP status, for answers without an error code.
  const PLAN_MESSAGES = {
    plan_not_found: 'Không có kế hoạch giao hàng mang mã này.',
    not_found: 'Máy chủ này không có API kế hoạch giao hàng.', // no such endpoint (not an unknown plan)
    unauthorized: 'Cần khoá API để tải kế hoạch.',
    invalid_key: 'Khoá API không hợp lệ.',
    forbidden: 'Khoá API này không có quyền delivery:plan.',
    rate_limited: 'Quá nhiều yêu cầu, vui lòng thử lại sau.',
    http_401: 'Cần khoá API để tải kế hoạch.',
    http_403: 'Khoá API không được phép tải kế hoạch này.',
    http_404: 'Không có kế hoạch giao hàng mang mã này.',
  };

  const $ = (id) => document.getElementById(id);
  const form = $('search');
  const input = $('search-input');
  const button = $('search-button');
  const errorBox = $('search-error');
  const resultBox = $('search-result');

  const map = new maplibregl.Map({
    container: 'map',
    style: '/styles/diachi.json',
    bounds: VIETNAM_BOUNDS,
    // keep the country clear of the search panel (top left) on a wide screen
    fitBoundsOptions: { padding: window.innerWidth > 900 ? { top: 20, bottom: 20, left: 400, right: 20 } : 20 },
    maxZoom: 21,
    hash: 'map',
    attributionControl: { compact: true, customAttribution: 'diachi · dữ liệu hành chính 2025 · địa chỉ và đường phố là dữ liệu tổng hợp' },
  });
  window.diachiMap = map;

  map.addControl(new maplibregl.NavigationControl({ visualizePitch: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  map.dragRotate.disable();
  map.touchZoomRotate.disableRotation();

  let marker = null;
  let popup = null;

  /** An element with optional class, text and children. */
  function el(tag, className, text, children) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    if (text !== undefined && text !== null) e.textContent = String(text);
    for (const c of children || []) e.appendChild(c);
    return e;
  }

  /** `<dl>` from [term, value] pairs, skipping empty values. */
  function details(pairs) {
    const dl = el('dl');
    for (const [term, value, title] of pairs) {
      if (value === undefined || value === null || value === '') continue;
      const dt = el('dt', null, term);
      if (title) dt.title = title;
      dl.appendChild(dt);
      dl.appendChild(el('dd', null, value));
    }
    return dl;
  }

  /** GET a JSON answer of the API; rejects with {code, message, status} on an error answer or a network failure. */
  async function api(path, headers) {
    let res;
    try {
      res = await fetch(path, { headers: { accept: 'application/json', ...headers } });
    } catch (e) {
      throw { code: 'network', message: 'Không kết nối được với máy chủ.', detail: String(e) };
    }
    let body = null;
    try {
      body = await res.json();
    } catch (_) {
      // not JSON: handled below
    }
    if (!res.ok || !body) {
      const err = (body && body.error) || {};
      const code = err.code || `http_${res.status}`;
      const message = MESSAGES[code] || err.message || `HTTP ${res.status}`;
      throw { code, message, detail: err.message || '', status: res.status };
    }
    return body;
  }

  function showError(err) {
    resultBox.hidden = true;
    errorBox.textContent = err.message;
    errorBox.title = err.detail ? `${err.code}: ${err.detail}` : err.code;
    errorBox.hidden = false;
  }

  function showResult(children) {
    errorBox.hidden = true;
    resultBox.replaceChildren(...children);
    resultBox.hidden = false;
  }

  function wardAndProvince(ward, province) {
    return [ward && ward.full_name, province && province.name].filter(Boolean).join(', ');
  }

  function placeMarker(lngLat) {
    if (!marker) marker = new maplibregl.Marker({ color: '#c62828' });
    marker.setLngLat(lngLat).addTo(map);
  }

  async function searchPostcode(code) {
    const zone = await api(`/v1/postcodes/${code}`);
    const [w, s, e, n] = zone.bbox;
    map.fitBounds([[w, s], [e, n]], { padding: 60, maxZoom: 16 });
    if (marker) marker.remove();
    const wards = (zone.wards || []).map((x) => x.full_name).join(', ');
    showResult([
      el('div', null, null, [el('span', null, 'Mã bưu chính '), el('strong', null, zone.code)]),
      el('div', null, [wards, zone.province && zone.province.name].filter(Boolean).join(' — ')),
    ]);
  }

  async function searchDigitalAddress(code) {
    const cell = await api(`/v1/digital-addresses/${encodeURIComponent(code)}`);
    const center = [cell.center.lon, cell.center.lat];
    if (cell.level >= 9) {
      map.flyTo({ center, zoom: 18, essential: true });
    } else {
      // an area code: its whole cell
      const [w, s, e, n] = cell.bbox;
      map.fitBounds([[w, s], [e, n]], { padding: 40, maxZoom: 18 });
    }
    placeMarker(center);
    const first = (cell.delivery_points || [])[0];
    const lines = [el('div', null, null, [el('span', null, 'Địa chỉ số '), el('strong', null, cell.code)])];
    if (first && cell.level >= 9) lines.push(el('div', null, first.formatted));
    else lines.push(el('div', null, wardAndProvince(cell.ward, cell.province)));
    const extra = [];
    if (cell.postcode) extra.push(`Mã bưu chính ${cell.postcode}`);
    if (cell.level < 9 || cell.delivery_point_count !== 1) extra.push(`${cell.delivery_point_count} điểm giao nhận`);
    if (extra.length) lines.push(el('div', null, extra.join(' · ')));
    showResult(lines);
  }

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const q = input.value.trim();
    if (!q) {
      showError({ code: 'empty', message: 'Nhập mã bưu chính hoặc địa chỉ số.', detail: 'Enter a postcode or a digital address' });
      return;
    }
    form.dataset.state = 'busy';
    button.disabled = true;
    try {
      if (POSTCODE.test(q)) await searchPostcode(q);
      else await searchDigitalAddress(q);
      linkedQuery = q;
      setHashParam('q', q);
      form.dataset.state = 'done';
    } catch (err) {
      showError(err);
      form.dataset.state = 'error';
    } finally {
      button.disabled = false;
    }
  });

  // Click: a stop of the delivery plan, else what is here (reverse geocoding), in a popup.
  map.on('click', async (ev) => {
    const { lng, lat } = ev.lngLat;
    if (popup) popup.remove();
    const stop = planStopAt(ev.point);
    if (stop) {
      popup = stopPopup(stop);
      return;
    }
    popup = new maplibregl.Popup({ className: 'diachi-popup', maxWidth: '340px' })
      .setLngLat(ev.lngLat)
      .setDOMContent(el('div', null, 'Đang tra cứu…'))
      .addTo(map);
    const mine = popup;
    let content;
    try {
      const r = await api(`/v1/reverse?lat=${lat.toFixed(7)}&lon=${lng.toFixed(7)}`);
      const near = r.nearest_address;
      content = el('div', null, null, [
        el('div', 'code', r.digital_address),
        details([
          ['Xã/phường', r.ward && r.ward.full_name, 'Ward'],
          ['Tỉnh/thành', r.province && r.province.name, 'Province'],
          ['Mã bưu chính', r.postcode, 'Postcode'],
          ['Gần nhất', near ? `${near.formatted} (${formatDistance(near.distance_m)})` : null, 'Nearest address'],
          ['Địa chỉ số', near ? near.digital_address : null, "Nearest address's digital address"],
        ]),
      ]);
    } catch (err) {
      content = el('div', 'error', err.message);
      content.title = err.detail || err.code;
    }
    if (popup === mine) mine.setDOMContent(content);
  });

  function formatDistance(m) {
    if (m === undefined || m === null) return '';
    return m < 1000 ? `${Math.round(m)} m` : `${(m / 1000).toFixed(m < 10000 ? 1 : 0)} km`;
  }

  // Pointer over clickable things.
  for (const layer of ['post-offices', 'plan-stops']) {
    map.on('mouseenter', layer, () => { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', layer, () => { map.getCanvas().style.cursor = ''; });
  }

  // ---- The delivery plan: a GeoJSON FeatureCollection (GET /v1/deliveries/plans/{id}?format=geojson, or a file) of
  // one LineString per courier route (kind "route"), one numbered Point per stop (kind "stop") and one Point per post
  // office (kind "post_office"), drawn over the base style, with a legend of the couriers in the plan panel.

  const PLAN_KEY_STORAGE = 'diachi.planKey'; // sessionStorage only: the key lives as long as the tab
  const PLAN_FONT = ['Noto Sans Regular']; // the one font stack of the style's glyphs (/fonts/…)
  const PLAN_MAX_BYTES = 50 * 1024 * 1024;
  const HEX_COLOR = /^#[0-9a-f]{6}$/i;
  // for features whose colour is missing or not #rrggbb (the API always sends one)
  const PLAN_PALETTE = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];
  const ROUND = { 'line-join': 'round', 'line-cap': 'round' };
  // bottom to top; `kind` is the features' kind that the layer draws
  const PLAN_LAYERS = [
    {
      id: 'plan-route-casing', type: 'line', kind: 'route', layout: ROUND,
      paint: { 'line-color': '#ffffff', 'line-opacity': 0.9, 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 4, 16, 10] },
    },
    {
      id: 'plan-route', type: 'line', kind: 'route', layout: ROUND,
      paint: { 'line-color': ['get', 'color'], 'line-width': ['interpolate', ['linear'], ['zoom'], 10, 2, 16, 5] },
    },
    {
      id: 'plan-stops', type: 'circle', kind: 'stop',
      paint: {
        'circle-color': ['get', 'color'],
        'circle-radius': ['interpolate', ['linear'], ['zoom'], 10, 7, 14, 10, 17, 12],
        'circle-stroke-color': '#ffffff',
        'circle-stroke-width': 2,
      },
    },
    {
      id: 'plan-stop-numbers', type: 'symbol', kind: 'stop',
      layout: {
        'text-field': ['to-string', ['get', 'sequence']],
        'text-font': PLAN_FONT,
        'text-size': ['interpolate', ['linear'], ['zoom'], 10, 10, 14, 13, 17, 15],
        'text-allow-overlap': true,
        'text-ignore-placement': true,
        'symbol-sort-key': ['get', 'sequence'],
      },
      paint: { 'text-color': '#ffffff', 'text-halo-color': 'rgba(0, 0, 0, 0.5)', 'text-halo-width': 1 },
    },
    {
      // a dark disc with a white ring and a white centre: unlike the coloured, numbered stops
      id: 'plan-post-office', type: 'circle', kind: 'post_office',
      paint: { 'circle-color': '#23202a', 'circle-radius': 10, 'circle-stroke-color': '#ffffff', 'circle-stroke-width': 3 },
    },
    {
      id: 'plan-post-office-centre', type: 'circle', kind: 'post_office',
      paint: { 'circle-color': '#ffffff', 'circle-radius': 3.5 },
    },
    {
      id: 'plan-post-office-labels', type: 'symbol', kind: 'post_office',
      layout: {
        'text-field': ['coalesce', ['get', 'name'], ''],
        'text-font': PLAN_FONT,
        'text-size': 12,
        'text-anchor': 'top',
        'text-offset': [0, 1.2],
        'text-optional': true,
      },
      paint: { 'text-color': '#23202a', 'text-halo-color': '#ffffff', 'text-halo-width': 1.5 },
    },
  ];

  const planBox = $('plan');
  const planFile = $('plan-file');
  const planForm = $('plan-fetch');
  const planId = $('plan-id');
  const planKey = $('plan-key');
  const planButton = $('plan-fetch-button');
  const planError = $('plan-error');
  const planLoaded = $('plan-loaded');
  const planSummary = $('plan-summary');
  const planLegend = $('plan-legend');

  let plan = null; // {data, couriers, bounds} of the plan on the map
  let planCourier = null; // the courier whose route alone is shown, or null for all
  let styleLoaded = false;

  function notAPlan(detail) {
    return { code: 'not_a_plan', message: 'Tệp không phải kế hoạch giao hàng (GeoJSON).', detail };
  }

  function isPosition(c) {
    return Array.isArray(c) && c.length >= 2 && Number.isFinite(c[0]) && Number.isFinite(c[1]);
  }

  /** The plan of a parsed GeoJSON document: its features checked, their colours made safe, its couriers and bounds. */
  function readPlan(json) {
    if (!json || json.type !== 'FeatureCollection' || !Array.isArray(json.features)) {
      throw notAPlan('not a GeoJSON FeatureCollection');
    }
    const colors = new Map(); // courier -> colour
    const colorOf = (courier, given) => {
      if (!colors.has(courier)) colors.set(courier, HEX_COLOR.test(given) ? given : PLAN_PALETTE[colors.size % PLAN_PALETTE.length]);
      return HEX_COLOR.test(given) ? given : colors.get(courier);
    };
    const kindOf = (f) => f && f.geometry && f.properties && f.properties.kind;
    const valid = json.features.filter((f) => {
      const g = f && f.geometry;
      switch (kindOf(f)) {
        case 'route':
          return g.type === 'LineString' && Array.isArray(g.coordinates) && g.coordinates.length >= 2 && g.coordinates.every(isPosition);
        case 'stop':
        case 'post_office':
          return g.type === 'Point' && isPosition(g.coordinates);
        default:
          return false;
      }
    });
    // routes first, so that a stop without a colour of its own takes its route's
    valid.sort((a, b) => (kindOf(a) === 'route' ? 0 : 1) - (kindOf(b) === 'route' ? 0 : 1));
    const couriers = new Map();
    const courier = (id) => {
      if (!couriers.has(id)) couriers.set(id, { courier: id, stops: 0, counted: 0, distance_m: null, duration_s: null });
      return couriers.get(id);
    };
    let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
    const features = valid.map((f) => {
      const p = { ...f.properties };
      const positions = f.geometry.type === 'Point' ? [f.geometry.coordinates] : f.geometry.coordinates;
      for (const [x, y] of positions) {
        w = Math.min(w, x);
        s = Math.min(s, y);
        e = Math.max(e, x);
        n = Math.max(n, y);
      }
      if (p.kind !== 'post_office') {
        p.courier = String(p.courier ?? '?');
        p.color = colorOf(p.courier, p.color);
        const c = courier(p.courier);
        c.color = c.color || p.color;
        if (p.kind === 'route') {
          Object.assign(c, { post_office: p.post_office, courier_index: p.courier_index, distance_m: p.distance_m, duration_s: p.duration_s });
          if (Number.isFinite(p.stops)) c.stops = p.stops;
        } else {
          c.counted += 1;
        }
      }
      return { type: 'Feature', geometry: f.geometry, properties: p };
    });
    if (couriers.size === 0) throw notAPlan('no route and no stop (features of kind "route" or "stop")');
    const list = [...couriers.values()].map((c) => ({ ...c, stops: Math.max(c.stops, c.counted) }));
    list.sort((a, b) => (a.post_office ?? 0) - (b.post_office ?? 0) || (a.courier_index ?? 0) - (b.courier_index ?? 0) || a.courier.localeCompare(b.courier));
    return { data: { type: 'FeatureCollection', features }, couriers: list, bounds: [[w, s], [e, n]] };
  }

  function planFilter(kind) {
    const f = ['==', ['get', 'kind'], kind];
    return planCourier !== null && kind !== 'post_office' ? ['all', f, ['==', ['get', 'courier'], planCourier]] : f;
  }

  /** The plan's source and layers, on top of the base style. */
  function addPlanLayers() {
    map.addSource('plan', { type: 'geojson', data: plan.data });
    for (const { kind, ...layer } of PLAN_LAYERS) map.addLayer({ ...layer, source: 'plan', filter: planFilter(kind) });
  }

  function removePlanLayers() {
    for (const { id } of PLAN_LAYERS) if (map.getLayer(id)) map.removeLayer(id);
    if (map.getSource('plan')) map.removeSource('plan');
  }

  // (Re)adds the plan whenever a style has loaded: the first one, or a new one after a setStyle (with or without a
  // diff, both end in `style.load`), which drops the sources and layers that are not in it.
  map.on('style.load', () => {
    styleLoaded = true;
    if (plan && !map.getSource('plan')) addPlanLayers();
  });

  function planPadding() {
    // clear of the search panel (left) and the plan panel (right) on a wide screen
    return window.innerWidth > 900 ? { top: 40, bottom: 40, left: 410, right: 360 } : 30;
  }

  function formatKm(m) {
    return Number.isFinite(m) ? `${(m / 1000).toFixed(1)} km` : '';
  }

  function formatDuration(sec) {
    if (!Number.isFinite(sec)) return '';
    const min = Math.round(sec / 60);
    return min < 60 ? `${min} phút` : `${Math.floor(min / 60)} giờ ${String(min % 60).padStart(2, '0')} phút`;
  }

  function renderLegend() {
    const rows = plan.couriers.map((c) => {
      const swatch = el('span', 'swatch');
      swatch.style.background = c.color;
      const stats = [`${c.stops} điểm`, formatKm(c.distance_m), formatDuration(c.duration_s)].filter(Boolean).join(' · ');
      const button = el('button', 'courier', null, [swatch, el('span', 'courier-id', c.courier), el('span', 'courier-stats', stats)]);
      button.type = 'button';
      button.dataset.courier = c.courier;
      button.title = `Show only the route of ${c.courier} (click again for all)`;
      button.setAttribute('aria-pressed', String(planCourier === c.courier));
      button.addEventListener('click', () => showCourier(planCourier === c.courier ? null : c.courier));
      return el('li', null, null, [button]);
    });
    planLegend.replaceChildren(...rows);
    planLegend.classList.toggle('filtered', planCourier !== null);
  }

  /** Shows one courier's route and stops alone (null: all of them). */
  function showCourier(courier) {
    planCourier = courier;
    if (map.getSource('plan')) for (const { id, kind } of PLAN_LAYERS) map.setFilter(id, planFilter(kind));
    if (popup && popup.planStop && courier !== null && popup.planStop !== courier) popup.remove();
    renderLegend();
  }

  /** Puts a plan on the map in place of the one there; throws {code, message} (and changes nothing) if it is none. */
  function showPlan(json, title) {
    const next = readPlan(json);
    clearPlan();
    if (popup) popup.remove(); // of a place the map is leaving
    plan = next;
    if (styleLoaded) addPlanLayers();
    map.fitBounds(plan.bounds, { padding: planPadding(), maxZoom: 16 });
    const stops = plan.couriers.reduce((sum, c) => sum + c.stops, 0);
    const metres = plan.couriers.reduce((sum, c) => sum + (Number.isFinite(c.distance_m) ? c.distance_m : 0), 0);
    planSummary.replaceChildren(
      el('strong', null, title),
      el('span', null, ` — ${plan.couriers.length} bưu tá · ${stops} điểm · ${formatKm(metres)}`),
    );
    renderLegend();
    planError.hidden = true;
    planLoaded.hidden = false;
    planBox.dataset.state = 'loaded';
  }

  function clearPlan() {
    removePlanLayers();
    if (popup && popup.planStop) popup.remove();
    plan = null;
    planCourier = null;
    planLegend.replaceChildren();
    planLoaded.hidden = true;
    delete planBox.dataset.state;
  }

  function showPlanError(err) {
    planError.textContent = err.message;
    planError.title = err.detail ? `${err.code}: ${err.detail}` : err.code;
    planError.hidden = false;
    planBox.dataset.state = 'error';
  }

  async function openPlanFile(file) {
    if (!file) return;
    planBox.dataset.state = 'busy';
    try {
      if (file.size > PLAN_MAX_BYTES) throw { code: 'file_too_large', message: 'Tệp quá lớn (tối đa 50 MB).', detail: `${file.size} bytes` };
      let json;
      try {
        json = JSON.parse(await file.text());
      } catch (e) {
        throw { code: 'invalid_json', message: 'Tệp không phải JSON hợp lệ.', detail: e.message };
      }
      showPlan(json, file.name);
    } catch (err) {
      showPlanError(err);
    } finally {
      planFile.value = ''; // the same file again is a change too
    }
  }

  /** The plan `id` from the API; the key goes in the Authorization header, nowhere else. */
  async function fetchPlan(id, key) {
    try {
      return await api(`/v1/deliveries/plans/${encodeURIComponent(id)}?format=geojson`, {
        accept: 'application/geo+json, application/json',
        authorization: `Bearer ${key}`,
      });
    } catch (err) {
      const message = PLAN_MESSAGES[err.code] || PLAN_MESSAGES[`http_${err.status}`] || err.message;
      throw { ...err, message };
    }
  }

  planFile.addEventListener('change', () => openPlanFile(planFile.files[0]));

  planForm.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const id = planId.value.trim();
    const key = planKey.value.trim();
    if (!id || !key) {
      showPlanError({ code: 'empty', message: 'Nhập mã kế hoạch và khoá API.', detail: 'Enter a plan id and an API key' });
      return;
    }
    try {
      sessionStorage.setItem(PLAN_KEY_STORAGE, key);
    } catch (_) {
      // storage disabled: the key stays in the field only
    }
    planBox.dataset.state = 'busy';
    planButton.disabled = true;
    try {
      showPlan(await fetchPlan(id, key), `Kế hoạch ${id}`);
    } catch (err) {
      showPlanError(err);
    } finally {
      planButton.disabled = false;
    }
  });

  $('plan-clear').addEventListener('click', () => {
    clearPlan();
    planError.hidden = true;
  });

  // A plan file dropped on the map.
  const mapBox = map.getContainer();
  const hasFiles = (ev) => ev.dataTransfer && Array.from(ev.dataTransfer.types).includes('Files');
  mapBox.addEventListener('dragover', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    ev.dataTransfer.dropEffect = 'copy';
    mapBox.classList.add('dropping');
  });
  mapBox.addEventListener('dragleave', () => mapBox.classList.remove('dropping'));
  mapBox.addEventListener('drop', (ev) => {
    if (!hasFiles(ev)) return;
    ev.preventDefault();
    mapBox.classList.remove('dropping');
    planBox.open = true;
    openPlanFile(ev.dataTransfer.files[0]);
  });

  // `#q=…` (beside the map's `map=…`) or `?q=…`: a search that can be linked; a search done here writes it.
  function hashParam(name) {
    for (const part of location.hash.slice(1).split('&')) {
      const at = part.indexOf('=');
      if (at > 0 && part.slice(0, at) === name) {
        try {
          return decodeURIComponent(part.slice(at + 1));
        } catch (_) {
          return null;
        }
      }
    }
    return null;
  }

  // MapLibre reads `map=` split on `&` and `=` without decoding, so the other parts are written the same way
  function setHashParam(name, value) {
    const parts = location.hash.slice(1).split('&').filter((p) => p && !p.startsWith(`${name}=`));
    parts.push(`${name}=${encodeURIComponent(value)}`);
    history.replaceState(history.state, '', `#${parts.join('&')}`);
  }

  let linkedQuery = null;
  function searchFromLocation() {
    const q = hashParam('q') || new URLSearchParams(location.search).get('q');
    if (!q || q === linkedQuery) return;
    linkedQuery = q;
    input.value = q;
    form.requestSubmit();
  }
  searchFromLocation();
  window.addEventListener('hashchange', searchFromLocation);

  // `#plan=ID` (beside the map's `map=…`) or `?plan=ID`: the fetch form, opened and filled in.
  function planFromLocation() {
    const id = new URLSearchParams(location.hash.slice(1)).get('plan') || new URLSearchParams(location.search).get('plan');
    if (!id) return;
    planBox.open = true;
    planId.value = id;
    (planKey.value ? planButton : planKey).focus();
  }
  try {
    planKey.value = sessionStorage.getItem(PLAN_KEY_STORAGE) || '';
  } catch (_) {
    // storage disabled
  }
  planFromLocation();
  window.addEventListener('hashchange', planFromLocation);

  /** The plan's stop under a point of the map, if any. */
  function planStopAt(point) {
    if (!map.getLayer('plan-stops')) return null;
    const box = [[point.x - 3, point.y - 3], [point.x + 3, point.y + 3]];
    return map.queryRenderedFeatures(box, { layers: ['plan-stop-numbers', 'plan-stops'] })[0] || null;
  }

  function stopPopup(f) {
    const p = f.properties;
    const swatch = el('span', 'swatch');
    swatch.style.background = p.color;
    const content = el('div', null, null, [
      el('div', 'plan-stop-title', null, [swatch, el('strong', null, `Điểm ${p.sequence}`), el('span', null, ` · ${p.courier}`)]),
      details([
        ['Đơn hàng', p.shipment, 'Shipment'],
        ['Giờ đến', p.arrival, 'Arrival (planned)'],
        ['Địa chỉ', p.address, 'Address'],
        ['Địa chỉ số', p.digital_address, 'Digital address'],
      ]),
    ]);
    const stop = new maplibregl.Popup({ className: 'diachi-popup', maxWidth: '340px' })
      .setLngLat(f.geometry.coordinates)
      .setDOMContent(content)
      .addTo(map);
    stop.planStop = p.courier;
    return stop;
  }
})();
