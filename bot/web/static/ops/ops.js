// The operations view: staff login, today's numbers from /api/v1/ops/summary, kept live by
// /api/v1/ops/stream (Server-Sent Events), a district map and a 14-day trend (Apache
// ECharts, vendored), sortable tables with sparklines, highlights and the daily report.
"use strict";
const $ = (id) => document.getElementById(id);
const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};
const VIEWERS = ["admin", "health_officer", "auditor"];
const SVG = "http://www.w3.org/2000/svg";
let view = null, source = null, map = null, trend = null, shapes = null;
const sorts = {};  // table id → {key, dir}
// the staff login, JSON calls and error texts: /static/staff/staff.js; me() is the staff
// member, null when logged out
const {api, errText, me} = Staff;

// -- login (staff.js): in, the districts the account may see; out, the stream stops ------
async function enter(who) {
  shapes = await (await fetch("/ops/city.geo.json")).json();
  const scope = $("scope");
  scope.replaceChildren();
  if (!who.district) scope.append(new Option("全市 City", ""));
  for (const f of shapes.features) {
    if (!who.district || who.district === f.properties.code) {
      scope.append(new Option(`${f.properties.zh} ${f.properties.en}`, f.properties.code));
    }
  }
  $("scope-label").hidden = !!who.district;
  follow();
}
function leave() { if (source) source.close(); source = null; }
$("scope").addEventListener("change", () => { bstate.offset = 0; follow(); loadBuildings(); });

// -- live --------------------------------------------------------------------------------
function scopeQuery() { const d = $("scope").value || (me() && me().district) || ""; return d ? `?district=${encodeURIComponent(d)}` : ""; }
function follow() {
  if (source) source.close();
  const live = $("live");
  source = new EventSource("/api/v1/ops/stream" + scopeQuery());
  source.onopen = () => { live.textContent = "实时 live"; live.className = "live on"; };
  // the first event (and any after a gap) is the whole summary; then RFC 7386 merge
  // patches of what changed, merged into the last one
  source.onmessage = (ev) => render(JSON.parse(ev.data));
  source.addEventListener("patch", (ev) => render(mergePatch(structuredClone(view), JSON.parse(ev.data))));
  source.onerror = async () => {
    live.textContent = "重连中 reconnecting…"; live.className = "live off";
    await api("/api/v1/staff/me");  // a 401 shows the login (staff.js)
  };
}

function mergePatch(target, patch) {  // RFC 7386
  if (patch === null || typeof patch !== "object" || Array.isArray(patch)) return patch;
  if (target === null || typeof target !== "object" || Array.isArray(target)) target = {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete target[k]; else target[k] = mergePatch(target[k], v);
  }
  return target;
}

// -- every building, loaded on demand (GET /api/v1/ops/buildings) ---------------------------
const PAGE = 50;
const bstate = {offset: 0, sort: "yellow_red", order: "desc", loading: false, again: false, at: 0};
const BCOLS = [["district", "区", "t"], ["name", "街道/社区", "t"], ["place", "楼栋 Building", "t"], ["declarations", "申报"],
  ["yellow", "黄"], ["red", "红"], ["yellow_red", "黄+红"], ["screenings", "排查次数"], ["households", "走访户数"],
  ["people_home", "在家"], ["people_quarantine", "居家隔离"], ["people_returned", "外地返回"]];
