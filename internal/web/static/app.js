// Mamori progressive enhancement: everything works without this file.
(function () {
  "use strict";
  // Confirm dangerous actions: <form data-confirm="…">.
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    var msg = f.getAttribute && f.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) { ev.preventDefault(); }
  });
  // Auto-submit selects marked data-autosubmit (filters).
  document.addEventListener("change", function (ev) {
    var el = ev.target;
    if (el.hasAttribute && el.hasAttribute("data-autosubmit") && el.form) { el.form.submit(); }
  });
  // Side menu: a <details> that folds without this script. Narrow screens
  // start with it closed (the content comes first); on a wide screen the
  // person's last choice is kept in this browser, never on the server.
  var fold = document.querySelector("details.nav-fold");
  if (fold) {
    var narrow = window.matchMedia("(max-width: 900px)");
    var saved = null;
    try { saved = window.localStorage.getItem("mamori.nav"); } catch (e) { saved = null; }
    if (narrow.matches || saved === "closed") { fold.open = false; }
    fold.addEventListener("toggle", function () {
      if (narrow.matches) { return; }
      try { window.localStorage.setItem("mamori.nav", fold.open ? "open" : "closed"); } catch (e) { /* storage off */ }
    });
  }
  // Forms that need an answer first (a typed acknowledgement): their submit
  // buttons stay disabled until the form is valid. The server checks again.
  Array.prototype.forEach.call(document.querySelectorAll("form[data-disable-until-valid]"), function (f) {
    var sync = function () {
      var ok = f.checkValidity();
      Array.prototype.forEach.call(f.querySelectorAll("button[type=submit]"), function (b) { b.disabled = !ok; });
    };
    f.addEventListener("input", sync);
    sync();
  });
  // Progress pages: poll the job's JSON and update the bar without a reload.
  var prog = document.querySelector("[data-job-url]");
  if (prog && prog.getAttribute("data-job-url")) {
    var url = prog.getAttribute("data-job-url");
    var bar = prog.querySelector("progress");
    var text = prog.querySelector("[data-job-text]");
    var tick = function () {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (bar && j.total > 0) { bar.max = j.total; bar.value = j.progress; }
          if (text) { text.textContent = j.message || ""; }
          if (j.status === "done" || j.status === "failed") { window.location.reload(); return; }
          setTimeout(tick, 700);
        })
        .catch(function () { setTimeout(tick, 2000); });
    };
    // Stop the meta refresh fallback when script runs.
    var meta = document.querySelector("meta[http-equiv=refresh]");
    if (meta) { meta.parentNode.removeChild(meta); }
    setTimeout(tick, 500);
  }
})();
