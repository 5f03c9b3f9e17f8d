"""The text model trains in a child process: the service, started and retrained as it
runs, never imports scikit-learn or SciPy, and a failed training leaves it the model it
had."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from baton_routing.classifier import training
from baton_routing.classifier.learned import ClassifierSlot
from baton_routing.classifier.schemas import Example

MIGRATIONS = Path(__file__).parents[1] / "src" / "baton_routing" / "migrations"

# The service as it starts (text model, then the encoder, in the background), a decision
# that waits for it, a resolved issue labelled, a retrain through the API, and a decision
# with the retrained model: then what the process imported.
SERVICE = """
import asyncio, json, sys
import httpx
from baton_routing.app import create_app
from baton_routing.classifier.models import ResolvedLabel
from baton_routing.settings import Settings
from baton_runtime import migrations

WHERE, MIGRATIONS = sys.argv[1], sys.argv[2]
ISSUE = {"subject": "App freezes", "description": "The app crashes when I open it."}

async def main():
    config = Settings(database_url=f"sqlite+aiosqlite:///{WHERE}/r.db", topic_prefix="t.")
    migrations.upgrade(MIGRATIONS, config.database_url)
    app = create_app(config)
    db = app.state.runtime.db
    headers = {"X-Baton-Actor": "admin", "X-Baton-Roles": "administrator"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test", headers=headers
    ) as client:
        first = (await client.post("/v1/routing/preview", json=ISSUE)).json()
        async with db.transaction() as session:
            session.add(ResolvedLabel(issue_id="i-1", department="it", text="App freezes"))
        retrained = await client.post("/v1/router/model/retrain")
        second = (await client.post("/v1/routing/preview", json=ISSUE)).json()
    await db.dispose()
    heavy = sorted(m for m in sys.modules if m.split(".")[0] in ("sklearn", "scipy"))
    print(json.dumps({
        "first": first, "retrain": retrained.status_code, "second": second, "heavy": heavy
    }))

asyncio.run(main())
"""


def test_the_service_starts_and_retrains_without_scikit_learn_or_scipy(tmp_path: Path):
    done = subprocess.run(
        [sys.executable, "-c", SERVICE, str(tmp_path), str(MIGRATIONS)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen["heavy"] == []
    # The learned router answered, before and after the retrain, with the encoder.
    assert seen["first"]["department"] == "it"
    assert seen["first"]["model_version"].endswith("-g1+all-MiniLM-L6-v2")
    assert seen["retrain"] == 200
    assert seen["second"]["department"] == "it"
    assert "-h1-g2+all-MiniLM-L6-v2" in seen["second"]["model_version"]


def test_a_failed_training_says_why():
    one_department = [Example(text=f"printer jam {n}", department="it") for n in range(5)]
    why = r"(?s)exited with 1:.*ValueError: This solver needs samples of at least 2 classes"
    with pytest.raises(training.TrainingFailed, match=why):
        training.train(one_department, version="v")


def test_a_failed_retrain_keeps_the_model_the_service_had(tmp_path: Path, monkeypatch):
    sample = tmp_path / "sample.jsonl"
    rows = [{"text": f"password reset {n}", "department": "it"} for n in range(5)]
    rows += [{"text": f"invoice copy {n}", "department": "finance"} for n in range(5)]
    sample.write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    slot = ClassifierSlot(embeddings=False)
    before = slot.retrain(path=sample)
    monkeypatch.setattr(training, "CHILD", "baton_routing.classifier.no_such_trainer")
    with pytest.raises(training.TrainingFailed, match="no_such_trainer"):
        slot.retrain(path=sample)
    assert slot.current is before
    assert slot.generation == 1
