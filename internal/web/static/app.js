// SafeCase: small enhancements. Every page works without this script.
(function () {
  "use strict";
  var body = document.body;

  // Hide names and identifying details with one key (Alt+H, or the button),
  // for a screen seen over a shoulder. Remembered for the browser tab.
  function setHidden(on) {
    body.classList.toggle("pii-hidden", on);
    try { sessionStorage.setItem("pii-hidden", on ? "1" : "0"); } catch (e) {}
    var b = document.getElementById("pii-toggle");
    if (b) b.setAttribute("aria-pressed", on ? "true" : "false");
  }
  try { if (sessionStorage.getItem("pii-hidden") === "1") setHidden(true); } catch (e) {}
  var toggle = document.getElementById("pii-toggle");
  if (toggle) {
    toggle.hidden = false;
    toggle.addEventListener("click", function () { setHidden(!body.classList.contains("pii-hidden")); });
  }

  // An idle screen locks: after a few minutes without input the page is
  // covered until someone presses a key or clicks. The server's session
  // also ends after its own idle timeout.
  var lock = document.getElementById("idle-lock");
  var idleMs = parseInt(body.getAttribute("data-idle-lock") || "0", 10) * 1000;
  var timer;
  function arm() {
    clearTimeout(timer);
    if (idleMs > 0 && lock) timer = setTimeout(function () { lock.hidden = false; lock.focus(); }, idleMs);
  }
  function activity() {
    if (lock && !lock.hidden) return;
    arm();
  }
  if (lock) {
    lock.addEventListener("click", function () { lock.hidden = true; arm(); });
    lock.addEventListener("keydown", function (e) { if (e.key === "Enter" || e.key === " ") { lock.hidden = true; arm(); } });
  }
  ["mousemove", "keydown", "touchstart", "scroll"].forEach(function (ev) {
    document.addEventListener(ev, activity, { passive: true });
  });
  document.addEventListener("keydown", function (e) {
    if (e.altKey && (e.key === "h" || e.key === "H")) { e.preventDefault(); setHidden(!body.classList.contains("pii-hidden")); }
  });
  arm();

  // "Declined to answer" greys out its input so the form reads true.
  document.querySelectorAll("input[data-declines]").forEach(function (box) {
    var target = document.getElementById(box.getAttribute("data-declines"));
    function sync() { if (target) target.disabled = box.checked; }
    box.addEventListener("change", sync);
    sync();
  });

  // Confirm before actions that cannot be undone (forms marked data-confirm).
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) { if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault(); });
  });
})();

// --- Repeated rows and screening questions (issue 10 §4) ---
// A "more rows" button (data-add-row="group") copies the group's last row
// (data-rows="group", rows marked data-row="index") in place, blank, its
// name/id/for numbered on, and counts it in the form's hidden row count
// (data-rows-count="group"); nothing is sent. Without this script the
// button sends the form, and the server shows it again with everything
// typed kept and blank rows added.
// A block marked data-show-if="name=value" shows only while that choice is
// made; hidden, it is disabled so that its answers are not sent.
(function () {
  "use strict";
  document.querySelectorAll("button[data-add-row]").forEach(function (btn) {
    var g = btn.getAttribute("data-add-row"), f = btn.form;
    var box = f && f.querySelector("[data-rows='" + g + "']");
    var count = f && f.querySelector("input[data-rows-count='" + g + "']");
    if (!box || !count) return;
    var max = parseInt(box.getAttribute("data-max") || "30", 10);
    btn.disabled = parseInt(count.value, 10) >= max;
    btn.addEventListener("click", function (e) {
      e.preventDefault();
      // Enter in a field "clicks" the form's first button, this one: ignore it.
      if (e.detail === 0 && document.activeElement !== btn) return;
      var rows = box.querySelectorAll("[data-row]"), last = rows[rows.length - 1];
      var n = parseInt(count.value, 10);
      if (!last || !(n < max)) return;
      var re = new RegExp("([_.])" + last.getAttribute("data-row") + "([_.])");
      var row = last.cloneNode(true);
      row.setAttribute("data-row", String(n));
      row.removeAttribute("autofocus");
      row.removeAttribute("tabindex");
      row.querySelectorAll("[name],[id],[for]").forEach(function (el) {
        ["name", "id", "for"].forEach(function (a) {
          var v = el.getAttribute(a);
          if (v) el.setAttribute(a, v.replace(re, "$1" + n + "$2"));
        });
        if (el.type === "checkbox" || el.type === "radio") el.checked = false;
        else if (el.tagName === "SELECT") el.selectedIndex = 0;
        else if (el.tagName === "INPUT" || el.tagName === "TEXTAREA") el.value = "";
      });
      row.querySelectorAll(".field-error").forEach(function (x) { x.parentNode.removeChild(x); });
      row.querySelectorAll(".has-error").forEach(function (x) { x.classList.remove("has-error"); });
      row.querySelectorAll("[data-row-no]").forEach(function (x) { x.textContent = x.textContent.replace(/\d+/, String(n + 1)); });
      last.parentNode.insertBefore(row, last.nextSibling);
      count.value = String(n + 1);
      // Lists that choose among the group's rows (an action's objective) gain the new one.
      f.querySelectorAll("select[data-row-options='" + g + "']").forEach(function (s) {
        var o = document.createElement("option");
        o.value = String(n + 1);
        o.textContent = "#" + (n + 1);
        s.appendChild(o);
      });
      btn.disabled = n + 1 >= max;
      var first = row.querySelector("input:not([type=hidden]), select, textarea");
      if (first) first.focus();
    });
  });

  document.querySelectorAll("[data-show-if]").forEach(function (block) {
    var cond = block.getAttribute("data-show-if").split("="), f = block.closest("form");
    if (!f) return;
    function sync() {
      var on = !!f.querySelector("input[name='" + cond[0] + "'][value='" + cond[1] + "']:checked");
      block.hidden = !on;
      block.disabled = !on;
    }
    f.querySelectorAll("input[name='" + cond[0] + "']").forEach(function (r) { r.addEventListener("change", sync); });
    sync();
  });
  // Controls only needed without the script (a button that shows the chosen
  // questions) go: removed, not hidden, so that Enter still sends the form
  // with its own button.
  document.querySelectorAll("[data-no-script]").forEach(function (x) { x.parentNode.removeChild(x); });
})();
