// Reviewer pages of business-resumption filings: log in (staff login), the queue with
// filters, state counts and "more" paging, a filing's detail (flags, history), and a
// decision with a reason that carries the version read (a stale one is refused: 409).
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const REVIEWERS = ["reviewer", "admin", "auditor"];
const DECIDERS = ["reviewer", "admin"];
const PAGE = Math.min(200, Math.max(1, Number(new URLSearchParams(location.search).get("limit")) || 30));
const ACTORS = {firm: "企业 firm", rules: "预审规则 rules"};
let me = null;        // the staff member: {username, role, district}
let cat = null;       // /review/catalog.json: the value lists in zh and en
let cursor = null;    // the queue's next_cursor
let current = null;   // the filing on show (with its version)

// JSON calls with the staff login's CSRF header, and error texts: /static/staff/staff.js.
async function api(path, method, body) {
  const r = await Staff.api(path, method, body);
  if (r.status === 401 && me && !path.startsWith("/api/v1/staff/sessions")) showLogin();
  return r;
}
const errText = Staff.errText;
const csrf = Staff.csrf;  // the CSRF token writes by cookie echo
function say(id, text, kind) { const m = $(id); m.textContent = text; m.className = kind || ""; }
function label(list, value) {
  const c = cat && cat[list].find((x) => x.value === value);
  return c ? `${c.zh} ${c.en}` : value;
}
function when(iso) {
  return new Date(iso).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
}
function stateTag(state) { return el("span", "state " + state, label("states", state)); }
function flagBadges(flags) {
  return flags.map((f) => { const b = el("span", "badge", `${f.zh} ${f.en}`); b.title = f.id; return b; });
}

// -- login -------------------------------------------------------------------------------
function showLogin(message) {
  me = null; current = null;
  $("login").hidden = false; $("work").hidden = true; $("logout").hidden = true;
  $("who").textContent = ""; $("list").replaceChildren();
  $("login-error").textContent = message || "";
}

async function start() {
  const r = await api("/api/v1/staff/me");
  if (r.status !== 200) return showLogin();
  if (!REVIEWERS.includes(r.data.role)) {
    return showLogin("此账号没有审核权限 This account may not review filings");
  }
  me = r.data;
  const where = me.district ? " · " + label("districts", me.district) : "";
  $("who").textContent = `${me.username} (${me.role})${where}`;
  $("login").hidden = true; $("work").hidden = false; $("logout").hidden = false;
  fillFilters();
  await reload();
  await route();
}

$("login-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const r = await api("/api/v1/staff/sessions", "POST",
                      {username: $("username").value, password: $("password").value});
  if (r.status !== 200) { $("login-error").textContent = errText(r.data); return; }
  $("password").value = "";
  if (!REVIEWERS.includes(r.data.role)) {
    me = r.data;
    await api("/api/v1/staff/sessions", "DELETE");
    return showLogin("此账号没有审核权限 This account may not review filings");
  }
  await start();
});

$("logout").addEventListener("click", async () => {
  await api("/api/v1/staff/sessions", "DELETE");
  history.replaceState(null, "", location.pathname + location.search);
  showLogin("已退出 Logged out");
});

// -- the queue ---------------------------------------------------------------------------
function options(select, list, all) {
  select.replaceChildren(new Option(all, ""));
  for (const c of list) select.appendChild(new Option(`${c.zh} ${c.en}`, c.value));
}

function fillFilters() {
  options($("f-state"), cat.states, "全部 All");
  $("f-state").value = "submitted";
  options($("f-industry"), cat.industries, "全部 All");
  options($("f-flag"), cat.flags, "全部 All");
  options($("f-district"), cat.districts, "全部 All");
  $("f-district-label").hidden = Boolean(me.district);  // scoped: the account's district only
}

function filters(withState) {
  const p = new URLSearchParams();
  const pairs = [["industry", "f-industry"], ["flag", "f-flag"], ["q", "f-q"]];
  if (!me.district) pairs.push(["district", "f-district"]);
  if (withState) pairs.push(["state", "f-state"]);
  for (const [name, id] of pairs) { const v = $(id).value.trim(); if (v) p.set(name, v); }
  return p;
}

