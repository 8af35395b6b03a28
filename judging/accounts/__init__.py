"""Accounts: users with one role each, argon2id passwords and server-side sessions."""

from judging.accounts.models import Role, User, UserSession
from judging.accounts.service import Login, actor_of, add_user, authenticate, end_session, parse_role, resolve_session

__all__ = ["Login", "Role", "User", "UserSession", "actor_of", "add_user", "authenticate", "end_session",
           "parse_role", "resolve_session"]
