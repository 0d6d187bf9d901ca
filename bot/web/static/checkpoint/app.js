// Checkpoint page: camera scan (BarcodeDetector, else the vendored jsQR), manual entry,
// offline verification against signed lists cached in localStorage. Nothing is uploaded,
// except in check-in mode (a venue token saved on this device), where valid scans are sent.
// A valid verdict turns amber ("list out of date") while the revocation list is older than
// the server's codes.revocation_stale_minutes (body[data-revocation-stale-seconds]).
// A resumption notice (TGN1:, posted at a firm's gate) shows in purple with the firm,
// notice number, district and validity, never with a health-code colour.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const store = window.localStorage;
  let trust = null, revocations = null, dcc = null, fetchedAt = 0, scanning = false, lastText = "", lastAt = 0;
  const COLOR = { green: ["绿码", "GREEN"], yellow: ["黄码", "YELLOW"], red: ["红码", "RED"] };
  const HCERT = { vaccination: ["疫苗接种", "vaccination"], test: ["检测", "test"], recovery: ["康复", "recovery"] };
  const STALE = Number(document.body.dataset.revocationStaleSeconds) || 3600;
  const fmt = (epoch) => new Date(epoch * 1000).toLocaleString("zh-CN", { hour12: false });
  const ago = (seconds) => {
    const s = Math.max(0, Math.round(seconds));
    if (s < 120) return [`${s} 秒`, `${s} s`];
    const m = Math.round(s / 60);
    if (m < 120) return [`${m} 分钟`, `${m} min`];
    const h = Math.round(m / 60);
    return h < 48 ? [`${h} 小时`, `${h} h`] : [`${Math.round(h / 24)} 天`, `${Math.round(h / 24)} d`];
  };
  // Seconds since the revocation list was current: the older of its signed issue time and
  // the moment this device fetched it (a device clock off in either direction cannot hide age).
  const revocationAge = () => revocations
    ? Math.max(Date.now() / 1000 - Date.parse(revocations.issued_at) / 1000, (Date.now() - fetchedAt) / 1000)
    : Infinity;
  const revocationStale = () => revocationAge() > STALE;

  function showAge() {
    const el = $("lists"), rev = $("revlist");
    if (!trust) {
      el.textContent = "无信任列表，请联网 · No trust list: connect once"; el.className = "lists stale";
      rev.textContent = ""; rev.dataset.stale = "1"; return;
    }
    const [zh, en] = ago((Date.now() - fetchedAt) / 1000);
    el.textContent = `列表更新于 ${zh}前 · lists updated ${en} ago` + (navigator.onLine ? "" : " · 离线 offline");
    el.className = Date.now() - fetchedAt > 24 * 3600 * 1000 ? "lists stale" : "lists";
    const stale = revocationStale();
    if (revocations) {
      const [rz, re] = ago(revocationAge());
      rev.textContent = `撤销名单 ${rz}前 · revocation list ${re} old` + (stale ? " — 已过期 out of date" : "");
    } else rev.textContent = "无撤销名单 · no revocation list — 已过期 out of date";
    rev.className = stale ? "lists stale" : "lists";
    rev.dataset.stale = stale ? "1" : "0";
  }

  async function loadCached() {
    const pem = store.getItem("tg.signer"), tl = store.getItem("tg.trust"), rl = store.getItem("tg.revocations");
    const dl = store.getItem("tg.dcc");
    if (!pem || !tl) return;
    try {
      trust = await TG.openList(tl, pem, "tongguan-trust-list");
      revocations = rl ? await TG.openList(rl, pem, "tongguan-revocation-list") : null;
      fetchedAt = Number(store.getItem("tg.fetchedAt") || 0);
    } catch (e) { trust = null; }
    try { dcc = dl ? await TG.openList(dl, pem, "tongguan-dcc-trust-list") : null; } catch (e) { dcc = null; }
  }

  async function refresh() {
    const get = async (u) => { const r = await fetch(u, { cache: "no-store" }); if (!r.ok) throw new Error(u); return r.text(); };
    let pem = null;
    try {
      pem = store.getItem("tg.signer") || await get("/api/v1/list-signer");
      const [tl, rl] = await Promise.all([get("/api/v1/trust-list"), get("/api/v1/revocations")]);
      const t = await TG.openList(tl, pem, "tongguan-trust-list");
      const r = await TG.openList(rl, pem, "tongguan-revocation-list");
      store.setItem("tg.signer", pem); store.setItem("tg.trust", tl); store.setItem("tg.revocations", rl);
      fetchedAt = Date.now(); store.setItem("tg.fetchedAt", String(fetchedAt));
      trust = t; revocations = r;
    } catch (e) { /* offline or server down: keep the cached lists */ }
    try {  // EU DCC signers: separate, so a missing DCC list never blocks our own codes
      if (pem) {
        const dl = await get("/api/v1/dcc-trust-list");
        dcc = await TG.openList(dl, pem, "tongguan-dcc-trust-list");
        store.setItem("tg.dcc", dl);
      }
    } catch (e) { /* keep the cached DCC list */ }
    showAge();
  }

  function clear() {
    for (const id of ["name", "validity", "issued", "stale"]) $(id).textContent = "";
    $("proxy").hidden = true; $("stale").hidden = true;
  }

  function show(v) {
    const box = $("result");
    clear();
    box.dataset.verdict = v.valid ? "valid" : "invalid";
    box.dataset.format = v.format || "";
    const now = Date.now() / 1000;
    if (v.valid && v.format === "TGN1") {
      const c = v.claims;
      $("color").textContent = "复工通知 Resumption notice";
      $("name").textContent = c.firm_name;
      $("validity").textContent = `编号 No. ${c.notice_no} · ${c.district} · 有效至 valid until ${fmt(c.expires_at)}`;
      $("issued").textContent = `批准日期 approved ${c.approved_on} · 统一社会信用代码 USCC ${c.uscc}`;
      const warnings = v.warnings.map((w) => w.replace(/_/g, " "));
      $("reason").textContent = [v.message_zh + " " + v.message, ...warnings].join(" · ");
      if (revocationStale()) {  // a notice may have been revoked since the list was fetched
        box.className = "result amber";
        box.dataset.verdict = "stale";
        const [rz, re] = revocations ? ago(revocationAge()) : ["—", "—"];
        $("stale").hidden = false;
        $("stale").textContent = `名单过期：撤销名单已 ${rz}未更新，请联网更新后再确认 · List out of date: the revocation list is ${re} old; update it before relying on this notice`;
      } else box.className = "result notice";
    } else if (v.valid && v.format === "HC1") {
      const c = v.claims, nam = c.hcert.nam || {}, entry = (c.hcert[c.cert_type] || [])[0] || {};
      box.className = "result dcc";
      $("color").textContent = "欧盟数字新冠证书 EU DCC";
      $("name").textContent = `${nam.fn || nam.fnt || ""} ${nam.gn || nam.gnt || ""}`.trim() + (c.hcert.dob ? ` · ${c.hcert.dob}` : "");
      const [tz, te] = HCERT[c.type];
      const dose = c.type === "vaccination" && entry.dn ? ` ${entry.dn}/${entry.sd}` : "";
      $("validity").textContent = `${tz} ${te}${dose} · ${c.issuer} · 有效至 valid until ${fmt(c.expires_at)}`;
      const [iz, ie] = ago(now - c.issued_at);
      $("issued").textContent = `签发于 ${fmt(c.issued_at)}（${iz}前）· issued ${ie} ago`;
      $("reason").textContent = `${v.message_zh} ${v.message} · 请核对证件姓名 check the name against an ID document`;
    } else if (v.valid) {
      const c = v.claims;
      $("color").textContent = COLOR[c.color].join(" ");
      $("name").textContent = c.masked_name;
      $("proxy").hidden = !c.proxy;
      $("validity").textContent = `有效至 valid until ${fmt(c.expires_at)}` + (c.kind === "paper" ? " · 纸质码 paper" : " · 实时码 live");
      const [iz, ie] = ago(now - c.issued_at);
      $("issued").textContent = `签发于 ${fmt(c.issued_at)}（${iz}前）· issued ${fmt(c.issued_at)} (${ie} ago)`;
      const warnings = v.warnings.map((w) => w.replace(/_/g, " "));
      $("reason").textContent = [v.message_zh + " " + v.message, ...warnings].join(" · ");
      // A code that looks fine may have been revoked since the list was fetched: amber, not
      // its colour, until the list is fresh. (Red stays red: revocation cannot make it worse.)
      if (revocationStale() && c.color !== "red") {
        box.className = "result amber";
        box.dataset.verdict = "stale";
        const [rz, re] = revocations ? ago(revocationAge()) : ["—", "—"];
        $("stale").hidden = false;
        $("stale").textContent = `名单过期：撤销名单已 ${rz}未更新，请联网更新后再确认 · List out of date: the revocation list is ${re} old; update it before relying on this code`;
      } else box.className = "result " + c.color;
    } else {
      box.className = "result invalid";
      $("color").textContent = v.format === "TGN1" ? "复工通知无效 Resumption notice: INVALID" : "无效 INVALID";
      $("reason").textContent = v.message_zh + " " + v.message;
    }
    box.dataset.reason = v.reason;
  }

  async function check(text) {
    const v = await TG.verify(text.trim(), trust, revocations, Date.now() / 1000, dcc);
    show(v);
    const venue = store.getItem("tg.venueToken");
    if (venue && v.valid && v.format === "TG1") {
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
