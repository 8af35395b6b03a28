"""Catalog entries for values shown through ``_(value)`` in templates (enum values, verifier problems)."""

from judging.errors import N_

ENUM_LABELS = [
    N_("organizer"), N_("judge"), N_("auditor"), N_("admin"),
    N_("setup"), N_("running"), N_("closed"), N_("draft"), N_("open"), N_("submitted"), N_("not_started"),
    N_("preliminary"), N_("final"),
    N_("queued"), N_("succeeded"), N_("failed"),
]
VERIFY_PROBLEMS = [
    N_("its prev_hash does not match the hash of the event before it"),
    N_("its content does not match its hash"),
    N_("its columns differ from the hashed record"),
]
