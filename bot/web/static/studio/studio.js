// The flow studio (docs/flows-studio.md): the flow list; the YAML editor (CodeMirror 5,
// vendored) with problems marked at their line; a diagram redrawn as you type (debounced
// validate + diagram calls); a preview chat on the draft (actions dry-run); publish with
// a note; history with diff and one-click rollback; for forms: share link, poster QR,
// live submission count, CSV / XLSX export. Admins edit; auditors read.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const el = (tag, cls, text) => {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  };
  const API = "/api/v1/admin/flows";
  const DEBOUNCE = 400;     // ms after the last keystroke before checking the draft
  const COUNT_EVERY = 2000; // ms between submission count refreshes
  let me = null;
  let editor = null;
  let current = null;       // {name, version (null: never published), yaml}
  let previewId = null;
  let problemLines = [];
  let diagramUrl = null;
  let checkTimer = 0;
  let checkRun = 0;         // the newest check (older answers are dropped)
  let countTimer = 0;

  const canEdit = () => me && me.role === "admin";
  const flowUrl = (name) => `${API}/${encodeURIComponent(name)}`;
  function say(text) { $("message").textContent = text || ""; }

  // -- the list ----------------------------------------------------------------------------
  async function loadList() {
    const r = await Staff.api(API);
    if (r.status !== 200) return say(Staff.errText(r.data));
    $("flows").replaceChildren(...r.data.items.map((f) => {
      const li = el("li");
      li.dataset.name = f.name;
      li.classList.toggle("current", Boolean(current && current.name === f.name));
      li.append(el("div", "", f.title ? `${f.title.zh} · ${f.name}` : f.name));
      li.append(el("div", "meta", `v${f.version} · ${f.author}` + (f.live ? "" : " · ⚠")));
      li.addEventListener("click", () => openFlow(f.name));
      return li;
    }));
  }

  // -- one flow ---------------------------------------------------------------------------
  async function openFlow(name) {
    const r = await Staff.api(flowUrl(name));
    if (r.status !== 200) return say(Staff.errText(r.data));
    show({name, version: r.data.version, yaml: r.data.yaml}, r.data.history);
  }

  function show(flow, history) {
    current = flow;
    $("template").hidden = true;
    $("flow").hidden = false;
    $("flow-name").textContent = flow.name;
    $("flow-version").textContent = flow.version ? `版本 version ${flow.version}` :
      "未发布 not published yet";
    say("");
    editor.setValue(flow.yaml);
    editor.clearHistory();
    resetPreview();
    showHistory(history || []);
    for (const li of $("flows").children) li.classList.toggle("current", li.dataset.name === flow.name);
    formTools();
    scheduleCheck(0);
  }

  // -- checking as you type: problems in the gutter and the list, and the diagram ----------
  function scheduleCheck(delay) {
    clearTimeout(checkTimer);
    checkTimer = setTimeout(check, delay === undefined ? DEBOUNCE : delay);
  }

  async function check() {
    if (!current) return;
    const run = ++checkRun;
    const yaml = editor.getValue();
    const url = flowUrl(current.name);
    if (canEdit()) {
      const r = await Staff.api(url + "/validate", "POST", {yaml});
      if (run !== checkRun) return;
      if (r.status === 200) showProblems(r.data.problems);
      else showProblems([{line: 1, column: 1, message: Staff.errText(r.data)}]);
    }
    const opts = {method: canEdit() ? "POST" : "GET", credentials: "same-origin",
                  headers: {"X-CSRF-Token": Staff.csrf(), "Content-Type": "application/json"}};
    if (canEdit()) opts.body = JSON.stringify({yaml});
    const resp = await fetch(url + "/diagram.svg", opts);
    if (run !== checkRun || !resp.ok) return;  // keep the last drawing while it cannot parse
    if (diagramUrl) URL.revokeObjectURL(diagramUrl);
    diagramUrl = URL.createObjectURL(await resp.blob());
    $("diagram-img").src = diagramUrl;
  }

  function showProblems(problems) {
    for (const line of problemLines) editor.removeLineClass(line, "background", "problem-line");
    editor.clearGutter("CodeMirror-lint-markers");
    problemLines = [];
    $("problems").replaceChildren(...problems.map((p) => {
      const line = Math.max(0, Math.min(p.line - 1, editor.lineCount() - 1));
      const mark = el("div", "CodeMirror-lint-marker CodeMirror-lint-marker-error");
      mark.title = p.message;
      editor.setGutterMarker(line, "CodeMirror-lint-markers", mark);
      editor.addLineClass(line, "background", "problem-line");
      problemLines.push(line);
      const li = el("li", "", `第 ${p.line} 行 line ${p.line}:${p.column} — ${p.message}`);
      li.dataset.line = p.line;
      li.addEventListener("click", () => {
        editor.setCursor({line, ch: Math.max(0, p.column - 1)});
        editor.focus();
      });
      return li;
    }));
    $("status").textContent = problems.length ? "" : "✓ 没有问题 No problems";
    $("publish").disabled = problems.length > 0;
  }

  // -- preview -------------------------------------------------------------------------------
  function resetPreview() {
    previewId = null;
    $("preview-log").replaceChildren();
  }

  function bubble(text, who, options) {
    const b = el("div", `bubble ${who}`, text);
    for (const o of options || []) {
      const button = el("button", "", o.label);
      button.type = "button";
      button.addEventListener("click", () => previewSend(o.value, o.label));
      b.append(el("br"), button);
    }
    $("preview-log").append(b);
    $("preview-log").scrollTop = $("preview-log").scrollHeight;
  }

  async function previewSend(text, shown) {
    if (previewId === null && text !== undefined) return;
    if (text !== undefined) bubble(shown || text, "me");
    const body = {yaml: editor.getValue(), text: text || ""};
    if (previewId) body.preview_id = previewId;
    const r = await Staff.api(flowUrl(current.name) + "/preview", "POST", body);
    if (r.status !== 200) {
      bubble(Staff.errText(r.data), "bot");
      if (r.data.error === "preview_expired") previewId = null;
      return;
    }
    previewId = r.data.preview_id;
    for (const rep of r.data.replies) bubble(rep.text, "bot", rep.options);
  }

  // -- publish, history, diff, rollback --------------------------------------------------
  async function publish() {
    const r = await Staff.api(flowUrl(current.name) + "/publish", "POST",
                              {yaml: editor.getValue(), note: $("note").value,
                               base_version: current.version});
    if (r.status !== 201) return say(Staff.errText(r.data));
    $("note").value = "";
    await loadList();
    await openFlow(current.name);
    $("status").textContent = `✓ 已发布版本 ${r.data.version} Published version ${r.data.version}`;
  }

  function showHistory(history) {
    $("diff").hidden = true;
    $("history").replaceChildren(...history.map((h, i) => {
      const li = el("li", "", `v${h.version} · ${h.author} · ` +
        new Date(h.published_at).toLocaleString("zh-CN", {hour12: false}) +
        (h.note ? ` · ${h.note}` : ""));
      li.dataset.version = h.version;
      if (h.version > 1) {
        const diff = el("button", "secondary", "对比 Diff");
        diff.type = "button";
        diff.addEventListener("click", () => showDiff(h.version - 1, h.version));
        li.append(" ", diff);
      }
      if (i > 0 && canEdit()) {
        const back = el("button", "rollback", "回滚到此版本 Roll back");
        back.type = "button";
        back.addEventListener("click", () => rollback(h.version));
        li.append(" ", back);
      }
      return li;
    }));
  }

  async function showDiff(from, to) {
    const r = await Staff.api(`${flowUrl(current.name)}/diff?from=${from}&to=${to}`);
    if (r.status !== 200) return say(Staff.errText(r.data));
    $("diff").textContent = r.data.diff || "(no change)";
    $("diff").hidden = false;
  }

  async function rollback(version) {
    const r = await Staff.api(flowUrl(current.name) + "/rollback", "POST", {version});
    if (r.status !== 201) return say(Staff.errText(r.data));
    await loadList();
    await openFlow(current.name);
    $("status").textContent = `✓ 已回滚到版本 ${version}（新版本 ${r.data.version}）` +
      ` Rolled back to version ${version} (now version ${r.data.version})`;
  }

  // -- a published form: share link, poster, count, exports --------------------------------
  function formTools() {
    clearTimeout(countTimer);
    const isForm = current.version && /action:\s*records\.save/.test(current.yaml);
    $("form-tools").hidden = !isForm;
    if (!isForm) return;
    const url = flowUrl(current.name);
    $("poster").src = url + "/poster.png";
    $("csv").href = url + "/submissions.csv";
    $("xlsx").href = url + "/submissions.xlsx";
    const name = current.name;
    const refresh = async () => {
      if (!current || current.name !== name) return;
      const r = await Staff.api(url + "/submissions");
      if (r.status === 200) {
        $("count").textContent = String(r.data.count);
        $("share").textContent = $("share").href = r.data.share_url;
      }
      countTimer = setTimeout(refresh, COUNT_EVERY);
    };
    refresh();
  }

  // -- start ---------------------------------------------------------------------------------
  function setUp() {
    editor = CodeMirror.fromTextArea($("yaml"), {
      mode: "yaml", lineNumbers: true, indentUnit: 2, tabSize: 2, styleActiveLine: true,
      gutters: ["CodeMirror-lint-markers", "CodeMirror-linenumbers"],
      extraKeys: {Tab: (cm) => cm.replaceSelection("  ")}});
    window.studioEditor = editor;  // for the browser tests and the console
    editor.on("change", () => scheduleCheck());
    $("publish").addEventListener("click", publish);
    $("preview-start").addEventListener("click", () => { resetPreview(); previewSend(); });
    $("preview-form").addEventListener("submit", (ev) => {
      ev.preventDefault();
      const text = $("preview-text").value;
      if (!text.trim()) return;
      $("preview-text").value = "";
      previewSend(text);
    });
    $("new-form").addEventListener("click", () => Template.open());
    Template.init((name, yaml) => show({name, version: null, yaml}, []));
  }

  setUp();
  Staff.start({
    roles: ["admin", "auditor"],
    denied: "此页面仅限管理员和审计员 Admins and auditors only",
    onIn: async (who) => {
      me = who;
      for (const e of document.querySelectorAll(".edit-only")) e.hidden = !canEdit();
      editor.setOption("readOnly", !canEdit());
      await loadList();
      const wanted = location.hash.slice(1);
      if (wanted) await openFlow(decodeURIComponent(wanted));
    },
    onOut: () => { me = null; current = null; clearTimeout(countTimer); },
  });
})();
