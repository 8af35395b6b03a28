"""Catalog entries for values shown through ``_(value)`` in templates (enum values, verifier problems).

Every stored code a page shows as ``_(code)`` is listed here, so the catalogs are checked for it
(tests/test_i18n.py): Chinese and English readers see words, never ``not_started``."""

from judging.errors import N_

ENUM_LABELS = [
    # roles, edition and round states, round kinds
    N_("organizer"), N_("judge"), N_("auditor"), N_("admin"),
    N_("setup"), N_("running"), N_("closed"), N_("draft"), N_("open"), N_("submitted"), N_("not_started"),
    N_("preliminary"), N_("final"),
    # jobs
    N_("queued"), N_("succeeded"), N_("failed"),
    # nominations, their imports and flags
    N_("received"), N_("confirmed"), N_("withdrawn"), N_("imported"), N_("partial"), N_("rejected"),
    N_("same_title_employer"), N_("similar_text"), N_("attachment_leftover"), N_("text_leftover"),
    # assignment plans, conflicts
    N_("preview"), N_("committed"), N_("infeasible"), N_("discarded"),
    N_("automatic"), N_("declared"),
]
VERIFY_PROBLEMS = [
    N_("its prev_hash does not match the hash of the event before it"),
    N_("its content does not match its hash"),
    N_("its columns differ from the hashed record"),
    N_("its seal was removed (it lies inside a signed tree head)"),
]
