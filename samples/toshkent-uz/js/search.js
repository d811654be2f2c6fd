// Static search: filters the page list by the ?q= words (case-insensitive, apostrophes ignored).
(function () {
  var q = new URLSearchParams(window.location.search).get("q") || "";
  var norm = function (s) { return s.toLowerCase().replace(/[\u2018\u2019\u02bb\u02bc'`]/g, ""); };
  var words = norm(q).split(/\s+/).filter(Boolean);
  var input = document.getElementById("q2");
  input.value = q;
  if (!words.length) { return; }
  var shown = 0;
  document.querySelectorAll("#search-results li").forEach(function (li) {
    var text = norm(li.textContent);
    var hit = words.every(function (w) { return text.indexOf(w) !== -1; });
    li.hidden = !hit;
    if (hit) { shown += 1; }
  });
  document.getElementById("search-summary").textContent =
    "\u00ab" + q + "\u00bb so'rovi bo'yicha topilgan natijalar: " + shown;
})();
