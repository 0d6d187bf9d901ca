// The handoff inbox (docs/handoffs.md): requests by state with their waiting time, a
// request's conversation (the turns before it, then its thread), claim, reply, close.
// The list refreshes every few seconds; the open conversation long-polls its thread, so
// the resident's new messages appear without a reload.
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const READERS = ["operator", "community_worker", "admin", "auditor"];
const HANDLERS = ["operator", "community_worker", "admin"];
const LIST_EVERY = 3000;   // ms between list refreshes
const WAIT = 20;           // s a thread poll waits for news
const EVENTS = {claimed: "接手了对话 claimed the conversation",
                closed: "结束了对话 closed the conversation",
                returned: "返回了机器人 went back to the bot"};
const STATES = {open: "待接手 open", claimed: "处理中 claimed", closed: "已结束 closed"};
const CHANNELS = {web: "网页 web", wechat: "微信 WeChat", terminal: "终端 terminal"};
let me = null;
let tab = "open";
let current = null;     // the request on show (a summary)
let lastId = 0;         // the newest thread message shown
let shown = new Set();  // thread message ids shown
let watch = 0;          // the current thread poll's generation (older ones stop)
let items = [];

function actor() { return me ? "staff:" + me.username : ""; }
function say(text) { $("message").textContent = text || ""; }
function since(iso) {
  if (!iso) return "";
  const s = Math.max(0, Math.floor((Date.now() - new Date(iso).getTime()) / 1000));
  const m = Math.floor(s / 60), h = Math.floor(m / 60);
  const zh = h ? `${h}小时${m % 60}分` : m ? `${m}分${s % 60}秒` : `${s}秒`;
  const en = h ? `${h}h ${m % 60}m` : m ? `${m}m ${s % 60}s` : `${s}s`;
  return `等待 ${zh} · waiting ${en}`;
}
function when(iso) {
  return new Date(iso).toLocaleString("zh-CN", {timeZone: "Asia/Shanghai", hour12: false});
}

// -- the list ------------------------------------------------------------------------------
function itemOf(h) {
  const li = el("li");
  li.dataset.id = h.id;
  li.classList.toggle("current", Boolean(current && current.id === h.id));
  li.append(el("div", "", `#${h.id} · ${CHANNELS[h.channel] || h.channel}` +
                          (h.flow ? ` · ${h.flow}` : "")));
  const wait = el("div", "waiting", since(h.waiting_since));
  wait.dataset.since = h.waiting_since || "";
  li.append(wait);
  const who = h.state === "claimed" ? `接手 by ${h.claimed_by}` :
    h.state === "closed" ? `${when(h.closed_at)} · ${h.closed_by}` : when(h.created_at);
  li.append(el("div", "meta", who + (h.district ? ` · ${h.district}` : "")));
  li.addEventListener("click", () => { location.hash = "#" + h.id; });
  return li;
}

let asked = 0;
async function loadList() {
  const mine = ++asked;
  const r = await Staff.api("/api/v1/handoffs?state=" + tab);
  if (mine !== asked || !me) return;
  if (r.status !== 200) { $("list-message").textContent = Staff.errText(r.data); return; }
  items = r.data.items;
  $("list").replaceChildren(...items.map(itemOf));
  $("list-message").textContent = items.length ? "" : "没有请求 No requests";
}

function tick() {
  for (const w of document.querySelectorAll("[data-since]")) {
    w.textContent = since(w.dataset.since);
  }
}

for (const b of document.querySelectorAll("#tabs button")) {
  b.addEventListener("click", () => {
    tab = b.dataset.state;
    for (const o of document.querySelectorAll("#tabs button")) {
      o.setAttribute("aria-pressed", String(o === b));
    }
    loadList();
  });
}

// -- one request ---------------------------------------------------------------------------
function bubble(cls, who, text) {
  const d = el("div", "msg " + cls);
  d.append(el("span", "who", who), el("span", "text", text));
  return d;
}

function turnBubbles(turn) {
  const out = [];
  const sent = turn.in || {};
  const mine = sent.text || (sent.location ? "📍 " + (sent.location.label || "") : "") ||
    (sent.kind === "start" ? "▶ " + (sent.value || "") : "");
  if (mine) out.push(bubble("resident", "居民 resident", mine));
  for (const rep of turn.out || []) {
    if (rep.text) out.push(bubble("bot", "机器人 bot", rep.text));
  }
  return out;
}

function messageBubble(m) {
  const who = m.author === "resident" ? "居民 resident" : m.author;
  const b = m.event ? bubble("event", "", `${when(m.at)} ${who} ${EVENTS[m.event] || m.event}`)
    : bubble(m.author === "resident" ? "resident" : "staff", `${who} · ${when(m.at)}`, m.text);
  b.dataset.id = m.id;
  return b;
}

