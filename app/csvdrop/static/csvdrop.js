// The csvdrop page: log in, upload with real progress, show the result and
// the recent uploads. Served by the app under a CSP that allows no inline
// script, so every handler is attached here.
"use strict";

(function () {
  const api = "/api/v1";
  const $ = (id) => document.getElementById(id);

  function cookie(name) {
    const prefix = name + "=";
    for (const part of document.cookie.split(";")) {
      const item = part.trim();
      if (item.startsWith(prefix)) {
        return decodeURIComponent(item.slice(prefix.length));
      }
    }
    return "";
  }

  // The access cookie is HttpOnly; its CSRF twin is readable and must be
  // echoed on every state-changing request.
  function csrfHeaders(kind) {
    const token = cookie(kind === "refresh" ? "csrf_refresh_token" : "csrf_access_token");
    return token ? { "X-CSRF-TOKEN": token } : {};
  }

  function show(element, visible) {
    element.hidden = !visible;
  }

  function problemText(body, status) {
    if (body && typeof body === "object" && body.detail) {
      return body.line ? body.detail : body.title + ": " + body.detail;
    }
    return "The request failed with status " + status + ".";
  }

  async function request(method, path, body) {
    const options = { method: method, credentials: "same-origin", headers: csrfHeaders() };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response = await fetch(path, options);
    if (response.status === 401 && (await refresh())) {
      options.headers = Object.assign(options.headers, csrfHeaders());
      response = await fetch(path, options);
    }
    return response;
  }

  async function refresh() {
    const response = await fetch(api + "/auth/refresh", {
      method: "POST",
      credentials: "same-origin",
      headers: csrfHeaders("refresh"),
    });
    return response.ok;
  }

  function formatBytes(count) {
    const units = ["B", "KiB", "MiB", "GiB"];
    let value = count;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit += 1;
    }
    return (unit === 0 ? value : value.toFixed(1)) + " " + units[unit];
  }

  function describeDelimiter(delimiter) {
    return delimiter === "\t" ? "tab" : delimiter;
  }

  // -- session ---------------------------------------------------------------

  async function startSession() {
    const response = await request("GET", api + "/auth/me");
    if (!response.ok) {
      show($("login-section"), true);
      show($("upload-section"), false);
      show($("recent-section"), false);
      show($("session"), false);
      return;
    }
    const me = await response.json();
    $("session-user").textContent = me.username;
    show($("session"), true);
    show($("login-section"), false);
    show($("upload-section"), true);
    show($("recent-section"), true);
    loadRecent(null);
  }

  async function logIn(event) {
    event.preventDefault();
    const error = $("login-error");
    show(error, false);
    const response = await fetch(api + "/auth/login", {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({
        username: $("login-username").value,
        password: $("login-password").value,
      }),
    });
    $("login-password").value = "";
    if (!response.ok) {
      error.textContent = problemText(await response.json().catch(() => null), response.status);
      show(error, true);
      return;
    }
    startSession();
  }

  async function logOut() {
    await fetch(api + "/auth/logout", { method: "POST", credentials: "same-origin" });
    startSession();
  }

  // -- upload ----------------------------------------------------------------

  let chosenFile = null;

  function choose(file) {
    chosenFile = file || null;
    $("file-name").textContent = chosenFile
      ? chosenFile.name + " (" + formatBytes(chosenFile.size) + ")"
      : "No file chosen";
    $("upload-button").disabled = !chosenFile;
  }

  function setProgress(percent) {
    $("progress").value = percent;
    $("progress-text").textContent = percent + "%";
  }

  function upload(event) {
    event.preventDefault();
    if (chosenFile) {
      send(false);
    }
  }

  // An access token can expire while the page sits open: on a 401 the page
  // renews it with the refresh cookie and sends the file once more.
  function send(retried) {
    const form = new FormData();
    for (const id of ["option-format", "option-types", "option-delimiter", "option-encoding"]) {
      const field = $(id);
      if (field.value) {
        form.append(field.name, field.value);
      }
    }
    // The file goes last so the options are parsed before its bytes arrive.
    form.append("file", chosenFile, chosenFile.name);

    const xhr = new XMLHttpRequest();
    xhr.open("POST", api + "/uploads");
    xhr.withCredentials = true;
    for (const [name, value] of Object.entries(csrfHeaders())) {
      xhr.setRequestHeader(name, value);
    }
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) {
        setProgress(Math.floor((progress.loaded / progress.total) * 100));
      }
    });
    xhr.upload.addEventListener("load", () => setProgress(100));
    xhr.addEventListener("load", async () => {
      if (xhr.status === 401 && !retried && (await refresh())) {
        send(true);
        return;
      }
      if (xhr.status === 401) {
        startSession();
      }
      finish(xhr);
    });
    xhr.addEventListener("error", () => fail("The upload did not reach the server."));

    setProgress(0);
    show($("progress-box"), true);
    show($("upload-error"), false);
    show($("result"), false);
    $("upload-button").disabled = true;
    xhr.send(form);
  }

  function fail(message) {
    const error = $("upload-error");
    error.textContent = message;
    show(error, true);
    $("upload-button").disabled = !chosenFile;
  }

  function finish(xhr) {
    $("upload-button").disabled = !chosenFile;
    if (xhr.status !== 201 && xhr.status !== 200) {
      fail(problemText(xhr.response, xhr.status));
      return;
    }
    showResult(xhr.response);
    loadRecent(null);
  }

  function showResult(record) {
    $("result-rows").textContent = String(record.rows);
    $("result-columns").textContent = record.columns.join(", ");
    $("result-encoding").textContent = record.encoding;
    $("result-delimiter").textContent = describeDelimiter(record.delimiter);
    $("result-size").textContent =
      formatBytes(record.bytes_in) + " of CSV, " + formatBytes(record.bytes_out) + " of JSON";
    $("result-download").href = record.content_url;
    renderPreview(record.columns, record.preview || []);
    show($("result"), true);
  }

  function renderPreview(columns, rows) {
    const table = $("preview");
    table.replaceChildren();
    const head = table.createTHead().insertRow();
    for (const column of columns) {
      const cell = document.createElement("th");
      cell.textContent = column;
      head.appendChild(cell);
    }
    const body = table.createTBody();
    for (const row of rows) {
      const line = body.insertRow();
      for (const column of columns) {
        const value = row[column];
        line.insertCell().textContent = value === null ? "null" : String(value);
      }
    }
  }

  // -- recent uploads --------------------------------------------------------

  let nextCursor = null;

  async function loadRecent(cursor) {
    const query = cursor ? "?cursor=" + encodeURIComponent(cursor) : "";
    const response = await request("GET", api + "/uploads" + query);
    if (!response.ok) {
      return;
    }
    const page = await response.json();
    const body = $("recent").tBodies[0];
    if (!cursor) {
      body.replaceChildren();
    }
    for (const record of page.items) {
      const row = body.insertRow();
      row.insertCell().textContent = record.source_name;
      row.insertCell().textContent = String(record.rows);
      row.insertCell().textContent = new Date(record.created).toLocaleString();
      const link = document.createElement("a");
      link.href = record.content_url;
      link.textContent = "Download";
      row.insertCell().appendChild(link);
    }
    nextCursor = page.next_cursor;
    show($("recent-more"), Boolean(nextCursor));
  }

  // -- wiring ----------------------------------------------------------------

  document.addEventListener("DOMContentLoaded", () => {
    const zone = $("drop-zone");
    $("login-form").addEventListener("submit", logIn);
    $("logout").addEventListener("click", logOut);
    $("file-input").addEventListener("change", (event) => choose(event.target.files[0]));
    $("upload-form").addEventListener("submit", upload);
    $("recent-more").addEventListener("click", () => loadRecent(nextCursor));
    zone.addEventListener("dragover", (event) => {
      event.preventDefault();
      zone.classList.add("dragging");
    });
    zone.addEventListener("dragleave", () => zone.classList.remove("dragging"));
    zone.addEventListener("drop", (event) => {
      event.preventDefault();
      zone.classList.remove("dragging");
      choose(event.dataTransfer.files[0]);
    });
    startSession();
  });
})();
