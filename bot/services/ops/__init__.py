"""The operations view (一网通管, docs/ops.md): counts kept as events happen, the city's
day by district and street, live to every open dashboard, and its daily report.

Writers import :mod:`bot.services.ops.counters` only; nothing is imported here, so a
writer's import never pulls in the readers.
"""
