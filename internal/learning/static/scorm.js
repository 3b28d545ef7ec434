// The SCORM run-time API for a package in the player's frame: window.API
// (SCORM 1.2) and window.API_1484_11 (SCORM 2004), which the SCO finds in
// its parent window. Values the SCO sets are kept here and sent to Mamori
// on Commit and at the end (Finish/Terminate, or when the page is left);
// the server checks them again. A preview (no commit address) records
// nothing.
(function () {
  "use strict";
  var initEl = document.getElementById("scorm-init");
  var frame = document.getElementById("scorm-frame");
  if (!initEl || !frame) { return; }
  var init = JSON.parse(initEl.textContent);
  var v12 = init.version === "1.2";
  var values = init.values || {};
  var dirty = {};
  var state = 0; // 0 not initialized, 1 running, 2 finished
  var ended = false; // the session's end (its time) has been sent
  var lastError = "0";
  var started = Date.now();
  var statusEl = document.getElementById("scorm-status");
  var errorEl = document.getElementById("scorm-error");

  var readOnly12 = ["cmi.core._children", "cmi.core.student_id", "cmi.core.student_name", "cmi.core.credit", "cmi.core.entry",
    "cmi.core.total_time", "cmi.core.lesson_mode", "cmi.launch_data", "cmi.student_data._children", "cmi.student_data.mastery_score",
    "cmi.student_data.max_time_allowed", "cmi.student_data.time_limit_action", "cmi.core.score._children", "cmi._version",
    "cmi.interactions._children", "cmi.objectives._children", "cmi.comments_from_lms"];
  var readOnly2004 = ["cmi._version", "cmi.learner_id", "cmi.learner_name", "cmi.credit", "cmi.entry", "cmi.total_time", "cmi.mode",
    "cmi.launch_data", "cmi.completion_threshold", "cmi.scaled_passing_score", "cmi.max_time_allowed", "cmi.time_limit_action",
    "cmi.score._children", "cmi.interactions._children", "cmi.objectives._children", "cmi.comments_from_lms._children",
    "cmi.comments_from_learner._children", "cmi.learner_preference._children"];
  var writeOnly = v12 ? ["cmi.core.exit", "cmi.core.session_time"] : ["cmi.exit", "cmi.session_time"];
  var children = {
    "cmi.core._children": "student_id,student_name,lesson_location,credit,lesson_status,entry,score,total_time,lesson_mode,exit,session_time",
    "cmi.core.score._children": "raw,min,max",
    "cmi.score._children": "scaled,raw,min,max",
    "cmi.student_data._children": "mastery_score,max_time_allowed,time_limit_action",
    "cmi.interactions._children": v12 ? "id,objectives,time,type,correct_responses,weighting,student_response,result,latency"
      : "id,type,objectives,timestamp,correct_responses,weighting,learner_response,result,latency,description",
    "cmi.objectives._children": v12 ? "id,score,status" : "id,score,success_status,completion_status,progress_measure,description",
    "cmi.learner_preference._children": "audio_level,language,delivery_speed,audio_captioning",
    "cmi.student_preference._children": "audio,language,speed,text"
  };
  var vocab = v12 ? { "cmi.core.lesson_status": ["passed", "completed", "failed", "incomplete", "browsed"],
    "cmi.core.exit": ["time-out", "suspend", "logout", ""] }
    : { "cmi.completion_status": ["completed", "incomplete", "not attempted", "unknown"],
      "cmi.success_status": ["passed", "failed", "unknown"], "cmi.exit": ["time-out", "suspend", "logout", "normal", ""] };
  // error codes: [1.2, 2004]
  var E = { notInit: ["301", "122"], getNotInit: ["301", "122"], setNotInit: ["301", "132"], afterEnd: ["101", "133"],
    undefinedEl: ["201", "401"], readOnly: ["403", "404"], writeOnly: ["404", "405"], type: ["405", "406"], keyword: ["402", "403"],
    commitNotInit: ["301", "142"], already: ["101", "103"], general: ["101", "101"] };
  var messages = { "0": "No error", "101": "General exception", "103": "Already initialized", "122": "Retrieve data before initialization",
    "132": "Store data before initialization", "133": "Store data after termination", "142": "Commit before initialization",
    "201": "Invalid argument error", "301": "Not initialized", "401": v12 ? "Not implemented error" : "Undefined data model element",
    "402": "Invalid set value, element is a keyword", "403": v12 ? "Element is read only" : "Data model element value not initialized",
    "404": v12 ? "Element is write only" : "Data model element is read only", "405": v12 ? "Incorrect data type" : "Data model element is write only",
    "406": "Data model element type mismatch" };
  function fail(kind) { lastError = E[kind][v12 ? 0 : 1]; return v12 ? "false" : "false"; }
  function ok() { lastError = "0"; return "true"; }

  function count(prefix) {
    var n = 0, re = new RegExp("^" + prefix.replace(/\./g, "\\.") + "\\.(\\d+)\\.");
    Object.keys(values).forEach(function (k) {
      var m = re.exec(k);
      if (m) { n = Math.max(n, parseInt(m[1], 10) + 1); }
    });
    return n;
  }

  function getValue(el) {
    el = String(el);
    if (state === 0) { fail("getNotInit"); return ""; }
    if (state === 2 && !v12) { lastError = "123"; return ""; }
    if (children[el] !== undefined) { lastError = "0"; return children[el]; }
    var cm = /^(.*)\._count$/.exec(el);
    if (cm) { lastError = "0"; return String(count(cm[1])); }
    if (writeOnly.indexOf(el) >= 0) { fail("writeOnly"); return ""; }
    if (el.indexOf("cmi.") !== 0 && el.indexOf("adl.") !== 0) { fail("undefinedEl"); return ""; }
    if (Object.prototype.hasOwnProperty.call(values, el)) { lastError = "0"; return values[el]; }
    // an element the SCO has not set: empty (2004 says "not initialized" for some)
    lastError = "0";
    return "";
  }

  function setValue(el, val) {
    el = String(el);
    val = String(val);
    if (state === 0) { return fail("setNotInit"); }
    if (state === 2) { return fail("afterEnd"); }
    if (/\._(children|count|version)$/.test(el)) { return fail(v12 ? "keyword" : "readOnly"); }
    if ((v12 ? readOnly12 : readOnly2004).indexOf(el) >= 0) { return fail("readOnly"); }
    if (!/^cmi(\.[A-Za-z_][A-Za-z0-9_]*|\.\d+)+$/.test(el)) { return fail("undefinedEl"); }
    if (vocab[el] && vocab[el].indexOf(val) < 0) { return fail("type"); }
    if (/\.score\.(raw|min|max|scaled)$/.test(el) && val !== "" && isNaN(Number(val))) { return fail("type"); }
    values[el] = val;
    dirty[el] = val;
    return ok();
  }

  function sessionTime() {
    var given = dirty[writeOnly[1]] || values[writeOnly[1]];
    if (given) { return given; }
    var s = Math.round((Date.now() - started) / 1000);
    if (v12) {
      var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
      return (h < 10 ? "000" : h < 100 ? "00" : h < 1000 ? "0" : "") + h + ":" + (m < 10 ? "0" : "") + m + ":" + (x < 10 ? "0" : "") + x;
    }
    return "PT" + s + "S";
  }

  function showError(msg) {
    if (!errorEl) { return; }
    errorEl.textContent = msg;
    errorEl.hidden = !msg;
  }

  // One send at a time, in the order the SCO asked: commits sent
  // together (a SCO commits on every page) can be answered out of order,
  // and an earlier commit's answer would put back an earlier status. A
  // send asked for while one is in flight goes once it is answered, with
  // every value set by then; sending is the whole chain, which the close
  // button waits for. Only a page being left sends at once.
  var sending = null;
  var waiting = null; // { finish } of the send asked for meanwhile
  function send(finish, now) {
    if (!init.commit) { dirty = {}; return null; }
    if (sending && !now) {
      waiting = { finish: (waiting !== null && waiting.finish) || !!finish };
      return sending;
    }
    waiting = null; // this send carries every value set so far
    var body = { values: dirty, finish: !!finish, session_time: finish ? sessionTime() : "" };
    if (finish) { delete body.values[writeOnly[1]]; }
    var sent = dirty;
    dirty = {};
    var p = fetch(init.commit, {
      method: "POST", credentials: "same-origin", keepalive: JSON.stringify(body).length < 60000,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": init.csrf },
      body: JSON.stringify(body)
    }).then(function (res) {
      if (!res.ok) {
        return res.text().then(function (t) {
          var m = /<p[^>]*class="[^"]*lead[^"]*"[^>]*>([^<]*)</.exec(t) || /<title>([^<]*)</.exec(t);
          throw new Error(m ? m[1] : "HTTP " + res.status);
        });
      }
      return res.json().then(function (j) {
        showError("");
        if (statusEl && j.status) { statusEl.textContent = j.status; }
      });
    }).catch(function (e) {
      // keep what was not saved, to send again with the next commit
      Object.keys(sent).forEach(function (k) { if (!(k in dirty)) { dirty[k] = sent[k]; } });
      showError("学習の記録を保存できませんでした（" + e.message + "）。このまま続けると、次の保存のときにもう一度送ります。");
    }).then(function () {
      if (sending === p) { sending = null; }
      if (waiting !== null && sending === null) {
        var w = waiting;
        waiting = null;
        return send(w.finish);
      }
    });
    sending = p;
    return p;
  }

  function initialize(arg) {
    if (String(arg) !== "") { return fail("general"); }
    if (state === 1) { return fail("already"); }
    if (state === 2) { lastError = v12 ? "101" : "104"; return "false"; }
    state = 1;
    started = Date.now();
    return ok();
  }
  function finish(arg) {
    if (String(arg) !== "") { return fail("general"); }
    if (state !== 1) { lastError = v12 ? "301" : (state === 0 ? "112" : "113"); return "false"; }
    state = 2;
    send(!ended);
    ended = true;
    return ok();
  }
  function commit(arg) {
    if (String(arg) !== "") { return fail("general"); }
    if (state !== 1) { lastError = v12 ? "301" : (state === 0 ? "142" : "143"); return "false"; }
    send(false);
    return ok();
  }
  function lastErr() { return lastError; }
  function errString(code) { return messages[String(code)] || ""; }
  function diagnostic(code) { return errString(code || lastError); }

  window.API = {
    LMSInitialize: initialize, LMSFinish: finish, LMSGetValue: getValue, LMSSetValue: setValue, LMSCommit: commit,
    LMSGetLastError: lastErr, LMSGetErrorString: errString, LMSGetDiagnostic: diagnostic
  };
  window.API_1484_11 = {
    Initialize: initialize, Terminate: finish, GetValue: getValue, SetValue: setValue, Commit: commit,
    GetLastError: lastErr, GetErrorString: errString, GetDiagnostic: diagnostic
  };
  if (v12) { delete window.API_1484_11; } else { delete window.API; }

  // A learner who leaves without the SCO finishing: end the session (its
  // time) once; what the SCO still sets while it unloads is sent as well.
  function leave(now) {
    if (state === 1 && !ended) { ended = true; send(true, now); }
  }
  window.addEventListener("pagehide", function () { leave(true); });
  var close = document.getElementById("scorm-close");
  if (close) {
    close.addEventListener("click", function (ev) {
      ev.preventDefault();
      var done = false;
      var go = function () { window.location.href = close.href; };
      var after = function () {
        if (done) { return; }
        done = true;
        leave(false);
        (sending || Promise.resolve()).then(go, go);
      };
      // unload the SCO first, so that it finishes itself
      frame.addEventListener("load", after, { once: true });
      frame.src = "about:blank";
      setTimeout(after, 2000);
    });
  }
  frame.src = frame.getAttribute("data-src");
})();
