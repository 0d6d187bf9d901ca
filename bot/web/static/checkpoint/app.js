// Checkpoint page: camera scan (BarcodeDetector, else the vendored jsQR), manual entry,
// offline verification against signed lists cached in localStorage. Nothing is uploaded,
// except in check-in mode (a venue token saved on this device), where valid scans are sent.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const store = window.localStorage;
  let trust = null, revocations = null, fetchedAt = 0, scanning = false, lastText = "", lastAt = 0;
  const COLOR = { green: ["绿码", "GREEN"], yellow: ["黄码", "YELLOW"], red: ["红码", "RED"] };
  const fmt = (epoch) => new Date(epoch * 1000).toLocaleString();

  function showAge() {
    const el = $("lists");
    if (!trust) { el.textContent = "无信任列表，请联网 · No trust list: connect once"; el.className = "lists stale"; return; }
    const mins = Math.round((Date.now() - fetchedAt) / 60000);
    const age = mins < 60 ? `${mins} 分钟 / ${mins} min` : `${Math.round(mins / 60)} 小时 / ${Math.round(mins / 60)} h`;
    el.textContent = `列表更新于 ${age} 前 · lists updated ${age} ago` + (navigator.onLine ? "" : " · 离线 offline");
    el.className = mins > 24 * 60 ? "lists stale" : "lists";
  }

  async function loadCached() {
    const pem = store.getItem("tg.signer"), tl = store.getItem("tg.trust"), rl = store.getItem("tg.revocations");
    if (!pem || !tl) return;
    try {
      trust = await TG.openList(tl, pem, "tongguan-trust-list");
      revocations = rl ? await TG.openList(rl, pem, "tongguan-revocation-list") : null;
      fetchedAt = Number(store.getItem("tg.fetchedAt") || 0);
    } catch (e) { trust = null; }
  }

  async function refresh() {
    try {
      const get = async (u) => { const r = await fetch(u, { cache: "no-store" }); if (!r.ok) throw new Error(u); return r.text(); };
      const pem = store.getItem("tg.signer") || await get("/api/v1/list-signer");
      const [tl, rl] = await Promise.all([get("/api/v1/trust-list"), get("/api/v1/revocations")]);
      const t = await TG.openList(tl, pem, "tongguan-trust-list");
      const r = await TG.openList(rl, pem, "tongguan-revocation-list");
      store.setItem("tg.signer", pem); store.setItem("tg.trust", tl); store.setItem("tg.revocations", rl);
      fetchedAt = Date.now(); store.setItem("tg.fetchedAt", String(fetchedAt));
      trust = t; revocations = r;
    } catch (e) { /* offline or server down: keep the cached lists */ }
    showAge();
  }

  function show(v) {
    const box = $("result");
    if (v.valid) {
      const c = v.claims;
      box.className = "result " + c.color;
      $("color").textContent = COLOR[c.color].join(" ");
      $("name").textContent = c.masked_name;
      $("validity").textContent = `有效至 valid until ${fmt(c.expires_at)}` + (c.kind === "paper" ? " · 纸质码 paper" : "");
      $("reason").textContent = [v.message_zh + " " + v.message, ...v.warnings].join(" · ");
    } else {
      box.className = "result invalid";
      $("color").textContent = "无效 INVALID";
      $("name").textContent = ""; $("validity").textContent = "";
      $("reason").textContent = v.message_zh + " " + v.message;
    }
    box.dataset.reason = v.reason;
  }

  async function check(text) {
    const v = await TG.verify(text.trim(), trust, revocations, Date.now() / 1000);
    show(v);
    const venue = store.getItem("tg.venueToken");
    if (venue && v.valid) {
      fetch("/api/v1/checkins", { method: "POST", headers: { "Content-Type": "application/json", Authorization: "Bearer " + venue },
        body: JSON.stringify({ code: text.trim() }) }).catch(() => {});
    }
    return v;
  }
  window.tgCheck = check;

  async function startCamera() {
    if (scanning) return;
    const video = $("video"), canvas = $("canvas"), ctx = canvas.getContext("2d", { willReadFrequently: true });
    let detector = null;
    if ("BarcodeDetector" in window) { try { detector = new BarcodeDetector({ formats: ["qr_code"] }); } catch (e) { detector = null; } }
    try {
      video.srcObject = await navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
      await video.play();
    } catch (e) { $("camera").textContent = "无法打开摄像头，请手动输入 · Camera unavailable: use manual entry"; return; }
    scanning = true;
    $("camera").textContent = detector ? "BarcodeDetector" : "jsQR";
    const tick = async () => {
      if (!scanning) return;
      if (video.readyState >= 2 && video.videoWidth) {
        let text = null;
        try {
          if (detector) { const found = await detector.detect(video); if (found.length) text = found[0].rawValue; }
          if (!text && window.jsQR) {
            canvas.width = video.videoWidth; canvas.height = video.videoHeight;
            ctx.drawImage(video, 0, 0);
            const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
            const hit = jsQR(img.data, img.width, img.height, { inversionAttempts: "dontInvert" });
            if (hit) text = hit.data;
          }
        } catch (e) { detector = null; }
        if (text && (text !== lastText || Date.now() - lastAt > 3000)) { lastText = text; lastAt = Date.now(); await check(text); }
      }
      setTimeout(tick, 250);
    };
    tick();
  }

  $("manual").addEventListener("submit", (e) => { e.preventDefault(); check($("code").value); });
  $("start").addEventListener("click", startCamera);
  $("refresh").addEventListener("click", refresh);
  const venue = new URLSearchParams(location.search).get("venue_token");
  if (venue) { store.setItem("tg.venueToken", venue); history.replaceState(null, "", "/checkpoint"); }
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/checkpoint-sw.js", { scope: "/checkpoint" }).catch(() => {});
  window.addEventListener("online", refresh); window.addEventListener("offline", showAge);
  setInterval(showAge, 30000); setInterval(() => navigator.onLine && refresh(), 10 * 60000);
  window.tgReady = loadCached().then(() => { showAge(); return refresh(); }).then(() => { document.body.dataset.ready = "1"; });
})();
