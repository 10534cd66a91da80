/* Pembina navigation menus: progressive enhancement only. The <details> menus already open
   and close by mouse, touch and keyboard (Enter/Space on the summary) without this file;
   here, opening one menu closes the others, Escape closes the open one (focus back on its
   summary) and a click outside closes it. */
(function () {
  "use strict";
  var menus = document.querySelectorAll(".main-nav details.nav-menu");
  if (!menus.length) { return; }
  function closeAll(except) {
    menus.forEach(function (menu) { if (menu !== except) { menu.removeAttribute("open"); } });
  }
  menus.forEach(function (menu) {
    menu.addEventListener("toggle", function () { if (menu.open) { closeAll(menu); } });
  });
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") { return; }
    var open = document.querySelector(".main-nav details.nav-menu[open]");
    if (open) { open.removeAttribute("open"); open.querySelector("summary").focus(); }
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest(".main-nav details.nav-menu")) { closeAll(null); }
  });
}());