let counted = 0;
async function loadCounts() {
  const mine = ++counted;
  const r = await api("/api/v1/filings/counts?" + filters(false));
  if (r.status !== 200 || mine !== counted) return;
  const nav = $("counts"); nav.replaceChildren();
  const tab = (value, text) => {
    const b = el("button", "", text);
    b.type = "button"; b.dataset.state = value;
    b.setAttribute("aria-pressed", String($("f-state").value === value));
    b.addEventListener("click", () => { $("f-state").value = value; reload(); });
    nav.appendChild(b);
  };
  tab("", `全部 All ${r.data.total}`);
  for (const s of cat.states) tab(s.value, `${s.zh} ${s.value} ${r.data.counts[s.value] || 0}`);
}

function itemOf(f) {
  const li = el("li");
  li.dataset.id = f.id;
  li.classList.toggle("current", Boolean(current && current.id === f.id));
  li.append(el("div", "firm", f.firm_name));
  li.append(el("div", "meta", `${f.uscc} · ${label("districts", f.district)} · ` +
                               `${label("industries", f.industry)} · ${f.planned_start}`));
  const tags = el("div"); tags.append(stateTag(f.state), " ", ...flagBadges(f.flags));
  li.append(tags);
  li.addEventListener("click", () => { location.hash = "#" + f.id; });
  return li;
}

let asked = 0;  // the latest queue request: an older answer arriving late is dropped
async function loadPage(more) {
  const p = filters(true); p.set("limit", String(PAGE));
  if (more && cursor) p.set("cursor", cursor);
  const mine = ++asked;
  const r = await api("/api/v1/filings?" + p);
  if (mine !== asked) return;
  if (r.status !== 200) { say("queue-message", errText(r.data), "error"); return; }
  if (!more) $("list").replaceChildren();
  for (const f of r.data.items) $("list").appendChild(itemOf(f));
  cursor = r.data.next_cursor;
  $("more").hidden = !cursor;
  const none = !more && r.data.items.length === 0;
  say("queue-message", none ? "没有符合条件的申报 No filings match" : "");
}

async function reload() { cursor = null; await Promise.all([loadPage(false), loadCounts()]); }
$("filters").addEventListener("submit", (ev) => { ev.preventDefault(); reload(); });
$("more").addEventListener("click", () => loadPage(true));

// -- one filing --------------------------------------------------------------------------
const FIELDS = [
  ["id", "编号 No."], ["uscc", "统一社会信用代码 USCC"],
  ["industry", "行业 Industry", (v) => label("industries", v)],
  ["district", "区 District", (v) => label("districts", v)],
  ["street", "街道 Street"], ["address", "地址 Address"],
  ["contact_name", "联系人 Contact"], ["contact_phone", "联系电话 Phone"],
  ["prevention_lead", "防疫负责人 Prevention lead"],
  ["staff_total", "员工总数 Staff"], ["staff_returning", "返岗人数 Returning"],
  ["staff_origins", "返岗来源 Origins",
   (v) => v.map((o) => `${o.province} ${o.city} ${o.count}`).join("；") || "—"],
  ["staff_risk_14d", "14天内到过风险地区 In risk areas (14 days)"],
  ["isolation_rooms", "隔离观察室 Isolation rooms"],
  ["supplies_days", "防疫物资（天） Supplies (days)",
   (v) => `口罩 masks ${v.masks} · 体温计 thermometers ${v.thermometers} · ` +
          `消毒用品 disinfectant ${v.disinfectant}`],
  ["planned_start", "计划复工 Planned start"],
  ["capacity_percent", "首周产能 Capacity", (v) => v + " %"],
  ["needs", "需要协调 Needs", (v) => v.map((n) => label("needs", n)).join("、") || "—"],
  ["reason", "最近审核意见 Last reason"],
  ["created_at", "提交时间 Filed", when], ["updated_at", "更新时间 Updated", when],
  ["version", "版本 Version"],
];

