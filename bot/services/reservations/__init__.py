"""Supply reservations: ration scarce supplies fairly, with no queue.

A service with no chat concepts: the chat reaches it through ``actions``, the web
through ``bot.web.reservations``, admins through ``bot.cli.supply_cmds``.
"""

from bot.services.reservations.context import SupplyContext
from bot.services.reservations.errors import (
    ImportProblem,
    InvalidInput,
    NotFound,
    ReservationError,
    RulesError,
)
from bot.services.reservations.lottery import draw_winners, run_draw
from bot.services.reservations.redeem import redeem, today
from bot.services.reservations.report import balances, status, stock_feed
from bot.services.reservations.residents import (
    MyReservation,
    Outcome,
    ReserveRequest,
    cancel,
    list_mine,
    reserve,
)
from bot.services.reservations.rules import Rules, load_rules, parse_rules
from bot.services.reservations.service import supply_context
from bot.services.reservations.staff import add_staff, lookup, member_at_store
from bot.services.reservations.stores import import_stores, nearest
from bot.services.reservations.supply import (
    compute_releases,
    set_capacity,
    set_release,
    set_stock,
    split_by_weight,
)
from bot.services.reservations.sweeper import sweep_once

__all__ = [
    "ImportProblem", "InvalidInput", "MyReservation", "NotFound", "Outcome", "ReservationError",
    "ReserveRequest", "Rules", "RulesError", "SupplyContext", "add_staff", "balances", "cancel",
    "compute_releases", "draw_winners", "import_stores", "list_mine", "load_rules",
    "lookup", "nearest", "parse_rules", "redeem", "reserve", "run_draw", "set_capacity",
    "set_release", "set_stock", "split_by_weight", "member_at_store", "status", "stock_feed",
    "supply_context", "sweep_once", "today",
]
