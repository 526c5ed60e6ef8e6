from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from demo.dashboard import build_demo_dashboard
from demo.two_factor import enrol_demo_staff
from demo.world import (
    DEMO_PASSWORD,
    PERSONAS,
    build_demo_calls,
    build_demo_pilot,
    build_demo_task_book,
    build_world,
)
from portal.models import User
from portal.scoping import scopes_disabled


class Command(BaseCommand):
    help = (
        "Load the demo bureaus, organizations and persona users (idempotent) and print the logins."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production", action="store_true", help="Load even with DEBUG off."
        )

    def handle(self, *args, allow_production: bool = False, **options):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "Refusing to load demo users with DEBUG off; pass --allow-production."
            )
        # The seed acts as the portal itself, across every tenant.
        with scopes_disabled():
            if User.objects.filter(username="operator").exists():
                self.stdout.write("Demo data is already loaded.")
            else:
                with transaction.atomic():
                    world = build_world()
                    build_demo_calls(world)
                    build_demo_pilot(world)
                    build_demo_dashboard(world)
                    build_demo_task_book(world)
                    enrol_demo_staff()
                self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        self.stdout.write(f"\nDemo logins (password for all: {DEMO_PASSWORD})")
        for persona in PERSONAS:
            self.stdout.write(f"  {persona.username:<17} {persona.description}")
        self.stdout.write(
            "\nStaff, experts and the operator then type a second-factor code: their demo "
            "authenticator's current code is printed by `python manage.py demo_code <login>`."
        )
