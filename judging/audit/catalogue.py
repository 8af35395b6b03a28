"""The audit vocabulary: every action's label and description for an auditor, and the older names it replaced."""

from __future__ import annotations

import re
from dataclasses import dataclass

from judging.errors import N_

#: ``noun.verb_past``: the noun is the event's ``object_type``; the verb may carry its object
#: (``user.logged_in``, ``round.assignments_committed``).
ACTION_NAME = re.compile(r"^[a-z]+(?:_[a-z]+)*\.[a-z]+(?:_[a-z]+)*$")


@dataclass(frozen=True)
class ActionEntry:
    """What an action means to an auditor: English message ids, translated where they are shown."""

    label: str
    description: str


def _entries(*rows: tuple[str, str, str]) -> dict[str, ActionEntry]:
    return {action: ActionEntry(label, description) for action, label, description in rows}


ACTIONS: dict[str, ActionEntry] = _entries(
    # accounts
    ("user.created", N_("Account created"), N_("An account was created with its role.")),
    ("user.logged_in", N_("Logged in"), N_("A user logged in; the client address is recorded.")),
    ("user.logged_out", N_("Logged out"), N_("A user ended their session.")),
    ("user.login_failed", N_("Login failed"),
     N_("Someone tried to log in with a wrong password or an unknown or inactive account.")),
    ("user.login_blocked", N_("Login blocked"),
     N_("A login was refused without checking the password: too many recent failures for this account or "
        "address.")),
    ("user.updated", N_("Account details changed"),
     N_("An administrator or organizer changed an account's name, e-mail address, language or city; before and "
        "after are recorded.")),
    ("user.role_changed", N_("Account role changed"),
     N_("An account's role was changed; its sessions ended, so it logs in again under the new role.")),
    ("user.deactivated", N_("Account deactivated"),
     N_("An account was deactivated: it cannot log in, its sessions ended at once and its open links died.")),
    ("user.activated", N_("Account reactivated"), N_("A deactivated account was allowed to log in again.")),
    ("user.link_issued", N_("Password link issued"),
     N_("A one-time link to set a password (an invitation or a reset) was issued for an account; earlier unused "
        "links of the account stopped working. The link itself is never stored.")),
    ("user.password_set", N_("Password set through a link"),
     N_("The owner of an account set their password through a one-time link; every session of the account "
        "ended.")),
    ("user.password_changed", N_("Password changed"),
     N_("A logged-in user changed their password; their other sessions ended.")),
    # notifications
    ("notification.queued", N_("Message queued"),
     N_("A notification (e-mail, text message, or a note on the recipient's home page) was queued with the event "
        "that caused it; its kind, channel, recipient account and Message-ID are recorded.")),
    ("notification.delivered", N_("Message delivered"),
     N_("The worker handed a queued message to the mail server or text-message provider.")),
    ("notification.failed", N_("Message failed"),
     N_("A message could not be delivered: refused for good, or out of attempts; the error is recorded.")),
    # the audit log itself
    ("sequence_number.skipped", N_("Sequence number left unused"),
     N_("A transaction took this sequence number and was rolled back; the sealer recorded the number as unused "
        "once no transaction could still commit it.")),
    # city nominations
    ("city_entry.saved", N_("City nomination draft saved"),
     N_("A city account created or changed a nomination form: the fields changed and the files added or removed.")),
    ("city_entry.submitted", N_("City nomination submitted"),
     N_("A city account submitted a nomination, or its correction after a return, within its quota; the nomination, "
        "the version, the quota and the count are recorded.")),
    ("city_entry.withdrawn", N_("City nomination withdrawn"),
     N_("A city account withdrew a draft or, before the deadline, a submitted nomination, with a reason.")),
    # background jobs
    ("job.queued", N_("Background job queued"),
     N_("A background job (a computation, an import, a report) was started; its kind and parameters are "
        "recorded.")),
    ("job.recovered", N_("Interrupted job recovered"),
     N_("The worker stopped while the job ran; the job was queued again or marked failed.")),
    # editions and categories
    ("edition.created", N_("Edition created"), N_("A new edition of the award was set up.")),
    ("edition.quotas_set", N_("Nomination quotas set"),
     N_("The organizer set the total number of nominations and each recommending unit's quota.")),
    ("edition.undertaking_set", N_("Undertaking text set"),
     N_("The organizer set the confidentiality undertaking that judges accept before scoring.")),
    ("edition.undertaking_accepted", N_("Undertaking accepted"),
     N_("A judge accepted the confidentiality undertaking; the digest of the accepted text is recorded.")),
    ("edition.demo_nominations_loaded", N_("Demo nominations loaded"),
     N_("The demo set-up inserted its sample nominations.")),
    ("round.demo_assignments_loaded", N_("Demo assignments loaded"),
     N_("The demo set-up recorded the previous edition's assignments of its judges (its own pool of eight).")),
    ("category.checklist_set", N_("Formal review checklist set"),
     N_("The organizer set the category's formal review checklist.")),
    ("category.rubric_updated", N_("Rubric updated"),
     N_("The organizer replaced the category's rubric; the rubric before and after is recorded.")),
    ("category.approval_recorded", N_("Committee approval recorded"),
     N_("The organizer recorded the committee's approval of the category's list after the public notice, "
        "with its date and reference.")),
    # nominations and formal review
    ("nomination.edited", N_("Nomination edited"),
     N_("The organizer corrected a nomination's fields; the changes are recorded.")),
    ("nomination.confirmed", N_("Nomination confirmed"),
     N_("The organizer confirmed a nomination, acknowledging its flags, and it entered the review.")),
    ("nomination.withdrawn", N_("Nomination withdrawn"), N_("A nomination was withdrawn, with a reason.")),
    ("nomination.flag_resolved", N_("Nomination flag resolved"),
     N_("The organizer marked a flag on a nomination (such as a possible duplicate) as resolved.")),
    ("nomination.place_allowed", N_("Place allowed in the text"),
     N_("The organizer let a place of the nominating city stay in a nomination's text, with a reason.")),
    ("attachment.replaced", N_("Attachment replaced"),
     N_("The organizer replaced a nomination's attachment; the new file was cleaned and redacted.")),
    ("edition.short_names_added", N_("Short names added"),
     N_("Employers' short names were added to the edition's dictionary (seed, past editions or the office).")),
    ("edition.short_name_removed", N_("Short name removed"),
     N_("A short name was removed from the edition's dictionary.")),
    ("nomination.formal_review_passed", N_("Passed formal review"),
     N_("The nomination passed formal review; the checklist results are recorded.")),
    ("nomination.formal_review_returned", N_("Returned for correction"),
     N_("Formal review returned the nomination for correction, with reasons and a deadline.")),
    ("nomination.formal_review_rejected", N_("Rejected in formal review"),
     N_("Formal review rejected the nomination, with reasons.")),
    ("nomination.resubmitted", N_("Corrected nomination resubmitted"),
     N_("A nomination returned for correction was submitted again.")),
    ("nomination.corrected", N_("Nomination corrected after an objection"),
     N_("An upheld objection led to correcting the nomination's completers, employer or city; the fields before "
        "and after are recorded, and the same candidate went on a new notice version.")),
    ("nomination.method_named", N_("Operating method named"),
     N_("A winning nomination's operating method was named after its first inventor.")),
    ("nomination_import.completed", N_("Nominations imported"),
     N_("A nomination table (and its attachment archive) was imported; the counts and the file's digest are "
        "recorded.")),
    ("nomination_import.rejected", N_("Nomination import rejected"),
     N_("A nomination table was refused as a whole because of errors; nothing was stored.")),
    # rounds, stages and assignment
    ("round.opened", N_("Round opened"), N_("The organizer opened a review round for scoring.")),
    ("round.closed", N_("Round closed"),
     N_("The organizer closed a review round; scores can no longer be saved.")),
    ("round.deadline_extended", N_("Deadline extended"),
     N_("The organizer extended one judge's scoring deadline in the round, with a reason.")),
    ("round.blind_codes_issued", N_("Blind codes issued"),
     N_("Blind codes were issued for nominations of the round; their number is recorded.")),
    ("round.assignments_committed", N_("Assignments committed"),
     N_("An assignment plan was put in force: judges were assigned to the round's nominations.")),
    ("round.assignments_refilled", N_("Assignments refilled"),
     N_("Places left empty by a conflict of interest or a drop-out were given to other judges.")),
    ("document.stored", N_("Document stored"),
     N_("A PDF (a run report, a public notice, a tally sheet) was made and stored with its SHA-256.")),
    ("round.scores_frozen", N_("Scores frozen"),
     N_("The scores of one category in the round can no longer change: a result run resting on them was "
        "approved.")),
    ("stage.opened", N_("Stage opened"), N_("A stage of the category's process was opened.")),
    ("stage.closed", N_("Stage closed"), N_("A stage of the category's process was closed after its checks passed.")),
    ("permission.refused", N_("Action refused"),
     N_("An action touching an integrity rule (publication, unblinding, ballots) was refused; the reason is "
        "recorded.")),
    ("stage.reopened", N_("Stage reopened"), N_("A closed stage was opened again, with the reason.")),
    ("stage.skipped", N_("Stage skipped"), N_("A stage was skipped for the category, with a reason.")),
    ("stage.scheduled", N_("Stage scheduled"), N_("The planned dates of a stage were set.")),
    ("assignment_plan.previewed", N_("Assignment plan previewed"),
     N_("A plan assigning judges to nominations was computed for review; it is not yet in force.")),
    ("assignment_plan.found_infeasible", N_("No feasible assignment plan"),
     N_("No assignment satisfies the settings; the reason is recorded.")),
    ("assignment.swapped", N_("Judge swapped"),
     N_("The organizer replaced the judge of one assignment, with a reason.")),
    ("assignment.conflict_declared", N_("Conflict of interest declared"),
     N_("A judge declared a conflict of interest with an assigned nomination; the assignment was withdrawn.")),
    ("conflict.entered", N_("Conflict of interest entered"),
     N_("The organizer recorded a conflict of interest between a judge and a nomination.")),
    ("conflict.removed", N_("Conflict of interest removed"),
     N_("The organizer removed a recorded conflict of interest.")),
    ("employer_group.saved", N_("Employer group saved"),
     N_("The organizer saved a group of employers that count as one for conflicts of interest.")),
    ("employer_group.deleted", N_("Employer group deleted"), N_("The organizer deleted a group of employers.")),
    ("expert.updated", N_("Expert updated"), N_("An expert's record was changed; before and after are recorded.")),
    ("expert.activated", N_("Expert activated"), N_("An expert was made available for assignment.")),
    ("expert.account_linked", N_("Expert's account linked"),
     N_("An expert was given the login account they sign in with.")),
    ("expert.deactivated", N_("Expert deactivated"), N_("An expert was taken out of future assignments.")),
    ("expert.dropped_out", N_("Expert dropped out"),
     N_("An expert left the round; their unfinished assignments were withdrawn.")),
    ("expert_pool.imported", N_("Experts imported"), N_("A table of experts was imported into the pool.")),
    ("expert_draw.drawn", N_("Experts drawn at random"),
     N_("Experts were drawn at random for a category's panel; the specialties, the secure seed, the eligible "
        "candidates, the excluded experts and the drawn ones are recorded, so the draw can be replayed.")),
    ("expert_draw.redrawn", N_("Draw replaced"),
     N_("A pending draw was replaced by a new one with a new seed; the reason is recorded.")),
    ("expert_draw.confirmed", N_("Draw confirmed"),
     N_("A supervisor confirmed a draw; the drawn experts were assigned the category's nominations.")),
    ("expert_note.added", N_("Note on an expert added"),
     N_("An organizer wrote a note on an expert's record.")),
    # scoring
    ("score_sheet.draft_saved", N_("Score sheet draft saved"),
     N_("A judge saved scores as a draft; the values are recorded.")),
    ("score_sheet.submitted", N_("Score sheet submitted"),
     N_("A judge submitted a score sheet; the judge can no longer change it.")),
    ("score_sheet.reopened", N_("Score sheet reopened"),
     N_("The organizer reopened a submitted sheet for its judge, with a reason; the previous values are "
        "recorded.")),
    # results
    ("result_run.created", N_("Results computed"),
     N_("Results were computed for a category; the method, the seed and the digests of inputs and outputs are "
        "recorded.")),
    ("result_run.recomputed", N_("Results recomputed"),
     N_("A run was recomputed from the stored scores to check that its inputs and outputs still match.")),
    ("result_run.approved", N_("Results approved"), N_("A run was approved; the scores behind it are frozen.")),
    ("result_run.finalists_advanced", N_("Finalists advanced"),
     N_("The top nominations of an approved preliminary run advanced to the final round.")),
    ("result_run.unblinded", N_("Identities revealed"),
     N_("The identities behind the run's blind codes were revealed, with a reason.")),
    ("result_run.published", N_("Results published"),
     N_("The list the committee approved was put on the public page, after the organizer confirmed it.")),
    ("category.publication_refused", N_("Publication refused"),
     N_("An attempt to publish a category's winners was refused (for instance before the committee's approval); "
        "nothing was published. The reason given is recorded.")),
    # final meetings
    ("meeting.created", N_("Meeting set up"),
     N_("A final meeting was set up: shortlist, members, chair, voting window, quorum and threshold.")),
    ("meeting.shortlist_set", N_("Meeting shortlist set"), N_("The nominations to be voted on were set.")),
    ("meeting.attendance_recorded", N_("Attendance recorded"), N_("A member was marked present or absent.")),
    ("meeting.substitute_seated", N_("Substitute seated"),
     N_("An absent member was replaced by a substitute; the approving member is recorded.")),
    ("meeting.recusal_recorded", N_("Recusal recorded"),
     N_("A member was recused from the vote on one nomination, with a reason.")),
    ("meeting.key_share_made", N_("Key share made"),
     N_("The chair or an auditor made their share of the meeting key; the code was shown to them once and is "
        "not stored.")),
    ("meeting.voting_opened", N_("Voting opened"),
     N_("Voting opened; automatic recusals were added and the meeting's key pair was made (its fingerprint is "
        "recorded).")),
    ("meeting.ballot_cast", N_("Ballot cast"),
     N_("A member cast a ballot, online or on paper (confirmed by the member, or by the chair with a reason); it "
        "is stored encrypted and the choices stay secret.")),
    ("meeting.voting_closed", N_("Voting closed"), N_("Voting closed; the number of ballots is recorded.")),
    ("meeting.tallied", N_("Votes tallied"),
     N_("The encrypted ballots were counted with both key shares; the quorum, the threshold, each nomination's "
        "result and the digest of the receipts are recorded, and the key was erased.")),
    ("meeting.cancelled", N_("Meeting cancelled"),
     N_("The meeting was cancelled, with a reason; its key was erased, so its ballots can never be decrypted.")),
    # public notice
    ("notice.published", N_("Public notice published"),
     N_("The category's candidates were put on public notice; the digest of the notice PDF is recorded.")),
    ("objection.received", N_("Objection received"),
     N_("Someone filed an objection during the public notice; the grounds are recorded by their digest.")),
    ("objection.review_started", N_("Objection under review"), N_("The organizer started reviewing an objection.")),
    ("objection.decided", N_("Objection decided"),
     N_("An objection was upheld or rejected, with a written finding.")),
)

