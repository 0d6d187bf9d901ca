"""The printable approval notice (复工通知) of an approved filing, with its signed QR.

Who may open it, declared here:

* ``GET /notice/<id>-<mac>`` — the firm, by the link token it was given (in its chat
  message and ``GET /api/v1/filings/mine``): a page cannot send a bearer header, so the
  URL carries the credential, an HMAC of the filing id (``bot.services.resumption_notice``);
* ``GET /notice/<id>`` — staff of role reviewer (their district only), admin or auditor,
  by the staff cookie (or bearer).

Both answer the same bilingual page: firm, notice number, USCC, district, approval day,
validity and the ``TGN1:`` QR as inline SVG, laid out for an A4 sheet. A GET signs the
notice afresh and writes nothing. The page is never cached and sends no referrer, so the
link token does not leave with a click.
"""

from __future__ import annotations

import html
from datetime import datetime

from aiohttp import web

import codes
from bot.clock import CITY_TZ
from bot.services.filings.errors import FilingError
from bot.services.notice_links import LINK_PATTERN, filing_of_token
from bot.services.resumption_notice import STAFF_ROLES, ResumptionNotice, notice_for
from bot.web.keys import HUB_KEY
from bot.web.staff_auth import staff_of, staff_route

HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer",
           "X-Robots-Tag": "noindex", "X-Content-Type-Options": "nosniff",
           "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; "
                                      "img-src data:; frame-ancestors 'none'"}
UNKNOWN_LINK = ("链接无效或已失效。", "This link is not valid.")

CSS = """
body{margin:0;font-family:system-ui,"PingFang SC","Microsoft YaHei",sans-serif;color:#111;
background:#eee}
.sheet{max-width:180mm;margin:1em auto;padding:12mm 14mm;background:#fff;
border:3px double #b22}
h1{margin:0;text-align:center;font-size:28pt;letter-spacing:.3em;color:#b22}
h1 small{display:block;font-size:12pt;letter-spacing:.1em;color:#333}
.firm{text-align:center;font-size:20pt;font-weight:bold;margin:.6em 0 .2em}
dl{display:grid;grid-template-columns:auto 1fr;gap:.35em 1em;font-size:13pt;margin:1em 0}
dt{color:#555}dd{margin:0;font-weight:600}
.qr{text-align:center;margin:.8em 0}.qr svg{width:70mm;height:70mm}
.hint{text-align:center;font-size:11pt;color:#333}
.expired{background:#b22;color:#fff;padding:.6em;text-align:center;font-weight:bold}
@page{size:A4;margin:12mm}
@media print{body{background:#fff}.sheet{margin:0;max-width:none;border-width:4px}}
"""


def _when(value: datetime) -> tuple[str, str]:
    """A moment in the city's time, zh and en."""
    local = value.astimezone(CITY_TZ)
    return (f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}",
            local.strftime("%d %b %Y %H:%M"))


def render(notice: ResumptionNotice, now: datetime) -> str:
    """The notice page (bilingual: posted where anyone may read it)."""
    e = html.escape
    approved = (f"{notice.approved_on.year}年{notice.approved_on.month}月"
                f"{notice.approved_on.day}日", notice.approved_on.strftime("%d %b %Y"))
    until = _when(notice.expires_at)
    rows = [("通知编号 Notice no.", notice.notice_no),
            ("统一社会信用代码 USCC", notice.uscc),
            ("所在区 District", f"{notice.district_zh} {notice.district_en}"),
            ("批准日期 Approved on", " · ".join(approved)),
            ("有效期至 Valid until", f"{until[0]} · {until[1]}")]
    items = "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in rows)
    if notice.expired(now) or not notice.text:
        body = ('<p class="expired" id="expired">此复工通知已过有效期，请联系所在区复工办。'
                "<br>This resumption notice has expired; contact your district "
                "resumption office.</p>")
    else:
        svg = codes.render_svg(notice.text).data.decode("ascii")
        body = (f'<div class="qr" id="qr" data-code="{e(notice.text)}">{svg}</div>'
                '<p class="hint">请张贴于单位门口。卡口人员扫码可离线核验本通知。<br>'
                "Post this at your gate. Checkpoints verify the code offline.</p>")
    return (
        '<!doctype html><html lang="zh"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>复工通知 {e(notice.notice_no)} · Resumption notice</title>"
        f"<style>{CSS}</style></head><body><main class=\"sheet\">"
        "<h1>复工通知<small>Resumption notice</small></h1>"
        f'<p class="firm" id="firm">{e(notice.firm_name)}</p>'
        f'<p class="hint">经审核，准予复工。 · Approved to resume business.</p>'
        f'<dl id="facts">{items}</dl>{body}</main></body></html>')


def _error_page(status: int, zh: str, en: str) -> web.Response:
    e = html.escape
    text = ('<!doctype html><html lang="zh"><head><meta charset="utf-8">'
            f"<title>复工通知 · Resumption notice</title><style>{CSS}</style></head>"
            f'<body><main class="sheet"><p class="expired">{e(zh)}<br>{e(en)}</p></main>'
            "</body></html>")
    return web.Response(text=text, status=status, content_type="text/html",
                        charset="utf-8", headers=HEADERS)


async def _page(request: web.Request, filing_id: int, scope: str | None) -> web.Response:
    hub = request.app[HUB_KEY]
    try:
        notice = await notice_for(hub, filing_id, scope=scope)
    except FilingError as err:
        return _error_page(err.status, err.zh, err.en)
    return web.Response(text=render(notice, hub.clock.now()), content_type="text/html",
                        charset="utf-8", headers=HEADERS)


async def firm_notice(request: web.Request) -> web.Response:
    """Anonymous by design: the link token is the credential (given only to the firm)."""
    filing_id = filing_of_token(request.app[HUB_KEY], request.match_info["token"])
    if filing_id is None:
        return _error_page(404, *UNKNOWN_LINK)
    return await _page(request, filing_id, None)


@staff_route(*STAFF_ROLES)
async def staff_notice(request: web.Request) -> web.Response:
    """Reviewers (their district), admins and auditors, by the staff login."""
    return await _page(request, int(request.match_info["id"]), staff_of(request).district)


def setup(app: web.Application) -> None:
    app.router.add_get(f"/notice/{{token:{LINK_PATTERN}}}", firm_notice)
    app.router.add_get(r"/notice/{id:\d{1,9}}", staff_notice)


_PAGE = {"200": {"description": "the printable notice (HTML, inline SVG QR)"},
         "404": {"description": "unknown link or filing (HTML)"},
         "409": {"description": "the filing is not approved (HTML)"}}
OPENAPI_PATHS = {
    "/notice/{token}": {"get": {
        "summary": "The firm's printable resumption notice with its signed TGN1: QR; the "
                   "link token (given to the firm only) is the credential",
        "security": [], "parameters": [{"name": "token", "in": "path", "required": True,
                                        "schema": {"type": "string",
                                                   "pattern": f"^{LINK_PATTERN}$"}}],
        "responses": _PAGE}},
    "/notice/{id}": {"get": {
        "summary": "Staff (reviewer of the filing's district, admin, auditor; staff cookie "
                   "or bearer): the same printable notice by filing id",
        "parameters": [{"name": "id", "in": "path", "required": True,
                        "schema": {"type": "integer"}}],
        "responses": {**_PAGE, "401": {"description": "no staff login"},
                      "403": {"description": "another role"}}}},
}
