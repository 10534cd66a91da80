/* Pembina module editor: live preview and problem list from the server's own pipeline.
   The page works without this script (the buttons post the form); this only adds a
   debounced preview while typing and jumps to a problem's line when it is clicked. */
(function () {
  "use strict";
  var form = document.querySelector("form.editor[data-preview-url]");
  if (!form || !window.fetch) { return; }
  var source = form.querySelector("textarea");
  var preview = document.getElementById("preview");
  var problems = document.getElementById("problems");
  var ok = document.getElementById("problems-ok");
  var token = form.querySelector("input[name=csrf_token]").value;
  var timer = null;
  var lineWord = problems.getAttribute("data-line-word") || "line";

  function jumpTo(line) {
    var lines = source.value.split("\n");
    var start = 0;
    for (var i = 0; i < line - 1 && i < lines.length; i++) { start += lines[i].length + 1; }
    source.focus();
    source.setSelectionRange(start, start + (lines[line - 1] || "").length);
    var lineHeight = source.scrollHeight / Math.max(lines.length, 1);
    source.scrollTop = Math.max(0, (line - 3) * lineHeight);
  }

  function show(data) {
    if (data.error) { return; }
    preview.innerHTML = data.html;  /* sanitised on the server by the same nh3 allowlist */
    problems.textContent = "";
    data.problems.forEach(function (problem) {
      var item = document.createElement("li");
      item.setAttribute("data-line", problem.line);
      item.textContent = lineWord + " " + problem.line + ": " + problem.message;
      problems.appendChild(item);
    });
    ok.hidden = data.problems.length > 0;
  }

  function refresh() {
    var body = new URLSearchParams();
    body.set("source", source.value);
    fetch(form.getAttribute("data-preview-url"), {
      method: "POST", credentials: "same-origin", body: body,
      headers: { "X-CSRFToken": token, "Accept": "application/json" }
    }).then(function (response) { return response.json(); }).then(show).catch(function () {});
  }

  source.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(refresh, 700);
  });
  problems.addEventListener("click", function (event) {
    var item = event.target.closest("li[data-line]");
    if (item) { jumpTo(parseInt(item.getAttribute("data-line"), 10)); }
  });
})();
