from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo world: bureaus, organizations, personas, calls and a pilot for `make run` and the
    test personas. It sits above every app and nothing imports it but its command and tests."""

    name = "demo"
    verbose_name = _("Demo data")
