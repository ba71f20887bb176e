// The pool console's only script. On the outbox page it asks for messages newer than the
// newest one shown, every second, and adds them on top of the table without a reload.
// Every page works without it.
(function () {
  "use strict";
  var table = document.getElementById("outbox");
  if (!table || !window.fetch) {
    return;
  }
  var body = table.tBodies[0];
  var live = document.getElementById("outbox-live");
  var empty = document.getElementById("outbox-empty");
  var feed = table.getAttribute("data-feed");
  var pool = table.getAttribute("data-pool") || "";
  var after = table.getAttribute("data-after") || "0";
  var added = 0;

  if (live) {
    live.hidden = false;
    live.textContent = "Watching for new messages.";
  }

  function cell(row, text, code) {
    var td = document.createElement("td");
    if (code) {
      var c = document.createElement("code");
      c.className = "code";
      c.textContent = text;
      td.appendChild(c);
    } else {
      td.textContent = text;
    }
    row.appendChild(td);
  }

  function show(m) {
    var row = document.createElement("tr");
    row.setAttribute("data-id", String(m.id));
    row.className = "new";
    cell(row, m.time);
    cell(row, m.pool);
    cell(row, m.username);
    cell(row, m.kind);
    cell(row, m.medium);
    cell(row, m.destination);
    cell(row, m.code, true);
    body.insertBefore(row, body.firstChild);
  }

  function poll() {
    var url = feed + "?after=" + encodeURIComponent(after);
    if (pool) {
      url += "&pool=" + encodeURIComponent(pool);
    }
    fetch(url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) {
        if (!r.ok) {
          throw new Error("the outbox answered " + r.status);
        }
        return r.json();
      })
      .then(function (msgs) {
        for (var i = 0; i < msgs.length; i++) {
          show(msgs[i]);
          after = String(msgs[i].id);
        }
        if (msgs.length > 0) {
          added += msgs.length;
          if (empty) {
            empty.hidden = true;
          }
          if (live) {
            live.textContent = added === 1 ? "1 new message." : added + " new messages.";
          }
        }
      })
      .catch(function () {
        if (live) {
          live.textContent = "Could not reach the outbox; retrying.";
        }
      })
      .then(function () {
        window.setTimeout(poll, 1000);
      });
  }

  window.setTimeout(poll, 1000);
})();
