// Live deadlines of the case board and case pages: every element with a
// data-deadline attribute (an RFC 3339 time) shows the time left, or how
// long ago the deadline passed, updated every second. The server renders
// the same text, so the page reads the same without JavaScript. Time is
// the server's (data-now), not the browser's, so a wrong clock on the
// viewer's machine does not move anyone's deadline.
(function () {
  "use strict";
  var root = document.querySelector("[data-countdown-units]");
  if (!root) {
    return;
  }
  var units = root.dataset.countdownUnits.split(" ");
  var left = root.dataset.countdownLeft;
  var overdue = root.dataset.countdownOverdue;
  var overdueLabel = root.dataset.overdueLabel;
  var offset = 0;
  var serverNow = Date.parse(root.dataset.now);
  if (!isNaN(serverNow)) {
    offset = serverNow - Date.now();
  }
  var els = Array.prototype.slice.call(document.querySelectorAll("[data-deadline]"));

  function pad(n) {
    return n < 10 ? "0" + n : String(n);
  }

  // span writes a duration as the server does (web/cases.go formatSpan).
  function span(ms) {
    var s = Math.floor(Math.abs(ms) / 1000);
    var d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = s % 60;
    if (d > 0) {
      return d + " " + units[0] + " " + pad(h) + " " + units[1] + " " + pad(m) + " " + units[2] + " " + pad(sec) + " " + units[3];
    }
    if (h > 0) {
      return h + " " + units[1] + " " + pad(m) + " " + units[2] + " " + pad(sec) + " " + units[3];
    }
    if (m > 0) {
      return m + " " + units[2] + " " + pad(sec) + " " + units[3];
    }
    return sec + " " + units[3];
  }

  // markOverdue turns a pending step's badge (and its line's colour)
  // into overdue once its deadline passes, as the server would show it.
  function markOverdue(li) {
    if (!li || !li.classList.contains("step-pending")) {
      return;
    }
    li.classList.replace("step-pending", "step-overdue");
    var badge = li.querySelector(".step-state-pending");
    if (badge) {
      badge.classList.replace("step-state-pending", "step-state-overdue");
      badge.textContent = overdueLabel;
    }
    li.querySelectorAll('[data-state="pending"]').forEach(function (m) {
      m.dataset.state = "overdue";
    });
    if (li.dataset.state === "pending") {
      li.dataset.state = "overdue";
    }
  }

  function tick() {
    var now = Date.now() + offset;
    els.forEach(function (el) {
      var deadline = Date.parse(el.dataset.deadline);
      if (isNaN(deadline)) {
        return;
      }
      var d = deadline - now;
      var text = d >= 0 ? left.replace("{t}", span(d)) : overdue.replace("{t}", span(-d));
      if (el.textContent !== text) {
        el.textContent = text;
      }
      el.classList.toggle("is-overdue", d < 0);
      if (d < 0 && overdueLabel) {
        markOverdue(el.closest("li"));
      }
    });
  }

  tick();
  window.setInterval(tick, 1000);
  root.dataset.live = "true";
})();
