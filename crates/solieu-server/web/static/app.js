// solieu: the pages' only script. Actions go to the JSON API with the
// session's CSRF token; messages come from the server, shown where they belong.
"use strict";
(function () {
  // errors of this page, for people and for the browser tests
  window.__solieuErrors = [];
  window.addEventListener("error", function (e) { window.__solieuErrors.push(String(e.message || e)); });
  window.addEventListener("unhandledrejection", function (e) { window.__solieuErrors.push("promise: " + String(e.reason)); });
  document.addEventListener("securitypolicyviolation", function (e) { window.__solieuErrors.push("csp: " + e.violatedDirective + " " + e.blockedURI); });
  var consoleError = console.error;
  console.error = function () { window.__solieuErrors.push(Array.prototype.join.call(arguments, " ")); consoleError.apply(console, arguments); };

  function csrf() { var m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; }
  function api(method, url, body, type, name) {
    var headers = { "X-CSRF-Token": csrf() };
    if (type) headers["Content-Type"] = type;
    if (name) headers["X-File-Name"] = name;
    return fetch(url, { method: method, headers: headers, body: body, credentials: "same-origin" })
      .then(function (r) { return r.text().then(function (t) { var j = null; try { j = JSON.parse(t); } catch (e) { j = null; } return { status: r.status, body: j }; }); });
  }
  function text(el, s, cls) { if (!el) return; el.textContent = s; el.className = "status-line" + (cls ? " " + cls : ""); }
  // one detail of an error body: {text, file, sheet, row, column, value, message}
  function detailText(d) { return d && typeof d === "object" ? d.text : String(d); }
  function detailsText(err) { return (err.details || []).map(detailText).join("; "); }
  function errorOf(res) { return res.body && res.body.error ? res.body.error : { message: "HTTP " + res.status, details: [] }; }
  function el(tag, txt, cls) { var e = document.createElement(tag); if (txt !== undefined) e.textContent = txt; if (cls) e.className = cls; return e; }

  // the data-entry grid of a round
  var entry = document.getElementById("entry");
  if (entry) {
    var status = document.getElementById("entry-status");
    var base = "/api/v1/rounds/" + encodeURIComponent(entry.dataset.form) + "/" + encodeURIComponent(entry.dataset.unit) + "/" + encodeURIComponent(entry.dataset.period) + "/";
    var collect = function () {
      var values = [];
      entry.querySelectorAll("tbody tr").forEach(function (tr) {
        var code = tr.dataset.indicator, input = tr.querySelector("input.val");
        var st = tr.querySelector("select");
        if (input && input.value.trim() !== "") values.push({ indicator: code, value: input.value.trim(), status: st ? st.value : "E" });
      });
      return values;
    };
    var clearErrors = function () {
      entry.querySelectorAll(".cell-error").forEach(function (e) { e.textContent = ""; });
      entry.querySelectorAll("input.val").forEach(function (i) { i.removeAttribute("aria-invalid"); });
    };
    // a located error names the value's place as data: {file: "draft",
    // row: 2, column: "value", message} → the cell of the 2nd value sent
    var showErrors = function (values, details) {
      var unplaced = [];
      details.forEach(function (d) {
        var v = d && (d.file === "draft" || d.file === "form") && d.row ? values[d.row - 1] : null;
        var cell = v ? document.getElementById("e-" + v.indicator) : null;
        if (cell) {
          cell.textContent = d.message || d.text;
          var input = document.getElementById("v-" + v.indicator);
          if (input) { input.setAttribute("aria-invalid", "true"); }
        } else { unplaced.push(detailText(d)); }
      });
      return unplaced;
    };
    var showViolations = function (list) {
      var ul = document.getElementById("violations");
      ul.textContent = "";
      (list || []).forEach(function (v) { ul.appendChild(el("li", v.message, "sev-" + v.severity)); });
    };
    var send = function (action) {
      clearErrors();
      var values = collect();
      text(status, "…");
      api("POST", base + action, JSON.stringify({ values: values }), "application/json").then(function (res) {
        if (res.status === 200) {
          text(status, action === "draft" ? entry.dataset.msgSaved : entry.dataset.msgSubmitted, "ok");
          var rs = document.getElementById("round-status");
          if (rs && res.body && res.body.round) { var st = res.body.round.status; rs.textContent = entry.dataset["rs" + st.charAt(0).toUpperCase() + st.slice(1)] || st; rs.dataset.status = st; rs.className = "rs rs-" + st; }
          var sub = res.body && (res.body.submission || res.body.result);
          showViolations(sub && sub.violations);
        } else if (res.status === 422) {
          var err = errorOf(res);
          var rest = showErrors(values, err.details || []);
          text(status, entry.dataset.msgErrors + (rest.length ? " " + rest.join("; ") : ""), "bad");
          var first = entry.querySelector('input[aria-invalid="true"]');
          if (first) first.focus();
        } else {
          text(status, errorOf(res).message + ((errorOf(res).details || []).length ? ": " + detailsText(errorOf(res)) : ""), "bad");
        }
      }).catch(function (e) { text(status, String(e), "bad"); });
    };
    var save = document.getElementById("save-draft"), submit = document.getElementById("submit-round");
    if (save) save.addEventListener("click", function () { send("draft"); });
    if (submit) submit.addEventListener("click", function () { send("submit"); });
  }

  // Excel upload: checked first (dry run), written on request
  var file = document.getElementById("upload-file");
  if (file) {
    var out = document.getElementById("upload-result"), write = document.getElementById("upload-write");
    var pending = null;
    var post = function (dry) {
      var f = pending;
      return f.arrayBuffer().then(function (buf) {
        return api("POST", "/api/v1/submissions" + (dry ? "?dry_run=true" : ""), buf, "application/octet-stream", f.name);
      });
    };
    file.addEventListener("change", function () {
      pending = file.files[0] || null;
      write.disabled = true;
      out.textContent = "";
      if (!pending) return;
      post(true).then(function (res) {
        if (res.status === 200) {
          out.appendChild(el("p", out.dataset.msgPreview + ": " + res.body.count, "ok"));
          var wrap = el("div", undefined, "preview"), table = el("table"), head = el("tr");
          ["indicator", "area", "period", "measure", "value", "status"].forEach(function (h) { head.appendChild(el("th", h)); });
          table.appendChild(head);
          res.body.rows.forEach(function (r) {
            var tr = el("tr");
            ["indicator", "area", "period", "measure", "value", "status"].forEach(function (h) { tr.appendChild(el("td", String(r[h]))); });
            table.appendChild(tr);
          });
          wrap.appendChild(table); out.appendChild(wrap);
          write.disabled = false;
        } else {
          var err = errorOf(res);
          out.appendChild(el("p", out.dataset.msgErrors + ": " + err.message, "error"));
          var ul = el("ul", undefined, "upload-errors");
          (err.details || []).forEach(function (d) { ul.appendChild(el("li", detailText(d))); });
          out.appendChild(ul);
        }
      });
    });
    write.addEventListener("click", function () {
      if (!pending) return;
      write.disabled = true;
      post(false).then(function (res) {
        out.textContent = "";
        if (res.status === 201) { out.appendChild(el("p", "✓ " + res.body.new_vintages, "ok")); setTimeout(function () { location.reload(); }, 600); }
        else { var err = errorOf(res); out.appendChild(el("p", err.message + " " + detailsText(err), "error")); }
      });
    });
  }

  // the analyst's matrix: approve, return with a comment, lock
  document.querySelectorAll("button.act").forEach(function (b) {
    b.addEventListener("click", function () {
      var st = document.getElementById("action-status");
      var body = {};
      if (b.dataset.action === "return") { body.comment = (document.getElementById("return-comment") || {}).value || ""; }
      var url = "/api/v1/rounds/" + encodeURIComponent(b.dataset.form) + "/" + encodeURIComponent(b.dataset.unit) + "/" + encodeURIComponent(b.dataset.period) + "/" + b.dataset.action;
      api("POST", url, JSON.stringify(body), "application/json").then(function (res) {
        if (res.status === 200) { text(st, "✓ " + b.dataset.unit + " " + b.dataset.period + ": " + res.body.round.status, "ok"); setTimeout(function () { location.reload(); }, 400); }
        else { var err = errorOf(res); text(st, err.message + ((err.details || []).length ? ": " + detailsText(err) : ""), "bad"); }
      });
    });
  });

  // tasks: new task, progress
  var taskForm = document.getElementById("task-form");
  if (taskForm) {
    taskForm.addEventListener("submit", function (e) {
      e.preventDefault();
      var d = new FormData(taskForm), body = {};
      d.forEach(function (v, k) { if (v !== "") body[k] = v; });
      api("POST", "/api/v1/tasks", JSON.stringify(body), "application/json").then(function (res) {
        if (res.status === 201) location.reload(); else text(document.getElementById("task-status"), errorOf(res).message, "bad");
      });
    });
  }
  document.querySelectorAll("form.task-update").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      e.preventDefault();
      var body = { progress: parseInt(f.progress.value, 10) };
      if (f.note.value.trim()) body.note = f.note.value.trim();
      if (body.progress >= 100) body.status = "done"; else if (body.progress > 0) body.status = "in_progress";
      api("PATCH", "/api/v1/tasks/" + f.dataset.task, JSON.stringify(body), "application/json").then(function (res) {
        if (res.status === 200) location.reload(); else text(document.getElementById("task-status"), errorOf(res).message, "bad");
      });
    });
  });
})();
