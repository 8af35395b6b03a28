"""What each notification says: subject and text per event (English message ids, zh_CN in notifications.po)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from judging.errors import N_
from judging.i18n import SUPPORTED_LOCALES, translations


@dataclass(frozen=True)
class Template:
    subject: str
    body: str


# {name} is the recipient's name; {url} the page the message is about; {link} a one-time link.
EVENTS: dict[str, Template] = {
    "invitation": Template(
        N_("Your account for the competition's judging"),
        N_("Dear {name},\n\nan account has been created for you (username: {username}). Open this link to set "
           "your own password; it works once, until {expires}:\n\n{link}\n\nIf you did not expect this "
           "message, ignore it.")),
    "password_reset": Template(
        N_("Set a new password"),
        N_("Dear {name},\n\nsomeone asked for a new password for the account {username}. Open this link to "
           "set one; it works once, until {expires}:\n\n{link}\n\nIf it was not you, ignore this message: "
           "your password stays as it is.")),
    "items_assigned": Template(
        N_("New items to judge"),
        N_("Dear {name},\n\n{count} new item(s) were assigned to you in {round}. Deadline: {deadline}.\n\n{url}")),
    "items_withdrawn": Template(
        N_("Items withdrawn from your list"),
        N_("Dear {name},\n\n{count} item(s) in {round} were withdrawn from your list; you need not score "
           "them.\n\n{url}")),
    "reminder": Template(
        N_("Reminder: your judging deadline is {deadline}"),
        N_("Dear {name},\n\n{outstanding} of your {assigned} item(s) in {round} are not submitted yet. The "
           "deadline is {deadline}.\n\n{url}")),
    "sheet_reopened": Template(
        N_("A score sheet was given back to you"),
        N_("Dear {name},\n\na sheet you submitted was given back to you for changes. Reason: {reason}\n\n{url}")),
    "deadline_extended": Template(
        N_("Your judging deadline was extended"),
        N_("Dear {name},\n\nyour deadline in {round} is now {deadline}.\n\n{url}")),
    "ballot_opened": Template(
        N_("The ballot of the panel meeting is open"),
        N_("Dear {name},\n\nvoting is open in the panel meeting of {category} until {closes}.\n\n{url}")),
    "objection_received": Template(
        N_("Objection received"),
        N_("An objection to a candidate on the public notice of {category} was received ({candidate}). It "
           "waits for review.\n\n{url}")),
    "objection_upheld": Template(
        N_("Your objection was upheld"),
        N_("Dear {name}, your objection concerning {candidate} was upheld. Finding: {finding}")),
    "objection_rejected": Template(
        N_("Your objection was rejected"),
        N_("Dear {name}, your objection concerning {candidate} was rejected. Finding: {finding}")),
    "formal_review_returned": Template(
        N_("A nomination was returned for correction"),
        N_("The nomination “{title}” was returned for correction in the formal review. What to correct: "
           "{reasons}\n\nSend the corrected nomination by {deadline}.")),
}


def _text(value, zone: ZoneInfo) -> str:
    if isinstance(value, dt.datetime):
        return value.astimezone(zone).strftime("%Y-%m-%d %H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    return "" if value is None else str(value)


def render(event: str, *, locale: str, timezone: str, params: dict) -> tuple[str, str]:
    """Subject and text of ``event`` in ``locale``; ``{link}`` is left for the sender to fill."""
    template = EVENTS[event]
    gettext = translations(locale if locale in SUPPORTED_LOCALES else SUPPORTED_LOCALES[0]).gettext
    zone = ZoneInfo(timezone)
    values = {key: _text(value, zone) for key, value in params.items()}
    values["link"] = "{link}"
    return gettext(template.subject).format_map(_Blank(values)), gettext(template.body).format_map(_Blank(values))


class _Blank(dict):
    """A missing parameter prints empty rather than failing the event that queued the message."""

    def __missing__(self, key: str) -> str:
        return ""
