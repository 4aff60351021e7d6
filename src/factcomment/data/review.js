// factcomment review page: mark items comment/report/unsure, keep the marks in this browser, save them as
// JSON lines. Inline in the page; no network, works from file://.
(function () {
  "use strict";
  var items = Array.prototype.slice.call(document.querySelectorAll(".seg[data-text]"));
  var store = "factcomment-review:" + document.querySelector(".toolbar").dataset.key;
  var marks = {};
  try { marks = JSON.parse(localStorage.getItem(store) || "{}") || {}; } catch (e) { marks = {}; }
  var current = null;
  // Saved rows follow the documents (document, paragraph, sentence), whatever order the page shows them in:
  // the same marks make the same file from a page in document or uncertain order, or scored by another model.
  function place(i) {
    return [+i.id.slice(1, i.id.indexOf("-")), +i.dataset.paragraph, +(i.dataset.sentence || 0)];
  }
  var written = items.slice().sort(function (a, b) {
    var x = place(a), y = place(b);
    return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
  });

  function keep() {
    try { localStorage.setItem(store, JSON.stringify(marks)); } catch (e) { /* private mode: marks live until reload */ }
  }
  function show(item) {
    var label = marks[item.id] || "";
    item.setAttribute("data-mark", label);
    item.querySelectorAll("button.mark").forEach(function (b) {
      b.setAttribute("aria-pressed", b.getAttribute("data-label") === label ? "true" : "false");
    });
  }
  function count() {
    document.getElementById("marked-count").textContent =
      items.filter(function (i) { return marks[i.id]; }).length;
  }
  // A click on the pressed button takes the mark back; a key always sets its mark (x clears), so going back
  // with k to confirm an item, or pressing c twice on the last one, does not undo the judgement.
  function mark(item, label, toggle) {
    if (!label || toggle && marks[item.id] === label) { delete marks[item.id]; } else { marks[item.id] = label; }
    show(item); count(); keep();
  }
  function select(item, focused) {
    if (current) { current.classList.remove("current"); }
    current = item;
    if (item) {
      item.classList.add("current");
      if (!focused) { item.focus({preventScroll: true}); }
      item.scrollIntoView({block: "nearest"});
    }
  }
  function rows() {
    return written.filter(function (i) { return marks[i.id]; }).map(function (i) {
      var d = i.dataset, row = {text: d.text, label: marks[i.id], file: d.file, paragraph: +d.paragraph};
      if (d.sentence !== undefined) { row.sentence = +d.sentence; }
      row.start = +d.start; row.end = +d.end;
      row.model_label = d.kind; row.p_comment = +d.p; row.source = d.source; row.reviewed = true;
      return JSON.stringify(row) + "\n";
    });
  }
  function save() {
    var lines = rows();
    if (!lines.length) { alert("Nothing is marked yet."); return; }
    var link = document.createElement("a");
    link.href = URL.createObjectURL(new Blob(lines, {type: "application/x-ndjson"}));
    link.download = "review.jsonl";
    document.body.appendChild(link); link.click(); link.remove();
  }

  items.forEach(show); count();
  document.addEventListener("click", function (event) {
    var button = event.target.closest("button.mark"), item = event.target.closest(".seg[data-text]");
    if (button && item) { mark(item, button.getAttribute("data-label"), true); select(item); return; }
    if (event.target.closest("#save")) { save(); return; }
    if (item && !event.target.closest("a, summary, details table")) { select(item); }
  });
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName)) { return; }
    var at = current ? items.indexOf(current) : -1;
    var key = event.key.toLowerCase();
    if (key === "j" || key === "arrowdown" && event.shiftKey) { select(items[Math.min(items.length - 1, at + 1)]); }
    else if (key === "k" || key === "arrowup" && event.shiftKey) { select(items[Math.max(0, at - 1)]); }
    // A held key repeats: j/k may run down the page, but a held c must not mark items no one has read, nor a
    // held s download the file again and again.
    else if (event.repeat && {s: 1, c: 1, r: 1, u: 1, x: 1}[key]) { /* swallowed below */ }
    else if (key === "s") { save(); }
    else if (current && {c: 1, r: 1, u: 1, x: 1}[key]) {
      mark(current, {c: "comment", r: "report", u: "unsure", x: ""}[key], false);
      if (key !== "x" && at + 1 < items.length) { select(items[at + 1]); }
    } else { return; }
    event.preventDefault();
  });
  // The same page open in another tab writes the same key: take its marks, or the next mark here would
  // write this tab's older set over them (and a save here would leave them out).
  window.addEventListener("storage", function (event) {
    if (event.key !== store) { return; }
    try { marks = JSON.parse(event.newValue || "{}") || {}; } catch (e) { return; }
    items.forEach(show); count();
  });
  document.addEventListener("focusin", function (event) {
    var item = event.target.closest && event.target.closest(".seg[data-text]");
    // Focus that reached a control inside an item (Tab, Shift+Tab) stays there: pulled back to the item, its
    // buttons could not be reached backwards.
    if (item && item !== current) { select(item, true); }
  });
}());
