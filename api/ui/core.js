// confq dashboard, shared parts: escaping, the API client (with the token from sessionStorage),
// the live stream (reconnecting, with a visible state) and a tiny message bus.
"use strict";
const confq = (() => {
  const TOKEN_KEY = "confq.token";
  const listeners = {};
  let latestMetrics = null;

  const esc = (v) => String(v ?? "").replace(/[&<>"']/g, (c) =>
    ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  const token = () => sessionStorage.getItem(TOKEN_KEY) || "";
  const setToken = (t) => t ? sessionStorage.setItem(TOKEN_KEY, t) : sessionStorage.removeItem(TOKEN_KEY);

  // Calls the API; resolves to the JSON body, rejects with the API's error message.
  async function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (token()) headers.Authorization = "Bearer " + token();
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    let json = null;
    try { json = text ? JSON.parse(text) : null; } catch (_) { json = null; }
    if (!res.ok) throw new Error((json && json.error) || `${res.status} ${res.statusText}`);
    return json;
  }

  function on(type, fn) { (listeners[type] ||= []).push(fn); }
  function emit(type, msg) { for (const fn of listeners[type] || []) { try { fn(msg); } catch (e) { console.error(e); } } }

  function setConn(state, text) {
    const c = document.getElementById("conn");
    c.dataset.state = state;
    c.textContent = text;
  }

  // The stream: reconnects by itself with a growing pause (1 s … 10 s); the badge says which state.
  let socket = null, retryIn = 1000, retryTimer = null;
  function connect() {
    clearTimeout(retryTimer);
    if (socket) { socket.onclose = null; socket.close(); }
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    const query = token() ? "?token=" + encodeURIComponent(token()) : "";
    setConn("connecting", "connecting…");
    socket = new WebSocket(`${scheme}://${location.host}/v1/stream${query}`);
    socket.onopen = () => { retryIn = 1000; setConn("live", "live"); };
    socket.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (_) { return; }
      if (msg.type === "metrics") latestMetrics = msg;
      emit(msg.type, msg);
    };
    socket.onclose = (ev) => {
      const why = ev.code === 4401 ? " (token refused)" : "";
      setConn("disconnected", `disconnected${why} — retrying in ${Math.round(retryIn / 1000)} s`);
      emit("disconnected", ev);
      retryTimer = setTimeout(connect, retryIn);
      retryIn = Math.min(retryIn * 2, 10000);
    };
  }

  function banner(text) {
    const b = document.getElementById("banner");
    b.hidden = !text;
    b.textContent = text || "";
  }

  function fmtRate(x) { return x == null ? "–" : (x >= 10 ? x.toFixed(0) : x.toFixed(1)); }
  function ago(iso) {
    if (!iso) return "–";
    const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
    return s < 90 ? `${s} s ago` : s < 5400 ? `${Math.round(s / 60)} min ago` : new Date(iso).toLocaleString();
  }
  function sparkline(values) {
    if (values.length < 2) return '<svg class="spark" viewBox="0 0 120 26"></svg>';
    const max = Math.max(1, ...values);
    const step = 120 / (values.length - 1);
    const pts = values.map((v, i) => `${(i * step).toFixed(1)},${(24 - (v / max) * 22).toFixed(1)}`).join(" ");
    return `<svg class="spark" viewBox="0 0 120 26"><polyline points="${pts}"/></svg>`;
  }

  return { esc, api, on, emit, connect, token, setToken, banner, fmtRate, ago, sparkline,
           metrics: () => latestMetrics };
})();
