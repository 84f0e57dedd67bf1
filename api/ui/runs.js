// Runs page: a filtered list (by status) that `run` messages of the stream keep current.
"use strict";
const confqRuns = (() => {
  const { esc, api, ago } = confq;
  const STATUSES = ["", "stored", "parsing", "retrying", "complete", "failed", "cancelled"];
  let filter = "";

  function row(r) {
    return `<tr data-run-id="${r.id}" data-status="${esc(r.status)}">
      <td><a href="#/runs/${r.id}">#${r.id}</a></td><td>${esc(r.filename)}</td>
      <td><span class="status ${esc(r.status)}">${esc(r.status)}</span></td>
      <td class="num">${esc(r.retry_count)}</td><td>${esc(r.error_message)}</td>
      <td>${esc(ago(r.updated_at || r.completed_at || r.started_at || r.created_at))}</td></tr>`;
  }

  async function show(status) {
    filter = status;
    const options = STATUSES.map((s) => `<option value="${s}" ${s === status ? "selected" : ""}>${s || "any status"}</option>`).join("");
    document.getElementById("view").innerHTML = `
      <div id="runs"><div class="row"><h2>Runs</h2>
        <label>Status <select id="status-filter">${options}</select></label>
        <span class="muted">live: rows change as runs do</span></div>
      <table><thead><tr><th>Run</th><th>Archive</th><th>Status</th><th class="num">Retries</th><th>Error</th><th>Changed</th></tr></thead>
      <tbody id="run-rows"><tr><td colspan="6" class="muted">Loading…</td></tr></tbody></table>
      <div class="row"><button id="more" hidden>More</button></div></div>`;
    document.getElementById("status-filter").addEventListener("change", (ev) => {
      location.hash = ev.target.value ? `#/runs?status=${ev.target.value}` : "#/runs";
    });
    await load(null);
  }

  async function load(after) {
    const q = new URLSearchParams({ limit: "50" });
    if (filter) q.set("status", filter);
    if (after) q.set("after", after);
    const body = document.getElementById("run-rows");
    try {
      const page = await api("GET", "/v1/runs?" + q);
      if (!after) body.innerHTML = "";
      body.insertAdjacentHTML("beforeend", page.items.map(row).join("") ||
        (after ? "" : '<tr class="empty"><td colspan="6" class="muted">No runs.</td></tr>'));
      const more = document.getElementById("more");
      more.hidden = !page.next;
      more.onclick = () => load(page.next);
    } catch (e) {
      body.innerHTML = `<tr><td colspan="6" class="msg error">${esc(e.message)}</td></tr>`;
    }
  }

  // A run changed somewhere: update its row, add it (newest first) when it now matches the filter.
  confq.on("run", (r) => {
    const body = document.getElementById("run-rows");
    if (!body) return;
    const existing = body.querySelector(`tr[data-run-id="${r.id}"]`);
    const matches = !filter || r.status === filter;
    if (existing && !matches) { existing.remove(); return; }
    if (!matches) return;
    const prev = existing ? existing.querySelector("td:nth-child(2)").textContent : "";
    const html = row({ ...r, filename: r.filename || prev });
    if (existing) existing.outerHTML = html;
    else { body.querySelector("tr.empty")?.remove(); body.insertAdjacentHTML("afterbegin", html); }
  });

  return { show };
})();
