"""Public notice (公示) of a category's candidates, objections (异议) and the committee's approval (审定).

Services take a Session, never commit, and write one audit event with each change. The flow of a
category: ``publish_notice`` (the PUBLIC_NOTICE stage open) → objections filed by anyone within the
period (``file_objection``) → each taken under review and upheld or rejected (``start_review``,
``decide_objection``) → an upheld objection that changes the list makes a new version with its own
full period (``reissue_notice``) → after the period, with no open objection, the stage closes and,
in the APPROVAL stage, ``record_approval`` records the committee's decision and publishes the final
lists through the awards part, which from then on cannot change (``awards.ensure_lists_open``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from judging import audit, notifications, settings
from judging.db.base import utcnow
from judging.editions.models import Category, Edition
from judging.errors import Conflict, JudgingError, N_, NotFound
from judging.nominations.models import Nomination, NominationIdentity, NominationStatus
from judging.notices.models import (
    OBJECTION_LABELS, OPEN_OBJECTION, CommitteeApproval, Notice, NoticeEntry, Objection, ObjectionStatus,
)
from judging.awards import service as awards
from judging.results import service as results
from judging.stages.models import StageKind, StageStatus
from judging.stages.service import Blocker, require_open, status_of

DEFAULT_DAYS = 7  # the usual 公示 period
MAX_DAYS = 30
# Limits of the public objection form: a real objection fits easily, a flood does not.
NAME_MAX, EMPLOYER_MAX, GROUNDS_MAX = 50, 200, 5000
# Fewer characters than this say nothing the office can check ("不同意", "有问题").
GROUNDS_MIN = 15
PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,22}[0-9]$")
# At most this many objections per client address within the window (cf. the login lock-out).
MAX_OBJECTIONS_PER_ADDRESS = 5
OBJECTION_WINDOW = dt.timedelta(hours=1)
PUBLIC = audit.Actor.system("public")


class NoticeError(JudgingError):
    """A refusal of the notice procedure; nothing was changed."""


# --------------------------------------------------------------------------- dates in the edition's zone


def _zone() -> ZoneInfo:
    return ZoneInfo(settings.current().timezone)


def local_date(moment: dt.datetime) -> dt.date:
    return moment.astimezone(_zone()).date()


def local_time(moment: dt.datetime) -> str:
    return moment.astimezone(_zone()).strftime("%Y-%m-%d %H:%M")


def _start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(0), tzinfo=_zone())


def opens_at(notice: Notice) -> dt.datetime:
    return _start_of(notice.starts_on)


def closes_at(notice: Notice) -> dt.datetime:
    """The end of the period: midnight after its last day, local time."""
    return _start_of(notice.ends_on + dt.timedelta(days=1))


def period_over(notice: Notice, now: dt.datetime | None = None) -> bool:
    return (now or utcnow()) >= closes_at(notice)


# --------------------------------------------------------------------------- reading


def current_notice(session: Session, *, category_id: int) -> Notice | None:
    return session.scalar(select(Notice).where(Notice.category_id == category_id, Notice.superseded_at.is_(None)))


def notices_of(session: Session, *, category_id: int) -> list[Notice]:
    return list(session.scalars(select(Notice).where(Notice.category_id == category_id)
                                .order_by(Notice.version.desc())))


def objections_of(session: Session, *, category_id: int) -> list[Objection]:
    return list(session.scalars(select(Objection).where(Objection.category_id == category_id)
                                .order_by(Objection.received_at, Objection.id)))


def open_objections(session: Session, *, category_id: int) -> int:
    return session.scalar(select(func.count()).select_from(Objection).where(
        Objection.category_id == category_id, Objection.status.in_(OPEN_OBJECTION)))


def approval_of(session: Session, *, category_id: int) -> CommitteeApproval | None:
    return session.scalar(select(CommitteeApproval).where(CommitteeApproval.category_id == category_id))


def public_notices(session: Session) -> list[Notice]:
    """The current version of every category's notice, newest edition first."""
    return list(session.scalars(select(Notice).where(Notice.superseded_at.is_(None))
                                .order_by(Notice.year.desc(), Notice.category_id)))


