// claimdesk page behaviour; everything is wired by data- attributes (no inline script: CSP).
(function () {
  "use strict";
  document.addEventListener("click", function (ev) {
    var printBtn = ev.target.closest("[data-print]");
    if (printBtn) { ev.preventDefault(); window.print(); return; }
    var confirmEl = ev.target.closest("[data-confirm]");
    if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) { ev.preventDefault(); }
  });
  // Every POST form (and any form with data-once) disables its submit buttons once sent, against a
  // double click; the server's one-time form token (core/idempotency.py) stops any repeat that gets
  // through. A page restored from the back/forward cache gets its buttons back.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (form.hasAttribute("data-once") || (form.getAttribute("method") || "").toLowerCase() === "post") {
      var buttons = form.querySelectorAll("[type=submit]");
      setTimeout(function () { buttons.forEach(function (b) { b.disabled = true; b.setAttribute("data-sent", ""); }); }, 0);
    }
  });
  window.addEventListener("pageshow", function (ev) {
    if (ev.persisted) {
      document.querySelectorAll("form [data-sent]").forEach(function (b) {
        b.disabled = false; b.removeAttribute("data-sent");
      });
    }
  });
  // Uploads (<form data-upload-progress>) are sent by XHR so the page can show how far they got; the
  // server answers {"redirect": url} (core.web.go_back) and the browser goes there as after a normal
  // submit. Without XHR upload support the form submits normally.
  document.addEventListener("submit", function (ev) {
    var form = ev.target;
    if (!form.hasAttribute("data-upload-progress") || !window.FormData || ev.defaultPrevented) { return; }
    ev.preventDefault();
    var btn = form.querySelector("[type=submit]");
    var box = form.querySelector(".upload-progress");
    if (!box) {
      box = document.createElement("div");
      box.className = "upload-progress small mt-1";
      var bar = document.createElement("progress");
      bar.max = 100; bar.value = 0; bar.className = "w-100";
      var text = document.createElement("span");
      box.appendChild(bar); box.appendChild(text);
      form.appendChild(box);
    }
    var progress = box.querySelector("progress"), label = box.querySelector("span");
    progress.value = 0; label.textContent = "0%"; label.classList.remove("text-danger");
    function failed(message) {
      label.textContent = message; label.classList.add("text-danger");
      if (btn) { setTimeout(function () { btn.disabled = false; }, 0); }  // after the submit guard above
    }
    // The server refuses a body over its limit with 413 before reading it and closes the connection,
    // which the browser reports as a reset, not as the answer: check the size here, send nothing.
    var max = parseInt(form.getAttribute("data-upload-max-bytes"), 10), size = 0;
    form.querySelectorAll("input[type=file]").forEach(function (input) {
      Array.prototype.forEach.call(input.files || [], function (f) { size += f.size; });
    });
    if (max && size + 16384 > max) {  // 16 KiB for the other fields and the multipart framing
      progress.value = 0; failed(form.getAttribute("data-upload-too-large"));
      return;
    }
    var xhr = new XMLHttpRequest();
    xhr.open("POST", form.action);
    xhr.setRequestHeader("X-Claimdesk-Progress", "1");
    xhr.upload.onprogress = function (e) {
      if (e.lengthComputable) {
        var pct = Math.round(e.loaded * 100 / e.total);
        progress.value = pct; label.textContent = pct + "%";
      }
    };
    xhr.onload = function () {
      var target = null;
      try { target = JSON.parse(xhr.responseText).redirect; } catch (e) { target = null; }
      if (xhr.status >= 200 && xhr.status < 300 && target) {
        var url = new URL(target, window.location.href), here = window.location;
        if (url.pathname === here.pathname && url.search === here.search) {
          history.replaceState(null, "", url.href);  // same page (maybe another #section): load it again
          here.reload();
        } else {
          here.assign(url.href);
        }
        return;
      }
      failed(form.getAttribute(xhr.status === 413 ? "data-upload-too-large" : "data-upload-failed"));
    };
    xhr.onerror = function () { failed(form.getAttribute("data-upload-failed")); };
    xhr.send(new FormData(form));
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
