"""Every feature of Tongguan, each declared once with what it contributes.

:data:`FEATURES` is the one list: ``bot.assembly.open_hub`` registers the features'
actions and media sources on the hub, ``bot.web.app.init_app`` mounts their web modules
and hands their background jobs to the job runner (``bot/services/jobs/``), the
``tongguan`` parser adds their command groups and ``tongguan demo seed`` runs their
seeders — in this order. Adding a feature touches this
list and the feature's own package only.

Each contribution is a function that imports the feature's entry point when called:
``tongguan --help`` builds the parser on every run, and importing every service, web
handler and model up front would cost it most of a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse

    from bot.actions import ActionRegistry
    from bot.config import Settings
    from bot.hub import Hub, MediaGetter
    from bot.web.keys import WebModule


@dataclass(frozen=True)
class MediaSource:
    """Images a feature serves under a URL path ``prefix``: ``make(hub)`` is the getter
    (``async (url) -> bytes | None``) channels that upload images use (WeChat)."""

    prefix: str
    make: Callable[[Hub], MediaGetter]


@dataclass(frozen=True)
class Job:
    """Background work a feature declares; the job runner (``bot/services/jobs/``) runs it.

    Unless ``each_process``, a job runs **once across every process and server** (the
    process holding the runner's lease runs it); ``tongguan jobs list`` shows it with its
    last run and ``tongguan jobs run NAME`` runs it now.
    """

    #: ``feature.what``, e.g. ``outbox.deliver``; the key of its row in ``job_state``
    name: str
    #: one pass: ``await run(hub)``; what it returns (a count, a dict) is shown as its result
    run: Callable[[Hub], Awaitable[object]]
    #: from settings: ``every 5s``, ``daily 07:30`` (city time, ``ops.timezone``),
    #: ``always`` (a watcher that runs until cancelled; ``each_process`` only) or ``off``
    schedule: Callable[[Settings], str]
    #: True: every process runs it, on its own state (reloading its copy of flows or rules)
    each_process: bool = False
    description: str = ""


@dataclass(frozen=True)
class Feature:
    """One feature and what it contributes; every part is optional."""

    name: str
    #: ``(registry, hub)``: registers the actions flows may name (see docs/architecture.md)
    actions: Callable[[ActionRegistry, Hub], None] | None = None
    #: the web modules to mount, in order
    web: Callable[[], Sequence[WebModule]] | None = None
    #: adds the feature's ``tongguan`` commands to the subparsers
    cli: Callable[[argparse._SubParsersAction], None] | None = None
    #: background jobs, run by every server process's job runner (not when the app is
    #: built with ``background=False``)
    jobs: tuple[Job, ...] = ()
    media: tuple[MediaSource, ...] = ()
    #: ``tongguan demo seed``: adds demo data (idempotent), returns what it did
    demo: Callable[[Hub], Awaitable[str]] | None = None
    #: Alembic revisions creating the feature's tables; all live in
    #: ``bot/db/migrations/versions/`` (one history), listed here for the record
    migrations: tuple[str, ...] = ()


# -- core: the chat itself ---------------------------------------------------------------

def _core_web() -> Sequence[WebModule]:
    from bot.web import chat_api, chat_page, health, metrics, openapi

    return (health, metrics, chat_api, chat_page, openapi)


async def _watch_flows(hub: Hub) -> None:
    """Follow published flow versions (flows_poll_seconds) and edited flow files
    (flows_reload_seconds): docs/flows-studio.md."""
    from bot.dialogue.flows.published import follow

    await follow(hub)


async def _deliver_outbox(hub: Hub) -> int:
    """Push queued messages to the channels that take pushes (until none is due); one
    worker per process, which remembers the channels it found down (their pause)."""
    from bot.services.outbox import OutboxWorker

    worker = hub.parts.setdefault(OutboxWorker, lambda: OutboxWorker(hub.outbox,
                                                                     hub.deliverers))
    return await worker.run_until_idle()


async def _pool_gauges(hub: Hub) -> None:
    """This process's database connection gauges, for GET /metrics."""
    from bot.web.metrics import update_pool

    update_pool(hub)


def _roles_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import roles_cmds

    roles_cmds.register(sub)


CORE = Feature(
    "core", web=_core_web, cli=_roles_cli,
    jobs=(Job("flows.reload", _watch_flows, lambda s: "always", each_process=True,
              description="this process follows published flow versions "
                          "(flows_poll_seconds) and edited files (flows_reload_seconds)"),
          Job("outbox.deliver", _deliver_outbox,
              lambda s: f"every {s.outbox_poll_seconds}s",
              description="push queued messages (WeChat customer-service API)"),
          Job("metrics.db_pool", _pool_gauges, lambda s: "every 5s", each_process=True,
              description="this process's database connection gauges (GET /metrics)")),
    migrations=("0001_core", "0006_id_blocks", "0009_chat_roles", "0021_chat_role_district"))


# -- staff accounts: the one login of every staff page -----------------------------------

def _staff_web() -> Sequence[WebModule]:
    from bot.web import staff_api

    return (staff_api,)


def _staff_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import staff_cmds

    staff_cmds.register(sub)


async def _staff_demo(hub: Hub) -> str:
    from bot.services.staff import demo

    return await demo.seed_demo(hub)


STAFF = Feature("staff", web=_staff_web, cli=_staff_cli, demo=_staff_demo,
                migrations=("0012_staff",))


# -- records: form submissions -----------------------------------------------------------

def _records_actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import records

    records.register_actions(registry, hub)


RECORDS = Feature("records", actions=_records_actions)


# -- health declarations and health codes ------------------------------------------------

def _declarations_actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import declarations

    declarations.register_actions(registry, hub)


def _declarations_web() -> Sequence[WebModule]:
    from bot.web import codes_api, codes_pages

    return (codes_pages, codes_api)


def _declarations_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import codes_cmds, declaration_cmds

    codes_cmds.register(sub)
    declaration_cmds.register(sub)


def _code_images(hub: Hub) -> MediaGetter:
    from bot.services.declarations import code_image

    async def getter(url: str) -> bytes | None:
        return await code_image(hub, url)

    return getter


async def _declarations_demo(hub: Hub) -> str:
    from bot.services import declarations_demo

    return await declarations_demo.seed_demo(hub)


async def _watch_risk_rules(hub: Hub) -> None:
    """Reload risk_rules.yml as it changes (the last good version stays on a bad edit)."""
    from bot.services.declarations.watch import watch_rules

    await watch_rules(hub)


async def _sweep_checkins(hub: Hub) -> int:
    """Delete venue check-ins older than 21 days."""
    from bot.services.declarations.checkins import sweep_checkins
    from bot.services.declarations.service import declarations

    return await sweep_checkins(declarations(hub))


DECLARATIONS = Feature(
    "declarations", actions=_declarations_actions, web=_declarations_web,
    cli=_declarations_cli,
    jobs=(Job("declarations.rules_reload", _watch_risk_rules, lambda s: "always",
              each_process=True, description="this process reloads an edited risk_rules.yml"),
          Job("declarations.checkins_sweep", _sweep_checkins,
              lambda s: f"every {s.jobs.checkins_sweep_seconds}s",
              description="delete check-ins older than 21 days")),
    media=(MediaSource("/code/", _code_images),),
    demo=_declarations_demo,
    migrations=("0004_declarations", "0007_trust", "0008_code_issues",
                "0011_status_revoked_index"))


# -- NLU tools ---------------------------------------------------------------------------

def _nlu_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import nlu_cmds

    nlu_cmds.register(sub)


def _nlu_web() -> Sequence[WebModule]:
    from bot.web import nlu_api, nlu_pages

    return (nlu_api, nlu_pages)


async def _poll_nlu(hub: Hub) -> None:
    """Retrain this process's builtin when a new intent set version was saved."""
    from bot.dialogue.nlu_live import poll

    await poll(hub)


NLU = Feature(
    "nlu", cli=_nlu_cli, web=_nlu_web,
    jobs=(Job("nlu.reload", _poll_nlu,
              lambda s: f"every {s.flows_poll_seconds}s" if s.flows_poll_seconds > 0
              else "off", each_process=True,
              description="this process retrains on a newly saved intent set "
                          "(flows_poll_seconds)"),),
    migrations=("0020_nlu_versions",))


# -- the WeChat Official Account channel -------------------------------------------------

def _wechat_actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.channels.wechat import actions

    actions.register_actions(registry, hub)


def _wechat_web() -> Sequence[WebModule]:
    from bot.channels.wechat import web

    return (web,)


def _wechat_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import wechat_cmds

    wechat_cmds.register(sub)


async def _recover_wechat(hub: Hub) -> int:
    """Turns cut off by a process that died after answering WeChat `success`."""
    from bot.channels.wechat import WechatChannel

    channel = hub.parts.get(WechatChannel)  # set while this process serves the channel
    return await channel.recover() if channel is not None else 0


WECHAT = Feature("wechat", actions=_wechat_actions, web=_wechat_web, cli=_wechat_cli,
                 jobs=(Job("wechat.recover", _recover_wechat,
                           lambda s: "every 2s" if s.wechat.app_id and s.wechat.token
                           else "off",
                           description="run the turns of WeChat messages whose process "
                                       "died mid-turn, push their replies"),),
                 migrations=("0003_wechat", "0022_turn_receipts"))


# -- supply reservations -----------------------------------------------------------------

def _reservations_actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services.reservations import actions

    actions.register_actions(registry, hub)


def _reservations_web() -> Sequence[WebModule]:
    from bot.web import reservations

    return (reservations,)


def _reservations_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import supply_cmds

    supply_cmds.register(sub)


async def _reservations_demo(hub: Hub) -> str:
    from bot.services.reservations import demo

    return await demo.seed_demo(hub)


async def _sweep_supply(hub: Hub) -> dict[str, int]:
    """Expire unclaimed holds, queue pickup reminders, run due lottery draws."""
    from bot.services.reservations import supply_context, sweep_once

    return await sweep_once(supply_context(hub))


async def _release_supply(hub: Hub) -> str:
    """The day's releases from capacity and stock (idempotent)."""
    from bot.services.reservations import compute_releases, supply_context

    ctx = supply_context(hub)
    reports = await compute_releases(ctx, ctx.rules.city_day(ctx.clock.now()))
    return " ".join(f"{r.product}={r.released}" for r in reports) or "no products"


RESERVATIONS = Feature(
    "reservations", actions=_reservations_actions, web=_reservations_web,
    cli=_reservations_cli, demo=_reservations_demo,
    jobs=(Job("reservations.sweep", _sweep_supply,
              lambda s: f"every {s.jobs.supply_sweep_seconds}s",
              description="expire holds, send reminders, run lottery draws"),
          Job("reservations.release", _release_supply,
              lambda s: f"daily {s.jobs.supply_release_at}" if s.jobs.supply_release_at
              else "off", description="release the day's supply from capacity and stock")),
    migrations=("0005_reservations", "0010_supply_rolling"))


# -- business-resumption filings ---------------------------------------------------------

def _filings_actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import filings

    filings.register_actions(registry, hub)


def _filings_web() -> Sequence[WebModule]:
    from bot.web import filings_api, notice_pages, resumption_stats, review_pages

    return (filings_api, resumption_stats, review_pages, notice_pages)


def _filings_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import filings_cmds

    filings_cmds.register(sub)


async def _watch_filing_rules(hub: Hub) -> None:
    """Reload filing_rules.yml as it changes (the last good version stays on a bad edit)."""
    from bot.services.filings.watch import watch_rules

    await watch_rules(hub)


async def _filings_demo(hub: Hub) -> str:
    from bot.services.filings import demo

    return await demo.seed_demo(hub)


FILINGS = Feature("filings", actions=_filings_actions, web=_filings_web, cli=_filings_cli,
                  demo=_filings_demo,
                  jobs=(Job("filings.rules_reload", _watch_filing_rules, lambda s: "always",
                            each_process=True,
                            description="this process reloads an edited filing_rules.yml"),),
                  migrations=("0013_filings", "0014_firms"))


# -- the handoff inbox: staff answer residents who asked for a person -------------------

def _handoffs_web() -> Sequence[WebModule]:
    from bot.web import handoffs_api, inbox_pages

    return (handoffs_api, inbox_pages)


HANDOFFS = Feature("handoffs", web=_handoffs_web, migrations=("0015_handoff_inbox",))


# -- the operations view (一网通管): counts by district and street, live ----------------

def _ops_web() -> Sequence[WebModule]:
    from bot.web import ops_api, ops_pages

    return (ops_api, ops_pages)


def _ops_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import ops_cmds

    ops_cmds.register(sub)


async def _fold_ops(hub: Hub) -> int:
    """Fold counted events into the daily counts."""
    from bot.services.ops.fold import SETTLE_SECONDS, fold

    return await fold(hub, SETTLE_SECONDS)


OPS = Feature("ops", web=_ops_web, cli=_ops_cli,
              jobs=(Job("ops.fold", _fold_ops, lambda s: f"every {s.ops.poll_seconds * 2}s",
                        description="fold counted events into the daily counts"),),
              migrations=("0016_ops", "0016_ops_venue_district"))


# -- the flow studio: published flow versions, editing, preview, forms ------------------

def _studio_web() -> Sequence[WebModule]:
    from bot.web import flows_api, forms_api, studio_pages

    return (flows_api, forms_api, studio_pages)


FLOW_STUDIO = Feature("flow_studio", web=_studio_web, migrations=("0017_flow_versions",))


# -- privacy: retention, a resident's data and deletion requests, seal-key rotation -----

def _privacy_actions(registry: ActionRegistry, hub: Hub) -> None:
    from bot.services import privacy

    privacy.register_actions(registry, hub)


def _privacy_cli(sub: argparse._SubParsersAction) -> None:
    from bot.cli import privacy_cmds

    privacy_cmds.register(sub)


async def _run_retention(hub: Hub) -> object:
    """Delete or anonymise what is older than its retention.<kind>_days."""
    from bot.services.privacy.retention import run_retention

    report = await run_retention(hub, trigger="job")
    return " ".join(f"{r.kind}={r.deleted + r.anonymised}" for r in report.results)


PRIVACY = Feature("privacy", actions=_privacy_actions, cli=_privacy_cli,
                  jobs=(Job("privacy.retention", _run_retention,
                            lambda s: f"daily {s.retention.run_at}" if s.retention.run_at
                            else "off", description="delete or anonymise data older than "
                            "its retention (docs/privacy.md)"),),
                  migrations=("0019_retention",))


#: Every feature, in the order their parts are registered.
FEATURES: tuple[Feature, ...] = (CORE, STAFF, RECORDS, DECLARATIONS, NLU, WECHAT, RESERVATIONS,
                                  FILINGS, HANDOFFS, OPS, FLOW_STUDIO,
                                  PRIVACY)
