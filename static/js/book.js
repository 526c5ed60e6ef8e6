// Application-book editing: autosave, a local copy when the network fails, conflict warnings,
// and adding table rows. Without JavaScript the Save buttons do the same work.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autosave]");
  if (!form) { return; }
  var status = document.getElementById("autosave-status");
  var versionInput = form.querySelector("input[name=base_version]");
  var storageKey = "book:" + form.dataset.application + ":" + form.dataset.section;
  var timer = null, inFlight = false, pending = false, stopped = false, retryTimer = null;

  function say(text, kind) {
    status.textContent = text;
    status.className = "autosave-status" + (kind ? " " + kind : "");
  }

  function entries() {
    var data = new FormData(form);
    var list = [];
    data.forEach(function (value, key) { if (key !== "csrfmiddlewaretoken") { list.push([key, value]); } });
    return list;
  }

  function keepLocally() {
    try {
      localStorage.setItem(storageKey, JSON.stringify({ version: versionInput.value, entries: entries(), at: Date.now() }));
    } catch (e) { /* storage full or disabled: nothing more we can do */ }
  }

  function forgetLocal() {
    try { localStorage.removeItem(storageKey); } catch (e) { /* ignore */ }
  }

  function save() {
    if (stopped) { return; }
    if (inFlight) { pending = true; return; }
    inFlight = true;
    say(form.dataset.msgSaving);
    var body = new FormData(form);
    body.delete("paste");  // a paste is applied only with an explicit Save
    fetch(window.location.pathname, {
      method: "POST", body: body, credentials: "same-origin",
      headers: { "X-Autosave": "1", "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value }
    }).then(function (response) {
      return response.json().then(function (json) { return { status: response.status, json: json }; });
    }).then(function (result) {
      inFlight = false;
      if (result.status === 200) {
        versionInput.value = result.json.version;
        forgetLocal();
        say(form.dataset.msgSaved + " " + result.json.saved_at, "ok");
        if (pending) { pending = false; save(); }
      } else {
        if (result.status === 409) { stopped = true; }
        keepLocally();
        say(result.json.message, "error");
      }
    }).catch(function () {
      inFlight = false;
      keepLocally();
      say(form.dataset.msgOffline, "error");
      clearTimeout(retryTimer);
      retryTimer = setTimeout(save, 10000);
    });
  }

  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(save, 1500);
  }

  form.addEventListener("input", function (event) {
    if (event.target.name === "paste") { return; }
    schedule();
  });
  form.addEventListener("change", function (event) {
    if (event.target.name === "paste" || event.target.name === "paste_mode") { return; }
    schedule();
  });
  form.addEventListener("submit", function () { clearTimeout(timer); stopped = true; forgetLocal(); });

  // Offer to restore what this browser kept when a save failed.
  try {
    var kept = JSON.parse(localStorage.getItem(storageKey) || "null");
    if (kept && kept.version === versionInput.value) {
      var banner = document.createElement("div");
      banner.className = "restore-banner";
      banner.setAttribute("role", "alert");
      banner.textContent = form.dataset.msgRestore + " ";
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button secondary";
      button.textContent = form.dataset.msgRestoreButton;
      button.addEventListener("click", function () {
        kept.entries.forEach(function (pair) {
          form.querySelectorAll("[name='" + CSS.escape(pair[0]) + "']").forEach(function (el) {
            if (el.type === "checkbox" || el.type === "radio") { el.checked = (el.value === pair[1]) || el.checked; }
            else { el.value = pair[1]; }
          });
        });
        banner.remove();
        save();
      });
      banner.appendChild(button);
      form.insertBefore(banner, form.firstChild);
    } else if (kept) {
      forgetLocal();
    }
  } catch (e) { /* ignore unreadable copies */ }

  // Tables: add a row without a round trip.
  var addButton = form.querySelector("[data-add-row]");
  if (addButton) {
    addButton.addEventListener("click", function () {
      var count = form.querySelector("[data-row-count]");
      var index = parseInt(count.value, 10) || 0;
      var html = form.querySelector("template[data-row-template]").innerHTML
        .replace(/__i__/g, String(index)).replace(/__n__/g, String(index + 1));
      form.querySelector("[data-rows]").insertAdjacentHTML("beforeend", html);
      count.value = String(index + 1);
      var first = form.querySelector("[data-rows] tr:last-child input, [data-rows] tr:last-child select");
      if (first) { first.focus(); }
    });
  }
})();
