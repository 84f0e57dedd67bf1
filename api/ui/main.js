// confq dashboard: routing between pages (#/, #/runs, #/runs/ID, #/dead) and the token field.
"use strict";
(() => {
  const pages = [
    [/^#\/runs\/(\d+)(?:\/effective\/([\w.-]+))?$/, (m) => confqRun.show(Number(m[1]), m[2]), "runs"],
    [/^#\/runs(?:\?status=(\w*))?$/, (m) => confqRuns.show(m[1] || ""), "runs"],
    [/^#\/dead(?:\?queue=([\w.:-]+))?$/, (m) => confqDead.show(m[1]), "dead"],
    [/^(#\/?)?$/, () => confqOverview.show(), "overview"],
  ];
  function route() {
    const hash = location.hash;
    for (const [re, show, nav] of pages) {
      const m = hash.match(re);
      if (m) {
        document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === nav));
        confq.banner("");
        show(m);
        return;
      }
    }
    document.getElementById("view").innerHTML = "<p>No such page.</p>";
  }
  const input = document.getElementById("token");
  input.value = confq.token();
  document.getElementById("token-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    confq.setToken(input.value.trim());
    confq.connect();
    route();
  });
  window.addEventListener("hashchange", route);
  confq.on("unavailable", (m) => confq.banner("The API cannot read Redis or the database: " + m.error));
  confq.on("metrics", () => { if (document.getElementById("banner").textContent.startsWith("The API cannot")) confq.banner(""); });
  confq.connect();
  route();
})();
