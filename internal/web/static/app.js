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
