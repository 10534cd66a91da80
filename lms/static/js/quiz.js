/* Pembina quiz page: saves each answer as it changes, so a dropped connection or a closed
   tab loses nothing. Without JavaScript the "Save answers" button does the same. The
   time limit is enforced on the server; this only shows the remaining time. */
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = document.getElementById("save-status");
  var url = form.getAttribute("data-save-url");
  var pending = null;

  function save() {
    var data = new FormData(form);
    /* files go up only through their own "Upload file" button, never with an autosave */
    Array.prototype.forEach.call(form.querySelectorAll("input[type=file]"), function (input) {
      data.delete(input.name);
    });
    status.textContent = status.getAttribute("data-saving") || "…";
    fetch(url, { method: "POST", body: data, credentials: "same-origin",
                 headers: { "Accept": "application/json" } })
      .then(function (response) { return response.json().then(function (body) { return [response, body]; }); })
      .then(function (pair) {
        var body = pair[1];
        if (body.closed) { window.location.reload(); return; }
        var problems = Object.keys(body.errors || {}).length;
        status.textContent = problems ? (status.getAttribute("data-problem") || "!") :
          (status.getAttribute("data-saved") || "✓") + " " + new Date().toLocaleTimeString();
      })
      .catch(function () { status.textContent = status.getAttribute("data-offline") || "offline"; });
  }

  form.addEventListener("change", function () {
    clearTimeout(pending);
    pending = setTimeout(save, 300);
  });
  form.addEventListener("input", function (event) {
    if ((event.target.tagName === "INPUT" && event.target.type === "text") || event.target.tagName === "TEXTAREA") {
      clearTimeout(pending);
      pending = setTimeout(save, 1200);
    }
  });
  form.addEventListener("submit", function () {
    var button = document.getElementById("submit-button");
    setTimeout(function () { button.disabled = true; }, 0);  /* one click, one submit */
  });

  var deadline = document.getElementById("deadline");
  if (deadline) {
    var end = new Date(deadline.getAttribute("data-deadline")).getTime();
    var clock = document.createElement("strong");
    deadline.appendChild(document.createTextNode(" "));
    deadline.appendChild(clock);
    var tick = function () {
      var left = Math.max(0, Math.round((end - Date.now()) / 1000));
      clock.textContent = Math.floor(left / 60) + ":" + ("0" + (left % 60)).slice(-2);
      if (left > 0) { setTimeout(tick, 1000); }
    };
    tick();
  }
})();
