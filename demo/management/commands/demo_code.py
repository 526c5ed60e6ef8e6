from django.core.management.base import BaseCommand, CommandError

from demo.two_factor import current_code


class Command(BaseCommand):
    help = "Print the current second-factor code of a demo staff login (demo authenticators only)."

    def add_arguments(self, parser):
        parser.add_argument("username")

    def handle(self, *args, username: str, **options):
        code = current_code(username)
        if code is None:
            raise CommandError(f"{username} has no demo authenticator.")
        self.stdout.write(code)
