// claimdesk page behaviour; everything is wired by data- attributes (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var printBtn = ev.target.closest("[data-print]");
    if (printBtn) { ev.preventDefault(); window.print(); return; }
    var confirmEl = ev.target.closest("[data-confirm]");
    if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // Forms with data-once disable their submit button to avoid double submission.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.hasAttribute("data-once")) {
      var btn = form.querySelector("[type=submit]");
      if (btn) { setTimeout(function () { btn.disabled = true; }, 0); }
    }
  });
  // Pages marked data-refresh="N" reload every N seconds (wall boards).
  var refresh = document.body.getAttribute("data-refresh");
  if (refresh) { setTimeout(function () { window.location.reload(); }, parseInt(refresh, 10) * 1000); }
  // Time-left counters: <span data-due="ISO"> re-render every 30 s.
  function fmt(sec) {
    var s = Math.abs(Math.round(sec)), d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600),
        m = Math.floor(s % 3600 / 60);
    var out = d ? d + "d " + h + "h" : h ? h + "h " + m + "m" : m + "m";
    return (sec < 0 ? "-" : "") + out;
  }
  function tick() {
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var left = (Date.parse(el.getAttribute("data-due")) - Date.now()) / 1000;
      if (!el.hasAttribute("data-paused")) {
        el.textContent = fmt(left);
        el.classList.toggle("overdue", left < 0);
      }
    });
  }
  tick();
  setInterval(tick, 30000);
  window.claimdesk = { fmtDuration: fmt };
})();
