// Mamori fieldwork (実地監査): saving as one types, with nothing lost on a
// dropped connection, and keyboard shortcuts on the item screen. The pages
// work without this file (plain forms); this file adds:
//   - autosave of form[data-autosave]: a debounced POST of the whole form
//     with the rev it was read at; the answer carries the new rev;
//   - an outbox in this browser (localStorage) holding every unsent form,
//     sent again when the connection is back or the next fieldwork page
//     opens, and cleared once saved;
//   - a conflict (409: someone saved in between) shows both versions and
//     lets the user load theirs or save their own, never silently;
//   - keys on the item screen: 1–5 judgement, n/p next/previous, s save.
(function () {
  "use strict";
  var OUTBOX = "mamori.fieldwork.outbox";
  var TYPING_DELAY = 800, CLICK_DELAY = 150, RETRY = 8000, MAX_AGE = 14 * 24 * 3600 * 1000;
  var SKIP = { csrf_token: true, rev: true, back: true, go: true };

  var banner = document.getElementById("fw-outbox");
  var user = banner ? banner.getAttribute("data-fw-user") : "";
  if (!banner || !user) { return; }

  function readBox() {
    try { return JSON.parse(window.localStorage.getItem(OUTBOX) || "{}") || {}; } catch (e) { return {}; }
  }
  function writeBox(box) {
    try {
      if (Object.keys(box).length) { window.localStorage.setItem(OUTBOX, JSON.stringify(box)); }
      else { window.localStorage.removeItem(OUTBOX); }
    } catch (e) { /* storage full or off: the form still saves while online */ }
  }
  function token() {
    var el = document.querySelector("input[name=csrf_token]");
    return el ? el.value : "";
  }
  function clock() {
    var d = new Date();
    return ("0" + d.getHours()).slice(-2) + ":" + ("0" + d.getMinutes()).slice(-2);
  }

  // send posts a form body with a rev; it resolves to {status, j} (j is
  // the JSON answer, {} when there is none) and rejects when the request
  // never got an answer.
  function send(url, body, rev) {
    var p = new URLSearchParams(body);
    p.set("rev", rev);
    p.set("csrf_token", token());
    return window.fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded;charset=UTF-8" },
      body: p.toString()
    }).then(function (resp) {
      return resp.json().then(function (j) { return { status: resp.status, j: j || {} }; },
        function () { return { status: resp.status, j: {} }; });
    });
  }

  // values reads a form body into name → values.
  function valuesOf(body) {
    var out = {};
    new URLSearchParams(body).forEach(function (v, k) { (out[k] = out[k] || []).push(v); });
    return out;
  }

  // apply puts values (name → list) into a form's fields; a check box or
  // radio whose name is absent is cleared (an unchecked box is not sent).
  function apply(form, values) {
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || SKIP[el.name] || el.type === "file" || el.type === "submit" || el.type === "button") { return; }
      var vs = values[el.name] || [];
      if (el.type === "checkbox" || el.type === "radio") { el.checked = vs.indexOf(el.value) >= 0; }
      else { el.value = vs.length ? vs[0] : ""; }
    });
  }

  // Autosave is one form of the page.
  function Autosave(form) {
    this.form = form;
    this.url = form.getAttribute("action");
    this.title = form.getAttribute("data-title") || "";
    this.rev = form.querySelector("input[name=rev]");
    this.state = document.querySelector("[data-save-state]");
    this.panel = document.querySelector("[data-conflict]");
    this.gen = 0;
    this.timer = null;
    this.inflight = false;
    this.conflict = null;
    this.waiters = [];
  }

  Autosave.prototype.body = function () {
    var fd = new FormData(this.form);
    Object.keys(SKIP).forEach(function (k) { fd.delete(k); });
    var p = new URLSearchParams();
    fd.forEach(function (v, k) { if (typeof v === "string") { p.append(k, v); } });
    return p.toString();
  };

  Autosave.prototype.setState = function (kind, text) {
    if (!this.state) { return; }
    this.state.className = "fw-state" + (kind ? " fw-" + kind : "");
    this.state.textContent = text;
  };

  // changed records the form in the outbox and schedules a save.
  Autosave.prototype.changed = function (delay) {
    this.gen++;
    var box = readBox();
    box[this.url] = { user: user, title: this.title, body: this.body(), rev: this.rev.value, at: Date.now(), conflict: !!this.conflict };
    writeBox(box);
    if (this.conflict) { return; }
    this.setState("pending", "未保存の入力があります");
    this.schedule(delay === undefined ? TYPING_DELAY : delay);
  };

  Autosave.prototype.schedule = function (delay) {
    var self = this;
    window.clearTimeout(this.timer);
    this.timer = window.setTimeout(function () { self.flush(); }, delay);
  };

  // flush sends the outbox entry of this form, if any; done(ok) is called
  // when there is nothing left to send (ok) or sending failed (not ok).
  Autosave.prototype.flush = function (done) {
    var self = this;
    if (done) { this.waiters.push(done); }
    var entry = readBox()[this.url];
    if (!entry) { this.settle(true); return; }
    if (this.conflict) { this.settle(false, "conflict"); return; }
    if (this.inflight) { return; }
    window.clearTimeout(this.timer);
    this.inflight = true;
    var gen = this.gen;
    this.setState("pending", "保存しています…");
    send(this.url, entry.body, entry.rev).then(function (res) {
      self.inflight = false;
      self.answer(res, gen, entry);
    }, function () {
      self.inflight = false;
      self.setState("pending", "未送信：接続が切れています。入力はこの端末に保存してあり、接続が戻ると送信します。");
      self.schedule(RETRY);
      self.settle(false, "offline");
    });
  };

  // settle tells those waiting for a flush how it ended: ok, or why not
  // (offline, server, conflict, invalid, closed, login, gone).
  Autosave.prototype.settle = function (ok, why) {
    var ws = this.waiters;
    this.waiters = [];
    ws.forEach(function (f) { f(ok, why || ""); });
  };

  Autosave.prototype.showErrors = function (errors) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-error-for]"), function (p) {
      var msg = errors && errors[p.getAttribute("data-error-for")];
      p.textContent = msg || "";
      p.hidden = !msg;
    });
  };

  Autosave.prototype.answer = function (res, gen, entry) {
    var box = readBox(), j = res.j;
    if (res.status === 200 && j.ok) {
      this.rev.value = j.rev;
      // Other forms on the same record (delete) name the rev too.
      var url = this.url;
      Array.prototype.forEach.call(document.querySelectorAll("form[action] input[name=rev]"), function (el) {
        if (el.form && el.form.getAttribute("action").indexOf(url + "/") === 0) { el.value = j.rev; }
      });
      this.showErrors(null);
      if (box[this.url]) {
        if (gen === this.gen) { delete box[this.url]; } else { box[this.url].rev = String(j.rev); }
        writeBox(box);
      }
      if (gen === this.gen) {
        this.setState("ok", "保存しました（" + clock() + "）");
        this.settle(true);
      } else {
        this.flush();
      }
      return;
    }
    if (res.status === 409 && j.conflict) {
      this.showConflict(j);
      this.settle(false, "conflict");
      return;
    }
    if (res.status === 409 && j.closed) {
      delete box[this.url];
      writeBox(box);
      this.setState("error", j.message + " 入力した内容は画面に残っています。必要なら写し取ってください。");
      this.settle(false, "closed");
      return;
    }
    if (res.status === 400) {
      this.showErrors(j.errors);
      this.setState("error", "保存できませんでした：" + (j.message || j.error || "入力内容を確認してください。"));
      this.settle(false, "invalid");
      return;
    }
    if (res.status === 401 || res.status === 403) {
      this.setState("error", (j.error || "ログインの有効期限が切れました。") + " 入力はこの端末に保存してあります。ログインし直すと送信します。");
      this.settle(false, "login");
      return;
    }
    if (res.status === 404) {
      delete box[this.url];
      writeBox(box);
      this.setState("error", j.error || "この記録は見つかりません。");
      this.settle(false, "gone");
      return;
    }
    this.setState("pending", "未送信：サーバーで問題が起きました。しばらくしてからもう一度送信します。");
    this.schedule(RETRY * 2);
    this.settle(false, "server");
  };

  // showConflict shows the other person's version beside this user's and
  // pauses saving until the user chooses.
  Autosave.prototype.showConflict = function (j) {
    var c = j.conflict, self = this;
    this.conflict = c;
    var box = readBox();
    if (box[this.url]) { box[this.url].conflict = true; writeBox(box); }
    this.setState("error", "保存していません：他の人が先に保存しました。下で内容を確かめてください。");
    if (!this.panel) { return; }
    var rows = this.panel.querySelector("[data-conflict-rows]");
    var who = this.panel.querySelector("[data-conflict-who]");
    if (who) { who.textContent = c.by + (c.at ? "（" + c.at + "）" : ""); }
    if (rows) {
      rows.textContent = "";
      c.fields.forEach(function (f) {
        var tr = document.createElement("tr");
        if (f.differs) { tr.className = "fw-differs"; }
        var th = document.createElement("th");
        th.scope = "row";
        th.textContent = f.label + (f.differs ? "（違いあり）" : "");
        tr.appendChild(th);
        [f.theirs, f.mine].forEach(function (t) {
          var td = document.createElement("td");
          if (f.long) { td.className = "fw-long"; }
          td.textContent = t || "（なし）";
          tr.appendChild(td);
        });
        rows.appendChild(tr);
      });
    }
    this.panel.hidden = false;
    var take = this.panel.querySelector("[data-conflict-take]");
    var keep = this.panel.querySelector("[data-conflict-keep]");
    if (take) {
      take.onclick = function (ev) {
        ev.preventDefault();
        apply(self.form, c.values);
        self.resolve(c.rev, false);
        self.setState("ok", "相手の保存内容を読み込みました。");
      };
    }
    if (keep) {
      keep.onclick = function (ev) {
        ev.preventDefault();
        self.resolve(c.rev, true);
      };
    }
    this.panel.scrollIntoView({ block: "start" });
    var h = this.panel.querySelector("h2");
    if (h) { h.setAttribute("tabindex", "-1"); h.focus(); }
  };

  // resolve ends a conflict at the stored rev: with this user's version
  // saved over it (keep), or with theirs loaded (nothing to send).
  Autosave.prototype.resolve = function (rev, keep) {
    this.conflict = null;
    this.rev.value = rev;
    if (this.panel) { this.panel.hidden = true; }
    var box = readBox();
    delete box[this.url];
    writeBox(box);
    if (keep) {
      this.changed(0);
    }
  };

  Autosave.prototype.start = function () {
    var self = this, form = this.form;
    var choice = function (t) { return t.type === "radio" || t.type === "checkbox" || t.tagName === "SELECT"; };
    form.addEventListener("input", function (ev) {
      var t = ev.target;
      if (t.type !== "file" && !choice(t)) { self.changed(TYPING_DELAY); }
    });
    form.addEventListener("change", function (ev) {
      var t = ev.target;
      if (!choice(t)) { return; }
      // Picking a judgement starts the work on an item not yet started.
      if (t.name === "judgement" && t.checked) {
        var todo = form.querySelector("input[name=status][value=todo]");
        var doing = form.querySelector("input[name=status][value=doing]");
        if (todo && doing && todo.checked) { doing.checked = true; }
      }
      self.changed(CLICK_DELAY);
    });
    // Submitting saves through the same path, then goes where the button
    // says (保存して次へ) — even offline, since the outbox keeps the form.
    var lastButton = null;
    form.addEventListener("click", function (ev) {
      if (ev.target && ev.target.type === "submit") { lastButton = ev.target; }
    });
    form.addEventListener("submit", function (ev) {
      ev.preventDefault();
      var b = ev.submitter || lastButton;
      var dest = b && b.name === "go" ? b.value : "";
      self.changed(0);
      self.flush(function (ok, why) {
        if (dest && (ok || why === "offline" || why === "server")) { window.location.href = dest; }
      });
    });
    // A form left unsent on an earlier visit (this user, this browser):
    // put it back and send it.
    var entry = readBox()[this.url];
    if (entry && entry.user === user) {
      if (entry.body !== this.body()) {
        apply(form, valuesOf(entry.body));
      }
      this.setState("pending", "この端末に未送信の入力がありました。送信します…");
      this.flush();
    }
  };

  // leave goes to href once the form is saved (or could not be: the
  // outbox keeps it), waiting at most a few seconds.
  Autosave.prototype.leave = function (href) {
    var gone = false;
    var go = function () { if (!gone) { gone = true; window.location.href = href; } };
    if (!readBox()[this.url]) { go(); return; }
    var timer = window.setTimeout(go, 4000);
    this.flush(function (ok, why) {
      if (ok || why === "offline" || why === "server") { go(); return; }
      window.clearTimeout(timer); // a conflict or a mistake to fix here first
    });
  };

  // The outbox of other screens: send what this user left unsent there,
  // and list what cannot be sent (a conflict to resolve on its screen).
  function flushOthers(current) {
    var box = readBox(), now = Date.now(), urls = [];
    Object.keys(box).forEach(function (url) {
      var e = box[url];
      if (!e || now - (e.at || 0) > MAX_AGE) { delete box[url]; return; }
      if (e.user === user && url !== current) { urls.push(url); }
    });
    writeBox(box);
    var stuck = [];
    var next = function () {
      if (!urls.length) { showBanner(stuck); return; }
      var url = urls.shift(), e = readBox()[url];
      if (!e) { next(); return; }
      if (e.conflict) { stuck.push({ url: url, title: e.title, why: "競合" }); next(); return; }
      send(url, e.body, e.rev).then(function (res) {
        var b = readBox();
        if (res.status === 200 && res.j.ok) { delete b[url]; }
        else if (res.status === 409 && res.j.conflict) { if (b[url]) { b[url].conflict = true; } stuck.push({ url: url, title: e.title, why: "競合" }); }
        else if (res.status === 404 || (res.status === 409 && res.j.closed)) { delete b[url]; }
        else { stuck.push({ url: url, title: e.title, why: "未送信" }); }
        writeBox(b);
        next();
      }, function () { stuck.push({ url: url, title: e.title, why: "未送信" }); next(); });
    };
    next();
  }

  function showBanner(stuck) {
    banner.textContent = "";
    if (!stuck.length) { banner.hidden = true; return; }
    var p = document.createElement("p");
    p.textContent = "この端末に、まだ保存されていない入力があります。開いて確かめてください。";
    banner.appendChild(p);
    var ul = document.createElement("ul");
    stuck.forEach(function (s) {
      var li = document.createElement("li"), a = document.createElement("a");
      a.href = s.url;
      a.textContent = (s.title || s.url) + "（" + s.why + "）";
      li.appendChild(a);
      ul.appendChild(li);
    });
    banner.appendChild(ul);
    banner.hidden = false;
  }

  var form = document.querySelector("form[data-autosave]");
  var ctl = null;
  if (form && !form.hasAttribute("data-closed") && window.fetch && window.URLSearchParams) {
    ctl = new Autosave(form);
    ctl.start();
    // The server's conflict page (no script at the time) already carries
    // the stored rev: saving again is the user's choice, made with both
    // versions in view.
  }
  flushOthers(ctl ? ctl.url : "");
  window.addEventListener("online", function () {
    if (ctl) { ctl.flush(); }
    flushOthers(ctl ? ctl.url : "");
  });
  window.addEventListener("beforeunload", function (ev) {
    if (ctl && ctl.inflight) { ev.preventDefault(); ev.returnValue = ""; }
  });

  // Keys on the item screen (announced on the page): 1–5 pick the
  // judgement, n / p the next / previous item, s saves now. Not while
  // typing in a text field (Esc leaves it).
  if (!ctl || !form.querySelector("input[name=judgement]")) { return; }
  document.addEventListener("keydown", function (ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.isComposing) { return; }
    var t = ev.target, tag = t.tagName;
    if (ev.key === "Escape" && (tag === "TEXTAREA" || tag === "INPUT")) { t.blur(); return; }
    if (tag === "TEXTAREA" || tag === "SELECT" || t.isContentEditable ||
        (tag === "INPUT" && !/^(radio|checkbox|button|submit)$/i.test(t.type))) { return; }
    var k = ev.key;
    if (/^[1-5]$/.test(k)) {
      var r = form.querySelector("input[name=judgement][data-key='" + k + "']");
      if (r && !r.disabled) {
        ev.preventDefault();
        r.checked = true;
        r.dispatchEvent(new Event("change", { bubbles: true }));
        r.focus();
      }
    } else if (k === "n" || k === "p") {
      var a = document.querySelector("a[data-nav=" + (k === "n" ? "next" : "prev") + "]");
      if (a) { ev.preventDefault(); ctl.leave(a.href); }
    } else if (k === "s") {
      ev.preventDefault();
      ctl.changed(0);
    }
  });
  Array.prototype.forEach.call(document.querySelectorAll("a[data-nav]"), function (a) {
    a.addEventListener("click", function (ev) {
      if (ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) { return; }
      ev.preventDefault();
      ctl.leave(a.href);
    });
  });
})();
