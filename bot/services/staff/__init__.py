"""Staff accounts and roles: the one login for every staff page (see docs/staff.md)."""

from bot.services.staff.accounts import (
    Account,
    add_account,
    disable_account,
    enable_account,
    list_accounts,
    reset_password,
)
from bot.services.staff.audit import AuditEntry, audit, audit_in, read_audit
from bot.services.staff.errors import StaffError
from bot.services.staff.sessions import (
    Login,
    StaffPrincipal,
    csrf_token,
    login,
    logout,
    principal_for,
)

__all__ = ["Account", "AuditEntry", "Login", "StaffError", "StaffPrincipal", "add_account",
           "audit", "audit_in", "csrf_token", "disable_account", "enable_account",
           "list_accounts", "login", "logout", "principal_for", "read_audit",
           "reset_password"]