def get_notice(session: Session, notice_id: int) -> Notice:
    notice = session.get(Notice, notice_id)
    if notice is None:
        raise NotFound("notice")
    return notice


def get_objection(session: Session, objection_id: int) -> Objection:
    objection = session.get(Objection, objection_id)
    if objection is None:
        raise NotFound("objection")
    return objection


# --------------------------------------------------------------------------- publishing a notice


def _entries(session: Session, category: Category, nomination_ids: list[int]) -> list[NoticeEntry]:
    """Snapshot rows of the given nominations, in order, with their public fields as they are now."""
    people = results.identities(session, nomination_ids)
    titles = dict(session.execute(select(Nomination.id, Nomination.title)
                                  .where(Nomination.id.in_(nomination_ids))).all())
    named = awards.method_names(session, nomination_ids)
    rows = []
    for nomination_id in nomination_ids:
        identity = people.get(nomination_id)
        if identity is None:
            raise NotFound("identity")
        rows.append(NoticeEntry(nomination_id=nomination_id, place=0, title=titles[nomination_id],
                                named_as=named.get(nomination_id), completers=list(identity.inventors),
                                employer=identity.employer, city=identity.city))
    return _placed(category, rows)


def _placed(category: Category, rows: list[NoticeEntry]) -> list[NoticeEntry]:
    """Number the rows 1..n and mark May Day medal recommendations by place (SPEC §1)."""
    for place, row in enumerate(rows, start=1):
        row.place = place
        row.may_day = awards.recommends_may_day(category, place)
    return rows


def _require_unblinded(session: Session, category: Category) -> None:
    run = results.award_run(session, category=category)
    if run is None or results.unblinding_for(session, round_id=run.round_id, category_id=category.id) is None:
        raise Conflict(N_("Reveal identities (unblind) before publishing."))


def _new_notice(session: Session, *, category: Category, entries: list[NoticeEntry], days: int,
                starts_on: dt.date | None, now: dt.datetime, by: audit.Actor, replaces: Notice | None = None,
                objection: Objection | None = None) -> Notice:
    if not 1 <= days <= MAX_DAYS:
        raise NoticeError(N_("The notice period must be between 1 and {max} days."), max=MAX_DAYS)
    today = local_date(now)
    starts_on = starts_on or today
    if starts_on < today:
        raise NoticeError(N_("The notice period cannot start in the past."))
    edition = session.get(Edition, category.edition_id)
    version = (session.scalar(select(func.max(Notice.version)).where(Notice.category_id == category.id)) or 0) + 1
    notice = Notice(edition_id=edition.id, category_id=category.id, version=version, starts_on=starts_on,
                    ends_on=starts_on + dt.timedelta(days=days - 1), year=edition.year, category_name=category.name,
                    replaces_id=replaces.id if replaces else None, published_by_id=by.id, published_at=now)
    notice.entries = entries
    if replaces is not None:
        replaces.superseded_at = now
    session.add(notice)
    session.flush()  # its PDF is made after this transaction commits (notices.jobs), never inside it
    audit.append(session, actor=by, action="notice.published", object_type="notice", object_id=notice.id,
                 data={"category": category.id, "version": version, "starts_on": notice.starts_on.isoformat(),
                       "ends_on": notice.ends_on.isoformat(), "nominations": [e.nomination_id for e in entries],
                       "replaces": replaces.id if replaces else None,
                       "objection": objection.id if objection else None})
    return notice


def publish_notice(session: Session, *, category: Category, by: audit.Actor, days: int = DEFAULT_DAYS,
                   starts_on: dt.date | None = None, now: dt.datetime | None = None) -> Notice:
    """Put the category's candidates on public notice for ``days`` local days from ``starts_on`` (default today)."""
    now = now or utcnow()
    require_open(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE)
    if session.scalar(select(Notice.id).where(Notice.category_id == category.id).limit(1)) is not None:
        raise Conflict(N_("This category's list is already on notice; a new version follows only from an upheld "
                          "objection."))
    ids = awards.candidate_ids(session, category)
    if not ids:
        raise Conflict(N_("There are no candidates to put on notice: approve a result run of this category first."))
    _require_unblinded(session, category)
    return _new_notice(session, category=category, entries=_entries(session, category, ids), days=days,
                       starts_on=starts_on, now=now, by=by)


