// Overview page: queues (depths, rates, a sparkline of the backlog), workers, runs by status,
// recent failures. Redrawn on every `metrics` message of the stream.
"use strict";
const confqOverview = (() => {
  const { esc, fmtRate, sparkline, ago } = confq;
  const HISTORY = 60;
  const backlog = {};  // queue → the last HISTORY values of pending + processing + delayed

  confq.on("metrics", (m) => {
    for (const [q, d] of Object.entries(m.queues || {})) {
      const h = (backlog[q] ||= []);
      h.push(d.pending + d.processing + d.delayed);
      if (h.length > HISTORY) h.shift();
    }
    if (document.getElementById("overview")) render(m);
  });

  function show() {
    document.getElementById("view").innerHTML =
      '<div id="overview"><p class="muted">Waiting for the first metrics…</p></div>';
    const m = confq.metrics();
    if (m) render(m);
  }

  function queueRows(m) {
    return Object.entries(m.queues || {}).map(([q, d]) => {
      const r = (m.rates || {})[q] || {};
      const cell = (field, v) => `<td class="num" data-queue="${esc(q)}" data-field="${field}">${esc(v)}</td>`;
      return `<tr data-queue-row="${esc(q)}"><td><a href="#/dead?queue=${esc(q)}">${esc(q)}</a></td>
        ${cell("pending", d.pending)}${cell("processing", d.processing)}${cell("delayed", d.delayed)}
        ${cell("dead", d.dead)}${cell("workers", d.workers)}
        ${cell("enqueued_per_sec", fmtRate(r.enqueued_per_sec))}${cell("processed_per_sec", fmtRate(r.processed_per_sec))}
        ${cell("failed_per_sec", fmtRate(r.failed_per_sec))}<td>${sparkline(backlog[q] || [])}</td></tr>`;
    }).join("");
  }

  function workerRows(workers) {
    return workers.map((w) => {
      const breakers = Object.entries(w.breakers || {})
        .map(([dep, s]) => `<span class="breaker-${esc(s)}">${esc(dep)}: ${esc(s)}</span>`).join(" ");
      return `<tr><td>${esc(w.id)}</td><td>${esc(w.host)}</td><td>${esc((w.queues || []).join(", "))}</td>
        <td class="num">${esc(w.concurrency)}</td><td class="num">${esc(w.in_flight)}</td>
        <td>${esc(ago(w.last_seen))}</td><td>${breakers || '<span class="muted">–</span>'}</td></tr>`;
    }).join("");
  }

  function render(m) {
    const root = document.getElementById("overview");
    const counts = Object.entries(m.status_counts || {}).map(([s, n]) =>
      `<a class="card" href="#/runs?status=${esc(s)}" data-status-count="${esc(s)}"><span class="status ${esc(s)}">${esc(s)}</span><b>${esc(n)}</b></a>`).join("");
    const workers = Array.isArray(m.workers)
      ? `<h2>Workers</h2><table id="workers"><thead><tr><th>Id</th><th>Host</th><th>Queues</th>
         <th class="num">Concurrency</th><th class="num">In flight</th><th>Last seen</th><th>Breakers</th></tr></thead>
         <tbody>${workerRows(m.workers) || '<tr><td colspan="7" class="muted">No live worker.</td></tr>'}</tbody></table>`
      : "";
    const failures = (m.recent_failures || []).map((f) =>
      `<tr><td><a href="#/runs/${f.id}">#${f.id}</a></td><td>${esc(f.error_type)}</td><td>${esc(f.error_message)}</td><td>${esc(ago(f.completed_at))}</td></tr>`).join("");
    root.innerHTML = `
      <h2>Queues</h2>
      <table id="queues"><thead><tr><th>Queue</th><th class="num">Pending</th><th class="num">Processing</th>
        <th class="num">Delayed</th><th class="num">Dead</th><th class="num">Workers</th><th class="num">Enqueued/s</th>
        <th class="num">Processed/s</th><th class="num">Failed/s</th><th>Backlog, last ${HISTORY} s</th></tr></thead>
        <tbody>${queueRows(m)}</tbody></table>
      ${workers}
      <h2>Runs by status</h2><div class="cards">${counts}</div>
      <div class="row muted">Stuck runs: ${esc(m.stuck_runs)} · average retries ${esc((m.retry_stats || {}).avg_retries)}
        · reaper last tick ${esc(ago((m.reaper || {}).last_tick))} · updated ${esc(ago(m.at))}</div>
      <h2>Recent failures</h2>
      <table><thead><tr><th>Run</th><th>Type</th><th>Error</th><th>When</th></tr></thead>
        <tbody>${failures || '<tr><td colspan="4" class="muted">None.</td></tr>'}</tbody></table>`;
  }

  return { show };
})();
