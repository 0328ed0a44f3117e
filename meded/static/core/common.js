// Behaviour every page shares, declared with data-* attributes instead of inline event
// handlers (the Content-Security-Policy runs scripts from meded's static files only):
//   <form data-confirm="Really?">           asks before submitting
//   <select data-autosubmit>                submits its form when changed
//   <input data-select-on-focus>            selects its text when focused or clicked
//   <div data-reload-on="some-event">       reloads the page shortly after htmx triggers
//                                           that event on the body (data-reload-delay, ms)
(function () {
  "use strict";
  document.addEventListener("submit", function (e) {
    var form = e.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm !== undefined) {
      if (!window.confirm(form.dataset.confirm)) e.preventDefault();
    }
  }, true);
  document.addEventListener("change", function (e) {
    var el = e.target;
    if (el instanceof HTMLElement && el.dataset.autosubmit !== undefined && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });
  function selectAll(e) {
    var el = e.target;
    if (el instanceof HTMLInputElement && el.dataset.selectOnFocus !== undefined) el.select();
  }
  document.addEventListener("focusin", selectAll);
  document.addEventListener("click", selectAll);
  function watchReloads() {
    document.querySelectorAll("[data-reload-on]").forEach(function (el) {
      var delay = parseInt(el.dataset.reloadDelay || "600", 10);
      document.body.addEventListener(el.dataset.reloadOn, function () {
        setTimeout(function () { window.location.reload(); }, delay);
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", watchReloads);
  else watchReloads();
})();