# --------------------------------------------------------------------------- objections


def _recent_from(session: Session, client_address: str, now: dt.datetime) -> list[dt.datetime]:
    return list(session.scalars(select(Objection.received_at).where(
        Objection.client_address == client_address, Objection.received_at > now - OBJECTION_WINDOW)
        .order_by(Objection.received_at.desc()).limit(MAX_OBJECTIONS_PER_ADDRESS)))


def receipt_number(objection: Objection) -> str:
    """The number an objector quotes when they call the office: the year received and the objection's id."""
    return f"YY{objection.received_at.year}-{objection.id:05d}"


def file_objection(session: Session, *, notice_id: int, nomination_id: int | None, name: str, employer: str,
                   phone: str, grounds: str, client_address: str | None = None,
                   now: dt.datetime | None = None) -> Objection:
    """A real-name objection to one candidate, from anyone, within the period of the current notice."""
    now = now or utcnow()
    notice = get_notice(session, notice_id)
    name, employer, phone, grounds = name.strip(), employer.strip(), phone.strip(), grounds.strip()
    if not name:
        raise NoticeError(N_("Objections are accepted under a real name only: give your name."))
    if not phone:
        raise NoticeError(N_("Give a phone number where the office can reach you: anonymous objections are "
                             "not accepted."))
    if not employer:
        raise NoticeError(N_("Give your employer."))
    if not grounds:
        raise NoticeError(N_("Give the grounds of the objection."))
    if len(name) > NAME_MAX or len(employer) > EMPLOYER_MAX:
        raise NoticeError(N_("The name may have at most {name} characters and the employer {employer}."),
                          name=NAME_MAX, employer=EMPLOYER_MAX)
    if not PHONE.match(phone):
        raise NoticeError(N_("The phone number is not valid."))
    if len(grounds) > GROUNDS_MAX:
        raise NoticeError(N_("The grounds may have at most {max} characters."), max=GROUNDS_MAX)
    if len(grounds) < GROUNDS_MIN:
        raise NoticeError(N_("Give the grounds in at least {min} characters: what is wrong, and how you know."),
                          min=GROUNDS_MIN)
    if not notice.current:
        raise NoticeError(N_("This notice has been replaced by a newer version; object to the current one."))
    if now < opens_at(notice):
        raise NoticeError(N_("The notice period begins on {date}."), date=notice.starts_on.isoformat())
    if period_over(notice, now):
        raise NoticeError(N_("The notice period ended on {date}; late objections are not accepted."),
                          date=notice.ends_on.isoformat())
    if nomination_id not in {e.nomination_id for e in notice.entries}:
        raise NoticeError(N_("Choose the candidate on this notice that the objection concerns."))
    if client_address:
        recent = _recent_from(session, client_address, now)
        if len(recent) >= MAX_OBJECTIONS_PER_ADDRESS:
            until = local_time(recent[-1] + OBJECTION_WINDOW)
            raise NoticeError(N_("Too many objections from this address. Try again after {until}."), until=until)
    objection = Objection(notice_id=notice.id, category_id=notice.category_id, nomination_id=nomination_id,
                          name=name, employer=employer, phone=phone, grounds=grounds, client_address=client_address,
                          status=ObjectionStatus.RECEIVED, received_at=now)
    session.add(objection)
    session.flush()
    # The objector's phone stays out of the chain; the grounds are fixed by their digest.
    audit.append(session, actor=PUBLIC, action="objection.received", object_type="objection",
                 object_id=objection.id,
                 data={"notice": notice.id, "nomination": nomination_id, "name": name, "employer": employer,
                       "grounds_sha256": hashlib.sha256(grounds.encode()).hexdigest(), "client": client_address})
    notifications.queue(session, event="objection_received", to=notifications.office(session), by=PUBLIC,
                        link="/organizer/notices/", category=notice.category_name,
                        candidate=next(e.title for e in notice.entries if e.nomination_id == nomination_id))
    return objection


def _forward_only(objection: Objection) -> NoticeError:
    return NoticeError(N_("This objection is already {status}; an objection only moves forward."),
                       status=OBJECTION_LABELS[objection.status])