async function loadBuildings() {
  if (!$("all-buildings").open || !me()) return;
  if (bstate.loading) { bstate.again = true; return; }
  bstate.loading = true; bstate.at = Date.now();
  try {
    const q = new URLSearchParams({sort: bstate.sort, order: bstate.order, offset: bstate.offset, limit: PAGE});
    const d = $("scope").value || me().district; if (d) q.set("district", d);
    if ($("community").value) q.set("community", $("community").value);
    const r = await api("/api/v1/ops/buildings?" + q.toString());
    if (r.status !== 200) { $("bpage").textContent = errText(r.data); return; }
    const b = r.data, t = $("building-table");
    const head = el("tr");
    for (const [key, label, kind] of BCOLS) {
      const th = el("th", kind === "t" ? "t" : "", label);
      if (bstate.sort === key) th.setAttribute("aria-sort", bstate.order === "asc" ? "ascending" : "descending");
      th.addEventListener("click", () => {
        bstate.order = bstate.sort === key && bstate.order === "desc" ? "asc" : "desc";
        bstate.sort = key; bstate.offset = 0; loadBuildings();
      });
      head.append(th);
    }
    const rows = b.items.map((row) => {
      const tr = el("tr"); tr.dataset.key = [row.district, row.name, row.place].join("/");
      for (const [key, , kind] of BCOLS) { const td = el("td", kind === "t" ? "t" : "", show(row[key])); td.dataset.k = key; tr.append(td); }
      return tr;
    });
    if (!rows.length) { const tr = el("tr"); const td = el("td", "t", "暂无数据 No data yet"); td.colSpan = BCOLS.length; tr.append(td); rows.push(tr); }
    t.replaceChildren(head, ...rows);
    $("bpage").textContent = b.total ? `${b.offset + 1}–${b.offset + b.items.length} / ${b.total}` : "0";
    $("bpage-prev").disabled = b.offset === 0; $("bpage-next").disabled = b.offset + b.items.length >= b.total;
  } finally {
    bstate.loading = false;
    if (bstate.again) { bstate.again = false; setTimeout(loadBuildings, 1000); }
  }
}
function communities(v) {  // the filter's choices: the scope's streets and communities
  const sel = $("community"), keep = sel.value;
  const names = [...new Set([...v.streets, ...v.screenings.communities].map((r) => r.name))].sort();
  if (sel.dataset.names === names.join("\n")) return;
  sel.dataset.names = names.join("\n");
  sel.replaceChildren(new Option("全部 All", ""), ...names.map((n) => new Option(n, n)));
  sel.value = names.includes(keep) ? keep : "";
}
$("all-buildings").addEventListener("toggle", () => { bstate.offset = 0; loadBuildings(); });
$("community").addEventListener("change", () => { bstate.offset = 0; loadBuildings(); });
$("bpage-prev").addEventListener("click", () => { bstate.offset = Math.max(0, bstate.offset - PAGE); loadBuildings(); });
$("bpage-next").addEventListener("click", () => { bstate.offset += PAGE; loadBuildings(); });

