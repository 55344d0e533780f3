// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  var csrf = document.querySelector("input[name=csrf_token]");
  function post(url, body) {
    var headers = { "X-Requested-With": "fetch" };
    if (csrf) headers["X-CSRFToken"] = csrf.value;
    return fetch(url, { method: "POST", body: body, headers: headers, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }
  function show(el, text) { if (el) el.textContent = text; }
  var lang = document.documentElement.lang;
  var SAVED = lang === "vi" ? "Đã lưu" : "Saved";
  var OFFLINE = lang === "vi" ? "Chưa lưu được — sẽ thử lại khi có mạng" : "Not saved yet — will retry when online";
  var SAVING = lang === "vi" ? "Đang lưu…" : "Saving…";

  // Survey: save each answer as soon as it is chosen; retry what failed when back online.
  document.querySelectorAll("form[data-autosave-url]").forEach(function (form) {
    var status = form.querySelector(".save-status");
    var pending = {};
    var sending = 0;  // "Saved" only once every answer sent has been stored, not the first
    function flush() {
      var names = Object.keys(pending);
      if (!names.length) return;
      var body = new FormData();
      names.forEach(function (n) { body.append(n, pending[n]); });
      sending += 1;
      show(status, SAVING);
      post(form.dataset.autosaveUrl, body).then(function (result) {
        sending -= 1;
        names.forEach(function (n) { if (pending[n] === body.get(n)) delete pending[n]; });
        // Closed by the facilitator meanwhile: the answer is kept, and the trainee is told why.
        if (result.paused) show(status, result.message);
        else if (!sending) show(status, SAVED);
      }).catch(function () { sending -= 1; show(status, OFFLINE); });
    }
    form.addEventListener("change", function (e) {
      if (e.target.name && e.target.name.indexOf("item-") === 0) {
        pending[e.target.name] = e.target.value;
        flush();
      }
    });
    window.addEventListener("online", flush);
  });

  // Reflections: save without leaving the page.
  document.querySelectorAll("form[data-autosave]").forEach(function (form) {
    form.addEventListener("submit", function (e) {
      e.preventDefault();
      post(form.action, new FormData(form))
        .then(function () { show(form.querySelector(".save-status"), SAVED); })
        .catch(function () { form.submit(); });
    });
  });

  // Live pages (room view, waiting trainees): poll a small JSON state, update or reload.
  document.querySelectorAll("[data-poll-url]").forEach(function (el) {
    var last = null;
    function tick() {
      fetch(el.dataset.pollUrl, { credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (state) {
          if (!state) return;
          var key = JSON.stringify(state.version || state);
          if (el.dataset.pollReload && last !== null && key !== last) { window.location.reload(); return; }
          last = key;
          if (state.progress) {  // a background job's bar
            document.querySelectorAll("progress[data-progress]").forEach(function (bar) {
              bar.max = state.progress.total || 1;
              if (state.progress.total) bar.value = state.progress.done;
            });
          }
          Object.keys(state.counts || {}).forEach(function (name) {
            var target = document.querySelector('[data-count="' + name + '"]');
            if (target) target.textContent = state.counts[name];
          });
        }).catch(function () {});
    }
    tick();
    setInterval(tick, parseInt(el.dataset.pollSeconds || "5", 10) * 1000);
  });
  // Paper entry grid: check each cell as it is typed, jump to the next one, keep totals.
  document.querySelectorAll("table.entry-grid").forEach(function (grid) {
    var cells = Array.prototype.slice.call(grid.querySelectorAll("input[data-allowed]"));
    function total(attr, value, selector) {
      var filled = grid.querySelectorAll("input[" + attr + '="' + value + '"]');
      var n = 0;
      filled.forEach(function (c) { if (c.value) n += 1; });
      var target = grid.querySelector(selector);
      if (target) target.textContent = attr === "data-row" ? n + "/" + filled.length : n;
    }
    grid.addEventListener("input", function (e) {
      var cell = e.target;
      if (!cell.dataset || !cell.dataset.allowed) return;
      cell.value = cell.value.trim().toUpperCase();
      var ok = !cell.value || cell.dataset.allowed.indexOf(cell.value) !== -1;
      cell.classList.toggle("invalid", !ok);
      cell.setAttribute("aria-invalid", ok ? "false" : "true");
      total("data-row", cell.dataset.row, '[data-row-total="' + cell.dataset.row + '"]');
      total("data-col", cell.dataset.col, '[data-col-total="' + cell.dataset.col + '"]');
      if (ok && cell.value) {
        var next = cells[cells.indexOf(cell) + 1];
        if (next) { next.focus(); next.select(); }
      }
    });
  });
})();
