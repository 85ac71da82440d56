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

// Markdown code spans in a title or rationale (`def handler`) become <code> elements; everything is
// still text nodes (textContent), so a title can never inject markup.
export function titleNodes(text) {
  const frag = document.createDocumentFragment();
  const parts = String(text).split(/(`[^`\n]+`)/);
  for (const part of parts) {
    if (!part) continue;
    if (part.length > 2 && part.startsWith("`") && part.endsWith("`")) {
      const code = document.createElement("code");
      code.className = "fnb-title-code";
      code.textContent = part.slice(1, -1);
      frag.appendChild(code);
    } else {
      frag.appendChild(document.createTextNode(part));
    }
  }
  return frag;
}

function renderSuggestion(model, s, index, state) {
  const card = document.createElement("section");
  card.className = `fnb-suggestion fnb-status-${s.status === "rejected" ? "rejected" : "verified"}`;
  card.dataset.id = s.id;

  const head = document.createElement("header");
  head.className = "fnb-head";
  const toggle = document.createElement("button");
  toggle.type = "button";
  toggle.className = "fnb-toggle";
  const bodyId = `fnb-body-${model.cid || "m"}-${index}`;
  toggle.setAttribute("aria-controls", bodyId);
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
  label.appendChild(document.createTextNode(`${index + 1}. `));
  label.appendChild(titleNodes(s.title || "(untitled suggestion)"));
  head.appendChild(toggle);
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
  const applied = span("fnb-badge fnb-badge-applied", "applied");
  applied.title = "written to the source by Apply (Undo restores it)";
  badges.appendChild(applied);
  head.appendChild(badges);
  card.appendChild(head);

  const body = document.createElement("div");
  body.className = "fnb-body";
  body.id = bodyId;
  if (s.rationale) {
    const p = document.createElement("p");
    p.className = "fnb-rationale";
    p.appendChild(titleNodes(s.rationale));  // code spans here too, still text nodes only
    body.appendChild(p);
  }
  if (s.evidence && s.evidence.length) {
    const ul = document.createElement("ul");
    ul.className = "fnb-evidence";
    for (const e of s.evidence) {
      const li = document.createElement("li");
      li.textContent = e;
      ul.appendChild(li);
    }
    body.appendChild(ul);
  }
  if (s.status === "rejected") {
    const p = document.createElement("p");
    p.className = "fnb-rejected";
    p.textContent = `Rejected: ${s.error || "the edit did not apply or did not parse"}`;
    body.appendChild(p);
  } else if (s.diff) {
    body.appendChild(renderDiff(s.diff));
  }
  card.appendChild(body);

  const setOpen = (open) => {
    state.set(s.id, open);
    card.classList.toggle("fnb-collapsed", !open);
    body.hidden = !open;
    toggle.setAttribute("aria-expanded", String(open));
    toggle.textContent = open ? "\u25BE" : "\u25B8";
    toggle.title = open ? "collapse this suggestion" : "expand this suggestion";
  };
  toggle.addEventListener("click", () => setOpen(!state.get(s.id)));
  card._fnbSetOpen = setOpen;
  setOpen(state.has(s.id) ? state.get(s.id) : true);
  return card;
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.className = "fnb-diffviewer";
  el.appendChild(root);
  // open/closed per suggestion id, kept across redraws (a re-based diff does not re-open a card)
  const open = new Map();
  let countEl = null, collapseAll = null, expandAll = null, noteEl = null;

  const syncState = () => {
    const chosen = new Set(model.get("included") || []);
    const applied = new Set(model.get("applied") || []);
    for (const card of root.querySelectorAll(".fnb-suggestion")) {
      const id = card.dataset.id;
      const box = card.querySelector("input.fnb-include");
      if (box) box.checked = chosen.has(id);
      card.classList.toggle("fnb-excluded", !chosen.has(id));
      card.classList.toggle("fnb-applied", applied.has(id));
    }
    const items = model.get("suggestions") || [];
    if (countEl) {
      const n = items.filter((s) => chosen.has(s.id)).length;
      const a = items.filter((s) => applied.has(s.id)).length;
      countEl.textContent = `${n} of ${items.length} ticked` + (a ? ` \u00B7 ${a} applied` : "");
    }
    if (noteEl) {
      const note = model.get("note") || "";
      noteEl.textContent = note;
      noteEl.hidden = !note;
    }
  };
  const syncToggles = () => {
    const cards = Array.from(root.querySelectorAll(".fnb-suggestion"));
    if (collapseAll) collapseAll.disabled = !cards.some((c) => !c.classList.contains("fnb-collapsed"));
    if (expandAll) expandAll.disabled = !cards.some((c) => c.classList.contains("fnb-collapsed"));
  };

  const draw = () => {
    root.replaceChildren();
    countEl = collapseAll = expandAll = noteEl = null;
    const header = model.get("header");
    const endpoint = model.get("endpoint");
    const items = model.get("suggestions") || [];
    if (endpoint || header || items.length) {
      const top = document.createElement("div");
      top.className = "fnb-top";
      if (endpoint) top.appendChild(span("fnb-endpoint", endpoint));
      if (header) top.appendChild(span("fnb-provenance", header));
      if (items.length) {
        countEl = span("fnb-count", "");
        top.appendChild(countEl);
        const tools = document.createElement("span");
        tools.className = "fnb-tools";
        collapseAll = document.createElement("button");
        collapseAll.type = "button";
        collapseAll.className = "fnb-collapse-all";
        collapseAll.textContent = "Collapse all";
        expandAll = document.createElement("button");
        expandAll.type = "button";
        expandAll.className = "fnb-expand-all";
        expandAll.textContent = "Expand all";
        const setAll = (value) => {
          for (const card of root.querySelectorAll(".fnb-suggestion")) card._fnbSetOpen(value);
          syncToggles();
        };
        collapseAll.addEventListener("click", () => setAll(false));
        expandAll.addEventListener("click", () => setAll(true));
        tools.appendChild(collapseAll);
        tools.appendChild(expandAll);
        top.appendChild(tools);
      }
      root.appendChild(top);
    }
    noteEl = document.createElement("p");
    noteEl.className = "fnb-note";
    noteEl.setAttribute("role", "status");
    root.appendChild(noteEl);
    if (!items.length) {
      root.appendChild(span("fnb-empty", endpoint ? "No suggestions for this endpoint." : "No review yet."));
      syncState();
      return;
    }
    // many cards: the first stays open, the others start collapsed (their titles still read as a list)
    if (items.length > 2) items.forEach((s, i) => { if (!open.has(s.id)) open.set(s.id, i === 0); });
    items.forEach((s, i) => {
      const card = renderSuggestion(model, s, i, open);
      card.querySelector(".fnb-toggle").addEventListener("click", syncToggles);
      root.appendChild(card);
    });
    syncState();
    syncToggles();
  };
  const redrawNew = () => { open.clear(); draw(); };
  draw();
  model.on("change:suggestions", draw);
  model.on("change:header", redrawNew);
  model.on("change:endpoint", redrawNew);
  model.on("change:included", syncState);
  model.on("change:applied", syncState);
  model.on("change:note", syncState);
  model.on("change:verdicts", draw);
  return () => {
    model.off("change:suggestions", draw);
    model.off("change:header", redrawNew);
    model.off("change:endpoint", redrawNew);
    model.off("change:included", syncState);
    model.off("change:applied", syncState);
    model.off("change:note", syncState);
    model.off("change:verdicts", draw);
  };
}

export default { render };
