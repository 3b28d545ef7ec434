// A lesson's video: start where the learner left off, and remember the
// position while it plays (every 10 seconds, on pause and at the end).
(function () {
  "use strict";
  var v = document.querySelector("video[data-save]");
  if (!v) { return; }
  var token = document.querySelector("input[name=csrf_token]");
  var start = parseFloat(v.getAttribute("data-start") || "0");
  var last = -1;
  v.addEventListener("loadedmetadata", function () {
    if (start > 0 && start < v.duration - 1) { v.currentTime = start; }
  });
  function save() {
    var ms = Math.floor(v.currentTime * 1000);
    if (!token || ms === last) { return; }
    last = ms;
    var body = new URLSearchParams();
    body.set("position", String(ms));
    body.set("csrf_token", token.value);
    fetch(v.getAttribute("data-save"), { method: "POST", body: body, credentials: "same-origin" }).catch(function () {});
  }
  var timer = null;
  v.addEventListener("play", function () { timer = setInterval(save, 10000); });
  v.addEventListener("pause", function () { clearInterval(timer); save(); });
  v.addEventListener("ended", function () { clearInterval(timer); save(); });
  window.addEventListener("pagehide", save);
})();