def start_review(session: Session, *, objection_id: int, by: audit.Actor, now: dt.datetime | None = None) -> Objection:
    """received → under review."""
    objection = get_objection(session, objection_id)
    if objection.status is not ObjectionStatus.RECEIVED:
        raise _forward_only(objection)
    objection.status, objection.review_started_at = ObjectionStatus.UNDER_REVIEW, now or utcnow()
    objection.review_started_by_id = by.id
    session.flush()
    audit.append(session, actor=by, action="objection.review_started", object_type="objection",
                 object_id=objection.id, data={"notice": objection.notice_id})
    return objection


def decide_objection(session: Session, *, objection_id: int, upheld: bool, finding: str, by: audit.Actor,
                     now: dt.datetime | None = None) -> Objection:
    """under review → upheld or rejected, with the written finding."""
    objection = get_objection(session, objection_id)
    if objection.status is ObjectionStatus.RECEIVED:
        raise NoticeError(N_("Take the objection under review before deciding it."))
    if objection.status is not ObjectionStatus.UNDER_REVIEW:
        raise _forward_only(objection)
    finding = finding.strip()
    if not finding:
        raise NoticeError(N_("Write the finding of the review."))
    if len(finding) > GROUNDS_MAX:
        raise NoticeError(N_("The finding may have at most {max} characters."), max=GROUNDS_MAX)
    objection.status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.REJECTED
    objection.finding, objection.decided_at, objection.decided_by_id = finding, now or utcnow(), by.id
    session.flush()
    audit.append(session, actor=by, action="objection.decided", object_type="objection",
                 object_id=objection.id,
                 data={"notice": objection.notice_id, "status": objection.status.value, "finding": finding})
    notifications.queue(session, event=f"objection_{objection.status.value}", by=by, finding=finding,  # by SMS
                        to=[notifications.sms_to(objection.phone, name=objection.name)],
                        candidate=session.scalar(select(NoticeEntry.title).where(
                            NoticeEntry.notice_id == objection.notice_id,
                            NoticeEntry.nomination_id == objection.nomination_id)))
    return objection


def substitutes(session: Session, *, category: Category) -> list[int]:
    """Who may replace a candidate an upheld objection removes, in the order they must be taken (the first is
    the next in line): the reserves of the awards part (passed the panel meeting's ballot, in the meeting's
    order; with no meeting, the approved run's order) that are not on the list, were never removed from an
    earlier version of it, and are not withdrawn."""
    listed = set(session.scalars(select(NoticeEntry.nomination_id).join(Notice, Notice.id == NoticeEntry.notice_id)
                                 .where(Notice.category_id == category.id)))
    reserves = [i for i in awards.reserve_ids(session, category) if i not in listed]
    withdrawn = set(session.scalars(select(Nomination.id).where(Nomination.id.in_(reserves),
                                                                Nomination.status == NominationStatus.WITHDRAWN)))
    return [i for i in reserves if i not in withdrawn]


def _acting_on(session: Session, objection_id: int) -> tuple[Objection, Category, Notice]:
    """The upheld objection that has not yet changed the list, its category (notice stage open) and the
    current notice, which still lists the candidate it concerns."""
    objection = get_objection(session, objection_id)
    if objection.status is not ObjectionStatus.UPHELD:
        raise NoticeError(N_("Only an upheld objection can change the list."))
    if objection.new_notice_id is not None:
        raise Conflict(N_("This objection has already changed the list."))
    require_open(session, category_id=objection.category_id, kind=StageKind.PUBLIC_NOTICE)
    category = session.get(Category, objection.category_id)
    notice = current_notice(session, category_id=category.id)
    if objection.nomination_id not in [e.nomination_id for e in notice.entries]:
        raise Conflict(N_("The candidate this objection concerns is no longer on the list."))
    return objection, category, notice


def _copy(entry: NoticeEntry) -> NoticeEntry:
    return NoticeEntry(nomination_id=entry.nomination_id, place=entry.place, title=entry.title,
                       named_as=entry.named_as, completers=list(entry.completers), employer=entry.employer,
                       city=entry.city)


