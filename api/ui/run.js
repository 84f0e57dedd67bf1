// One run: status, error and traceback, retries, metrics, files, stanzas, a retry button for a
// failed run, and its effective configuration (`/v1/runs/ID/effective/CONF`). Live: a `run`
// message for this run reloads it.
"use strict";
const confqRun = (() => {
  const { esc, api, ago } = confq;
  let current = null;

  async function show(id, conf) {
    current = id;
    document.getElementById("view").innerHTML = `<div id="run" data-run-id="${id}">
      <div class="row"><h2>Run #${id}</h2><a href="#/runs">all runs</a></div>
      <div id="run-msg" class="msg"></div>
      <div id="run-detail"><p class="muted">Loading…</p></div>
      <h2>Files</h2><div id="run-files"></div>
      <h2>Stanzas</h2><div id="run-stanzas"></div>
      <h2>Effective configuration</h2>
      <form id="effective-form" class="row"><label>Conf <input id="conf" value="${esc(conf || "props")}" size="12"></label>
        <label>Stanza <input id="stanza" size="16" placeholder="any"></label><button type="submit">Show</button></form>
      <div id="effective"></div></div>`;
    document.getElementById("effective-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      effective(id, document.getElementById("conf").value.trim(), document.getElementById("stanza").value.trim());
    });
    await detail(id);
    listFiles(id);
    listStanzas(id);
    if (conf) effective(id, conf, "");
  }

  async function detail(id) {
    const box = document.getElementById("run-detail");
    if (!box) return;
    try {
      const s = await api("GET", `/v1/worker/runs/${id}/status`);
      const m = s.metrics || {};
      const retry = s.status === "failed" ? '<button id="retry" class="primary">Retry this run</button>' : "";
      box.innerHTML = `<dl class="kv">
        <dt>Status</dt><dd><span id="run-status" class="status ${esc(s.status)}">${esc(s.status)}</span> ${retry}</dd>
        <dt>Retries</dt><dd>${esc(s.retry_count)}</dd><dt>Task</dt><dd><code>${esc(s.task_id)}</code> on ${esc(s.queue || "–")}</dd>
        <dt>Started</dt><dd>${esc(ago(s.started_at))}</dd><dt>Last heartbeat</dt><dd>${esc(ago(s.last_heartbeat))}</dd>
        <dt>Finished</dt><dd>${esc(ago(s.completed_at))}</dd>
        <dt>Metrics</dt><dd>${s.metrics ? `${esc(m.files_parsed)} files, ${esc(m.stanzas_created)} stanzas,
          ${esc(m.parse_errors)} parse errors, ${esc(m.duration_seconds)} s, error type ${esc(m.error_type || "–")}` : "–"}</dd>
        <dt>Error</dt><dd id="run-error">${esc(s.error_message || "–")}</dd></dl>
        ${s.error_traceback ? `<h2>Traceback</h2><pre>${esc(s.error_traceback)}</pre>` : ""}
        ${(m.warnings || []).length ? `<h2>Warnings</h2><pre>${esc(m.warnings.join("\n"))}</pre>` : ""}
`;
      document.getElementById("retry")?.addEventListener("click", () => retryRun(id));
    } catch (e) {
      box.innerHTML = `<p class="msg error">${esc(e.message)}</p>`;
    }
  }

  async function retryRun(id) {
    const msg = document.getElementById("run-msg");
    try {
      const r = await api("POST", `/v1/worker/runs/${id}/retry`);
      msg.className = "msg";
      msg.textContent = `Queued again as task ${r.task_id}.`;
      document.getElementById("retry")?.remove();
    } catch (e) {
      msg.className = "msg error";
      msg.textContent = "Retry refused: " + e.message;
    }
  }

  async function table(target, path, head, cells) {
    const box = document.getElementById(target);
    try {
      const page = await api("GET", path);
      const rows = page.items.map((x) => `<tr>${cells(x).map((c) => `<td>${c}</td>`).join("")}</tr>`).join("");
      box.innerHTML = `<table><thead><tr>${head.map((h) => `<th>${h}</th>`).join("")}</tr></thead>
        <tbody>${rows || `<tr><td colspan="${head.length}" class="muted">None.</td></tr>`}</tbody></table>
        ${page.next ? '<p class="muted">First 100 shown; the API pages through the rest.</p>' : ""}`;
    } catch (e) {
      box.innerHTML = `<p class="msg error">${esc(e.message)}</p>`;
    }
  }

  const listFiles = (id) => table("run-files", `/v1/runs/${id}/files?limit=100`,
    ["Path", "App", "Layer", "Conf", "Stanzas", "Parse error"],
    (f) => [esc(f.path), esc(f.app || "–"), esc(f.layer), esc(f.conf_type), esc(f.stanza_count), esc(f.parse_error || "")]);
  const listStanzas = (id) => table("run-stanzas", `/v1/runs/${id}/stanzas?limit=100`,
    ["Conf", "Stanza", "App", "Layer", "Source", "Settings"],
    (s) => [esc(s.conf_type), esc(s.name), esc(s.app || "–"), esc(s.layer), `${esc(s.source_path)}:${esc(s.line)}`,
      esc(Object.entries(s.settings || {}).map(([k, v]) => `${k} = ${typeof v === "string" ? v : JSON.stringify(v)}`).join("; "))]);

  function effective(id, conf, stanza) {
    if (!conf) return;
    const q = new URLSearchParams({ limit: "100" });
    if (stanza) q.set("stanza", stanza);
    table("effective", `/v1/runs/${id}/effective/${encodeURIComponent(conf)}?${q}`,
      ["Stanza", "Key", "Value", "From"],
      (item) => [esc(item.stanza), Object.keys(item.settings).map(esc).join("<br>"),
        Object.values(item.settings).map((s) => esc(s.value)).join("<br>"),
        Object.values(item.settings).map((s) => `${esc(s.app || "system")}/${esc(s.layer)} ${esc(s.source_path)}:${esc(s.line)}${s.inherited ? " (inherited)" : ""}`).join("<br>")]);
  }

  confq.on("run", (r) => { if (r.id === current && document.getElementById("run")) detail(r.id); });

  return { show };
})();
