"""Health-code JSON APIs: signed lists, verify, admin status, venue check-ins.

``/api/v1/trust-list``, ``/api/v1/revocations``, ``/api/v1/list-signer``,
``/api/v1/dcc-trust-list`` (EU DCC signer certificates of the ``codes.dcc_trust_file``
setting, signed like the trust list), ``POST /api/v1/verify`` (``TG1:`` and ``HC1:``;
scans are never recorded), ``POST /api/v1/status`` (staff role ``admin`` or
``health_officer``, or the older shared ``admin_token`` bearer while it is configured),
``POST /api/v1/checkins`` (opted-in venues).
The pages (``/code/<token>``, ``/checkpoint``) are in :mod:`bot.web.codes_pages`.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import os
from pathlib import Path

from aiohttp import web

import codes
from bot import metrics
from bot.hub import Hub
from bot.services.declarations import declarations, set_status
from bot.services.declarations.checkins import record_checkin, venue_for
from bot.services.declarations.service import Declarations
from bot.services.health_codes import all_revoked_code_ids
from bot.services.staff import audit
from bot.web.health import add_ready_check
from bot.web.json_body import read_json_object
from bot.web.keys import HUB_KEY, SETTINGS_KEY
from bot.web.middlewares import json_error
from bot.web.ratelimit import client_address, limit
from bot.web.staff_auth import require_staff
from codes.qr import MAX_PIXELS

NO_STORE = {"Cache-Control": "no-store"}
_MOUNTED: web.AppKey[bool] = web.AppKey("codes_api_mounted", bool)
log = logging.getLogger("tongguan.codes")


class ImageDecoder:
    """QR images decoded on threads, ``rate_limits.image_decodes`` at once; up to 4 × that
    more wait, and beyond that a request is refused (503 ``busy``): a burst of large
    images can neither block the event loop nor pile up decoded pixels in memory."""

    def __init__(self, at_once: int) -> None:
        self.slots = asyncio.Semaphore(at_once)
        self.room = at_once * 5  #: running plus waiting
        self.inside = 0

    async def decode(self, data: bytes) -> list[str]:
        """:func:`codes.decode_image` on a thread.

        Raises:
            codes.QRError: as decode_image does.
            HTTPServiceUnavailable: too many images already wait (503, Retry-After).
        """
        if self.inside >= self.room:
            raise _json_exc(web.HTTPServiceUnavailable, 503, "busy",
                            "too many images are being checked; try again in a moment",
                            message_zh="正在核验的图片过多，请稍后再试。",
                            headers={"Retry-After": "1"})
        self.inside += 1
        try:
            async with self.slots:
                return await asyncio.to_thread(codes.decode_image, data)
        finally:
            self.inside -= 1


DECODER_KEY = web.AppKey("codes_image_decoder", ImageDecoder)


class DccCertificates:
    """The DSCs of the ``codes.dcc_trust_file`` setting, read again when the file changes
    (a broken edit is logged and the last good certificates stay; at start it is fatal)."""

    def __init__(self) -> None:
        self.stamp: tuple[int, int] | None = None
        self.certs: tuple[bytes, ...] = ()


def dcc_certificates(hub: Hub) -> tuple[bytes, ...]:
    """The configured DCC signer certificates (DER); empty when none are configured.

    Raises:
        OSError, codes.SigningKeyError: the file cannot be read on its first load.
    """
    name = hub.settings.codes.dcc_trust_file
    if not name:
        return ()
    state = hub.parts.setdefault(DccCertificates, DccCertificates)
    path = Path(name)
    try:
        info = os.stat(path)
        stamp = (info.st_mtime_ns, info.st_size)
        if stamp != state.stamp:
            certs = tuple(codes.load_dcc_certificates(path.read_bytes()))
            state.stamp, state.certs = stamp, certs
            log.info("codes.dcc.loaded file=%s certificates=%d", path, len(certs))
    except (OSError, codes.SigningKeyError) as err:
        if state.stamp is None:
            raise
        log.error("codes.dcc.reload_failed file=%s error=%s (keeping %d certificates)",
                  path, err, len(state.certs))
    return state.certs


def svc_of(request: web.Request) -> Declarations:
    """The declarations service of the request's hub."""
    return declarations(request.app[HUB_KEY])


