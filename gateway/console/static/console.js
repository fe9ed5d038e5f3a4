// Flint console: the live log page's script, and nothing else. It follows
// the function's log as server-sent events and filters what it shows.
// Everything a function logged is put in the page with textContent, never
// as HTML.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  var log = document.getElementById("log");
  if (!log || !log.dataset.stream) {
    return;
  }
  var filter = document.getElementById("filter");
  var live = document.getElementById("live");
  var count = document.getElementById("count");
  var quiet = document.getElementById("quiet");
  var keep = parseInt(log.dataset.keep, 10) || 200;

  function matches(el) {
    var q = filter.value.trim().toLowerCase();
    return q === "" || el.textContent.toLowerCase().indexOf(q) >= 0;
  }

  function applyFilter() {
    var shown = 0;
    var recs = log.querySelectorAll("pre.rec");
    for (var i = 0; i < recs.length; i++) {
      var ok = matches(recs[i]);
      recs[i].hidden = !ok;
      if (ok) {
        shown++;
      }
    }
    count.textContent = filter.value.trim() === "" ? "" : shown + " of " + recs.length + " records match";
  }

  function setState(state, text) {
    live.dataset.state = state;
    live.textContent = text;
  }

  function add(rec) {
    var pre = document.createElement("pre");
    pre.className = rec.failed ? "rec failed" : "rec";
    pre.dataset.seq = String(rec.seq);
    pre.textContent = rec.text;
    pre.hidden = !matches(pre);
    log.appendChild(pre);
    while (log.children.length > keep) {
      log.removeChild(log.firstElementChild);
    }
    if (quiet) {
      quiet.remove();
      quiet = null;
    }
    if (filter.value.trim() !== "") {
      applyFilter();
    }
    pre.scrollIntoView({block: "nearest"});
  }

  filter.addEventListener("input", applyFilter);
  var source = new EventSource(log.dataset.stream + "?since=" + encodeURIComponent(log.dataset.next));
  source.onopen = function () {
    setState("live", "live");
  };
  source.onerror = function () {
    setState("reconnecting", "reconnecting…");
  };
  source.onmessage = function (ev) {
    var rec;
    try {
      rec = JSON.parse(ev.data);
    } catch (e) {
      return;
    }
    add(rec);
  };
});
