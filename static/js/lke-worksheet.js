// LKE worksheet: at the provincial level, a score that differs from the self-assessment needs a
// reason. Mark the reason field as required as soon as such an option is chosen (the server
// checks it too). Delegated, so it also works on item cards swapped in by htmx.
(function () {
  "use strict";

  function refresh(form) {
    var reason = form.querySelector(".lke-reason");
    if (!reason) return;
    var chosen = form.querySelector("input[name=option]:checked");
    var own = form.dataset.selfScore;
    var differs = chosen !== null && chosen.dataset.score !== own;
    reason.required = differs;
    reason.classList.toggle("lke-reason-needed", differs && reason.value.trim() === "");
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest(".lke-answer-form");
    if (form) refresh(form);
  });
  document.addEventListener("input", function (event) {
    if (event.target.classList.contains("lke-reason")) refresh(event.target.form);
  });
  // Answers save as they change (hx-trigger="change" on each form). A verified score that
  // differs from the self-assessment waits for its reason: the save is held back, the hint
  // shown, and it goes as soon as the reason field changes.
  document.addEventListener("htmx:confirm", function (event) {
    var form = event.target.closest && event.target.closest(".lke-answer-form");
    if (!form) return;
    refresh(form);
    var reason = form.querySelector(".lke-reason");
    var waiting = Boolean(reason && reason.required && reason.value.trim() === "");
    form.classList.toggle("lke-waiting-reason", waiting);
    if (waiting) event.preventDefault();
  });
  function refreshAll(root) {
    root.querySelectorAll(".lke-answer-form").forEach(refresh);
  }
  document.addEventListener("DOMContentLoaded", function () { refreshAll(document); });
  document.addEventListener("htmx:afterSwap", function (event) { refreshAll(event.target); });
})();
