"""The panel meeting (会议评审/终评): shortlist from an approved run, roll call, recusals, secret ballot, tally."""

from judging.meetings.models import Choice, Meeting, MeetingMember, MeetingNomination, MeetingStatus
from judging.meetings.service import meeting_blockers, passed_nominations

__all__ = ["Choice", "Meeting", "MeetingMember", "MeetingNomination", "MeetingStatus", "meeting_blockers",
           "passed_nominations"]
