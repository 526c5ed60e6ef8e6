"""What the audit page calls this app's actions (codes are stable; labels are translations)."""

from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from portal import audit

from .models import Application


def register() -> None:
    audit.register_actions(
        {
            "call_created": _("call created"),
            "call_updated": _("call updated"),
            "call_published": _("call published"),
            "call_closed": _("call closed"),
            "template_cloned": _("template cloned"),
            "template_updated": _("template updated"),
            "application_started": _("application book started"),
            # Every status an application book moves to is recorded as application_<status>.
            **{
                f"application_{code}": format_lazy("{}: {}", _("application book"), label)
                for code, label in Application.Status.choices
            },
        }
    )
