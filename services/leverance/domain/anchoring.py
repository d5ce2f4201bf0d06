"""Anchoring after a course (H 5.4): one anchoring meeting, follow-ups and phone sparring."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Literal

from pydantic import Field

from services.kernel.errors import IllegalTransition, InvalidInput, OutsideWindow
from services.leverance.domain.reference import (
    ANCHORING_WINDOW_MONTHS,
    MAX_ANCHORING_MEETINGS,
    MAX_FOLLOW_UP_MEETINGS,
    MAX_SPARRING_BEFORE_EACH_FOLLOW_UP,
)
from services.leverance.domain.types import Day, Value
from services.workdays import add_months

AnchoringKind = Literal["anchoring_meeting", "follow_up_meeting", "phone_sparring"]


class AnchoringActivity(Value):
    """One booked anchoring activity and whether it took place."""

    activity_id: str
    kind: AnchoringKind
    on: Day
    held: bool = False
    booked_on: Day | None = None
    agenda_sent_on: Day | None = Field(
        default=None,
        description="When the agenda and anchoring-plan template were sent (anchoring meeting).",
    )


def anchoring_window(closing_meeting_on: date) -> date:
    """The last day anchoring activities may take place."""
    return add_months(closing_meeting_on, ANCHORING_WINDOW_MONTHS)


def check_booking(
    booked: Sequence[AnchoringActivity],
    *,
    kind: AnchoringKind,
    on: date,
    closing_meeting_on: date | None,
) -> None:
    """Refuse a booking that breaks the anchoring limits; say which one."""
    if closing_meeting_on is None:
        raise IllegalTransition("anchoring starts after the closing meeting")
    if on < closing_meeting_on or on > anchoring_window(closing_meeting_on):
        raise OutsideWindow.single(
            "on",
            f"anchoring takes place from the closing meeting {closing_meeting_on.isoformat()} "
            f"to {anchoring_window(closing_meeting_on).isoformat()} "
            f"({ANCHORING_WINDOW_MONTHS} months)",
        )
    meetings = [a for a in booked if a.kind == "anchoring_meeting"]
    follow_ups = [a for a in booked if a.kind == "follow_up_meeting"]
    if kind == "anchoring_meeting":
        if len(meetings) >= MAX_ANCHORING_MEETINGS:
            raise IllegalTransition("there is only one anchoring meeting")
        return
    held_meeting = next((a for a in meetings if a.held), None)
    if held_meeting is None:
        raise IllegalTransition(f"a {kind} comes only after the anchoring meeting was held")
    if on < held_meeting.on:
        raise OutsideWindow.single(
            "on",
            f"{on.isoformat()} is before the anchoring meeting ({held_meeting.on.isoformat()})",
        )
    held_follow_ups = [a for a in follow_ups if a.held]
    since = max((a.on for a in held_follow_ups), default=held_meeting.on)
    if on < since:
        # Otherwise a session dated into an earlier stretch would escape the limits below.
        raise OutsideWindow.single(
            "on",
            f"{on.isoformat()} is before the last follow-up meeting held ({since.isoformat()})",
        )
    if kind == "follow_up_meeting":
        if any(not a.held for a in follow_ups):
            raise IllegalTransition("only one follow-up meeting is booked at a time")
        if len(follow_ups) >= MAX_FOLLOW_UP_MEETINGS:
            raise IllegalTransition(f"at most {MAX_FOLLOW_UP_MEETINGS} follow-up meetings")
        return
    if len(held_follow_ups) >= MAX_FOLLOW_UP_MEETINGS:
        raise IllegalTransition("phone sparring comes before a follow-up meeting; none is left")
    sparring = [a for a in booked if a.kind == "phone_sparring" and a.on >= since]
    if len(sparring) >= MAX_SPARRING_BEFORE_EACH_FOLLOW_UP:
        raise IllegalTransition(
            f"at most {MAX_SPARRING_BEFORE_EACH_FOLLOW_UP} phone sparring sessions before each "
            "follow-up meeting"
        )


def book(
    booked: Sequence[AnchoringActivity],
    *,
    activity_id: str,
    kind: AnchoringKind,
    on: date,
    closing_meeting_on: date | None,
    today: date | None = None,
) -> tuple[AnchoringActivity, ...]:
    """The activities with a new booking, if the limits allow it."""
    check_booking(booked, kind=kind, on=on, closing_meeting_on=closing_meeting_on)
    activity = AnchoringActivity(activity_id=activity_id, kind=kind, on=on, booked_on=today)
    return (*booked, activity)


def send_agenda(
    booked: Sequence[AnchoringActivity], activity_id: str, *, today: date
) -> tuple[tuple[AnchoringActivity, ...], AnchoringActivity]:
    """Record that the anchoring meeting's agenda and plan template were sent."""
    found = next((a for a in booked if a.activity_id == activity_id), None)
    if found is None:
        raise InvalidInput.single("activity_id", "no such anchoring activity")
    if found.kind != "anchoring_meeting":
        raise IllegalTransition("an agenda is sent only before the anchoring meeting")
    if found.agenda_sent_on is not None:
        raise IllegalTransition(f"the agenda was sent on {found.agenda_sent_on.isoformat()}")
    sent = found.model_copy(update={"agenda_sent_on": today})
    return tuple(sent if a.activity_id == activity_id else a for a in booked), sent


def hold(
    booked: Sequence[AnchoringActivity], activity_id: str, *, today: date
) -> tuple[tuple[AnchoringActivity, ...], AnchoringActivity]:
    """Record that a booked activity took place on its day."""
    found = next((a for a in booked if a.activity_id == activity_id), None)
    if found is None:
        raise InvalidInput.single("activity_id", "no such anchoring activity")
    if found.held:
        raise IllegalTransition(f"{activity_id} was already held")
    if found.on > today:
        raise IllegalTransition(f"{activity_id} is booked for {found.on.isoformat()}")
    held = found.model_copy(update={"held": True})
    return tuple(held if a.activity_id == activity_id else a for a in booked), held
