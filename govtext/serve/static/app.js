// govtext serve: the editors' page. Every piece of text reaches the page through
// textContent or createTextNode, never parsed as HTML: an article's HTML, script or template
// syntax stays text. Offsets from the API are used in their UTF-16 form (JS indices).
"use strict";

const state = {
  themes: null, // GET /v1/themes
  docs: [], // tag records on screen (several for a multi-article file)
  texts: [], // the text of each record
  current: 0,
  cursor: {}, // theme -> index of the last hit scrolled to
  selectedSentence: null,
  judged: 0,
};

const $ = (id) => document.getElementById(id);

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (k === "class") node.className = v;
    else if (k === "style") Object.assign(node.style, v);
    else node.setAttribute(k, v);
  }
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

function status(message, isError) {
  const s = $("status");
  s.textContent = message;
  s.classList.toggle("error", !!isError);
}

function token() {
  return sessionStorage.getItem("govtext-token") || "";
}

async function api(path, options) {
  const opts = Object.assign({ headers: {} }, options || {});
  if (token()) opts.headers["Authorization"] = "Bearer " + token();
  let response;
  try {
    response = await fetch(path, opts);
  } catch (e) {
    throw new Error("连接服务失败（" + e.message + "）：请确认 govtext serve 仍在运行");
  }
  if (response.status === 401) $("token-bar").hidden = false;
  if (!response.ok) {
    let message = "HTTP " + response.status;
    try {
      const body = await response.json();
      if (body && body.error && body.error.message) message = body.error.message;
    } catch (e) { /* not JSON: keep the status */ }
    throw new Error(message);
  }
  return response;
}

function themeInfo(id) {
  return (state.themes && state.themes.themes.find((t) => t.id === id)) || { id: id, name: id, colour: "#ddd" };
}