#: Names used before the vocabulary was settled. Stored events keep them (they are in the hash
#: chain and cannot be renamed), so each points to the entry that now carries its meaning.
LEGACY_ALIASES: dict[str, str] = {
    "auth.login": "user.logged_in",
    "auth.logout": "user.logged_out",
    "auth.login_failed": "user.login_failed",
    "auth.login_locked": "user.login_blocked",
    "quotas.set": "edition.quotas_set",
    "undertaking.set": "edition.undertaking_set",
    "undertaking.accepted": "edition.undertaking_accepted",
    "formal_review.checklist_set": "category.checklist_set",
    "rubric.updated": "category.rubric_updated",
    "notice.approved": "category.approval_recorded",
    "formal_review.passed": "nomination.formal_review_passed",
    "formal_review.returned": "nomination.formal_review_returned",
    "formal_review.rejected": "nomination.formal_review_rejected",
    "formal_review.resubmitted": "nomination.resubmitted",
    "results.method_named": "nomination.method_named",
    # Also written by the demo for its bulk-inserted nominations (object type "edition").
    "nominations.imported": "nomination_import.completed",
    "nominations.import_rejected": "nomination_import.rejected",
    "deadline.extended": "round.deadline_extended",
    "blind_codes.issued": "round.blind_codes_issued",
    "assignments.committed": "round.assignments_committed",
    "assignments.refilled": "round.assignments_refilled",
    "scores.demo_submitted": "score_sheet.submitted",  # the demo inserted sheets before it went through scoring
    "assignment.previewed": "assignment_plan.previewed",
    "assignment.infeasible": "assignment_plan.found_infeasible",
    "conflict.declared": "assignment.conflict_declared",
    "experts.imported": "expert_pool.imported",
    "sheet.draft_saved": "score_sheet.draft_saved",
    "sheet.submitted": "score_sheet.submitted",
    "sheet.reopened": "score_sheet.reopened",
    "results.advanced": "result_run.finalists_advanced",
    "results.unblinded": "result_run.unblinded",
    "report.generated": "document.stored",
    "results.published": "result_run.published",
    "meeting.attendance": "meeting.attendance_recorded",
    "meeting.substitute": "meeting.substitute_seated",
    "meeting.recusal": "meeting.recusal_recorded",
    "meeting.paper_entered": "meeting.paper_ballot_entered",
    "meeting.paper_confirmed": "meeting.paper_ballot_confirmed",
    "meeting.paper_discarded": "meeting.paper_ballot_discarded",
    "notice.objection_received": "objection.received",
    "notice.objection_under_review": "objection.review_started",
    "notice.objection_decided": "objection.decided",
}

