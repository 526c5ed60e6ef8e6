from django.urls import path

from .views import attachments, books, calls, templates

urlpatterns = [
    path("calls/", calls.call_list, name="call-list"),
    path("calls/new/", calls.call_create, name="call-create"),
    path("calls/<int:call_pk>/", calls.call_detail, name="call-detail"),
    path("calls/<int:call_pk>/edit/", calls.call_edit, name="call-edit"),
    path(
        "calls/<int:call_pk>/publish/",
        calls.call_transition,
        {"action": "publish"},
        name="call-publish",
    ),
    path(
        "calls/<int:call_pk>/close/", calls.call_transition, {"action": "close"}, name="call-close"
    ),
    path("calls/<int:call_pk>/apply/", books.application_start, name="application-start"),
    path(
        "calls/<int:call_pk>/recommendations.xlsx",
        calls.call_recommendations_export,
        name="call-recommendations",
    ),
    path("templates/", templates.template_list, name="template-list"),
    path("templates/<int:template_pk>/", templates.template_detail, name="template-detail"),
    path("templates/<int:template_pk>/clone/", templates.template_clone, name="template-clone"),
    path("templates/<int:template_pk>/edit/", templates.template_edit, name="template-edit"),
    path("my/applications/", books.my_applications, name="my-applications"),
    path("applications/", books.staff_applications, name="staff-applications"),
    path("applications/<int:application_pk>/", books.application_detail, name="application-detail"),
    path(
        "applications/<int:application_pk>/book/", books.application_book, name="application-book"
    ),
    path(
        "applications/<int:application_pk>/sections/<slug:section_key>/",
        books.application_section,
        name="application-section",
    ),
    path(
        "applications/<int:application_pk>/attachments/",
        attachments.attachment_upload,
        name="attachment-upload",
    ),
    path(
        "applications/<int:application_pk>/attachments/<int:attachment_pk>/",
        attachments.attachment_download,
        name="attachment-download",
    ),
    path(
        "applications/<int:application_pk>/attachments/<int:attachment_pk>/delete/",
        attachments.attachment_delete,
        name="attachment-delete",
    ),
    path(
        "applications/<int:application_pk>/submit/",
        books.application_action,
        {"action": "submit"},
        name="application-submit",
    ),
    path(
        "applications/<int:application_pk>/withdraw/",
        books.application_action,
        {"action": "withdraw"},
        name="application-withdraw",
    ),
    path(
        "applications/<int:application_pk>/correction/",
        books.application_action,
        {"action": "correction"},
        name="application-correction",
    ),
    path(
        "applications/<int:application_pk>/recommend/",
        books.application_action,
        {"action": "recommend"},
        name="application-recommend",
    ),
    path(
        "applications/<int:application_pk>/book.docx",
        books.application_docx,
        name="application-docx",
    ),
    path(
        "applications/<int:application_pk>/pdf/",
        books.application_bundle,
        name="application-bundle",
    ),
]
