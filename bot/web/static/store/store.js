// Store staff page: log in, look up or scan a pickup code, redeem it once, see today's list.
"use strict";
const $ = (id) => document.getElementById(id);
const STATUS = {active: "待领取 waiting", redeemed: "已领取 redeemed", expired: "已过期 expired",
                cancelled: "已取消 cancelled"};

// The staff login (POST /api/v1/store/login: the same, plus the store; other roles get
// 403), JSON calls and error texts: /static/staff/staff.js.
const {api, errText} = Staff;
const csrf = Staff.csrf;  // the token a write by cookie echoes (the page tests use it)

function say(text, kind) { const m = $("message"); m.textContent = text; m.className = kind || ""; }

async function loadToday() {
  const r = await api("/api/v1/store/today");
  if (r.status !== 200) return;
  const c = r.data.counts;
  $("counts").textContent = Object.keys(c).map((k) => `${STATUS[k] || k}: ${c[k]}`).join(" · ");
  const ul = $("today"); ul.replaceChildren();
  for (const it of r.data.items) {
    const li = document.createElement("li");
    li.textContent = `${it.product} ×${it.quantity} · ${it.name} · ${STATUS[it.status] || it.status}`;
    ul.appendChild(li);
  }
}

let current = "";
function showTicket(t) {
  $("ticket").hidden = false;
  $("t-product").textContent = `${t.product_name.zh} ${t.product_name.en}`;
  $("t-name").textContent = t.name;
  $("t-qty").textContent = `${t.quantity} × ${t.pack_size}`;
  $("t-status").textContent = STATUS[t.status] || t.status;
  $("redeem").disabled = t.status !== "active";
}

async function lookup(code) {
  current = code; $("ticket").hidden = true;
  const r = await api("/api/v1/store/lookup", "POST", {code});
  if (r.status === 200) { showTicket(r.data); say(""); } else say(errText(r.data), "error");
}

$("code-form").addEventListener("submit", (ev) => { ev.preventDefault(); lookup($("code").value); });

$("redeem").addEventListener("click", async () => {
  const r = await api("/api/v1/store/redeem", "POST", {code: current});
  if (r.status === 200) { showTicket(r.data); say("已发放 Redeemed ✓", "ok"); }
  else say(errText(r.data), "error");
  await loadToday();
});

$("scan").addEventListener("click", async () => {
  const video = $("video");
  const detector = new BarcodeDetector({formats: ["qr_code"]});
  const stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}});
  video.srcObject = stream; video.hidden = false; await video.play();
  const stop = () => { stream.getTracks().forEach((t) => t.stop()); video.hidden = true; };
  const tick = async () => {
    try {
      const found = await detector.detect(video);
      if (found.length) { stop(); $("code").value = found[0].rawValue; return lookup(found[0].rawValue); }
    } catch (e) { stop(); return say("无法扫码，请手动输入 Cannot scan; type the code", "error"); }
    requestAnimationFrame(tick);
  };
  tick();
});

Staff.start({
  login: "/api/v1/store/login",
  me: "/api/v1/store/me",  // refuses (403) an account that is not a store's staff
  who: (me) => me.store_name + " · " + me.username,
  onIn: async () => {
    if ("BarcodeDetector" in window && navigator.mediaDevices) $("scan").hidden = false;
    await loadToday();
  },
  onOut: () => {  // nothing of the last clerk's stays on the screen
    current = ""; $("ticket").hidden = true; $("code").value = ""; say("");
    $("counts").textContent = ""; $("today").replaceChildren();
  },
});