#: Actions no code writes any more whose stored events keep their own meaning (an older name of a current
#: action belongs in LEGACY_ALIASES instead).
RETIRED_ACTIONS: dict[str, ActionEntry] = _entries(
    # The anonymous paper-ballot queue, replaced by paper ballots confirmed by the member or the chair when
    # ballots became encrypted (migration 0016_ballot).
    ("meeting.paper_ballot_entered", N_("Paper ballot entered"),
     N_("A paper ballot was typed in and waited for a second organizer's confirmation (before ballots were "
        "encrypted).")),
    ("meeting.paper_ballot_confirmed", N_("Paper ballot confirmed"),
     N_("An entered paper ballot was confirmed and counted (before ballots were encrypted).")),
    ("meeting.paper_ballot_discarded", N_("Paper ballot discarded"),
     N_("An entered paper ballot was discarded without being counted (before ballots were encrypted).")),
)

#: The actors that are not a user (``Actor.system(name)``), with the label an auditor reads.
SYSTEM_ACTORS: dict[str, str] = {
    "system": N_("System"),
    "cli": N_("Command line"),
    "demo": N_("Demo set-up"),
    "worker": N_("Background worker"),
    "public": N_("Member of the public"),
    "anonymous": N_("Not logged in"),
}


def entry_for(action: str) -> ActionEntry | None:
    """The catalogue entry of a stored action, under its current or an older name (None if unknown)."""
    current = LEGACY_ALIASES.get(action, action)
    return ACTIONS.get(current) or RETIRED_ACTIONS.get(current)