function showDetail(f) {
  current = f;
  $("placeholder").hidden = true; $("detail").hidden = false;
  $("work").classList.add("showing-detail");
  $("d-firm").textContent = f.firm_name;
  $("d-state").replaceWith(Object.assign(stateTag(f.state), {id: "d-state"}));
  const notice = $("d-notice"); notice.replaceChildren();
  if (f.notice_no) {
    notice.append(`批准文号 Notice no. ${f.notice_no} · `);
    const print = el("a", "", "打印复工通知 Print notice");
    print.href = `/notice/${f.id}`; print.target = "_blank"; print.rel = "noopener";
    notice.appendChild(print);
  }
  const flags = $("d-flags"); flags.replaceChildren();
  for (const x of f.flags) flags.appendChild(el("div", "flag", `⚠ ${x.zh} / ${x.en}`));
  const dl = $("d-fields"); dl.replaceChildren();
  for (const [key, name, show] of FIELDS) {
    const v = f[key];
    if (v === undefined) continue;
    dl.append(el("dt", "", name), el("dd", "", v === null ? "—" : String(show ? show(v) : v)));
  }
  const ol = $("d-history"); ol.replaceChildren();
  for (const h of f.history || []) {
    const who = ACTORS[h.actor] || h.actor.replace(/^staff:/, "");
    const li = el("li", "", `${when(h.at)} · ${label("states", h.state)} · ${who}`);
    if (h.reason) li.append(el("div", "", h.reason));
    ol.appendChild(li);
  }
  $("decide").hidden = !(DECIDERS.includes(me.role) && f.state === "submitted");
  for (const li of $("list").children) li.classList.toggle("current", li.dataset.id === String(f.id));
}

async function openFiling(id) {
  const r = await api("/api/v1/filings/" + id);
  if (r.status === 200) { showDetail(r.data); return true; }
  closeDetail(); say("queue-message", errText(r.data), "error");
  return false;
}

function closeDetail() {
  current = null; $("detail").hidden = true; $("placeholder").hidden = false;
  $("work").classList.remove("showing-detail");
}

async function route() {
  if (!me) return;
  const id = location.hash.replace("#", "");
  if (!/^\d{1,9}$/.test(id)) { closeDetail(); return; }
  if (!current || String(current.id) !== id) { say("message", ""); $("reason").value = ""; }
  await openFiling(id);
}
window.addEventListener("hashchange", route);
$("back").addEventListener("click", () => { location.hash = ""; });

function refreshItem(f) {
  const old = $("list").querySelector(`li[data-id="${f.id}"]`);
  if (old) old.replaceWith(itemOf(f));
}

$("decide").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const decision = ev.submitter && ev.submitter.value;
  const reason = $("reason").value.trim();
  if (!reason) { say("message", "请填写审核意见 A reason is required", "error"); $("reason").focus(); return; }
  const buttons = $("decide").querySelectorAll("button");
  buttons.forEach((b) => { b.disabled = true; });
  try {
    const id = current.id;
    const r = await api(`/api/v1/filings/${id}/decision`, "POST",
                        {decision, reason, version: current.version});
    if (r.status === 200) {
      $("reason").value = "";
      await openFiling(id);
      refreshItem(current);
      const notice = r.data.notice_no ? ` · 批准文号 Notice no. ${r.data.notice_no}` : "";
      say("message", `已保存 Saved: ${label("states", r.data.state)}${notice} ✓`, "ok");
      await loadCounts();
    } else if (r.status === 409) {
      await openFiling(id);
      if (current) refreshItem(current);
      say("message", "申报已被修改，已重新载入 Changed meanwhile, reloaded — " + errText(r.data), "error");
      await loadCounts();
    } else {
      say("message", errText(r.data), "error");
    }
  } finally {
    buttons.forEach((b) => { b.disabled = false; });
  }
});

(async () => {
  const r = await fetch("/review/catalog.json");
  cat = await r.json();
  await start();
})();
