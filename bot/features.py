"""Every feature of Tongguan, each declared once with what it contributes.

:data:`FEATURES` is the one list: ``bot.assembly.open_hub`` registers the features'
actions and media sources on the hub, ``bot.web.app.init_app`` mounts their web modules
and hands their background jobs to the job runner (``bot/services/jobs/``), the
``tongguan`` parser adds their command groups and ``tongguan demo seed`` runs their
seeders — in this order. Adding a feature touches this list, its module in
``bot/feature_wiring/`` and the feature's own package only.

Each contribution is a function of the feature's module in ``bot/feature_wiring/`` that
imports the feature's entry point when called: ``tongguan --help`` builds the parser on
every run, and importing every service, web handler and model up front would cost it
most of a second.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.feature_wiring import (
    core,
    declarations,
    filings,
    flow_studio,
    handoffs,
    nlu,
    ops,
    privacy,
    records,
    reservations,
    staff,
    wechat,
)

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

CORE = Feature(
    "core", web=core.web, cli=core.cli,
    jobs=(Job("flows.reload", core.watch_flows, lambda s: "always", each_process=True,
              description="this process follows published flow versions "
                          "(flows_poll_seconds) and edited files (flows_reload_seconds)"),
          Job("outbox.deliver", core.deliver_outbox,
              lambda s: f"every {s.outbox_poll_seconds}s",
              description="push queued messages (WeChat customer-service API)"),
          Job("metrics.db_pool", core.pool_gauges, lambda s: "every 5s", each_process=True,
              description="this process's database connection gauges (GET /metrics)")),
    migrations=("0001_core", "0006_id_blocks", "0009_chat_roles", "0021_chat_role_district"))

# -- staff accounts: the one login of every staff page -----------------------------------

STAFF = Feature("staff", web=staff.web, cli=staff.cli, demo=staff.demo,
                migrations=("0012_staff",))

# -- records: form submissions -----------------------------------------------------------

RECORDS = Feature("records", actions=records.actions)

# -- health declarations and health codes ------------------------------------------------

DECLARATIONS = Feature(
    "declarations", actions=declarations.actions, web=declarations.web,
    cli=declarations.cli,
    jobs=(Job("declarations.rules_reload", declarations.watch_risk_rules, lambda s: "always",
              each_process=True, description="this process reloads an edited risk_rules.yml"),
          Job("declarations.checkins_sweep", declarations.sweep_checkins,
              lambda s: f"every {s.jobs.checkins_sweep_seconds}s",
              description="delete check-ins older than 21 days")),
    media=(MediaSource("/code/", declarations.code_images),),
    demo=declarations.demo,
    migrations=("0004_declarations", "0007_trust", "0008_code_issues",
                "0011_status_revoked_index"))

# -- NLU tools ---------------------------------------------------------------------------

NLU = Feature(
    "nlu", cli=nlu.cli, web=nlu.web,
    jobs=(Job("nlu.reload", nlu.poll,
              lambda s: f"every {s.flows_poll_seconds}s" if s.flows_poll_seconds > 0
              else "off", each_process=True,
              description="this process retrains on a newly saved intent set "
                          "(flows_poll_seconds)"),),
    migrations=("0020_nlu_versions",))

# -- the WeChat Official Account channel -------------------------------------------------

WECHAT = Feature("wechat", actions=wechat.actions, web=wechat.web, cli=wechat.cli,
                 jobs=(Job("wechat.recover", wechat.recover,
                           lambda s: "every 2s" if s.wechat.app_id and s.wechat.token
                           else "off",
                           description="run the turns of WeChat messages whose process "
                                       "died mid-turn, push their replies"),),
                 migrations=("0003_wechat", "0022_turn_receipts"))

# -- supply reservations -----------------------------------------------------------------

RESERVATIONS = Feature(
    "reservations", actions=reservations.actions, web=reservations.web,
    cli=reservations.cli, demo=reservations.demo,
    jobs=(Job("reservations.sweep", reservations.sweep_supply,
              lambda s: f"every {s.jobs.supply_sweep_seconds}s",
              description="expire holds, send reminders, run lottery draws"),
          Job("reservations.release", reservations.release_supply,
              lambda s: f"daily {s.jobs.supply_release_at}" if s.jobs.supply_release_at
              else "off", description="release the day's supply from capacity and stock")),
    migrations=("0005_reservations", "0010_supply_rolling"))

# -- business-resumption filings ---------------------------------------------------------

FILINGS = Feature("filings", actions=filings.actions, web=filings.web, cli=filings.cli,
                  demo=filings.demo,
                  jobs=(Job("filings.rules_reload", filings.watch_filing_rules,
                            lambda s: "always", each_process=True,
                            description="this process reloads an edited filing_rules.yml"),),
                  migrations=("0013_filings", "0014_firms"))

# -- the handoff inbox: staff answer residents who asked for a person -------------------

HANDOFFS = Feature("handoffs", web=handoffs.web, migrations=("0015_handoff_inbox",))

# -- the operations view (一网通管): counts by district and street, live ----------------

OPS = Feature("ops", web=ops.web, cli=ops.cli,
              jobs=(Job("ops.fold", ops.fold_ops, lambda s: f"every {s.ops.poll_seconds * 2}s",
                        description="fold counted events into the daily counts"),),
              migrations=("0016_ops", "0016_ops_venue_district"))

# -- the flow studio: published flow versions, editing, preview, forms ------------------

FLOW_STUDIO = Feature("flow_studio", web=flow_studio.web, migrations=("0017_flow_versions",))

# -- privacy: retention, a resident's data and deletion requests, seal-key rotation -----

PRIVACY = Feature("privacy", actions=privacy.actions, cli=privacy.cli,
                  jobs=(Job("privacy.retention", privacy.run_retention,
                            lambda s: f"daily {s.retention.run_at}" if s.retention.run_at
                            else "off", description="delete or anonymise data older than "
                            "its retention (docs/privacy.md)"),),
                  migrations=("0019_retention",))


#: Every feature, in the order their parts are registered.
FEATURES: tuple[Feature, ...] = (CORE, STAFF, RECORDS, DECLARATIONS, NLU, WECHAT, RESERVATIONS,
                                  FILINGS, HANDOFFS, OPS, FLOW_STUDIO,
                                  PRIVACY)
