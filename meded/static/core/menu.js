// The site menu on narrow screens: below 700 px the navigation folds behind a "Menu" button
// (meded.css); this shows the button and opens and closes the menu. Without this script the
// navigation simply stays open, so every link is reachable either way.
(function () {
  "use strict";
  function setUp() {
    var bar = document.getElementById("topbar");
    var button = document.getElementById("menu-toggle");
    if (!bar || !button) return;
    document.documentElement.classList.add("menu-js");
    button.hidden = false;
    function set(open) {
      bar.classList.toggle("menu-open", open);
      button.setAttribute("aria-expanded", open ? "true" : "false");
    }
    button.addEventListener("click", function () {
      set(!bar.classList.contains("menu-open"));
    });
    document.addEventListener("keydown", function (e) {
      if (e.key === "Escape" && bar.classList.contains("menu-open")) {
        set(false);
        button.focus();
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
