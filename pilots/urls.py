from django.urls import path

from . import views

urlpatterns = [
    path("pilots/enterprises/", views.enterprise_list, name="enterprise-list"),
    path("pilots/enterprises/import/", views.enterprise_import, name="enterprise-import"),
    path("pilots/enterprises/new/", views.enterprise_enrol, name="enterprise-enrol"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/", views.enterprise_detail, name="enterprise-detail"
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/file/<slug:part_key>/",
        views.file_part,
        name="enterprise-file-part",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/assessments/<slug:stage>/<slug:kind>/",
        views.assessment_form,
        name="assessment-form",
    ),
    path("pilots/enterprises/<int:enterprise_pk>/task-book/", views.task_book, name="task-book"),
    path("pilots/enterprises/<int:enterprise_pk>/contract/", views.contract, name="contract"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/task-book/sign/",
        views.task_book_sign,
        name="task-book-sign",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/task-book.pdf",
        views.enterprise_pdf,
        {"kind": "task_book"},
        name="task-book-pdf",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/file.pdf",
        views.enterprise_pdf,
        {"kind": "enterprise_file"},
        name="enterprise-file-pdf",
    ),
    path("pilots/progress/", views.progress, name="pilot-progress"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/complete/",
        views.enterprise_action,
        {"action": "complete"},
        name="enterprise-complete",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/acceptance/",
        views.enterprise_action,
        {"action": "apply"},
        name="acceptance-apply",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/acceptance/decision/",
        views.enterprise_action,
        {"action": "decide"},
        name="acceptance-decide",
    ),
    path("pilots/leading-units/", views.leading_units, name="leading-units"),
    path("pilots/alliances/<int:alliance_pk>/", views.alliance_detail, name="alliance-detail"),
    path("pilots/providers/", views.providers, name="providers"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/acceptance-material/",
        views.acceptance_material,
        name="acceptance-material",
    ),
    path(
        "pilots/alliance-changes/<int:change_pk>/materials/<str:material>/",
        views.alliance_change_material,
        name="alliance-change-material",
    ),
    path("pilots/demand-lists/", views.demand_lists, name="demand-lists"),
    path("pilots/demand-lists/<int:list_pk>/", views.demand_list, name="demand-list"),
    path("pilots/choose/", views.choose_leading_unit, name="choose-leading-unit"),
    path(
        "pilots/requests/<int:request_pk>/",
        views.enrolment_request_decide,
        name="enrolment-request-decide",
    ),
    path("pilots/programmes/", views.programme_list, name="programme-list"),
    path("pilots/programmes/<int:programme_pk>/", views.programme_detail, name="programme-detail"),
]
