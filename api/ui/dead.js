// Dead letters of one queue: reason and last error, requeue one or all, purge after an in-page
// confirmation. `dead` messages of the stream reload the list.
"use strict";
const confqDead = (() => {
  const { esc, api, ago } = confq;
  let queue = "ingest";

  async function show(q) {
    const known = Object.keys((confq.metrics() || {}).queues || {});
    queue = q || known[0] || "ingest";
    const options = [...new Set([queue, ...known])].map((n) => `<option ${n === queue ? "selected" : ""}>${esc(n)}</option>`).join("");
    document.getElementById("view").innerHTML = `<div id="dead">
      <div class="row"><h2>Dead letters</h2><label>Queue <select id="dead-queue">${options}</select></label>
        <button id="requeue-all">Requeue all</button><button id="purge" class="danger">Purge…</button>
        <span id="purge-confirm" hidden>Delete every dead letter of <b>${esc(queue)}</b>?
          <button id="purge-yes" class="danger">Yes, purge</button> <button id="purge-no">Cancel</button></span></div>
      <div id="dead-msg" class="msg"></div>
      <table><thead><tr><th>Task</th><th>Task name</th><th>Reason</th><th>Last error</th><th>Died</th><th></th></tr></thead>
      <tbody id="dead-rows"><tr><td colspan="6" class="muted">Loading…</td></tr></tbody></table></div>`;
    document.getElementById("dead-queue").addEventListener("change", (ev) => { location.hash = `#/dead?queue=${ev.target.value}`; });
    document.getElementById("requeue-all").addEventListener("click", requeueAll);
    document.getElementById("purge").addEventListener("click", () => { document.getElementById("purge-confirm").hidden = false; });
    document.getElementById("purge-no").addEventListener("click", () => { document.getElementById("purge-confirm").hidden = true; });
    document.getElementById("purge-yes").addEventListener("click", purge);
    await load();
  }

  async function load() {
    const body = document.getElementById("dead-rows");
    if (!body) return;
    try {
      const page = await api("GET", `/v1/worker/dead?queue=${encodeURIComponent(queue)}&limit=100`);
      body.innerHTML = page.items.map((d) => `<tr data-task-id="${esc(d.task_id)}">
        <td><code>${esc(d.task_id || "–")}</code></td><td>${esc((d.envelope || {}).task)}</td><td>${esc(d.reason)}</td>
        <td>${esc(d.last_error || "–")}</td><td>${esc(ago(d.dead_at))}</td>
        <td>${d.task_id && d.envelope ? '<button class="requeue">Requeue</button>' : ""}</td></tr>`).join("")
        || '<tr><td colspan="6" class="muted">No dead letters.</td></tr>';
      body.querySelectorAll("button.requeue").forEach((b) =>
        b.addEventListener("click", () => requeue(b.closest("tr").dataset.taskId)));
    } catch (e) {
      body.innerHTML = `<tr><td colspan="6" class="msg error">${esc(e.message)}</td></tr>`;
    }
  }

  function say(text, error) {
    const m = document.getElementById("dead-msg");
    m.className = error ? "msg error" : "msg";
    m.textContent = text;
  }

  async function requeue(id) {
    try {
      await api("POST", `/v1/worker/dead/${encodeURIComponent(id)}/requeue?queue=${encodeURIComponent(queue)}`);
      say(`Requeued task ${id}.`);
      await load();
    } catch (e) { say("Requeue refused: " + e.message, true); }
  }

  // There is no bulk route: requeue each listed letter, page by page, until none is left.
  async function requeueAll() {
    let n = 0;
    const done = new Set();  // a task that dies again at once is not requeued twice
    try {
      for (;;) {
        const page = await api("GET", `/v1/worker/dead?queue=${encodeURIComponent(queue)}&limit=100`);
        const ids = page.items.filter((d) => d.task_id && d.envelope && !done.has(d.task_id)).map((d) => d.task_id);
        ids.forEach((id) => done.add(id));
        if (!ids.length) break;
        for (const id of ids) {
          await api("POST", `/v1/worker/dead/${encodeURIComponent(id)}/requeue?queue=${encodeURIComponent(queue)}`);
          n += 1;
        }
      }
      say(`Requeued ${n} dead letters.`);
    } catch (e) { say(`Requeued ${n}, then: ${e.message}`, true); }
    await load();
  }

  async function purge() {
    document.getElementById("purge-confirm").hidden = true;
    try {
      const r = await api("DELETE", `/v1/worker/dead?queue=${encodeURIComponent(queue)}`);
      say(`Purged ${r.purged} dead letters.`);
    } catch (e) { say("Purge refused: " + e.message, true); }
    await load();
  }

  confq.on("dead", (m) => { if (m.queue === queue && document.getElementById("dead")) load(); });

  return { show };
})();
