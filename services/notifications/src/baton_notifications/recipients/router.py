from __future__ import annotations

from typing import Annotated

from baton_runtime.egress import Refused
from baton_runtime.identity import ANYONE, Caller, CallerDep, allow
from baton_runtime.problems import Problem
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Path
from fastapi.exceptions import RequestValidationError

from baton_notifications.deps import EgressDep, SealerDep
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.hours import hours_of
from baton_notifications.recipients.schemas import PreferencesPublic, PreferencesUpdate
from baton_notifications.senders import egress

router = APIRouter(prefix="/v1/recipients", tags=["recipients"])
PersonId = Annotated[str, Path(max_length=128)]


def _own(person_id: str, caller: Caller, doing: str) -> None:
    """Where a person's notices go is theirs: their own, or an administrator's to see."""
    if caller.person_id != person_id and not caller.administrator:
        raise Problem(403, f"You may {doing} only your own preferences.", title="Forbidden")


@router.get("/{person_id}/preferences", **allow(ANYONE), response_model=PreferencesPublic)
async def get_preferences(
    person_id: PersonId, session: SessionDep, sealer: SealerDep, caller: CallerDep
) -> PreferencesPublic:
    """Which channels each kind of notice goes to (email when never set): your own,
    or anyone's for an administrator."""
    _own(person_id, caller, "see")
    row = await recipients.preferences(session=session, person_id=person_id)
    hours = await hours_of(session, person_id, row)
    return PreferencesPublic.of(person_id, row, sealer, hours.source)


@router.put("/{person_id}/preferences", **allow(ANYONE), response_model=PreferencesPublic)
async def put_preferences(
    person_id: PersonId,
    body: PreferencesUpdate,
    session: SessionDep,
    sealer: SealerDep,
    caller: CallerDep,
    policy: EgressDep,
) -> PreferencesPublic:
    """Replace your channels per kind; escalations always go out by email too.
    Only the person themselves may: where their notices go is theirs to say.
    Webhook URLs must use https and reach only public addresses; Slack ones only
    its hosts (a 422 names the rule broken)."""
    if caller.person_id != person_id:
        raise Problem(403, "You may change only your own preferences.", title="Forbidden")
    await _check_destinations(body, policy)
    async with session.begin():
        row = await recipients.set_preferences(
            session=session, person_id=person_id, update=body, sealer=sealer
        )
        hours = await hours_of(session, person_id, row)
    return PreferencesPublic.of(person_id, row, sealer, hours.source)


async def _check_destinations(body: PreferencesUpdate, policy: egress.Policy) -> None:
    """Refuse a URL a webhook could not be sent to now, saying which rule; the
    check that counts is made again whenever one is sent."""
    errors = []
    for name, channel in (("webhook_url", "webhook"), ("slack_webhook_url", "slack")):
        url = getattr(body, name)
        if url is None:
            continue
        try:
            await egress.check_destination(str(url), channel=channel, policy=policy)
        except Refused as exc:
            errors.append({"loc": ("body", name), "msg": exc.rule, "type": "value_error"})
    if errors:
        raise RequestValidationError(errors)
