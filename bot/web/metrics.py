"""``GET /metrics``: Prometheus text (prometheus-client), for a scraper allowed by
``metrics.token`` or ``metrics.allow_from`` (docs/deployment.md).

The counters and histograms of :mod:`bot.metrics` are kept by each process; with
``tongguan serve --workers N`` prometheus-client's multiprocess mode adds up every
worker's values (``PROMETHEUS_MULTIPROC_DIR``, set by ``serve``), so any worker answers
for the whole server. The outbox's depth and oldest age are the database's, read at
scrape time.
"""

from __future__ import annotations

import hmac
import ipaddress
import os

from aiohttp import web
from prometheus_client import REGISTRY, CollectorRegistry, Gauge, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from bot import metrics
from bot.hub import Hub
from bot.services.outbox import backlog
from bot.web.keys import HUB_KEY, SETTINGS_KEY
from bot.web.middlewares import json_error

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
REGISTRY_KEY = web.AppKey("metrics_registry", CollectorRegistry)
NETWORKS_KEY: web.AppKey[tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]] = (
    web.AppKey("metrics_networks", tuple))


def _networks(text: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    return tuple(ipaddress.ip_network(part.strip(), strict=False)
                 for part in text.split(",") if part.strip())


def _allowed(request: web.Request) -> bool:
    token = request.app[SETTINGS_KEY].metrics.token
    given = request.headers.get("Authorization", "")
    if token and given.startswith("Bearer ") and hmac.compare_digest(
            given[7:].strip().encode("utf-8", "replace"), token.encode()):
        return True
    try:
        peer = ipaddress.ip_address(request.remote or "")
    except ValueError:
        return False
    return any(peer in net for net in request.app[NETWORKS_KEY])


def update_pool(hub: Hub) -> None:
    """Set this process's connection gauges."""
    for pool, (in_use, idle) in hub.db.pool_use().items():
        metrics.DB_POOL.labels(pool, "in_use").set(in_use)
        metrics.DB_POOL.labels(pool, "idle").set(idle)


async def _database_gauges(hub: Hub) -> bytes:
    """The outbox's depth and oldest age, from the database (one query)."""
    registry = CollectorRegistry()
    depth = Gauge("tongguan_outbox_depth", "Messages not yet sent (pending or being sent), "
                  "by channel.", ["channel"], registry=registry)
    age = Gauge("tongguan_outbox_oldest_age_seconds", "Age of the oldest message not yet "
                "sent, by channel.", ["channel"], registry=registry)
    now = hub.clock.now()
    for channel, (n, oldest) in (await backlog(hub.db)).items():
        depth.labels(channel).set(n)
        age.labels(channel).set((now - oldest).total_seconds() if oldest else 0)
    return generate_latest(registry)


async def metrics_page(request: web.Request) -> web.Response:
    settings = request.app[SETTINGS_KEY].metrics
    if not settings.token and not settings.allow_from:
        raise web.HTTPNotFound()
    if not _allowed(request):
        return json_error(403, "forbidden", "metrics: send the metrics token or call from an "
                          "allowed address (metrics.allow_from)")
    hub = request.app[HUB_KEY]
    update_pool(hub)
    body = generate_latest(request.app[REGISTRY_KEY]) + await _database_gauges(hub)
    return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE,
                                            "Cache-Control": "no-store"})


def scrape_registry() -> CollectorRegistry:
    """Every process's values (multiprocess mode), else this process's."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry)
    return registry


def setup(app: web.Application) -> None:
    app[REGISTRY_KEY] = scrape_registry()
    app[NETWORKS_KEY] = _networks(app[SETTINGS_KEY].metrics.allow_from)
    app.router.add_get("/metrics", metrics_page)


OPENAPI_PATHS = {
    "/metrics": {"get": {
        "summary": "Prometheus metrics (text format): turns, latency, WeChat replies, "
                   "outbox, deliveries, pools, codes, reservations, rate limits",
        "description": "Allowed with `Authorization: Bearer <metrics.token>` or from an "
                       "address in `metrics.allow_from`; 404 while both are empty.",
        "security": [],
        "responses": {
            "200": {"description": "Prometheus text exposition format",
                    "content": {"text/plain": {"schema": {"type": "string"}}}},
            "403": {"description": "neither the token nor an allowed address"},
            "404": {"description": "metrics are off"}}}},
}
