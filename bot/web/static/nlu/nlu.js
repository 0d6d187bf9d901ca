// The NLU editor (docs/nlu.md): intents and their examples as a draft in the page; every
// change is checked by the server (duplicates, conflicts) before saving; saving stores a
// new version, retrains the builtin at once here and in every server process. A try box
// parses with the live model; a 5-fold cross-validation report with its confusion matrix.
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const READERS = ["admin", "auditor"];
let me = null;
let live = null;        // the server's view: {version, intents, ...}
let draft = [];         // [{name, examples: [text]}]
let current = null;     // the intent on show
let problems = [];
let checkTimer = 0;
let checkGen = 0;

const editor = () => Boolean(me && me.role === "admin");
const copy = (intents) => intents.map((i) => ({name: i.name, examples: [...i.examples]}));
const intentOf = (name) => draft.find((i) => i.name === name);
function changed(name) {
  const a = intentOf(name), b = live && live.intents.find((i) => i.name === name);
  return !b || !a || a.examples.join("\n") !== b.examples.join("\n");
}
function dirty() {
  return draft.length !== live.intents.length || draft.some((i) => changed(i.name));
}

// -- drawing -------------------------------------------------------------------------------
function drawIntents() {
  const ul = $("intents");
  ul.replaceChildren();
  for (const intent of draft) {
    const li = el("li", intent.name === current ? "current" : "");
    li.classList.toggle("changed", changed(intent.name));
    li.dataset.name = intent.name;
    li.append(el("span", "", intent.name), el("span", "count", String(intent.examples.length)));
    li.addEventListener("click", () => { current = intent.name; drawIntents(); drawExamples(); });
    ul.append(li);
  }
}

function flagOf(name, text) {
  const mine = problems.filter((p) => (p.intent === name && p.example === text.slice(0, 80)) ||
    (p.other_intent === name && p.other_example === text.slice(0, 80)));
  if (mine.some((p) => p.severity === "error")) return "bad";
  return mine.length ? "flagged" : "";
}

function drawExamples() {
  const intent = intentOf(current);
  $("example-pane").hidden = !intent;
  if (!intent) return;
  $("intent-title").textContent = `${intent.name} · ${intent.examples.length} 条例句 examples`;
  const ul = $("examples");
  ul.replaceChildren();
  intent.examples.forEach((text, i) => {
    const li = el("li", flagOf(intent.name, text));
    const input = el("input");
    input.value = text;
    input.readOnly = !editor();
    input.setAttribute("aria-label", "例句 Example");
    input.addEventListener("change", () => {
      intent.examples[i] = input.value.trim();
      changedDraft();
    });
    li.append(input);
    if (editor()) {
      const rm = el("button", "", "删除 Remove");
      rm.type = "button";
      rm.addEventListener("click", () => { intent.examples.splice(i, 1); changedDraft(); });
      li.append(rm);
    }
    ul.append(li);
  });
}

function drawProblems() {
  const ul = $("problems");
  ul.replaceChildren();
  if (!dirty()) {
    ul.append(el("li", "ok", "无修改 No changes"));
    return;
  }
  if (!problems.length) {
    ul.append(el("li", "ok", "检查通过 No problems"));
    return;
  }
  for (const p of problems) {
    const kind = p.kind === "conflict" ? "冲突 conflict" : p.kind === "duplicate" ? "重复 duplicate" : p.kind;
    ul.append(el("li", p.severity === "error" ? "error" : "warning",
                 `${kind}: ${p.message_zh} / ${p.message}`));
  }
}

function drawLive() {
  const rasa = live.rasa && live.rasa.configured;
  $("backend").className = rasa ? "rasa" : "";
  $("backend").textContent = rasa
    ? `已配置 Rasa 后端（${live.rasa.url}）：保存后内置模型（Rasa 的备用）会重新训练，Rasa 模型需用下面的命令训练。` +
      ` The Rasa backend is configured: saving retrains the builtin (Rasa's fallback); train Rasa's model with the command below.`
    : "内置模型：保存即重新训练，几秒内所有服务进程生效。 Builtin model: saving retrains it; every server process uses it within seconds.";
  $("rasa-command").hidden = !rasa;
  $("rasa-command").textContent = live.rasa ? live.rasa.command : "";
  $("save").textContent = rasa ? "保存 Save" : "保存并重新训练 Save & retrain";
  $("status").textContent = `版本 version ${live.version} · 本进程 served ${live.served_version}` +
    ` · 训练 trained in ${live.train_seconds}s · ${live.intents.length} 个意图 intents · ` +
    `${live.intents.reduce((n, i) => n + i.examples.length, 0)} 条例句 examples`;
  const ol = $("history");
  ol.replaceChildren();
  for (const h of live.history.slice(0, 10)) {
    ol.append(el("li", "", `v${h.version} · ${h.author} · ${h.examples} · ${h.note || ""}`));
  }
}

function drawAll() { drawIntents(); drawExamples(); drawProblems(); }

// -- checking and saving ---------------------------------------------------------------------
function changedDraft() {
  drawAll();
  clearTimeout(checkTimer);
  checkTimer = setTimeout(runCheck, 300);
}

