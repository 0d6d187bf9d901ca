// Live code page: shows the current short-lived code, fetched again when the server's next
// slot starts (always before the shown code ends), with a running clock, so a screenshot
// is visibly stale and soon invalid. Paper page: shows the paper code already issued, or a
// button that issues one (a POST: opening a link never creates a code).
"use strict";
(() => {
  const $ = (id) => document.getElementById(id);
  const parts = location.pathname.split("/");
  const token = parts[2], paper = parts[3] === "paper";
  const NAMES = { green: "绿码 GREEN", yellow: "黄码 YELLOW", red: "红码 RED" };
  const local = (ms) => new Date(ms).toLocaleString("zh-CN", { hour12: false });
  let expires = 0, skew = 0, timer = 0;
  const tick = () => {
    const now = new Date(Date.now() + skew);
    if ($("clock")) $("clock").textContent = now.toLocaleTimeString("zh-CN", { hour12: false });
    if (!paper && expires && Date.now() + skew > expires) { expires = 0; gone("此码已过期，正在刷新… Code expired, refreshing…", "refreshing"); load(); }
  };
  function gone(text, state) {
    $("card").className = "card gone"; $("card").dataset.state = state || "gone"; $("color").textContent = "—"; $("reasons").textContent = text; $("qr").removeAttribute("src");
    if ($("proxy")) $("proxy").hidden = true;
  }
  function notice(text, error) {
    const el = $("notice"); if (!el) return;
    el.textContent = text; el.hidden = !text; el.dataset.error = error || "";
  }
  function show(data) {
    skew = Date.parse(data.server_time) - Date.now();
    expires = Date.parse(data.code_expires_at);
    $("card").className = "card " + data.color; $("card").dataset.state = "active";
    $("card").dataset.code = data.code; $("card").dataset.proxy = data.proxy ? "1" : "0";
    $("qr").src = data.qr;
    $("name").textContent = data.masked_name;
    $("color").textContent = NAMES[data.color];
    $("proxy").hidden = !data.proxy;
    $("reasons").textContent = data.reasons.map((r) => `${r.zh} / ${r.en}`).join("；");
    const until = local(paper ? expires : Date.parse(data.valid_until));
    $("validity").textContent = `有效至 ${until} · valid until ${until}`;
    if ($("issued")) $("issued").textContent = `签发于 ${local(Date.parse(data.code_issued_at))} · issued`;
  }
  async function fetchJson(url, options) {
    const resp = await fetch(url, { cache: "no-store", ...options });
    return [resp, await resp.json().catch(() => ({}))];
  }
  async function load() {
    clearTimeout(timer);
    let resp, data;
    try { [resp, data] = await fetchJson(`/code/${token}/current.json`); }
    catch (e) { timer = setTimeout(load, 15000); return; }  // offline: try again; tick() greys an ended code
    if (!resp.ok) { expires = 0; gone(`${data.message_zh || "此码无效"} ${data.message || "This code is not valid."}`, data.error || "invalid"); return; }
    show(data);
    if ($("paper")) $("paper").href = `/code/${token}/paper`;
    // The next slot's code is ready at refresh_at, while this one still has half its life.
    const wait = Date.parse(data.refresh_at) - (Date.now() + skew);
    timer = setTimeout(load, Math.max(1000, wait + 300));
  }
  async function loadPaper() {
    let resp, data;
    try { [resp, data] = await fetchJson(`/code/${token}/paper.json`); }
    catch (e) { notice("网络不可用，请稍后重试 · Network unavailable: try again later", "offline"); return; }
    if (resp.ok) { show(data); $("issue").hidden = true; return; }
    if (resp.status === 404 && data.error === "no_paper_code") {
      $("card").className = "card none"; $("card").dataset.state = "none";
      $("issue").hidden = false; $("issue").disabled = false;
      $("reasons").textContent = `${data.message_zh} ${data.message}`;
      return;
    }
    $("issue").hidden = true;
    gone(`${data.message_zh || "此码无效"} ${data.message || "This code is not valid."}`, data.error || "invalid");
  }
  async function issuePaper() {
    $("issue").disabled = true;
    let resp, data;
    try { [resp, data] = await fetchJson(`/code/${token}/paper`, { method: "POST" }); }
    catch (e) { $("issue").disabled = false; notice("网络不可用，请稍后重试 · Network unavailable: try again later", "offline"); return; }
    if (resp.status === 201) { show(data); $("issue").hidden = true; notice(""); return; }
    if (resp.status === 429) { notice(`${data.message_zh} ${data.message}`, data.error); return; }
    $("issue").hidden = true;
    gone(`${data.message_zh || "此码无效"} ${data.message || "This code is not valid."}`, data.error || "invalid");
  }
  if (paper) { $("issue").addEventListener("click", issuePaper); loadPaper(); }
  else { load(); setInterval(tick, 1000); tick(); }
})();
