"""Ship the rubrics for the seeds' calls (see portal/shipped.py)."""

from pathlib import Path
from typing import Any

from portal import shipped

from .scoring import validate_rubric

SHIPPED = Path(__file__).resolve().parent / "shipped_rubrics"


def sync_shipped_rubrics(**kwargs: Any) -> None:
    from .models import Rubric

    shipped.sync(
        Rubric,
        shipped.load_folder(SHIPPED, validate_rubric),
        lambda d: {"kind": d["kind"], "name": d["name"], "definition": d},
    )
