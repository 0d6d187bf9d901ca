"""What settings exist: each group of settings as a frozen dataclass, with its defaults
and the one-line description ``describe_settings`` (and docs/configuration.md) shows.

:class:`Settings` is the root; a nested dataclass field is a group of keys
(``wechat.app_id``). Reading them from ``config.yml`` and the environment is
:mod:`bot.config.loading`; the checks of each value are :mod:`bot.config.validation`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def _doc(text: str, default: Any = dataclasses.MISSING, **kw: Any) -> Any:
    if default is dataclasses.MISSING and "default_factory" not in kw:
        return field(metadata={"doc": text}, **kw)
    return field(default=default, metadata={"doc": text}, **kw)


@dataclass(frozen=True)
class NluSettings:
    """How messages are understood."""

    backend: str = _doc("`builtin` (trained from intents/ at start-up) or `rasa`.", "builtin")
    rasa_url: str = _doc("Base URL of a Rasa server (`rasa run --enable-api`).", "")
    threshold: float = _doc("Intent confidence below which the bot asks again.", 0.45)
    timeout: float = _doc("Seconds to wait for the Rasa server before falling back.", 2.0)


@dataclass(frozen=True)
class WechatSettings:
    """The WeChat Official Account channel; disabled while app_id or token is empty."""

    app_id: str = _doc("Official Account AppID.", "")
    app_secret: str = _doc("Official Account AppSecret (for the API).", "")
    token: str = _doc("Callback token used in signatures.", "")
    aes_key: str = _doc("EncodingAESKey (43 chars) for compatible/safe modes.", "")
    api_base: str = _doc("WeChat API host; tests point it at a local fake.",
                         "https://api.weixin.qq.com")
    path: str = _doc("Callback path.", "/wechat")
    reply_budget: float = _doc("Seconds a turn may take before replying `success` "
                               "and pushing the answer later.", 4.0)
    timestamp_window: int = _doc("Seconds a callback timestamp may differ from now.", 300)
    menu_file: str = _doc("YAML file with the menu (`tongguan wechat menu push`).",
                          "flows/wechat_menu.yml")


@dataclass(frozen=True)
class DeclarationsSettings:
    """Who may declare for whom, and what residents are told about official statuses."""

    max_dependants: int = _doc("People one chat account may declare for by proxy "
                               "(family / 代报).", 5)
    contact_zh: str = _doc("Whom a resident with an official status should contact (zh).",
                           "所在社区居委会或 12320 卫生热线")
    contact_en: str = _doc("Whom a resident with an official status should contact (en).",
                           "your community committee or the 12320 health hotline")
    rules_reload_seconds: float = _doc("How often the server looks for an edited "
                                       "risk_rules.yml (0 turns reloading off).", 2.0)


@dataclass(frozen=True)
class FilingsSettings:
    """Business-resumption filings (docs/filings.md)."""

    rules_file: Path = _doc("Pre-screen rules of filings (YAML).", Path("filing_rules.yml"))
    rules_reload_seconds: float = _doc("How often the server looks for an edited "
                                       "filing_rules.yml (0 turns reloading off).", 2.0)


@dataclass(frozen=True)
class OpsSettings:
    """The operations view (docs/ops.md)."""

    timezone: str = _doc("The city's time zone: where a day of the operations view and its "
                         "reports begins and ends.", "Asia/Shanghai")
    poll_seconds: float = _doc("How often each server process looks for changed counts "
                               "(one query, however many dashboards are open).", 0.5)
    small_cell: int = _doc("Below district level a count under this is shown as `<N` "
                           "(city and district totals are exact).", 3)
    handoff_wait_minutes: int = _doc("A handoff waiting longer than this is a highlight.", 10)


@dataclass(frozen=True)
class JobsSettings:
    """Background jobs (docs/deployment.md): each runs once across every process and
    server (one process holds the runner's lease), except reloads, which every process
    does for itself."""

    enabled: bool = _doc("false: this process never runs the shared jobs (it still serves "
                         "and reloads); e.g. servers kept for the web only.", True)
    lease_seconds: float = _doc("The runner's lease: when the process holding it stops "
                                "(killed, cut off), another takes the jobs over within "
                                "this long.", 30.0)
    supply_release_at: str = _doc("City time (ops.timezone) of the daily supply release "
                                  "from capacity and stock, HH:MM; empty: release by hand "
                                  "(`tongguan supply release`).", "07:30")
    supply_sweep_seconds: float = _doc("How often unclaimed holds expire, pickup reminders "
                                       "go out and due lottery draws run (0: off).", 5.0)
    checkins_sweep_seconds: float = _doc("How often check-ins older than 21 days are "
                                         "deleted (0: off).", 3600.0)


@dataclass(frozen=True)
class MetricsSettings:
    """``GET /metrics`` in Prometheus text format (docs/deployment.md). Off while both
    ``token`` and ``allow_from`` are empty."""

    token: str = _doc("Bearer token a scraper sends (`Authorization: Bearer …`); empty: "
                      "no token is accepted. Set it from the environment.", "")
    allow_from: str = _doc("Client addresses or networks (comma-separated, e.g. "
                           "`127.0.0.1,10.0.0.0/8`) that may scrape without the token; "
                           "empty: the token only.", "127.0.0.1,::1")


@dataclass(frozen=True)
class CodesSettings:
    """Health codes: lifetimes, paper-code limits, checkpoint lists (docs/codes.md)."""

    live_seconds: int = _doc("Lifetime of a live-page code, in seconds; the page fetches the "
                             "next one before it ends.", 180)
    paper_hours: int = _doc("Lifetime of a paper code, in hours (at most 168; never beyond "
                            "the status it shows).", 24)
    paper_per_day: int = _doc("Paper codes a resident may issue for one subject from the "
                              "code page per 24 hours (a community worker's CLI is not "
                              "limited).", 1)
    revocation_stale_minutes: int = _doc("Age of the checkpoint page's revocation list after "
                                         "which a valid verdict turns amber (list out of "
                                         "date).", 60)
    dcc_trust_file: str = _doc("File of EU DCC signer certificates for HC1 codes: PEM, DER "
                               "or JSON (docs/codes.md); empty: HC1 codes are refused.", "")


@dataclass(frozen=True)
class RateLimitSettings:
    """Abuse limits (docs/security.md): a sliding window per client address, session or
    account, shared by every process through Redis when ``redis_url`` is set. 0 turns a
    limit off."""

    enabled: bool = _doc("false turns every limit off (load tests from one address).", True)
    redis_url: str = _doc("redis:// URL shared by every process (e.g. "
                          "redis://127.0.0.1:6379/0); empty: each process counts alone.", "")
    client_address_header: str = _doc("Header a trusted load balancer puts the client "
                                      "address in (e.g. X-Forwarded-For; its last entry "
                                      "counts); empty: the peer address.", "")
    sessions_per_minute: int = _doc("New chat sessions per client address (generous for "
                                    "carrier-grade NAT; a script's burst meets 429).", 200)
    chat_turns_per_minute: int = _doc("Chat turns per chat session.", 60)
    verify_per_minute: int = _doc("POST /api/v1/verify calls per client address.", 300)
    staff_logins_per_minute: int = _doc("Staff login attempts per account (besides the "
                                        "lockout after 5 failures).", 10)
    staff_logins_per_address_per_minute: int = _doc("Staff login attempts per client "
                                                    "address.", 30)
    pickup_lookups_per_minute: int = _doc("Pickup-code lookups and redeems per store staff "
                                          "account.", 60)
    paper_codes_per_hour: int = _doc("Paper-code requests per resident code page (besides "
                                     "codes.paper_per_day).", 10)
    image_decodes: int = _doc("QR images POST /api/v1/verify decodes at once per process "
                              "(more wait, up to 4 × this; beyond, 503).", 2)


@dataclass(frozen=True)
class SealSettings:
    """The key that seals identity data at rest and its rotation (docs/privacy.md)."""

    key: str = _doc("Secret (≥ 32 chars) of the seal key; empty: derived from secret_key. "
                    "Set it from the environment.", "")
    previous_keys: str = _doc("Earlier seal secrets, comma-separated, still accepted for "
                              "opening until `tongguan secrets rotate-seal` has moved "
                              "everything to `seal.key` (the old secret_key when the seal "
                              "key was derived from it); empty once it finished.", "")

    def previous(self) -> tuple[str, ...]:
        """The earlier seal secrets, in order."""
        return tuple(k.strip() for k in self.previous_keys.split(",") if k.strip())


#: the kinds of data :class:`RetentionSettings` keeps for a number of days
RETENTION_KINDS = ("declarations", "statuses", "turns", "handoffs", "records", "reservations",
                   "checkins", "audit", "filings")


@dataclass(frozen=True)
class RetentionSettings:
    """Days each kind of data is kept before the retention job deletes or anonymises it
    (docs/privacy.md); 0 keeps it for ever."""

    declarations_days: int = _doc("Health declarations (ID number, name, answers): deleted "
                                  "after this many days; a subject under an official status "
                                  "in force or a legal hold keeps them.", 60)
    statuses_days: int = _doc("Health statuses no longer in force (ended or replaced) and "
                              "their codes: deleted this many days after they ended, once "
                              "every code issued under them has expired.", 60)
    turns_days: int = _doc("Chat turn logs (sealed messages and replies).", 30)
    handoffs_days: int = _doc("Closed handoff requests with their transcripts and threads, "
                              "counted from when they were closed.", 90)
    records_days: int = _doc("Form records saved by `records.save` (e.g. screenings).", 60)
    reservations_days: int = _doc("Closed reservations and lottery entries: anonymised (name, "
                                  "pickup code and person removed; the row stays so stock "
                                  "still adds up).", 90)
    checkins_days: int = _doc("Venue check-ins (contact tracing).", 21)
    audit_days: int = _doc("Staff audit log entries (logins, staff actions).", 365)
    filings_days: int = _doc("Decided or withdrawn business-resumption filings: the "
                             "contact's name and phone and who filed are removed (the "
                             "firm's data stays).", 365)
    batch_size: int = _doc("Rows deleted or changed per transaction, so a large clean-up "
                           "never locks a table for long.", 500)
    run_at: str = _doc("City time (ops.timezone) of the daily retention job, HH:MM; empty: "
                       "only by hand (`tongguan retention run`).", "03:30")

    def days(self, kind: str) -> int:
        """Days ``kind`` (one of :data:`RETENTION_KINDS`) is kept."""
        return int(getattr(self, f"{kind}_days"))


@dataclass(frozen=True)
class Settings:
    """All settings of one Tongguan process."""

    database_url: str = _doc("SQLAlchemy async URL; SQLite file under var/ by default.",
                             "sqlite+aiosqlite:///var/tongguan.db")
    database_pool_size: int = _doc(
        "PostgreSQL connections per pool of each server process; a process opens at most "
        "5 × this many (SQLAlchemy's pool and its overflow, a driver pool for hot "
        "statements, twice as many for turns holding a row lock). Keep processes × 5 × "
        "this below the server's max_connections.", 10)
    secret_key: str = _doc("Secret (≥ 32 chars) for tokens, field encryption and blind "
                           "indexes. Set it from the environment in production.", "")
    host: str = _doc("Address `tongguan serve` binds.", "127.0.0.1")
    port: int = _doc("Port `tongguan serve` binds.", 8080)
    public_url: str = _doc("URL residents reach this server at (links in chat).",
                           "http://localhost:8080")
    flows_dir: Path = _doc("Folder of flow YAML files.", Path("flows"))
    intents_dir: Path = _doc("Folder with nlu.yml and config.yml.", Path("intents"))
    keys_dir: Path = _doc("Folder of health-code signing keys.", Path("var/keys"))
    default_language: str = _doc("`zh` or `en` when the first message does not tell.", "zh")
    idle_minutes: int = _doc("Idle minutes after which a return offers continue/start over.",
                             30)
    session_days: int = _doc("Days a chat API session token stays valid.", 30)
    flows_reload_seconds: float = _doc("How often the server looks for changed flow files "
                                       "(0 turns reloading off).", 2.0)
    flows_poll_seconds: float = _doc("How often each server process looks in the database "
                                     "for a newly published flow version (docs/flows-studio."
                                     "md; 0 turns it off).", 1.0)
    flows_max_bytes: int = _doc("Largest flow YAML the studio and `tongguan flows import` "
                                "accept, in bytes.", 65536)
    outbox_poll_seconds: float = _doc("How often the outbox worker looks for due messages.",
                                      1.0)
    log_level: str = _doc("DEBUG, INFO, WARNING or ERROR.", "INFO")
    log_format: str = _doc("`text` (one readable line per event) or `json` (one JSON "
                           "object per line with the request id; no identity data); "
                           "`tongguan serve --log-format` overrides it.", "text")
    admin_token: str = _doc("Older shared bearer token POST /api/v1/status still accepts "
                            "while set (staff accounts are the way now: docs/staff.md); "
                            "empty: accounts only. Set it from the environment.", "")
    risk_rules_file: Path = _doc("Health-declaration risk rules (versioned YAML).",
                                 Path("risk_rules.yml"))
    supply_rules_file: Path = _doc("Supply reservation rules per product (YAML).",
                                   Path("supply_rules.yml"))
    nlu: NluSettings = _doc("NLU settings.", default_factory=NluSettings)
    wechat: WechatSettings = _doc("WeChat settings.", default_factory=WechatSettings)
    declarations: DeclarationsSettings = _doc("Health declaration settings.",
                                              default_factory=DeclarationsSettings)
    codes: CodesSettings = _doc("Health-code settings.", default_factory=CodesSettings)
    filings: FilingsSettings = _doc("Business-resumption filing settings.",
                                    default_factory=FilingsSettings)
    rate_limits: RateLimitSettings = _doc("Abuse limits (docs/security.md).",
                                          default_factory=RateLimitSettings)
    ops: OpsSettings = _doc("Operations view settings.", default_factory=OpsSettings)
    jobs: JobsSettings = _doc("Background job settings (docs/deployment.md).",
                              default_factory=JobsSettings)
    metrics: MetricsSettings = _doc("Metrics endpoint settings (docs/deployment.md).",
                                    default_factory=MetricsSettings)
    seal: SealSettings = _doc("Seal key settings (docs/privacy.md).",
                              default_factory=SealSettings)
    retention: RetentionSettings = _doc("Retention settings (docs/privacy.md).",
                                        default_factory=RetentionSettings)
