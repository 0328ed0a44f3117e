// The rotation grid: one click handler and one hover handler for every cell, instead of
// attributes on each of a 200-resident year's 5,000 cells, keep the page small.
(function () {
  "use strict";
  var grid = document.getElementById("grid");
  if (!grid) return;
  var names = {};
  var data = document.getElementById("rotation-names");
  if (data) names = JSON.parse(data.textContent);
  grid.addEventListener("mouseover", function (e) {
    var td = e.target.closest("td.cell");
    if (!td || td.title) return;
    var code = td.textContent.trim();
    if (names[code]) td.title = names[code];
    else if (td.classList.contains("off")) td.title = "Leave of absence or outside the appointment";
  });
  var url = grid.dataset.cellUrl;
  if (!url) return;
  grid.addEventListener("click", function (e) {
    var td = e.target.closest("td.cell");
    if (!td || td.classList.contains("editing")) return;
    var tr = td.closest("tr[data-a]");
    if (!tr) return;
    htmx.ajax("GET", url + "&a=" + tr.dataset.a + "&b=" + td.dataset.b, {
      target: td,
      swap: "outerHTML",
    });
  });
})();
