/* The judge's scoring sheet: live weighted total, the band a score falls in, the review opinion's
 * character count, debounced autosave with a version check, retry on a lost connection, and the
 * older-tab warning. No inline scripts: the page's Content-Security-Policy allows only files from /static. */
(function () {
  "use strict";

  var form = document.getElementById("sheet-form");
  if (!form) { return; }

  var criteria = Array.prototype.slice.call(form.querySelectorAll("fieldset.criterion[data-weight]"));
  var totalOut = document.getElementById("total");
  var comment = document.getElementById("comment");
  var count = document.getElementById("comment-count");

  /* A criterion's value: the number typed, or the number of the grade chosen; NaN when none. */
  function valueOf(fieldset) {
    var input = fieldset.querySelector("input.score") || fieldset.querySelector("input.grade:checked");
    if (!input || input.value.trim() === "") { return NaN; }
    return parseFloat(input.value);
  }

  /* Mirrors judging.scoring.rules.weighted_total: Σ w·(v−min)/(max−min)·100 / Σ w, two decimals. */
  function weightedTotal() {
    var sum = 0, weights = 0;
    criteria.forEach(function (fieldset) {
      var w = parseFloat(fieldset.dataset.weight), lo = parseFloat(fieldset.dataset.min);
      var hi = parseFloat(fieldset.dataset.max), v = valueOf(fieldset);
      weights += w;
      if (isNaN(v) || hi <= lo || v < lo || v > hi) { return; }
      sum += w * (v - lo) / (hi - lo);
    });
    if (weights <= 0) { return "0.00"; }
    return (Math.round(sum * 100 / weights * 100 + 1e-9) / 100).toFixed(2);
  }

  /* Mirrors judging.scoring.rules.band_of: highlight and name the band the value falls in. */
  function showBand(fieldset) {
    var v = valueOf(fieldset), name = "";
    fieldset.querySelectorAll(".levels li").forEach(function (li) {
      var on = !isNaN(v) && v >= parseFloat(li.dataset.low) && v <= parseFloat(li.dataset.high);
      li.classList.toggle("current", on);
      if (on) { name = li.dataset.label; }
    });
    var out = fieldset.querySelector(".band-now output");
    if (out) { out.textContent = name || "—"; }
  }

  /* Mirrors judging.scoring.rules.opinion_length: characters (not UTF-16 units), ends trimmed. */
  function showCount() {
    if (!comment || !count) { return; }
    var length = Array.from(comment.value.trim()).length, minimum = parseInt(count.dataset.minimum, 10) || 0;
    count.textContent = count.dataset.template.replace("{count}", length).replace("{minimum}", minimum);
    count.classList.toggle("short", length < minimum);
  }

  function refresh() {
    if (totalOut) { totalOut.textContent = weightedTotal(); }
    criteria.forEach(showBand);
    showCount();
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
    var fieldset = event.target.closest && event.target.closest("fieldset.criterion[data-weight]");
    if (fieldset) { showBand(fieldset); }
    if (event.target === comment) { showCount(); }
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
