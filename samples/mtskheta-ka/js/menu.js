/* highlights the current menu item (legacy CMS script) */
function mark_menu() {
  var links = document.getElementById("topmenu").getElementsByTagName("a");
  for (var i = 0; i < links.length; i++) {
    if (links[i].href == window.location.href) { links[i].parentNode.className = "active"; }
  }
}
window.onload = mark_menu;
