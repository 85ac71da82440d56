// DiffViewer front-end: a plain ES module for anywidget (no bundler).
// Every piece of text from Python (model output, source code) goes through
// textContent (no HTML parsing anywhere), so it can never become markup.

const KEYWORDS = new Set([
  // python
  "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class",
  "continue", "def", "del", "elif", "else", "except", "finally", "for", "from", "global",
  "if", "import", "in", "is", "lambda", "nonlocal", "not", "or", "pass", "raise",
  "return", "try", "while", "with", "yield",
  // javascript / typescript / go / rust / java
  "const", "let", "var", "function", "new", "this", "typeof", "catch", "throw", "switch",
  "case", "default", "export", "interface", "type", "func", "package", "struct", "go",
  "defer", "fn", "impl", "pub", "use", "mut", "match", "public", "private", "static",
  "void", "null", "true", "false", "undefined",
]);

// one regex, one alternative per token class; the rest is plain text
const TOKEN = /(#.*$|\/\/.*$)|("(?:[^"\\]|\\.)*"?|'(?:[^'\\]|\\.)*'?|`(?:[^`\\]|\\.)*`?)|(\b\d+(?:\.\d+)?\b)|(\b[A-Za-z_][A-Za-z0-9_]*\b)/gm;

function span(cls, text) {
  const s = document.createElement("span");
  if (cls) s.className = cls;
  s.textContent = text;
  return s;
}

export function highlight(code) {
  const frag = document.createDocumentFragment();
  let last = 0;
  TOKEN.lastIndex = 0;
  let m;
  while ((m = TOKEN.exec(code)) !== null) {
    if (m.index > last) frag.appendChild(document.createTextNode(code.slice(last, m.index)));
    if (m[1]) frag.appendChild(span("fnb-tok-comment", m[0]));
    else if (m[2]) frag.appendChild(span("fnb-tok-string", m[0]));
    else if (m[3]) frag.appendChild(span("fnb-tok-number", m[0]));
    else if (KEYWORDS.has(m[0])) frag.appendChild(span("fnb-tok-keyword", m[0]));
    else frag.appendChild(document.createTextNode(m[0]));
    last = TOKEN.lastIndex;
    if (m[0].length === 0) TOKEN.lastIndex++;
  }
  if (last < code.length) frag.appendChild(document.createTextNode(code.slice(last)));
  return frag;
}

export function lineKind(line) {
  if (line.startsWith("+++") || line.startsWith("---")) return "file";
  if (line.startsWith("@@")) return "hunk";
  if (line.startsWith("+")) return "add";
  if (line.startsWith("-")) return "del";
  if (line.startsWith("\\")) return "meta";
  return "ctx";
}

function renderDiff(diff) {
  const table = document.createElement("div");
  table.className = "fnb-diff";
  table.setAttribute("role", "table");
  let oldNo = 0, newNo = 0;
  for (const line of diff.replace(/\n$/, "").split("\n")) {
    const kind = lineKind(line);
    const row = document.createElement("div");
    row.className = `fnb-line fnb-${kind}`;
    row.setAttribute("role", "row");
    row.dataset.kind = kind;
    const a = span("fnb-ln", ""), b = span("fnb-ln", "");
    if (kind === "hunk") {
      const h = /@@ -(\d+)(?:,\d+)? \+(\d+)/.exec(line);
      if (h) { oldNo = +h[1]; newNo = +h[2]; }
    } else if (kind === "add") { b.textContent = String(newNo++); }
    else if (kind === "del") { a.textContent = String(oldNo++); }
    else if (kind === "ctx") { a.textContent = String(oldNo++); b.textContent = String(newNo++); }
    row.appendChild(a);
    row.appendChild(b);
    const code = document.createElement("span");
    code.className = "fnb-code";
    if (kind === "add" || kind === "del" || kind === "ctx") {
      code.appendChild(span("fnb-sign", line.slice(0, 1) || " "));
      code.appendChild(highlight(line.slice(1)));
    } else {
      code.textContent = line;
    }
    row.appendChild(code);
    table.appendChild(row);
  }
  return table;
}

// the measured verdict of a suggestion (fault_nb.verify), from the `verdicts` trait; text only
const VERDICTS = new Set(["improved", "regressed", "mixed", "no-change"]);
function verdictBadge(model, id) {
  const v = (model.get("verdicts") || {})[id];
  if (!v) return document.createTextNode("");
  const kind = VERDICTS.has(v.verdict) ? v.verdict : "no-change";
  const badge = span(`fnb-badge fnb-verdict fnb-verdict-${kind}`, `measured: ${v.verdict}`);
  badge.title = v.text || "";
  return badge;
}

function renderSuggestion(model, s, index) {
  const card = document.createElement("section");
  card.className = `fnb-suggestion fnb-status-${s.status === "rejected" ? "rejected" : "verified"}`;
  card.dataset.id = s.id;

  const head = document.createElement("header");
  head.className = "fnb-head";
  const box = document.createElement("input");
  box.type = "checkbox";
  box.className = "fnb-include";
  box.id = `fnb-${model.cid || "m"}-${index}`;
  box.checked = (model.get("included") || []).includes(s.id);
  box.disabled = s.status === "rejected";
  box.title = box.disabled ? "rejected edits cannot be included" : "include in export and apply";
  box.addEventListener("change", () => {
    const current = new Set(model.get("included") || []);
    if (box.checked) current.add(s.id); else current.delete(s.id);
    // keep the order of the suggestions, not of the clicks
    const order = (model.get("suggestions") || []).map((x) => x.id);
    model.set("included", order.filter((id) => current.has(id)));
    model.save_changes();
  });
  const label = document.createElement("label");
  label.htmlFor = box.id;
  label.className = "fnb-title";
  label.textContent = `${index + 1}. ${s.title || "(untitled suggestion)"}`;
  head.appendChild(box);
  head.appendChild(label);
  const badges = document.createElement("span");
  badges.className = "fnb-badges";
  if (s.category) badges.appendChild(span("fnb-badge", s.category));
  badges.appendChild(span(`fnb-badge fnb-badge-${s.status === "rejected" ? "rejected" : "verified"}`, s.status || "verified"));
  if (s.file) badges.appendChild(span("fnb-badge fnb-file", s.file));
  // a prerequisite: ticking this card ticks it too (the review decides; Python sends the note)
  if (s.needs && s.needs.length) badges.appendChild(span("fnb-badge fnb-needs", `needs ${s.needs.join(", ")}`));
  badges.appendChild(verdictBadge(model, s.id));
  head.appendChild(badges);
  card.appendChild(head);

  if (s.rationale) {
    const p = document.createElement("p");
    p.className = "fnb-rationale";
    p.textContent = s.rationale;
    card.appendChild(p);
  }
  if (s.evidence && s.evidence.length) {
    const ul = document.createElement("ul");
    ul.className = "fnb-evidence";
    for (const e of s.evidence) {
      const li = document.createElement("li");
      li.textContent = e;
      ul.appendChild(li);
    }
    card.appendChild(ul);
  }
  if (s.status === "rejected") {
    const p = document.createElement("p");
    p.className = "fnb-rejected";
    p.textContent = `Rejected: ${s.error || "the edit did not apply or did not parse"}`;
    card.appendChild(p);
  } else if (s.diff) {
    card.appendChild(renderDiff(s.diff));
  }
  return card;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "fnb-diffviewer";
  el.appendChild(root);

  const draw = () => {
    root.replaceChildren();
    const header = model.get("header");
    const endpoint = model.get("endpoint");
    if (endpoint || header) {
      const top = document.createElement("div");
      top.className = "fnb-top";
      if (endpoint) top.appendChild(span("fnb-endpoint", endpoint));
      if (header) top.appendChild(span("fnb-provenance", header));
      root.appendChild(top);
    }
    const note = model.get("note");
    if (note) {
      const p = span("fnb-choice-note", note);
      p.setAttribute("role", "status");
      root.appendChild(p);
    }
    const items = model.get("suggestions") || [];
    if (!items.length) {
      root.appendChild(span("fnb-empty", endpoint ? "No suggestions for this endpoint." : "No review yet."));
      return;
    }
    items.forEach((s, i) => root.appendChild(renderSuggestion(model, s, i)));
  };
  const syncBoxes = () => {
    const chosen = new Set(model.get("included") || []);
    for (const card of root.querySelectorAll(".fnb-suggestion")) {
      const box = card.querySelector("input.fnb-include");
      if (box) box.checked = chosen.has(card.dataset.id);
    }
  };
  draw();
  model.on("change:suggestions", draw);
  model.on("change:header", draw);
  model.on("change:endpoint", draw);
  model.on("change:note", draw);
  model.on("change:verdicts", draw);
  model.on("change:included", syncBoxes);
  return () => {
    model.off("change:suggestions", draw);
    model.off("change:header", draw);
    model.off("change:endpoint", draw);
    model.off("change:note", draw);
    model.off("change:verdicts", draw);
    model.off("change:included", syncBoxes);
  };
}

export default { render };
