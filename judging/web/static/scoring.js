/* The judge's scoring sheet: live weighted total, level highlighting, debounced autosave with a
 * version check, retry on a lost connection, and the older-tab warning. No inline scripts: the
 * page's Content-Security-Policy allows only files from /static. */
(function () {
  "use strict";

  var form = document.getElementById("sheet-form");
  if (!form) { return; }

  var scores = Array.prototype.slice.call(form.querySelectorAll("input.score"));
  var totalOut = document.getElementById("total");

  /* Mirrors judging.scoring.rules.weighted_total: Σ w·(v−min)/(max−min)·100 / Σ w, two decimals. */
  function weightedTotal() {
    var sum = 0, weights = 0;
    scores.forEach(function (input) {
      var w = parseFloat(input.dataset.weight), lo = parseFloat(input.min), hi = parseFloat(input.max);
      weights += w;
      var v = parseFloat(input.value);
      if (input.value.trim() === "" || isNaN(v) || hi <= lo || v < lo || v > hi) { return; }
      sum += w * (v - lo) / (hi - lo);
    });
    if (weights <= 0) { return "0.00"; }
    return (Math.round(sum * 100 / weights * 100 + 1e-9) / 100).toFixed(2);
  }

  function highlightLevels(input) {
    var fieldset = input.closest("fieldset");
    var v = parseFloat(input.value);
    fieldset.querySelectorAll(".levels li").forEach(function (li) {
      var on = !isNaN(v) && v >= parseFloat(li.dataset.low) && v <= parseFloat(li.dataset.high);
      li.classList.toggle("current", on);
    });
  }

  function refresh() {
    if (totalOut) { totalOut.textContent = weightedTotal(); }
    scores.forEach(highlightLevels);
  }
  refresh();

  if (form.dataset.readonly) { return; }

  var status = document.getElementById("save-status");
  var versionInput = form.querySelector("input[name=version]");
  var csrfInput = form.querySelector("input[name=_csrf_token]");
  var draftUrl = form.dataset.draftUrl;
  var timer = null, saving = false, stopped = false, retryDelay = 2000, pendingSubmit = null;
  var lastSaved = snapshot();

  function snapshot() {
    var data = new FormData(form), parts = [];
    data.forEach(function (value, key) {
      if (key !== "version" && key !== "_csrf_token") { parts.push(key + "=" + value); }
    });
    return parts.join("&");
  }

  function say(text, kind) {
    if (!status) { return; }
    status.textContent = text;
    status.className = "save-status" + (kind ? " " + kind : "");
  }

  function showFieldErrors(fields) {
    form.querySelectorAll(".field-error").forEach(function (p) {
      var message = fields && fields[p.dataset.for] ? fields[p.dataset.for] : "";
      p.textContent = message;
      var fieldset = p.closest("fieldset");
      if (fieldset) { fieldset.classList.toggle("has-error", !!message); }
      var input = form.querySelector("[name='" + p.dataset.for + "']");
      if (input) {
        if (message) { input.setAttribute("aria-invalid", "true"); } else { input.removeAttribute("aria-invalid"); }
      }
    });
  }

  function showBanner(text, kind) {
    var banner = document.getElementById("form-error");
    if (!banner) {
      banner = document.createElement("p");
      banner.id = "form-error";
      banner.setAttribute("role", "alert");
      form.insertBefore(banner, form.querySelector("fieldset"));
    }
    banner.className = "notice " + kind;
    banner.textContent = text;
  }

  function schedule(ms) {
    clearTimeout(timer);
    timer = setTimeout(save, ms);
  }

  function finishPendingSubmit() {
    if (pendingSubmit && !saving) {
      var submitter = pendingSubmit;
      pendingSubmit = null;
      form.requestSubmit(submitter);
    }
  }

  function save() {
    timer = null;
    if (stopped) { return; }
    if (saving) { schedule(300); return; }
    var current = snapshot();
    if (current === lastSaved) { finishPendingSubmit(); return; }
    saving = true;
    say(status.dataset.saving, "pending");
    var body = new URLSearchParams(new FormData(form));
    fetch(draftUrl, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"accept": "application/json", "x-csrftoken": csrfInput ? csrfInput.value : ""}
    }).then(function (response) {
      if (response.status >= 500 || response.status === 0) { throw new Error("server " + response.status); }
      if (response.status === 401) {
        saving = false;
        say(status.dataset.expired, "error");
        schedule(15000);
        return null;
      }
      return response.json().catch(function () { return {}; }).then(function (json) {
        saving = false;
        retryDelay = 2000;
        if (response.ok) {
          versionInput.value = json.version;
          lastSaved = current;
          showFieldErrors({});
          var banner = document.getElementById("form-error");
          if (banner) { banner.remove(); }
          say(json.message, "ok");
          if (snapshot() !== lastSaved) { schedule(800); } else { finishPendingSubmit(); }
          return;
        }
        pendingSubmit = null;
        if (response.status === 422) {
          showFieldErrors(json.fields || {});
          say(json.error || status.dataset.failed, "error");
          return;
        }
        // 409 (another tab saved, submitted, deadline passed), 403 (CSRF), 404: stop, tell, keep the text.
        stopped = true;
        showBanner(json.error || status.dataset.failed, json.kind === "stale" ? "warn" : "error");
        say(status.dataset.failed, "error");
      });
    }).catch(function () {
      saving = false;
      say(status.dataset.offline, "warn");
      schedule(retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    });
  }

  function changed(event) {
    if (event.target.classList && event.target.classList.contains("score")) { highlightLevels(event.target); }
    if (totalOut) { totalOut.textContent = weightedTotal(); }
    if (stopped) { return; }
    if (snapshot() !== lastSaved) { say(status.dataset.unsaved, "pending"); }
    schedule(event.type === "change" ? 300 : 1200);
  }
  form.addEventListener("input", changed);
  form.addEventListener("change", changed);

  // Submitting posts the values itself; wait for an autosave in flight so its version is current.
  form.addEventListener("submit", function (event) {
    if (saving && !stopped) {
      event.preventDefault();
      pendingSubmit = event.submitter || null;
      return;
    }
    clearTimeout(timer);
  });

  window.addEventListener("beforeunload", function (event) {
    if (!stopped && (saving || snapshot() !== lastSaved) && !form.dataset.submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  form.addEventListener("submit", function (event) {
    if (!event.defaultPrevented) { form.dataset.submitting = "1"; }
  });
})();