def reissue_notice(session: Session, *, objection_id: int, replacement_id: int | None, by: audit.Actor,
                   days: int = DEFAULT_DAYS, starts_on: dt.date | None = None,
                   now: dt.datetime | None = None) -> Notice:
    """An upheld objection changes the list: its candidate is removed (or replaced by ``replacement_id``, which
    must be the next of ``substitutes``) and the changed list goes on notice again, a new version with its
    own full period."""
    now = now or utcnow()
    objection, category, notice = _acting_on(session, objection_id)
    on_list = [e.nomination_id for e in notice.entries]
    kept = [_copy(e) for e in notice.entries if e.nomination_id != objection.nomination_id]
    if replacement_id is not None:
        allowed = substitutes(session, category=category)
        if not allowed:
            raise NoticeError(N_("Nobody may stand in for this candidate: only a nomination that passed the panel "
                                 "meeting's ballot (or, without a meeting, ranked in the approved run) and is not on "
                                 "the list can; remove the candidate instead."))
        if replacement_id != allowed[0]:
            title = session.scalar(select(Nomination.title).where(Nomination.id == allowed[0]))
            raise NoticeError(N_("The replacement must be the next in line among those who passed the panel "
                                 "meeting's ballot (or, without a meeting, in the approved run's order): {title}."),
                              title=title)
        (added,) = _entries(session, category, [replacement_id])
        kept.insert(on_list.index(objection.nomination_id), added)
    if not kept:
        raise NoticeError(N_("The list would be empty; name a replacement."))
    new = _new_notice(session, category=category, entries=_placed(category, kept), days=days, starts_on=starts_on,
                      now=now, by=by, replaces=notice, objection=objection)
    objection.new_notice_id = new.id
    session.flush()
    return new


MAX_COMPLETERS, COMPLETER_MAX, CITY_MAX = 15, 50, 50


def _clean_completers(completers: list[str]) -> list[str]:
    names = [n.strip() for n in completers if n.strip()]
    if not names:
        raise NoticeError(N_("Give at least one completer (the first completer first)."))
    if len(names) > MAX_COMPLETERS or any(len(n) > COMPLETER_MAX for n in names):
        raise NoticeError(N_("At most {count} completers of at most {length} characters each."),
                          count=MAX_COMPLETERS, length=COMPLETER_MAX)
    if len(set(names)) != len(names):
        raise NoticeError(N_("A completer is named twice."))
    return names


def correct_and_reissue(session: Session, *, objection_id: int, completers: list[str], employer: str, city: str,
                        by: audit.Actor, days: int = DEFAULT_DAYS, starts_on: dt.date | None = None,
                        now: dt.datetime | None = None) -> Notice:
    """An upheld objection about a candidate's completers (or employer, city): correct the nomination and put
    the same candidate, at the same place, on a new notice version with its own full period. The correction
    is audited with the fields before and after."""
    now = now or utcnow()
    objection, category, notice = _acting_on(session, objection_id)
    names, employer, city = _clean_completers(completers), employer.strip(), city.strip()
    if not employer or not city:
        raise NoticeError(N_("Give the employer and the city."))
    if len(employer) > EMPLOYER_MAX or len(city) > CITY_MAX:
        raise NoticeError(N_("The employer may have at most {employer} characters and the city {city}."),
                          employer=EMPLOYER_MAX, city=CITY_MAX)
    identity = session.get(NominationIdentity, objection.nomination_id)
    before = {"completers": list(identity.inventors), "employer": identity.employer, "city": identity.city}
    after = {"completers": names, "employer": employer, "city": city}
    if before == after:
        raise NoticeError(N_("Nothing was corrected: change the completers, the employer or the city."))
    identity.inventors, identity.employer, identity.city = names, employer, city
    session.flush()
    audit.append(session, actor=by, action="nomination.corrected", object_type="nomination",
                 object_id=objection.nomination_id,
                 data={"objection": objection.id, "notice": notice.id, "before": before, "after": after})
    entries = [_entries(session, category, [e.nomination_id])[0] if e.nomination_id == objection.nomination_id
               else _copy(e) for e in notice.entries]
    new = _new_notice(session, category=category, entries=_placed(category, entries), days=days,
                      starts_on=starts_on, now=now, by=by, replaces=notice, objection=objection)
    objection.new_notice_id = new.id
    session.flush()
    return new


