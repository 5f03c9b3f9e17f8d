"""Recipients' webhook secrets and URLs are sealed at rest, still deliver, and
survive a key rotation; a value no key opens fails its delivery, saying why."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from baton_contracts import OwnerAssigned
from baton_notifications.deliveries.handler import on_ownership_event
from baton_notifications.directory.handler import on_department_updated
from baton_notifications.recipients import service as recipients
from baton_notifications.recipients.models import RecipientPreferences
from baton_notifications.recipients.schemas import UNREADABLE, PreferencesPublic, PreferencesUpdate
from baton_notifications.sealer import PREFIX, Sealer, SealingError
from baton_notifications.sealing import reseal_all
from baton_notifications.senders import signing
from baton_notifications.settings import Settings
from cryptography.fernet import Fernet
from pydantic import ValidationError

from .helpers import GITA, ISSUE, T0, Clock, dispatch, finance, make_runtime, rows, sealer, wrap

SECRET = "their-own-secret-42"


async def prefer_webhook(runtime, url: str, *, secret: str = SECRET, seal: Sealer | None = None):
    async with runtime.db.transaction() as session:
        await recipients.set_preferences(
            session=session,
            person_id=GITA.id,
            update=PreferencesUpdate(
                channels={"assigned": ["webhook", "slack"]},
                webhook_url=url,
                webhook_secret=secret,
                slack_webhook_url=url + "/slack-T000-XXXX",
            ),
            sealer=seal or sealer(runtime),
        )


async def stored(runtime) -> RecipientPreferences:
    async with runtime.db.session() as session:
        return await session.get(RecipientPreferences, GITA.id)


async def assign_and_dispatch(runtime) -> None:
    clock = Clock()
    await on_department_updated(finance(), runtime=runtime)
    event = OwnerAssigned(issue_id=ISSUE, department="finance", owner=GITA, assigned_at=T0)
    await on_ownership_event(wrap(event), runtime=runtime, clock=clock)
    await dispatch(runtime, clock)


async def test_secrets_and_urls_are_sealed_at_rest_and_still_deliver(tmp_path, http_receiver):
    runtime = make_runtime(tmp_path)
    await prefer_webhook(runtime, http_receiver.url)
    row = await stored(runtime)
    for value in (row.webhook_secret, row.webhook_url, row.slack_webhook_url):
        assert value.startswith(PREFIX) and http_receiver.url not in value
    assert SECRET not in row.webhook_secret

    await assign_and_dispatch(runtime)
    deliveries = await rows(runtime)
    assert {d.status for d in deliveries} == {"sent"}
    for d in deliveries:
        if d.channel != "email":
            assert json.loads(d.content)["url"].startswith(PREFIX)
    signed = [(h, b) for h, b in http_receiver.received if signing.HEADER in h]
    [(headers, body)] = signed
    assert signing.verify(body, headers[signing.HEADER], secret=SECRET)
    await runtime.db.dispose()


async def test_a_key_rotation_reseals_everything_with_the_new_key(tmp_path, http_receiver):
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    runtime = make_runtime(tmp_path, encryption_keys=old)
    await prefer_webhook(runtime, http_receiver.url)
    await runtime.db.dispose()

    both = make_runtime(tmp_path, encryption_keys=f"{new},{old}")
    assert await reseal_all(both.db, Sealer(f"{new},{old}")) >= 1
    row = await stored(both)
    assert Sealer(new).open(row.webhook_secret) == SECRET
    with pytest.raises(SealingError, match="none of BATON_ENCRYPTION_KEYS"):
        Sealer(old).open(row.webhook_secret)
    await both.db.dispose()

    # The old key is gone: deliveries still go, signed with the person's secret.
    only_new = make_runtime(tmp_path, encryption_keys=new)
    await assign_and_dispatch(only_new)
    assert {d.status for d in await rows(only_new)} == {"sent"}
    await only_new.db.dispose()


async def test_values_stored_before_keys_were_set_are_read_then_sealed_by_reseal(
    tmp_path, http_receiver
):
    runtime = make_runtime(tmp_path, encryption_keys="")
    await prefer_webhook(runtime, http_receiver.url)
    assert (await stored(runtime)).webhook_secret == SECRET  # unsealed, as configured
    await runtime.db.dispose()

    key = Fernet.generate_key().decode()
    keyed = make_runtime(tmp_path, encryption_keys=key)
    await reseal_all(keyed.db, Sealer(key))
    assert (await stored(keyed)).webhook_secret.startswith(PREFIX)
    await assign_and_dispatch(keyed)
    assert {d.status for d in await rows(keyed)} == {"sent"}
    await keyed.db.dispose()


async def test_a_secret_no_key_opens_fails_its_delivery_with_the_reason(tmp_path, http_receiver):
    runtime = make_runtime(tmp_path, encryption_keys=Fernet.generate_key().decode())
    await prefer_webhook(runtime, http_receiver.url)
    await runtime.db.dispose()

    lost = make_runtime(tmp_path, encryption_keys=Fernet.generate_key().decode())
    await assign_and_dispatch(lost)
    by_channel = {d.channel: d for d in await rows(lost)}
    assert set(by_channel) == {"webhook", "slack"}
    for channel in ("webhook", "slack"):
        assert by_channel[channel].status == "failed"
        assert "BATON_ENCRYPTION_KEYS" in by_channel[channel].last_error
    assert http_receiver.received == []
    await lost.db.dispose()


def test_a_key_that_is_not_a_fernet_key_is_refused_naming_its_position():
    good = Fernet.generate_key().decode()
    with pytest.raises(ValidationError, match="key 2 is not a Fernet key"):
        Settings(encryption_keys=f"{good},not-a-key")


def test_the_operator_commands_make_a_key_and_refuse_to_reseal_without_one(tmp_path):
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "BATON_STATE_DIR": str(tmp_path), "BATON_ENCRYPTION_KEYS": ""}
        return subprocess.run(
            [sys.executable, "-m", "baton_notifications.sealing", *args],
            env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip

    made = run("new-key")
    assert made.returncode == 0
    Fernet(made.stdout.strip())  # a usable key
    refused = run("reseal")
    assert refused.returncode != 0 and "set BATON_ENCRYPTION_KEYS first" in refused.stderr


async def test_preferences_sealed_with_a_lost_key_read_as_unreadable_not_an_error(
    tmp_path, http_receiver
):
    runtime = make_runtime(tmp_path, encryption_keys=Fernet.generate_key().decode())
    await prefer_webhook(runtime, http_receiver.url)
    row = await stored(runtime)
    await runtime.db.dispose()
    shown = PreferencesPublic.of(GITA.id, row, Sealer(Fernet.generate_key().decode()))
    assert shown.webhook_url == shown.slack_webhook_url == UNREADABLE
    assert shown.webhook_secret_set is True
