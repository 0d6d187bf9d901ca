// Live code page: shows a fresh short-lived code, fetched again before the old one expires,
// with a running clock, so a screenshot is visibly stale and soon invalid.
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const parts = location.pathname.split("/");
  const token = parts[2], paper = parts[3] === "paper";
  const NAMES = { green: "绿码 GREEN", yellow: "黄码 YELLOW", red: "红码 RED" };
  let expires = 0, skew = 0;
  const tick = () => {
    const now = new Date(Date.now() + skew);
    if ($("clock")) $("clock").textContent = now.toLocaleTimeString("zh-CN", { hour12: false });
    if (!paper && expires && Date.now() + skew > expires) { expires = 0; gone("此码已过期，正在刷新… Code expired, refreshing…", "refreshing"); load(); }
  };
  function gone(text, state) {
    $("card").className = "card gone"; $("card").dataset.state = state || "gone"; $("color").textContent = "—"; $("reasons").textContent = text; $("qr").removeAttribute("src");
  }
  async function load() {
    let resp;
    try { resp = await fetch(`/code/${token}/current.json${paper ? "?kind=paper" : ""}`, { cache: "no-store" }); }
    catch (e) { setTimeout(load, 15000); return; }
    const data = await resp.json().catch(() => ({}));
    if (!resp.ok) { expires = 0; gone(`${data.message_zh || "此码无效"} ${data.message || "This code is not valid."}`, data.error || "invalid"); return; }
    skew = Date.parse(data.server_time) - Date.now();
    expires = Date.parse(data.code_expires_at);
    $("card").className = "card " + data.color; $("card").dataset.state = "active";
    $("card").dataset.code = data.code;
    $("qr").src = data.qr;
    $("name").textContent = data.masked_name;
    $("color").textContent = NAMES[data.color];
    $("reasons").textContent = data.reasons.map((r) => `${r.zh} / ${r.en}`).join("；");
    const until = new Date(paper ? expires : Date.parse(data.valid_until)).toLocaleString("zh-CN", { hour12: false });
    $("validity").textContent = `有效至 ${until} · valid until ${until}`;
    if ($("paper")) $("paper").href = `/code/${token}/paper`;
    if (!paper) {  // fetch the next code two minutes (or half the life) before this one ends
      const left = expires - (Date.now() + skew);
      setTimeout(load, Math.max(5000, Math.min(left - 120000, left / 2)));
    }
  }
  load(); setInterval(tick, 1000); tick();
})();