def _json_exc(cls: type[web.HTTPException], status: int, error: str,
              message: str, headers: dict[str, str] | None = None,
              **extra: object) -> web.HTTPException:
    return cls(text=json_error(status, error, message, **extra).text,
               content_type="application/json", headers=headers)


async def trust_list(request: web.Request) -> web.Response:
    svc = svc_of(request)
    return web.Response(text=svc.signing.trust_list(svc.hub.clock.now()),
                        content_type="application/json", headers=NO_STORE)


async def revocations(request: web.Request) -> web.Response:
    svc = svc_of(request)
    text = svc.signing.revocation_list(await all_revoked_code_ids(svc), svc.hub.clock.now())
    return web.Response(text=text, content_type="application/json", headers=NO_STORE)


async def dcc_trust_list(request: web.Request) -> web.Response:
    """The configured DSCs as a signed list (empty ``signers`` when none are configured)."""
    svc = svc_of(request)
    text = codes.sign_dcc_trust_list(dcc_certificates(svc.hub), svc.signing.store.list_signer(),
                                     issued_at=svc.hub.clock.now())
    return web.Response(text=text, content_type="application/json", headers=NO_STORE)


async def list_signer(request: web.Request) -> web.Response:
    return web.Response(text=svc_of(request).signing.list_signer_pem(),
                        content_type="application/x-pem-file")


def verifier_now(svc: Declarations, revoked: list[bytes]) -> codes.Verifier:
    """A verifier of this server's keys, these revocations and the configured DSCs."""
    now = svc.hub.clock.now()
    return codes.Verifier(trust_list=svc.signing.store.trust_list(at=now),
                          revocations=codes.build_revocation_list(revoked, issued_at=now),
                          trusted_certs=dcc_certificates(svc.hub))


async def _verdict(svc: Declarations, request: web.Request, *,
                   notices: bool = False) -> codes.Verdict:
    """The verdict on the code in the body; ``notices``: a resumption notice (``TGN1:``) is
    verified too (else it is refused as ``not_a_health_code``, e.g. at a check-in)."""
    now = svc.hub.clock.now()
    verifier = verifier_now(svc, await all_revoked_code_ids(svc))
    check = verifier.verify_any if notices else verifier.verify
    if request.content_type.startswith("image/"):
        data = await request.read()
        try:
            texts = await request.app[DECODER_KEY].decode(data)
        except codes.QRError as err:
            if err.reason == "image_too_large":
                raise web.HTTPRequestEntityTooLarge(
                    max_size=MAX_PIXELS, actual_size=MAX_PIXELS + 1,
                    text=json_error(413, "image_too_large",
                                    f"the image has more than {MAX_PIXELS:,} pixels; send a "
                                    "smaller photo or a screenshot of the code",
                                    message_zh="图片像素过多，请发送较小的照片或二维码截图。").text,
                    content_type="application/json") from None
            return codes.Verdict(False, err.reason, codes.message(err.reason, "en"),
                                 codes.message(err.reason, "zh"))
        verdicts = [check(t, at=now) for t in texts]
        return next((v for v in verdicts if v.valid), verdicts[0])
    body = await read_json_object(request)
    text = body.get("code")
    if not isinstance(text, str):
        raise _json_exc(web.HTTPUnprocessableEntity, 422, "invalid",
                        "send {\"code\": \"TG1:...\"} (or an HC1: or TGN1: code)")
    return check(text, at=now)


