"""The text model's data: the shipped sample, the company's own resolved issues as
labels, and the version a model is trained as. The model itself is ``textmodel.py``
(scoring, NumPy only) and ``sklearn_fit.py`` (training, in a child process: see
``training.py``); ``learned.py`` combines it with the department examples.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from baton_contracts import IssueResolved
from baton_runtime.db import upsert
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from baton_routing.classifier.models import ResolvedLabel
from baton_routing.classifier.schemas import Example
from baton_routing.issues import service as issues

SAMPLE_HISTORY = Path(__file__).parent / "data" / "bitext-dev.jsonl"


def load_examples(path: Path = SAMPLE_HISTORY) -> list[Example]:
    with path.open(encoding="utf-8") as f:
        rows = [json.loads(line) for line in f if line.strip()]
    return [Example(text=r["text"], department=r["department"]) for r in rows]


def sample_version(path: Path = SAMPLE_HISTORY, *, generation: int = 1, history: int = 0) -> str:
    """A model's version: the algorithm, a digest of the shipped sample, how many of
    the company's own resolved issues it learned from, and a generation."""
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:8]
    own = f"-h{history}" if history else ""
    return f"tfidf-lr-{digest}{own}-g{generation}"


async def examples(*, session: AsyncSession) -> list[Example]:
    """The company's own history: every resolved issue, labeled."""
    rows = (await session.exec(select(ResolvedLabel))).all()
    return [Example(text=r.text, department=r.department) for r in rows]


async def label(*, session: AsyncSession, resolved: IssueResolved) -> None:
    """Label the resolved issue, as reported, with the department that resolved it."""
    issue = await issues.reported(session=session, issue_id=resolved.issue_id)
    if issue is None:
        return  # never routed here (another environment): nothing to learn from
    # A reopened and resolved-again issue keeps its latest department: one upsert.
    label = {
        "department": resolved.department,
        "resolved_at": resolved.at,
        "text": f"{issue.subject}\n{issue.description}",
    }
    await session.exec(
        upsert(session, ResolvedLabel)
        .values(issue_id=resolved.issue_id, **label)
        .on_conflict_do_update(index_elements=["issue_id"], set_=label)
    )
