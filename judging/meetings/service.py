"""The panel meeting (会议评审): set-up, roll call, recusals, secret ballot, paper ballots and the tally.

The one entry the other parts and the pages import; the work is split by concern:
:mod:`judging.meetings.rules` (lookups, fractions, seats and recusals that count),
:mod:`judging.meetings.roster` (setting up until voting opens), :mod:`judging.meetings.ballots`
(online and paper ballots, closing the vote, receipts), :mod:`judging.meetings.keys` (the share codes
and the meeting key), :mod:`judging.meetings.crypto` (Paillier, packing, sealing; no database) and
:mod:`judging.meetings.tally` (counting, verifying, cancelling, the outcome the other parts read).

Every function takes the caller's Session, never commits, and appends one audit event per change.
What is written for a ballot is chosen so that nobody who reads the database, its history or its
backups can tell how a member voted (see ``judging.meetings.models`` and docs/ballot.md): a ballot is
stored encrypted only, and only the totals are ever decrypted.

Counting rules (SPEC §3): for each shortlisted nomination, the seats that are not recused from it
are its members and those of them present its present count. The quorum holds when
present / members ≥ quorum and the nomination passes when agree / present ≥ threshold; both are
exact fractions (default 2/3), compared inclusively.
"""

from __future__ import annotations

from judging.meetings.ballots import (
    ballot_items, cast_ballot, cast_paper_ballot, check_ballot, check_receipt, close_voting, meetings_of_user,
    member_for_user, parse_choices, published_receipts, stored_ballots, waiting_members, window_open,
)
from judging.meetings.keys import (
    AUDITOR, CHAIR, CHOICES, HOLDERS, fingerprint, key_of, make_key_share, shares_of, slot_rows,
)
from judging.meetings.roster import (
    add_substitute, automatic_recusals, create_meeting, open_voting, record_attendance, record_recusal,
    set_shortlist,
)
from judging.meetings.rules import (
    DEFAULT_FRACTION, ONLINE, PAPER, MeetingError, chair_of, check_fraction, current_meeting, get_meeting,
    parse_fraction, quorum_of, recusal_reasons, recusals, seats, threshold_of, titles,
)
from judging.meetings.tally import (
    Overall, cancel_meeting, decide, meeting_blockers, minimum_ballots, overall, passed_nominations, tally, verify_tally,
)

__all__ = [
    "DEFAULT_FRACTION", "ONLINE", "PAPER", "MeetingError", "Overall",
    # reading
    "get_meeting", "current_meeting", "quorum_of", "threshold_of", "parse_fraction", "check_fraction", "seats",
    "chair_of", "recusals", "recusal_reasons", "titles",
    # set-up
    "automatic_recusals", "create_meeting", "set_shortlist", "record_attendance", "add_substitute",
    "record_recusal", "open_voting",
    # voting
    "member_for_user", "meetings_of_user", "ballot_items", "window_open", "parse_choices", "check_ballot",
    "cast_ballot", "cast_paper_ballot", "waiting_members", "close_voting",
    # the meeting key
    "CHAIR", "AUDITOR", "HOLDERS", "CHOICES", "make_key_share", "shares_of", "key_of", "fingerprint", "slot_rows",
    # tally, receipts and outcome
    "overall", "decide", "minimum_ballots", "tally", "verify_tally", "stored_ballots", "published_receipts",
    "check_receipt", "cancel_meeting", "meeting_blockers", "passed_nominations",
]
