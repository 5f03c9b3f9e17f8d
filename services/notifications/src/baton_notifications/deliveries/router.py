from __future__ import annotations

from typing import Annotated

from baton_runtime.identity import allow
from baton_runtime.service import SessionDep
from fastapi import APIRouter, Path, Query
from sqlmodel import col, select

from baton_notifications.deliveries import service as deliveries
from baton_notifications.deliveries.models import INTEGER_MAX, Delivery, DeliveryStatus
from baton_notifications.deliveries.schemas import DeliveryPublic

router = APIRouter(prefix="/v1/deliveries", tags=["deliveries"])


@router.get("", **allow("administrator", "liaison", "head"), response_model=list[DeliveryPublic])
async def list_deliveries(
    session: SessionDep,
    issue_id: Annotated[str | None, Query(max_length=36)] = None,
    recipient_id: Annotated[str | None, Query(max_length=128)] = None,
    status: DeliveryStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> list[DeliveryPublic]:
    """Deliveries, newest first, filtered by issue, recipient and status."""
    query = select(Delivery)
    if issue_id is not None:
        query = query.where(Delivery.issue_id == issue_id)
    if recipient_id is not None:
        query = query.where(Delivery.recipient_id == recipient_id)
    if status is not None:
        query = query.where(Delivery.status == status)
    query = query.order_by(col(Delivery.id).desc()).limit(limit)
    return [DeliveryPublic.of(row) for row in (await session.exec(query)).all()]


@router.post(
    "/{delivery_id}/retry", **allow("administrator"), response_model=DeliveryPublic, status_code=202
)
async def retry_delivery(
    delivery_id: Annotated[int, Path(ge=1, le=INTEGER_MAX)], session: SessionDep
) -> DeliveryPublic:
    """Send a failed delivery once more; the dispatcher takes it on its next pass."""
    async with session.begin():
        row = await deliveries.retry(session=session, delivery_id=delivery_id)
    return DeliveryPublic.of(row)
