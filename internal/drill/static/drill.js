// The drill pages on the day: the clock ticks, the page polls what has
// changed (new injects, responses, observations) and reloads when nothing
// is being typed — otherwise it offers a reload link — and every text box
// marked data-draft keeps what was typed in this browser until it is sent,
// so a reload or a lost connection never loses it.
(function () {
  "use strict";
  var out = document.getElementById("elapsed");
  if (out && out.dataset.running) {
    var secs = parseInt(out.dataset.secs, 10) || 0, t0 = Date.now();
    var pad = function (n) { return (n < 10 ? "0" : "") + n; };
    setInterval(function () {
      var s = secs + Math.floor((Date.now() - t0) / 1000);
      out.textContent = Math.floor(s / 3600) + ":" + pad(Math.floor(s / 60) % 60) + ":" + pad(s % 60);
    }, 1000);
  }

  var drafts = document.querySelectorAll("textarea[data-draft]");
  var store = null;
  try { store = window.localStorage; } catch (e) { store = null; }
  var keyOf = function (el) { return "mamori-drill:" + location.pathname + ":" + el.dataset.draft; };
  Array.prototype.forEach.call(drafts, function (el) {
    if (!store) { return; }
    var saved = store.getItem(keyOf(el));
    if (saved && !el.value) { el.value = saved; }
    el.addEventListener("input", function () {
      if (el.value) { store.setItem(keyOf(el), el.value); } else { store.removeItem(keyOf(el)); }
    });
    if (el.form) {
      el.form.addEventListener("submit", function () { store.removeItem(keyOf(el)); });
    }
  });
  var typing = function () {
    return Array.prototype.some.call(document.querySelectorAll("textarea, input[type=text]"), function (el) {
      return el.value && el.value !== el.defaultValue;
    });
  };

  var head = document.querySelector("[data-pulse]");
  if (!head || head.dataset.state === "ended") { return; }
  var note = document.getElementById("pulse-note");
  var fields = ["state", "released", "responses", "observations"];
  var poll = function () {
    fetch(head.dataset.pulse, { credentials: "same-origin", cache: "no-store" }).then(function (r) {
      return r.ok ? r.json() : null;
    }).then(function (p) {
      if (!p) { return; }
      var changed = fields.some(function (f) {
        return p[f] !== undefined && String(p[f]) !== String(head.dataset[f]);
      });
      if (!changed) { return; }
      if (!typing() && !document.activeElement.matches("textarea, input, select")) {
        location.reload();
      } else if (note) {
        note.hidden = false;
      }
    }).catch(function () { /* offline: try again at the next tick */ });
  };
  setInterval(poll, 5000);
})();