async function runCheck() {
  if (!editor()) return;
  const gen = ++checkGen;
  if (!dirty()) { problems = []; drawAll(); return; }
  const r = await Staff.api("/api/v1/admin/nlu/check", "POST", {intents: draft});
  if (gen !== checkGen) return;
  if (r.status === 200) problems = r.data.problems;
  else problems = (r.data.problems || [{kind: "invalid", severity: "error", message: r.data.message || "",
                                        message_zh: r.data.message_zh || ""}]);
  drawAll();
}

async function save() {
  $("save-message").className = "";
  $("save-message").textContent = "保存中… Saving…";
  $("save").disabled = true;
  try {
    const r = await Staff.api("/api/v1/admin/nlu/versions", "POST", {
      intents: draft, base_version: live.version, note: $("note").value,
      accept_conflicts: $("accept").checked});
    if (r.status !== 201) {
      $("save-message").className = "error";
      $("save-message").textContent = Staff.errText(r.data);
      if (r.data.problems) { problems = r.data.problems; drawAll(); }
      return;
    }
    $("note").value = "";
    $("accept").checked = false;
    await load();
    $("save-message").textContent = `已保存版本 ${r.data.version}，训练用时 ${r.data.train_seconds}s` +
      ` · Saved version ${r.data.version}, retrained in ${r.data.train_seconds}s`;
  } finally {
    $("save").disabled = false;
  }
}

async function load() {
  const r = await Staff.api("/api/v1/admin/nlu");
  if (r.status !== 200) { $("status").textContent = Staff.errText(r.data); return; }
  live = r.data;
  draft = copy(live.intents);
  if (!current || !intentOf(current)) current = draft.length ? draft[0].name : null;
  problems = [];
  drawLive();
  drawAll();
}

// -- try and report -----------------------------------------------------------------------
async function tryParse(ev) {
  ev.preventDefault();
  const r = await Staff.api("/api/v1/admin/nlu/parse", "POST", {text: $("try-text").value});
  if (r.status !== 200) { $("try-result").textContent = Staff.errText(r.data); return; }
  const ranking = r.data.intent_ranking.slice(0, 3)
    .map((i) => `${i.name} ${(i.confidence * 100).toFixed(1)}%`).join(" · ");
  $("try-result").textContent = `${r.data.intent.name} (${(r.data.intent.confidence * 100).toFixed(1)}%)` +
    ` · v${r.data.version} · ${ranking}`;
  $("try-result").dataset.intent = r.data.intent.name;
}

async function runReport() {
  $("report-summary").textContent = "计算中… Running…";
  const r = await Staff.api("/api/v1/admin/nlu/report");
  if (r.status !== 200) { $("report-summary").textContent = Staff.errText(r.data); return; }
  const d = r.data;
  $("report-summary").textContent = `版本 version ${d.version} · ${d.folds} 折 folds · 准确率 accuracy ` +
    `${(d.accuracy * 100).toFixed(1)}% · ${d.seconds}s`;
  const body = $("report-table").querySelector("tbody");
  body.replaceChildren();
  const pct = (x) => (x * 100).toFixed(1) + "%";
  for (const i of d.intents) {
    const tr = el("tr");
    tr.append(el("td", "", i.name));
    for (const x of [i.precision, i.recall, i.f1]) tr.append(el("td", x < 0.7 ? "low" : "", pct(x)));
    tr.append(el("td", "", String(i.support)));
    body.append(tr);
  }
  $("report-table").hidden = false;
  $("matrix").src = `/api/v1/admin/nlu/report.svg?v=${d.version}`;
  $("matrix").hidden = false;
}

// -- editing actions ----------------------------------------------------------------------
function addExamples(ev) {
  ev.preventDefault();
  const intent = intentOf(current);
  if (!intent) return;
  const lines = $("new-examples").value.split("\n").map((s) => s.trim()).filter(Boolean);
  intent.examples.push(...lines);
  $("new-examples").value = "";
  changedDraft();
}

function addIntent(ev) {
  ev.preventDefault();
  const name = $("new-intent").value.trim();
  if (intentOf(name)) { current = name; drawAll(); return; }
  draft.push({name, examples: []});
  current = name;
  $("new-intent").value = "";
  changedDraft();
}

function removeIntent() {
  draft = draft.filter((i) => i.name !== current);
  current = draft.length ? draft[0].name : null;
  changedDraft();
}

$("add-form").addEventListener("submit", addExamples);
$("new-intent-form").addEventListener("submit", addIntent);
$("remove-intent").addEventListener("click", removeIntent);
$("save").addEventListener("click", save);
$("discard").addEventListener("click", () => { draft = copy(live.intents); problems = []; drawAll(); });
$("try-form").addEventListener("submit", tryParse);
$("run-report").addEventListener("click", runReport);

Staff.start({
  roles: READERS,
  denied: "此账号不能编辑意图 This account may not use the NLU editor",
  onIn: async (who) => {
    me = who;
    for (const e of document.querySelectorAll(".edit")) e.hidden = !editor();
    await load();
  },
  onOut: () => { me = null; },
});