async def verify(request: web.Request) -> web.Response:
    """Server-side verdict for devices that prefer not to verify themselves: a health code
    or a resumption notice (``format`` ``TGN1``, ``claims.type`` ``resumption_notice``)."""
    await limit(request, "verify", client_address(request))
    verdict = await _verdict(svc_of(request), request, notices=True)
    metrics.CODES.labels("verified", "valid" if verdict.valid else verdict.reason).inc()
    data = verdict.to_dict()
    data.pop("detail", None)
    if data["claims"]:
        data["claims"] = {k: v for k, v in data["claims"].items() if k != "cti"}
    return web.json_response(data, headers=NO_STORE)


def _bearer(request: web.Request) -> str:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return given.strip() if scheme.lower() == "bearer" else ""


async def require_status_setter(request: web.Request) -> str:
    """Who may set a status: a staff account of role ``admin`` or ``health_officer`` (the
    staff login), or the older shared ``admin_token`` setting while one is configured
    (kept so existing scripts work; see docs/staff.md). Returns the actor the audit
    logs name.

    Raises:
        HTTPUnauthorized: no staff credentials (a resident's token is not one) (401).
        HTTPForbidden: another staff role, or a cookie write without its CSRF token (403).
    """
    expected = request.app[SETTINGS_KEY].admin_token
    if expected and hmac.compare_digest(_bearer(request).encode(), expected.encode()):
        return "admin_token"
    return (await require_staff(request, STATUS_ROLES)).actor


STATUS_ROLES = ("admin", "health_officer")


async def post_status(request: web.Request) -> web.Response:
    """A health officer sets a subject's colour; earlier codes are revoked."""
    actor = await require_status_setter(request)
    body = await read_json_object(request)
    subject, color = body.get("subject"), body.get("color")
    zh, en = body.get("reason_zh"), body.get("reason_en")
    hours = body.get("hours")
    if isinstance(hours, float) and hours.is_integer():  # 157.0 is an integer in JSON
        hours = int(hours)
    if not isinstance(subject, str) or color not in ("green", "yellow", "red") \
            or not isinstance(zh, str) or not zh.strip() or not isinstance(en, str) \
            or not en.strip() or len(zh) + len(en) > 400 \
            or not (hours is None or (isinstance(hours, int) and 1 <= hours <= 168)):
        raise _json_exc(web.HTTPUnprocessableEntity, 422, "invalid",
                        "need subject, color (green/yellow/red), reason_zh, reason_en "
                        "(≤ 400 chars together), optional hours 1-168")
    try:
        status, revoked = await set_status(svc_of(request), subject=subject, color=color,
                                           reason_zh=zh.strip(), reason_en=en.strip(),
                                           hours=hours, actor=actor)
    except LookupError:
        raise _json_exc(web.HTTPNotFound, 404, "not_found", "unknown subject") from None
    await audit(svc_of(request).hub, actor=actor, action="status.set",
                object=f"subject:{subject}", detail={"color": color, "hours": hours})
    return web.json_response({"subject": subject, "color": status.color, "revoked": revoked,
                              "valid_until": status.valid_until.isoformat()})


post_status.staff_roles = STATUS_ROLES  # type: ignore[attr-defined]


async def post_checkin(request: web.Request) -> web.Response:
    """A scan at an opted-in venue (bearer = venue token): kept 21 days."""
    svc = svc_of(request)
    _, _, token = request.headers.get("Authorization", "").partition(" ")
    venue = await venue_for(svc, token.strip())
    if venue is None:
        raise _json_exc(web.HTTPUnauthorized, 401, "unauthorized", "venue token required")
    verdict = await _verdict(svc, request)
    if verdict.valid and verdict.format == "TG1":  # an HC1 certificate has no subject
        await record_checkin(svc, venue, str(verdict.claims.get("sub", "")),
                             svc.hub.clock.now())
    return web.json_response({"recorded": verdict.valid, "valid": verdict.valid,
                              "reason": verdict.reason, "message": verdict.message,
                              "message_zh": verdict.message_zh, "venue": venue.name})


