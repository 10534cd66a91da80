/* Pembina MARC record question (lms/plugins/marc): buttons that insert a new field line,
   a $ subfield delimiter or a # blank indicator at the cursor, and a live hint naming the
   field being typed. The textarea works the same without this script. Loaded once per
   MARC question; each textarea is set up once. */
(function () {
  "use strict";
  var BLANKS = "#\\ ";

  function insert(area, text) {
    var start = area.selectionStart, end = area.selectionEnd;
    area.value = area.value.slice(0, start) + text + area.value.slice(end);
    area.selectionStart = area.selectionEnd = start + text.length;
    area.focus();
    area.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function newField(area) {
    var start = area.selectionStart;
    var before = area.value.slice(0, start);
    var atLineStart = before === "" || before.charAt(before.length - 1) === "\n";
    if (!atLineStart) {  /* continue after the current line */
      var lineEnd = area.value.indexOf("\n", start);
      if (lineEnd < 0) { lineEnd = area.value.length; }
      area.selectionStart = area.selectionEnd = lineEnd;
      insert(area, "\n=");
    } else {
      insert(area, "=");
    }
  }

  function currentLine(area) {
    var position = area.selectionStart;
    var before = area.value.slice(0, position);
    var number = before.split("\n").length;
    var start = before.lastIndexOf("\n") + 1;
    var end = area.value.indexOf("\n", position);
    return { number: number, text: area.value.slice(start, end < 0 ? area.value.length : end) };
  }

  function describe(area, tags) {
    var line = currentLine(area);
    var text = line.text.replace(/^\s+/, "");
    var prefix = area.getAttribute("data-hint-line").replace("{n}", line.number) + ": ";
    if (!text) { return ""; }
    var match = /^=(ldr|\d{3})/i.exec(text);
    if (!match) { return prefix + area.getAttribute("data-hint-not-field"); }
    var tag = match[1].toUpperCase();
    var out = prefix + tag + (tags[tag] ? " " + tags[tag] : "");
    var control = tag === "LDR" || tag < "010";
    var dollar = text.indexOf("$");
    if (!control && dollar > 0) {
      var head = text.slice(4, dollar);
      var indicators = head.slice(0, 2) === "  " ? head.slice(2) : head.slice(1);
      if (indicators.length === 2) {
        var shown = indicators.split("").map(function (c) { return BLANKS.indexOf(c) >= 0 ? "#" : c; }).join(" ");
        out += " · " + area.getAttribute("data-hint-ind") + " " + shown;
      }
      var codes = text.slice(dollar + 1).split("$").map(function (part) { return part.charAt(0); }).join(" ");
      out += " · " + area.getAttribute("data-hint-sub") + " " + codes;
    }
    return out;
  }

  function button(label, action) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "button marc-insert";
    b.textContent = label;
    b.addEventListener("mousedown", function (event) { event.preventDefault(); });  /* keep the cursor */
    b.addEventListener("click", action);
    return b;
  }

  function setUp(area) {
    if (area.getAttribute("data-marc-ready")) { return; }
    area.setAttribute("data-marc-ready", "1");
    var tags = {};
    try { tags = JSON.parse(area.getAttribute("data-tags") || "{}"); } catch (error) { tags = {}; }
    var bar = document.createElement("div");
    bar.className = "marc-toolbar";
    bar.setAttribute("role", "group");
    bar.setAttribute("aria-label", area.getAttribute("data-label-toolbar"));
    bar.appendChild(button(area.getAttribute("data-label-field"), function () { newField(area); }));
    bar.appendChild(button(area.getAttribute("data-label-subfield"), function () { insert(area, "$"); }));
    bar.appendChild(button(area.getAttribute("data-label-blank"), function () { insert(area, "#"); }));
    area.parentNode.insertBefore(bar, area);
    var hint = document.createElement("p");
    hint.className = "marc-hint muted";
    hint.id = area.id + "-live";
    hint.setAttribute("aria-live", "polite");
    area.parentNode.insertBefore(hint, area.nextSibling);
    var shown = "";
    var update = function () {
      var text = describe(area, tags);
      if (text !== shown) { shown = text; hint.textContent = text; }
    };
    ["input", "keyup", "click", "focus"].forEach(function (name) { area.addEventListener(name, update); });
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("textarea.marc-input"), setUp);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