// -- rendering ---------------------------------------------------------------------------
const CARDS = [
  ["declarations.total", "申报 Declarations", ""], ["declarations.green", "绿码 Green", "green"],
  ["declarations.yellow", "黄码 Yellow", "yellow"], ["declarations.red", "红码 Red", "red"],
  ["codes.issued", "发码 Codes issued", ""], ["codes.revoked", "撤销 Codes revoked", ""],
  ["quarantine.home", "居家隔离申报 Home quarantine", ""], ["screenings.records", "楼栋排查 Screenings", ""],
  ["checkins.total", "场所登记 Check-ins", ""], ["reservations.released", "投放 Released", ""],
  ["reservations.reserved", "预约 Reserved", ""], ["reservations.picked_up", "已领取 Picked up", ""],
  ["reservations.expired", "过期 Expired", ""], ["reservations.stock_left", "剩余库存 Stock left", ""],
  ["filings.submitted", "复工申报 Filings submitted", ""], ["filings.approved", "复工批准 Filings approved", ""],
  ["resumption.rate", "复工率 Resumption rate", ""], ["handoffs.waiting", "转人工等待 Handoffs waiting", ""],
];
function pick(obj, path) { return path.split(".").reduce((o, k) => (o == null ? undefined : o[k]), obj); }
function show(v) {
  if (v === undefined || v === null) return "—";
  if (typeof v === "number" && !Number.isInteger(v)) return (v * 100).toFixed(1) + "%";
  return String(v);
}
function render(v) {
  const old = view; view = v;
  $("day").textContent = `${v.date} (${v.timezone})`;
  if (!$("report-date").value) $("report-date").value = v.date;
  $("small-note").textContent = `街道及以下少于 ${v.small_cell} 显示为 <${v.small_cell}，数值较小的街道并入"其他" · Below district level counts under ${v.small_cell} show as <${v.small_cell}; small streets are merged into "other".`;
  const cards = $("cards");
  if (!cards.children.length) {
    for (const [key, label, cls] of CARDS) {
      const c = el("div", "card " + cls); c.dataset.k = key;
      c.append(el("span", "n", ""), el("span", "l", label)); cards.append(c);
    }
  }
  for (const c of cards.children) {
    const now = show(pick(v, c.dataset.k));
    const n = c.querySelector(".n");
    if (n.textContent !== now) { n.textContent = now; if (old) { c.classList.remove("flash"); void c.offsetWidth; c.classList.add("flash"); } }
  }
  const hl = $("highlights"); hl.replaceChildren();
  for (const h of v.highlights) { const li = el("li", h.kind, `${h.zh} · ${h.en}`); hl.append(li); }
  if (!v.highlights.length) hl.append(el("li", "none", "暂无 Nothing now"));
  table("districts", [["zh", "区 District", "t"], ["declarations", "申报"], ["green", "绿"], ["yellow", "黄"], ["red", "红"],
    ["quarantine_home", "居家隔离"], ["screenings", "排查"], ["checkins", "场所登记"], ["reserved", "预约"], ["picked_up", "领取"],
    ["filings_submitted", "复工申报"], ["trend", "14天 Trend", "spark"]], v.districts);
  table("streets", [["district", "区", "t"], ["name", "街道/社区 Street", "t"], ["declarations", "申报"], ["green", "绿"],
    ["yellow", "黄"], ["red", "红"], ["yellow_red", "黄+红"], ["quarantine_home", "居家隔离"], ["screenings", "排查"]], v.streets);
  table("buildings", [["district", "区", "t"], ["name", "街道/社区", "t"], ["place", "楼栋 Building", "t"], ["declarations", "申报"],
    ["yellow_red", "黄+红"], ["screenings", "排查次数"], ["people_quarantine", "排查居家隔离"], ["people_returned", "外地返回"]], v.buildings);
  table("screen-communities", [["district", "区", "t"], ["name", "街道/社区 Community", "t"], ["records", "排查次数"],
    ["households", "走访户数"], ["people_home", "在家"], ["people_quarantine", "居家隔离"], ["people_returned", "外地返回"]],
    v.screenings.communities);
  table("screen-buildings", [["district", "区", "t"], ["name", "街道/社区 Community", "t"], ["place", "楼栋 Building", "t"],
    ["records", "排查次数"], ["households", "走访户数"], ["people_home", "在家"], ["people_quarantine", "居家隔离"],
    ["people_returned", "外地返回"]], v.screenings.buildings);
  table("venues", [["district", "区", "t"], ["venue", "场所 Venue", "t"], ["count", "登记 Check-ins"]], v.checkins.venues);
  table("stock", [["store", "门店 Store", "t"], ["name", "名称", "t"], ["district", "区", "t"], ["product", "物资", "t"],
    ["released", "投放"], ["left", "剩余"]], v.stock);
  charts(v);
  communities(v);
  // the open building table follows the numbers, at most once every 2 s
  if ($("all-buildings").open && old && !bstate.loading) {
    const wait = Math.max(0, 2000 - (Date.now() - bstate.at));
    clearTimeout(bstate.timer); bstate.timer = setTimeout(loadBuildings, wait);
  }
}
function num(x) { return typeof x === "number" ? x : (typeof x === "string" && x.startsWith("<") ? 0.5 : x); }
function table(id, cols, rows) {
  const t = $(id), s = sorts[id];
  const data = rows.slice();
  if (s) data.sort((a, b) => { const x = num(a[s.key]), y = num(b[s.key]); return (x > y ? 1 : x < y ? -1 : 0) * s.dir; });
  const head = el("tr");
  for (const [key, label, kind] of cols) {
    const th = el("th", kind === "t" ? "t" : "", label);
    if (kind !== "spark") {
      if (s && s.key === key) th.setAttribute("aria-sort", s.dir > 0 ? "ascending" : "descending");
      th.addEventListener("click", () => { sorts[id] = {key, dir: s && s.key === key ? -s.dir : -1}; render(view); });
    }
    head.append(th);
  }
  const body = data.map((r) => {
    const tr = el("tr"); tr.dataset.key = [r.district, r.name || r.store || r.venue || "", r.place].filter((x) => x !== undefined).join("/");
    for (const [key, , kind] of cols) {
      const td = el("td", kind === "t" ? "t" : "");
      if (kind === "spark") td.append(spark(r[key])); else td.textContent = show(r[key]);
      td.dataset.k = key; tr.append(td);
    }
    return tr;
  });
  if (!data.length) { const tr = el("tr"); const td = el("td", "t", "暂无数据 No data yet"); td.colSpan = cols.length; tr.append(td); body.push(tr); }
  t.replaceChildren(head, ...body);
}
function spark(values) {
  const w = 110, h = 24, top = Math.max(1, ...values), step = w / Math.max(values.length - 1, 1);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("width", w); svg.setAttribute("height", h); svg.setAttribute("class", "spark");
  const line = document.createElementNS(SVG, "polyline");
  line.setAttribute("fill", "none"); line.setAttribute("stroke", "#1565c0"); line.setAttribute("stroke-width", "1.5");
  line.setAttribute("points", values.map((v, i) => `${(i * step).toFixed(1)},${(h - 2 - v / top * (h - 4)).toFixed(1)}`).join(" "));
  svg.append(line); return svg;
}
function charts(v) {
  if (typeof echarts === "undefined") return;
  if (!map) { echarts.registerMap("city", shapes); map = echarts.init($("map")); trend = echarts.init($("trend")); }
  const names = Object.fromEntries(shapes.features.map((f) => [f.properties.code, f.properties.zh]));
  const data = v.districts.filter((d) => names[d.district]).map((d) => ({name: d.district, value: d.declarations, d}));
  map.setOption({
    tooltip: {formatter: (p) => p.data ? `${p.data.d.zh} ${p.data.d.en}<br>申报 ${p.data.d.declarations} · 黄 ${p.data.d.yellow} · 红 ${p.data.d.red}` : p.name},
    visualMap: {min: 0, max: Math.max(1, ...data.map((x) => x.value)), left: 0, bottom: 0, inRange: {color: ["#e3f2fd", "#0d47a1"]}, calculable: true},
    series: [{type: "map", map: "city", nameProperty: "code", data, label: {show: true, formatter: (p) => names[p.name] || p.name}}],
  });
  // every number's 14 days; the first four shown, the rest a click on the legend away
  const lines = [["申报 Declarations", "declarations", "#1565c0"], ["黄 Yellow", "yellow", "#f9a825"], ["红 Red", "red", "#c62828"],
    ["预约 Reserved", "reserved", "#6a1b9a"], ["绿 Green", "green", "#2e7d32"], ["发码 Codes issued", "codes_issued", "#00838f"],
    ["撤销 Revoked", "codes_revoked", "#5d4037"], ["居家隔离 Home quarantine", "quarantine_home", "#ef6c00"],
    ["排查 Screenings", "screenings", "#455a64"], ["场所登记 Check-ins", "checkins", "#7b1fa2"], ["领取 Picked up", "picked_up", "#1b5e20"],
    ["过期 Expired", "expired", "#9e9d24"], ["复工申报 Filings", "filings_submitted", "#3949ab"], ["复工批准 Approved", "filings_approved", "#00695c"]]
    .filter(([, key]) => v.trend[key]);
  const legend = {type: "scroll", data: lines.map(([name]) => name)};
  // which lines show is set once: a later update keeps what the user picked
  if (!trend.getOption()) legend.selected = Object.fromEntries(lines.map(([name], i) => [name, i < 4]));
  trend.setOption({
    tooltip: {trigger: "axis"}, legend,
    xAxis: {type: "category", data: v.trend.days.map((d) => d.slice(5))}, yAxis: {type: "value", minInterval: 1},
    series: lines.map(([name, key, color]) => ({name, type: "line", data: v.trend[key], itemStyle: {color}})),
  });
}
window.addEventListener("resize", () => { if (map) { map.resize(); trend.resize(); } });

// -- report ------------------------------------------------------------------------------
$("report-form").addEventListener("submit", (ev) => {
  ev.preventDefault();
  const q = new URLSearchParams({date: $("report-date").value, format: $("report-format").value});
  const d = $("scope").value || (me() && me().district); if (d) q.set("district", d);
  window.open("/api/v1/ops/report?" + q.toString(), "_blank");
});

Staff.start({
  roles: VIEWERS,
  denied: "此账号不能查看运行视图 This account may not see the operations view",
  onIn: enter,
  onOut: leave,
});
