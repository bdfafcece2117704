// Work orders: the customer's drawn signature on the authorisation form (canvas → PNG data URL).
(function () {
  "use strict";
  document.querySelectorAll("canvas[data-signature-pad]").forEach(function (canvas) {
    var target = document.getElementById(canvas.getAttribute("data-signature-pad"));
    var ctx = canvas.getContext("2d");
    var drawing = false, drawn = false;
    ctx.lineWidth = 2; ctx.lineCap = "round"; ctx.strokeStyle = "#111";
    function pos(ev) {
      var r = canvas.getBoundingClientRect();
      return [(ev.clientX - r.left) * canvas.width / r.width, (ev.clientY - r.top) * canvas.height / r.height];
    }
    canvas.addEventListener("pointerdown", function (ev) {
      drawing = true; canvas.setPointerCapture(ev.pointerId);
      var p = pos(ev); ctx.beginPath(); ctx.moveTo(p[0], p[1]);
    });
    canvas.addEventListener("pointermove", function (ev) {
      if (!drawing) { return; }
      var p = pos(ev); ctx.lineTo(p[0], p[1]); ctx.stroke(); drawn = true;
    });
    function end() { drawing = false; if (drawn && target) { target.value = canvas.toDataURL("image/png"); } }
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
  });
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest("[data-signature-clear]");
    if (!btn) { return; }
    var canvas = document.getElementById(btn.getAttribute("data-signature-clear"));
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    var target = document.getElementById(canvas.getAttribute("data-signature-pad"));
    if (target) { target.value = ""; }
  });
})();