# --------------------------------------------------------------------------- approval (审定)


def approval_list(session: Session, *, category: Category) -> tuple[Notice | None, list[awards.Winner]]:
    """What the committee approves: the list last on notice, or, for a category that skipped the public
    notice, its candidates as they stand (their public fields as the notice would have shown them)."""
    notice = current_notice(session, category_id=category.id)
    if notice is not None:
        return notice, [awards.Winner(e.place, e.nomination_id, e.named_as or e.title, e.first_completer, e.employer,
                                      e.city) for e in notice.entries]
    if status_of(session, category_id=category.id, kind=StageKind.PUBLIC_NOTICE) is not StageStatus.SKIPPED:
        return None, []
    _require_unblinded(session, category)
    entries = _entries(session, category, awards.candidate_ids(session, category))
    return None, [awards.Winner(e.place, e.nomination_id, e.named_as or e.title, e.first_completer, e.employer,
                                e.city) for e in entries]


def record_approval(session: Session, *, category: Category, approved_on: dt.date, reference: str,
                    by: audit.Actor, now: dt.datetime | None = None) -> CommitteeApproval:
    """The committee approved the list last on notice (or, without a notice, the candidates): record it and
    hand the approved list to the awards part, the only list that may then be published (awards.publish)."""
    now = now or utcnow()
    require_open(session, category_id=category.id, kind=StageKind.APPROVAL)
    if approval_of(session, category_id=category.id) is not None:
        raise Conflict(N_("The committee's approval of this category is already recorded."))
    notice, winners = approval_list(session, category=category)
    if notice is None and not winners:
        raise Conflict(N_("Nothing of this category has been on public notice."))
    if notice is not None and not period_over(notice, now):
        raise Conflict(N_("The notice period runs until {date}; the approval must wait for its end."),
                       date=notice.ends_on.isoformat())
    count = open_objections(session, category_id=category.id)
    if count:
        raise Conflict(N_("{count} objections are still open; decide them before the approval."), count=count)
    reference = reference.strip()
    if not reference:
        raise NoticeError(N_("Give the reference of the committee's meeting or document."))
    if len(reference) > 200:
        raise NoticeError(N_("The reference may have at most {max} characters."), max=200)
    if notice is not None and not notice.ends_on < approved_on <= local_date(now):
        raise NoticeError(N_("The approval date must be after the notice period ({date}) and not in the future."),
                          date=notice.ends_on.isoformat())
    if notice is None and approved_on > local_date(now):
        raise NoticeError(N_("The approval date cannot be in the future."))
    approval = CommitteeApproval(edition_id=category.edition_id, category_id=category.id,
                                 notice_id=notice.id if notice else None, approved_on=approved_on, reference=reference,
                                 recorded_by_id=by.id, recorded_at=now)
    session.add(approval)
    session.flush()
    audit.append(session, actor=by, action="category.approval_recorded", object_type="category", object_id=category.id,
                 data={"notice": notice.id if notice else None, "version": notice.version if notice else None,
                       "approved_on": approved_on.isoformat(), "reference": reference,
                       "nominations": [w.nomination_id for w in winners]})
    awards.approve_list(session, category=category, winners=winners, notice_version=notice.version if notice else None,
                        reference=reference, approved_on=approved_on, by=by)
    return approval


# --------------------------------------------------------------------------- what blocks the stages


def notice_blockers(session: Session, category: Category) -> list[Blocker]:
    notice = current_notice(session, category_id=category.id)
    if notice is None:
        return [Blocker(N_("no list has been put on notice"))]
    found = []
    if not period_over(notice):
        found.append(Blocker(N_("the notice period runs until {date}"), {"date": notice.ends_on.isoformat()}))
    count = open_objections(session, category_id=category.id)
    if count:
        found.append(Blocker(N_("{count} objections are open"), {"count": count}))
    return found


def approval_blockers(session: Session, category: Category) -> list[Blocker]:
    if approval_of(session, category_id=category.id) is None:
        return [Blocker(N_("the committee's approval has not been recorded"))]
    return []
