"""Enter a year's statutory calendar from the State Council's notice (国务院办公厅关于某年部分节假日
安排的通知), as a JSON file:

    {"source": "国办发明电〔2026〕X号",
     "holidays": {"元旦": ["2027-01-01"], "春节": ["2027-02-06", "..."]},
     "working_days": ["2027-02-14"]}

Every day listed replaces what the portal had for it; ``--replace-year`` first removes the year's
days (to correct a mistake)."""

import json
from datetime import date
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from portal import workdays
from portal.models import CalendarDay


class Command(BaseCommand):
    help = "Load a year's holidays and adjusted working days from the State Council's notice."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--replace-year", type=int)

    def handle(self, *args: Any, file: Path, replace_year: int | None, **options: Any) -> None:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
            days = [
                (date.fromisoformat(day), False, str(name))
                for name, listed in data.get("holidays", {}).items()
                for day in listed
            ] + [
                (date.fromisoformat(day), True, "调休上班") for day in data.get("working_days", [])
            ]
        except (OSError, ValueError, AttributeError, TypeError) as error:
            raise CommandError(f"{file}: not a holiday file ({error})") from error
        source = str(data.get("source", ""))[:200]
        with transaction.atomic():
            if replace_year:
                CalendarDay.objects.filter(day__year=replace_year).delete()
            for day, working, name in days:
                CalendarDay.objects.update_or_create(
                    day=day,
                    defaults={"is_working_day": working, "name": name[:50], "source": source},
                )
        workdays.forget()
        self.stdout.write(f"{len(days)} days loaded from {file}")
