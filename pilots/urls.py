from django.urls import path

from .views import (
    alliances,
    catalogue,
    enrolment,
    funds,
    programme_evaluations,
    programmes,
    records,
    transformation,
)

urlpatterns = [
    path("pilots/enterprises/", enrolment.enterprise_list, name="enterprise-list"),
    path("pilots/enterprises/import/", enrolment.enterprise_import, name="enterprise-import"),
    path("pilots/enterprises/new/", enrolment.enterprise_enrol, name="enterprise-enrol"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/",
        records.enterprise_detail,
        name="enterprise-detail",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/file/<slug:part_key>/",
        records.file_part,
        name="enterprise-file-part",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/assessments/<slug:stage>/<slug:kind>/",
        records.assessment_form,
        name="assessment-form",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/task-book/",
        transformation.task_book,
        name="task-book",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/contract/", transformation.contract, name="contract"
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/task-book/sign/",
        transformation.task_book_sign,
        name="task-book-sign",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/task-book.pdf",
        records.enterprise_pdf,
        {"kind": "task_book"},
        name="task-book-pdf",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/file.pdf",
        records.enterprise_pdf,
        {"kind": "enterprise_file"},
        name="enterprise-file-pdf",
    ),
    path("pilots/progress/", programmes.progress, name="pilot-progress"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/complete/",
        transformation.enterprise_action,
        {"action": "complete"},
        name="enterprise-complete",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/acceptance/",
        transformation.enterprise_action,
        {"action": "apply"},
        name="acceptance-apply",
    ),
    path(
        "pilots/enterprises/<int:enterprise_pk>/acceptance/decision/",
        transformation.enterprise_action,
        {"action": "decide"},
        name="acceptance-decide",
    ),
    path("pilots/leading-units/", alliances.leading_units, name="leading-units"),
    path(
        "pilots/leading-units/<int:unit_pk>/relocation/",
        alliances.unit_relocation,
        name="unit-relocation",
    ),
    path("pilots/alliances/<int:alliance_pk>/", alliances.alliance_detail, name="alliance-detail"),
    path("pilots/providers/", catalogue.providers, name="providers"),
    path(
        "pilots/enterprises/<int:enterprise_pk>/acceptance-material/",
        transformation.acceptance_material,
        name="acceptance-material",
    ),
    path(
        "pilots/alliance-changes/<int:change_pk>/materials/<str:material>/",
        alliances.alliance_change_material,
        name="alliance-change-material",
    ),
    path("pilots/demand-lists/", catalogue.demand_lists, name="demand-lists"),
    path("pilots/demand-lists/<int:list_pk>/", catalogue.demand_list, name="demand-list"),
    path("pilots/choose/", enrolment.choose_leading_unit, name="choose-leading-unit"),
    path(
        "pilots/requests/<int:request_pk>/",
        enrolment.enrolment_request_decide,
        name="enrolment-request-decide",
    ),
    path("pilots/programmes/", programmes.programme_list, name="programme-list"),
    path(
        "pilots/programmes/<int:programme_pk>/",
        programmes.programme_detail,
        name="programme-detail",
    ),
    path(
        "pilots/programmes/<int:programme_pk>/evaluations/",
        programme_evaluations.programme_evaluations,
        name="programme-evaluations",
    ),
    path(
        "pilots/programmes/<int:programme_pk>/funds/",
        funds.programme_funds,
        name="programme-funds",
    ),
    path(
        "pilots/programmes/<int:programme_pk>/funds/split/",
        funds.programme_fund_split,
        name="programme-fund-split",
    ),
    path(
        "pilots/programmes/<int:programme_pk>/funds/uses/export/",
        funds.programme_fund_uses_export,
        name="programme-fund-uses-export",
    ),
]
