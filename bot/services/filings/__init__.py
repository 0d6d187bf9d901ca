"""Business-resumption filings (复工申报): firms file in chat or by JSON, reviewers
decide, firms hear about it in chat.

``register_actions(registry, hub)`` adds the chat actions (``filings.prepare``,
``filings.prefill``, ``filings.origins``, ``filings.submit``, ``filings.status``); the web
module ``bot/web/filings_api.py`` calls :func:`submit`, :func:`resubmit`,
:func:`withdraw`, :func:`decide` and the queries. See docs/filings.md.
"""

from bot.services.filings.actions import register_actions
from bot.services.filings.context import Filings, filings
from bot.services.filings.errors import FieldError, FilingError, FilingInvalid
from bot.services.filings.queries import QueueQuery, get_filing, mine, queue
from bot.services.filings.review import decide
from bot.services.filings.rules import FilingRules, FilingRulesError, load_rules
from bot.services.filings.service import resubmit, submit, withdraw
from bot.services.filings.validation import FilingInput, validate_filing

__all__ = ["FieldError", "FilingError", "FilingInput", "FilingInvalid", "FilingRules",
           "FilingRulesError", "Filings", "QueueQuery", "decide", "filings", "get_filing",
           "load_rules", "mine", "queue", "register_actions", "resubmit", "submit",
           "validate_filing", "withdraw"]
