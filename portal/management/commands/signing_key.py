"""Make a key and self-signed certificate that sign stamped bundles (``portal.signing``).

``manage.py signing_key`` makes the portal's own (also made on first use); ``--signer
bureau-440700 --common-name 江门市工业和信息化局`` makes one for a bureau that has no certificate
from an authority. A key from an authority is configured by copying its two PEM files into
``PORTAL_SIGNING_DIR`` under the same names instead.
"""

import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from portal import signing

SIGNER = re.compile(r"^(portal|bureau-\d{6}|organization-[0-9A-Z]{18})$")


class Command(BaseCommand):
    help = "Make a signing key and self-signed certificate for stamped PDF bundles."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--signer", default=signing.PORTAL_SIGNER)
        parser.add_argument("--common-name", default="SME Digital Transformation Pilot Portal")
        parser.add_argument("--force", action="store_true", help="replace an existing key")

    def handle(self, *args: Any, **options: Any) -> None:
        name = options["signer"]
        if not SIGNER.match(name):
            raise CommandError(
                "--signer is portal, bureau-<6-digit division code> or "
                "organization-<18-character unified social credit code>"
            )
        if (signing.signing_dir() / f"{name}.key.pem").exists() and not options["force"]:
            raise CommandError(f"{name} already has a key; --force replaces it")
        key, certificate = signing.make_key(name, common_name=options["common_name"])
        self.stdout.write(f"{key}\n{certificate}")