// ------------------------------------------------------------------ tagging
async function tagPasted() {
  const text = $("text").value;
  if (!text.trim()) {
    status("请先粘贴文章正文，或拖入一个文件。", true);
    return;
  }
  status("正在标注…");
  const title = $("title").value;
  const body = { id: title.trim() || "粘贴文章", title: title, text: text };
  const response = await api("/v1/tag?explain=true&sentences=true&evidence=1000", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const record = await response.json();
  show([record], [text]);
}

async function tagFile(file) {
  status("正在读取 " + file.name + " …");
  const form = new FormData();
  form.append("file", file, file.name);
  const response = await api("/v1/tag/file?explain=true&sentences=true&evidence=1000&text=true", {
    method: "POST",
    body: form,
  });
  const result = await response.json();
  const texts = result.documents.map((d) => d.text);
  const records = result.documents.map((d) => {
    const r = Object.assign({}, d);
    delete r.text;
    return r;
  });
  show(records, texts);
}

function show(records, texts) {
  state.docs = records;
  state.texts = texts;
  const select = $("doc-select");
  select.textContent = "";
  records.forEach((r, i) => select.append(el("option", { value: String(i) }, r.title || r.doc_id)));
  select.hidden = $("doc-select-label").hidden = records.length < 2;
  $("result").hidden = false;
  render(0);
  const n = records.reduce((a, r) => a + r.hits.length, 0);
  status("完成：" + records.length + " 篇，" + n + " 处命中。");
  $("result").scrollIntoView({ block: "start" });
}

function render(index) {
  state.current = index;
  state.cursor = {};
  state.selectedSentence = null;
  $("missed").hidden = true;
  const record = state.docs[index];
  const text = state.texts[index];
  $("doc-summary").textContent =
    (record.title ? "《" + record.title + "》 " : "") + record.n_chars + " 字 · 词典 " + record.dictionary.hash;
  renderArticle(record, text);
  renderThemes(record);
  renderVetoed(record);
  $("evidence").textContent = "";
  $("evidence-title").firstChild.textContent = "证据句 ";
}

// The article as sentences (clickable) holding marks; a mark covers a piece of text
// between two hit boundaries and lists every hit over it in data-hits.
function renderArticle(record, text) {
  const box = $("article");
  box.textContent = "";
  const hits = record.hits;
  const sentences = record.sentences && record.sentences.length
    ? record.sentences
    : [{ start: 0, end: text.length, start_utf16: 0, end_utf16: text.length }];
  const cuts = new Set();
  hits.forEach((h) => { cuts.add(h.char_start_utf16); cuts.add(h.char_end_utf16); });
  let pos = 0;
  sentences.forEach((s, si) => {
    if (s.start_utf16 > pos) box.append(text.slice(pos, s.start_utf16));
    const span = el("span", { class: "sent", "data-s": String(si) });
    const points = [s.start_utf16, s.end_utf16, ...[...cuts].filter((c) => c > s.start_utf16 && c < s.end_utf16)]
      .sort((a, b) => a - b);
    for (let k = 0; k + 1 < points.length; k++) {
      const a = points[k], b = points[k + 1];
      if (a === b) continue;
      const piece = text.slice(a, b);
      const over = [];
      hits.forEach((h, hi) => { if (h.char_start_utf16 <= a && b <= h.char_end_utf16) over.push(hi); });
      if (!over.length) { span.append(piece); continue; }
      const first = themeInfo(hits[over[0]].theme);
      const names = [...new Set(over.map((hi) => themeInfo(hits[hi].theme).name))];
      span.append(el("mark", {
        class: "hit",
        "data-hits": over.join(" "),
        "data-theme": hits[over[0]].theme,
        title: names.join("、") + " · " + over.map((hi) => hits[hi].rule).join("、"),
        style: { background: first.colour },
      }, piece));
    }
    span.addEventListener("click", () => selectSentence(si, span));
    box.append(span);
    pos = Math.max(pos, s.end_utf16);
  });
  if (pos < text.length) box.append(text.slice(pos));
}

function renderThemes(record) {
  const box = $("themes");
  box.textContent = "";
  const found = {};
  record.themes.forEach((t) => { found[t.theme] = t; });
  for (const fw of state.themes.frameworks) {
    const list = el("ul");
    for (const tid of fw.themes) {
      const info = themeInfo(tid);
      const t = found[tid];
      const button = el("button", { type: "button", title: info.description || "" },
        el("span", { class: "swatch", style: { background: info.colour } }),
        el("span", { class: "name" }, info.name),
        el("span", { class: "count" }, t ? t.hits : 0),
        el("span", { class: "density" }, t ? t.density.toFixed(1) + "‱" : "—"));
      const li = el("li", { class: "theme" + (t ? "" : " none"), "data-theme": tid }, button);
      if (t) button.addEventListener("click", () => showTheme(tid));
      else button.disabled = true;
      list.append(li);
    }
    box.append(el("section", { class: "fw", "data-framework": fw.id }, el("h3", {}, fw.name), list));
  }
}

const REASONS = [
  [/^exclude_overlap:(.*)$/, (m) => "排除：属于“" + m[1] + "”"],
  [/^exclude_near:([^(]*)\((.*)\)$/, (m) => "排除：附近有“" + m[2] + "”（" + m[1] + "）"],
  [/^require_near:(.*)$/, (m) => "未计：附近缺少所需上下文（" + m[1] + "）"],
  [/^boundary:token$/, () => "未计：不在词语边界上"],
];

function reasonText(reason) {
  for (const [rx, f] of REASONS) {
    const m = reason.match(rx);
    if (m) return f(m);
  }
  return "排除：" + reason;
}

function sentenceWithMark(sentence, a, b) {
  return el("span", { class: "sentence" }, sentence.slice(0, a), el("mark", {}, sentence.slice(a, b)), sentence.slice(b));
}

// UTF-16 units of the first n code points of s (a sentence's match offset, for JS slicing).
function unitsOfCodePoints(s, n) {
  let units = 0, cps = 0;
  for (const ch of s) { if (cps >= n) break; units += ch.length; cps++; }
  return units;
}

function renderVetoed(record) {
  const box = $("vetoed");
  box.textContent = "";
  const vetoed = record.vetoed || [];
  if (!vetoed.length) { box.append(el("li", { class: "muted" }, "无")); return; }
  for (const v of vetoed) {
    const a = unitsOfCodePoints(v.sentence, v.char_start - v.sentence_start);
    const b = a + (v.char_end_utf16 - v.char_start_utf16);
    box.append(el("li", { class: "veto", "data-theme": v.theme, "data-reason": v.reason },
      el("strong", {}, v.term), " · " + themeInfo(v.theme).name + " ",
      el("span", { class: "reason" }, reasonText(v.reason) + " ", el("code", {}, v.reason)),
      sentenceWithMark(v.sentence, a, b)));
  }
}

// ------------------------------------------------------------------ evidence and judgements
function showTheme(tid) {
  const record = state.docs[state.current];
  document.querySelectorAll(".theme").forEach((li) => li.classList.toggle("active", li.dataset.theme === tid));
  const idx = record.hits.map((h, i) => [h, i]).filter(([h]) => h.theme === tid).map(([, i]) => i);
  const next = ((state.cursor[tid] ?? -1) + 1) % idx.length;
  state.cursor[tid] = next;
  scrollToHit(idx[next]);
  const list = $("evidence");
  list.textContent = "";
  $("evidence-title").firstChild.textContent = "证据句：" + themeInfo(tid).name + "（" + idx.length + " 处）";
  for (const hi of idx) {
    const h = record.hits[hi];
    const a = unitsOfCodePoints(h.sentence, h.char_start - h.sentence_start);
    const b = a + (h.char_end_utf16 - h.char_start_utf16);
    const wrong = el("button", { type: "button", class: "wrong", title: "这一处不是该主题" }, "标错");
    const li = el("li", { class: "ev", "data-hit": String(hi) }, sentenceWithMark(h.sentence, a, b), " ",
      el("small", { class: "muted" }, h.rule + " "), wrong);
    li.querySelector(".sentence").addEventListener("click", () => scrollToHit(hi));
    wrong.addEventListener("click", () => markWrong(hi, li, wrong));
    list.append(li);
  }
}

function scrollToHit(hi) {
  document.querySelectorAll("mark.hit.flash").forEach((m) => m.classList.remove("flash"));
  const marks = [...document.querySelectorAll("mark.hit")].filter((m) => m.dataset.hits.split(" ").includes(String(hi)));
  marks.forEach((m) => m.classList.add("flash"));
  if (marks.length) marks[0].scrollIntoView({ block: "center" });
}

function sentenceThemes(record, sentenceIndex) {
  return [...new Set(record.hits.filter((h) => h.sentence_index === sentenceIndex).map((h) => h.theme))];
}

async function judge(body) {
  const response = await api("/v1/judgements", {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  const saved = await response.json();
  await refreshJudgements();
  return saved;
}

async function markWrong(hi, li, button) {
  const record = state.docs[state.current];
  const h = record.hits[hi];
  button.disabled = true;
  try {
    await judge({
      doc_id: record.doc_id, verdict: "wrong", theme: h.theme, rule: h.rule, term: h.term,
      char_start: h.char_start, char_end: h.char_end, sentence: h.sentence, sentence_index: h.sentence_index,
      predicted: sentenceThemes(record, h.sentence_index), dictionary_hash: record.dictionary.hash,
    });
    li.classList.add("judged");
    button.textContent = "已标错";
    document.querySelectorAll("mark.hit").forEach((m) => {
      if (m.dataset.hits.split(" ").includes(String(hi))) m.classList.add("wrong");
    });
  } catch (e) {
    button.disabled = false;
    status("保存失败：" + e.message, true);
  }
}

function selectSentence(si, span) {
  const record = state.docs[state.current];
  const text = state.texts[state.current];
  const s = record.sentences[si];
  document.querySelectorAll(".sent.selected").forEach((n) => n.classList.remove("selected"));
  span.classList.add("selected");
  state.selectedSentence = si;
  $("missed-sentence").textContent = text.slice(s.start_utf16, s.end_utf16);
  const select = $("missed-theme");
  select.textContent = "";
  const present = sentenceThemes(record, si);
  for (const t of state.themes.themes) {
    if (!present.includes(t.id)) select.append(el("option", { value: t.id }, t.name + "（" + t.id + "）"));
  }
  $("missed-status").textContent = "";
  $("missed").hidden = false;
}

async function addMissed() {
  const record = state.docs[state.current];
  const si = state.selectedSentence;
  if (si === null) return;
  const s = record.sentences[si];
  const text = state.texts[state.current];
  const theme = $("missed-theme").value;
  try {
    await judge({
      doc_id: record.doc_id, verdict: "missed", theme: theme, sentence: text.slice(s.start_utf16, s.end_utf16),
      sentence_index: si, char_start: s.start, char_end: s.end,
      predicted: sentenceThemes(record, si), dictionary_hash: record.dictionary.hash,
    });
    $("missed-status").textContent = "已记录：" + themeInfo(theme).name;
  } catch (e) {
    $("missed-status").textContent = "保存失败：" + e.message;
  }
}

async function refreshJudgements() {
  try {
    const response = await api("/v1/judgements");
    const body = await response.json();
    $("judgement-count").textContent = String(body.n);
  } catch (e) { /* the count is a convenience; errors show on the actions themselves */ }
}

async function download(path, filename) {
  try {
    const response = await api(path);
    saveBlob(await response.blob(), filename);
  } catch (e) {
    status("导出失败：" + e.message, true);
  }
}

function saveBlob(blob, filename) {
  const url = URL.createObjectURL(blob);
  const a = el("a", { href: url, download: filename });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function currentJson() {
  return JSON.stringify(state.docs[state.current], null, 2);
}

async function copyJson() {
  const json = currentJson();
  try {
    await navigator.clipboard.writeText(json);
  } catch (e) {
    const area = el("textarea", {});
    area.value = json;
    document.body.append(area);
    area.select();
    document.execCommand("copy");
    area.remove();
  }
  status("JSON 已复制。");
}

// ------------------------------------------------------------------ wiring
function guard(fn) {
  return (...args) => fn(...args).catch((e) => status(e.message, true));
}

async function init() {
  const response = await api("/v1/themes");
  state.themes = await response.json();
  const d = await (await api("/v1/dictionary")).json();
  $("dict-info").textContent =
    "词典 " + d.hash + " · " + d.n_themes + " 个主题 · " + d.n_rules + " 条规则 · 来源 " + d.sources.join("、");
  await refreshJudgements();
}

document.addEventListener("DOMContentLoaded", () => {
  $("run").addEventListener("click", guard(tagPasted));
  $("clear").addEventListener("click", () => {
    $("text").value = ""; $("title").value = ""; $("result").hidden = true; status("");
  });
  $("file").addEventListener("change", guard(async (ev) => { if (ev.target.files[0]) await tagFile(ev.target.files[0]); }));
  const drop = $("drop");
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", guard(async (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    const file = ev.dataTransfer.files[0];
    if (file) await tagFile(file);
  }));
  $("doc-select").addEventListener("change", (ev) => render(Number(ev.target.value)));
  $("json-copy").addEventListener("click", guard(copyJson));
  $("json-download").addEventListener("click", () => {
    const r = state.docs[state.current];
    saveBlob(new Blob([currentJson()], { type: "application/json" }), (r.doc_id || "article") + ".json");
  });
  $("missed-add").addEventListener("click", guard(addMissed));
  $("export-csv").addEventListener("click", () => download("/v1/judgements?format=csv", "judgements.csv"));
  $("export-jsonl").addEventListener("click", () => download("/v1/judgements?format=jsonl", "judgements.jsonl"));
  $("token-save").addEventListener("click", () => {
    sessionStorage.setItem("govtext-token", $("token").value.trim());
    $("token-bar").hidden = true;
    guard(init)();
  });
  guard(init)();
});
