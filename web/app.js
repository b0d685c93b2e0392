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
    attributionControl: { compact: true, customAttribution: 'diachi · dữ liệu hành chính 2025' },
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

  /** GET a JSON answer of the API; rejects with {code, message} on an error answer or a network failure. */
  async function api(path) {
    let res;
    try {
      res = await fetch(path, { headers: { accept: 'application/json' } });
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
      throw { code, message: MESSAGES[code] || err.message || `HTTP ${res.status}`, detail: err.message || '' };
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
      form.dataset.state = 'done';
    } catch (err) {
      showError(err);
      form.dataset.state = 'error';
    } finally {
      button.disabled = false;
    }
  });

  // Click: what is here (reverse geocoding) in a popup.
  map.on('click', async (ev) => {
    const { lng, lat } = ev.lngLat;
    if (popup) popup.remove();
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
  map.on('mouseenter', 'post-offices', () => { map.getCanvas().style.cursor = 'pointer'; });
  map.on('mouseleave', 'post-offices', () => { map.getCanvas().style.cursor = ''; });
})();
