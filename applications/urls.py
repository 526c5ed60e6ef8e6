from django.urls import path

from . import views

urlpatterns = [
    path("calls/", views.call_list, name="call-list"),
    path("calls/new/", views.call_create, name="call-create"),
    path("calls/<int:call_pk>/", views.call_detail, name="call-detail"),
    path("calls/<int:call_pk>/edit/", views.call_edit, name="call-edit"),
    path(
        "calls/<int:call_pk>/publish/",
        views.call_transition,
        {"action": "publish"},
        name="call-publish",
    ),
    path(
        "calls/<int:call_pk>/close/", views.call_transition, {"action": "close"}, name="call-close"
    ),
    path("calls/<int:call_pk>/apply/", views.application_start, name="application-start"),
    path(
        "calls/<int:call_pk>/recommendations.xlsx",
        views.call_recommendations_export,
        name="call-recommendations",
    ),
    path("templates/", views.template_list, name="template-list"),
    path("templates/<int:template_pk>/", views.template_detail, name="template-detail"),
    path("templates/<int:template_pk>/clone/", views.template_clone, name="template-clone"),
    path("templates/<int:template_pk>/edit/", views.template_edit, name="template-edit"),
    path("my/applications/", views.my_applications, name="my-applications"),
    path("applications/", views.staff_applications, name="staff-applications"),
    path("applications/<int:application_pk>/", views.application_detail, name="application-detail"),
    path(
        "applications/<int:application_pk>/book/", views.application_book, name="application-book"
    ),
    path(
        "applications/<int:application_pk>/sections/<slug:section_key>/",
        views.application_section,
        name="application-section",
    ),
    path(
        "applications/<int:application_pk>/attachments/",
        views.attachment_upload,
        name="attachment-upload",
    ),
    path(
        "applications/<int:application_pk>/attachments/<int:attachment_pk>/",
        views.attachment_download,
        name="attachment-download",
    ),
    path(
        "applications/<int:application_pk>/attachments/<int:attachment_pk>/delete/",
        views.attachment_delete,
        name="attachment-delete",
    ),
    path(
        "applications/<int:application_pk>/submit/",
        views.application_action,
        {"action": "submit"},
        name="application-submit",
    ),
    path(
        "applications/<int:application_pk>/withdraw/",
        views.application_action,
        {"action": "withdraw"},
        name="application-withdraw",
    ),
    path(
        "applications/<int:application_pk>/correction/",
        views.application_action,
        {"action": "correction"},
        name="application-correction",
    ),
    path(
        "applications/<int:application_pk>/recommend/",
        views.application_action,
        {"action": "recommend"},
        name="application-recommend",
    ),
    path(
        "applications/<int:application_pk>/book.docx",
        views.application_docx,
        name="application-docx",
    ),
    path(
        "applications/<int:application_pk>/pdf/",
        views.application_bundle,
        name="application-bundle",
    ),
]
