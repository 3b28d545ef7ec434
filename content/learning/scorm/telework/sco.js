// The sample SCO: four pages and a five-question quiz. It reports the page
// it is on (lesson_location), its answers (suspend_data), the score and
// passed/failed to the LMS through the SCORM 1.2 API.
(function () {
  "use strict";
  function findAPI(w) {
    for (var i = 0; w && i < 10; i++) {
      if (w.API) { return w.API; }
      if (w.parent === w) { break; }
      w = w.parent;
    }
    return window.opener && window.opener.API ? window.opener.API : null;
  }
  var api = findAPI(window.parent !== window ? window.parent : null) || findAPI(window);
  var live = !!api && api.LMSInitialize("") === "true";
  function get(k) { return live ? api.LMSGetValue(k) : ""; }
  function set(k, v) { if (live) { api.LMSSetValue(k, v); } }

  var key = { q1: "b", q2: "c", q3: "b", q4: "a", q5: "b" };
  var pages = document.querySelectorAll(".page");
  var page = parseInt(get("cmi.core.lesson_location"), 10) || 1;
  var answers = {};
  try { answers = JSON.parse(get("cmi.suspend_data") || "{}"); } catch (e) { answers = {}; }
  var status = get("cmi.core.lesson_status");
  if (status === "not attempted" || status === "") { set("cmi.core.lesson_status", "incomplete"); }

  function show(n) {
    page = Math.max(1, Math.min(pages.length, n));
    for (var i = 0; i < pages.length; i++) { pages[i].hidden = i !== page - 1; }
    document.getElementById("where").textContent = page + " / " + pages.length;
    document.getElementById("prev").disabled = page === 1;
    document.getElementById("next").disabled = page === pages.length;
    set("cmi.core.lesson_location", String(page));
    if (live) { api.LMSCommit(""); }
    window.scrollTo(0, 0);
  }
  document.getElementById("prev").addEventListener("click", function () { show(page - 1); });
  document.getElementById("next").addEventListener("click", function () { show(page + 1); });

  var form = document.getElementById("quiz");
  Object.keys(answers).forEach(function (q) {
    var el = form.querySelector("input[name=" + q + "][value=" + answers[q] + "]");
    if (el) { el.checked = true; }
  });
  form.addEventListener("change", function (ev) {
    answers[ev.target.name] = ev.target.value;
    set("cmi.suspend_data", JSON.stringify(answers));
  });
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var right = 0, qs = Object.keys(key);
    qs.forEach(function (q, i) {
      var given = answers[q] || "";
      set("cmi.interactions." + i + ".id", q);
      set("cmi.interactions." + i + ".type", "choice");
      set("cmi.interactions." + i + ".student_response", given);
      set("cmi.interactions." + i + ".result", given === key[q] ? "correct" : "wrong");
      if (given === key[q]) { right++; }
    });
    var score = Math.round(right * 100 / qs.length);
    var passed = score >= 80;
    set("cmi.core.score.min", "0");
    set("cmi.core.score.max", "100");
    set("cmi.core.score.raw", String(score));
    set("cmi.core.lesson_status", passed ? "passed" : "failed");
    if (live) { api.LMSCommit(""); }
    var out = document.getElementById("result");
    out.textContent = passed ? score + " 点で合格です。修了しました。" : score + " 点でした（合格は 80 点以上）。見直してもう一度答えてください。";
    out.className = passed ? "pass" : "fail";
  });

  var finished = false;
  function finish() {
    if (!live || finished) { return; }
    finished = true;
    var s = api.LMSGetValue("cmi.core.lesson_status");
    set("cmi.core.exit", s === "passed" ? "" : "suspend");
    api.LMSFinish("");
  }
  window.addEventListener("pagehide", finish);
  window.addEventListener("unload", finish);
  show(page);
})();