function addMessages(messages) {
  const box = $("conversation");
  const atEnd = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  for (const m of messages) {
    if (shown.has(m.id)) continue;
    shown.add(m.id);
    lastId = Math.max(lastId, m.id);
    // in id order: a reply shown from its POST may come before a poll's older news
    const later = [...$("thread").children].find((c) => Number(c.dataset.id) > m.id);
    $("thread").insertBefore(messageBubble(m), later || null);
  }
  if (atEnd || messages.some((m) => m.author === actor())) box.scrollTop = box.scrollHeight;
}

function showState(h) {
  current = h;
  $("title").textContent = `#${h.id} · ${STATES[h.state]}`;
  const waiting = since(h.waiting_since);
  $("meta").textContent = [CHANNELS[h.channel] || h.channel, h.flow, h.district,
                           h.claimed_by && `接手 by ${h.claimed_by}`, waiting]
    .filter(Boolean).join(" · ");
  const handler = HANDLERS.includes(me.role);
  const mineClaim = h.state === "claimed" && h.claimed_by === actor();
  $("claim").hidden = !handler || h.state !== "open";
  $("close").hidden = !handler || h.state === "closed" ||
    (h.state === "claimed" && !mineClaim && me.role !== "admin");
  $("reply-form").hidden = !mineClaim;
  for (const li of document.querySelectorAll("#list li")) {
    li.classList.toggle("current", Number(li.dataset.id) === h.id);
  }
}

async function open(id) {
  const gen = ++watch;
  say("");
  const r = await Staff.api(`/api/v1/handoffs/${id}`);
  if (gen !== watch) return;
  if (r.status !== 200) { $("detail-pane").hidden = true; say(Staff.errText(r.data)); return; }
  $("detail-pane").hidden = false;
  shown = new Set(); lastId = 0;
  $("transcript").replaceChildren(...r.data.transcript.flatMap(turnBubbles),
                                  el("div", "divider", "请求人工服务 · asked for a person"));
  $("thread").replaceChildren();
  showState(r.data);
  addMessages(r.data.messages);
  $("conversation").scrollTop = $("conversation").scrollHeight;
  follow(id, gen);
}

async function follow(id, gen) {
  while (gen === watch && me) {
    let r;
    try {
      r = await Staff.api(`/api/v1/handoffs/${id}/messages?wait=${WAIT}&after=${lastId}`);
    } catch (e) {
      await new Promise((res) => setTimeout(res, 3000));
      continue;
    }
    if (gen !== watch) return;
    if (r.status !== 200) { say(Staff.errText(r.data)); return; }
    if (r.data.messages.length) {
      addMessages(r.data.messages);
      if (r.data.claimed_by !== undefined) showState(r.data);
    } else if (current && r.data.state !== current.state) {
      await open(id);
      return;
    }
  }
}

async function act(path, body) {
  say("");
  const r = await Staff.api(`/api/v1/handoffs/${current.id}/${path}`, "POST", body);
  if (r.status === 200 || r.status === 201) return r.data;
  say(Staff.errText(r.data));
  if (r.status === 409) await open(current.id);
  return null;
}

$("claim").addEventListener("click", async () => {
  const h = await act("claim");
  if (h) { showState(h); loadList(); }
});
$("close").addEventListener("click", async () => {
  const h = await act("close");
  if (h) { showState(h); loadList(); }
});
$("reply").addEventListener("input", () => {
  $("count").textContent = `${$("reply").value.length} / 600`;
});
$("reply-form").addEventListener("submit", async (ev) => {
  ev.preventDefault();
  const text = $("reply").value;
  if (!text.trim()) { say("回复内容不能为空 / The reply is empty"); return; }
  $("send").disabled = true;
  const m = await act("reply", {text});
  $("send").disabled = false;
  if (m) {
    $("reply").value = ""; $("count").textContent = "0 / 600";
    addMessages([m]);
  }
});
$("reply").addEventListener("keydown", (ev) => {
  if (ev.key === "Enter" && (ev.ctrlKey || ev.metaKey)) $("reply-form").requestSubmit();
});

function route() {
  const id = Number(location.hash.slice(1));
  if (id > 0) open(id);
  else { watch++; current = null; $("detail-pane").hidden = true; }
}
window.addEventListener("hashchange", route);

let timers = [];
Staff.start({
  roles: READERS,
  denied: "此账号不能使用人工服务台 This account may not use the handoff inbox",
  onIn: async (who) => {
    me = who;
    await loadList();
    timers = [setInterval(loadList, LIST_EVERY), setInterval(tick, 1000)];
    route();
  },
  onOut: () => {
    me = null; watch++; current = null;
    timers.forEach(clearInterval); timers = [];
    $("list").replaceChildren(); $("detail-pane").hidden = true;
  },
});
