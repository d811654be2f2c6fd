(function () {
  var q = new URLSearchParams(window.location.search).get("q") || "";
  var norm = function (s) { return s.toLowerCase().replace(/[\u2018\u2019\u02bb\u02bc'`]/g, ""); };
  var words = norm(q).split(/\s+/).filter(Boolean);
  if (!words.length) { return; }
  var shown = 0;
  document.querySelectorAll("#results li").forEach(function (li) {
    var hit = words.every(function (w) { return norm(li.textContent).indexOf(w) !== -1; });
    li.hidden = !hit;
    if (hit) { shown += 1; }
  });
  document.getElementById("summary").textContent = "Topilgan natijalar: " + shown;
})();