async def _signing_keys(hub: Hub) -> str | None:
    """/readyz: the active health-code signing key opens."""
    declarations(hub).signing.store.active_signer()
    return None


def setup(app: web.Application) -> None:
    """Add the routes once (a second call — e.g. from codes_pages — does nothing)."""
    if app.get(_MOUNTED):
        return
    app[_MOUNTED] = True
    app[DECODER_KEY] = ImageDecoder(app[SETTINGS_KEY].rate_limits.image_decodes)
    add_ready_check(app, "signing_keys", _signing_keys)
    r = app.router
    r.add_get("/api/v1/trust-list", trust_list)
    r.add_get("/api/v1/revocations", revocations)
    r.add_get("/api/v1/list-signer", list_signer)
    r.add_get("/api/v1/dcc-trust-list", dcc_trust_list)
    r.add_post("/api/v1/verify", verify)
    r.add_post("/api/v1/status", post_status)
    r.add_post("/api/v1/checkins", post_checkin)


_SIGNED = {"200": {"description": "signed JSON"}}
_JSON = {"application/json": {"schema": {"type": "object"}}}
_ERR = {"description": "error", "content": {"application/json": {"schema": {
    "$ref": "#/components/schemas/Error"}}}}
OPENAPI_PATHS = {
    "/api/v1/trust-list": {"get": {"summary": "Signed trust list (code-signing keys)",
                                   "security": [], "responses": _SIGNED}},
    "/api/v1/revocations": {"get": {"summary": "Signed revocation list (re-signed per request)",
                                    "security": [], "responses": _SIGNED}},
    "/api/v1/list-signer": {"get": {"summary": "Public key (PEM) that signs the lists",
                                    "security": [], "responses": {"200": {"description": "PEM"}}}},
    "/api/v1/dcc-trust-list": {"get": {
        "summary": "Signed list of the EU DCC signer certificates (HC1 codes) of the "
                   "codes.dcc_trust_file setting (TONGGUAN_CODES_DCC_TRUST_FILE)",
        "security": [], "responses": _SIGNED}},
    "/api/v1/verify": {"post": {
        "summary": "Verify a TG1: or HC1: code or a TGN1: resumption notice ({\"code\"}) or "
                   "a QR image (image/*); scans are not recorded",
        "security": [], "requestBody": {"required": True, "content": {
            "application/json": {"schema": {"type": "object", "required": ["code"], "properties": {
                "code": {"type": "string"}}}}, "image/png": {}, "image/jpeg": {}}},
        "responses": {"200": {"description": "verdict", "content": _JSON},
                      "400": _ERR, "413": _ERR, "422": _ERR}}},
    "/api/v1/status": {"post": {
        "summary": "Health officer or admin (staff login; or the older admin_token setting "
                   "as bearer while configured): set a subject's colour (revokes earlier "
                   "codes)",
        "requestBody": {"content": {"application/json": {"schema": {
            "type": "object", "required": ["subject", "color", "reason_zh", "reason_en"],
            "properties": {"subject": {"type": "string", "minLength": 1},
                           "color": {"enum": ["green", "yellow", "red"]},
                           "reason_zh": {"type": "string", "pattern": "\\S",
                                         "maxLength": 200},
                           "reason_en": {"type": "string", "pattern": "\\S",
                                         "maxLength": 200},
                           "hours": {"type": "integer", "minimum": 1, "maximum": 168}}}}}},
        "responses": {"200": {"description": "new status", "content": _JSON},
                      "401": _ERR, "403": _ERR, "404": _ERR, "422": _ERR}}},
    "/api/v1/checkins": {"post": {
        "summary": "Opted-in venue: verify and record a check-in (kept 21 days); "
                   "bearer venue token",
        "responses": {"200": {"description": "verdict", "content": _JSON}, "401": _ERR}}},
}
