from django.urls import path

from . import dashboard_views, expert_views, performance_views, report_views, views

urlpatterns = [
    path("experts/", expert_views.expert_pool, name="expert-pool"),
    path("experts/add/", expert_views.expert_add, name="expert-add"),
    path("experts/<int:expert_pk>/remove/", expert_views.expert_remove, name="expert-remove"),
    path("reports/", report_views.report_list, name="report-list"),
    path("reports/pdf/", report_views.report_pdf, name="report-pdf"),
    path("calls/<int:call_pk>/review/", views.review_desk, name="review-desk"),
    path("calls/<int:call_pk>/review/formal/", views.formal_pass, name="formal-pass"),
    path("calls/<int:call_pk>/review/rounds/", views.round_create, name="round-create"),
    path("calls/<int:call_pk>/review/publicity/", views.publicity_create, name="publicity-create"),
    path("rounds/<int:round_pk>/", views.round_detail, name="round-detail"),
    path("rounds/<int:round_pk>/fill/", views.round_action, {"action": "fill"}, name="round-fill"),
    path(
        "rounds/<int:round_pk>/assign/",
        views.round_action,
        {"action": "assign"},
        name="round-assign",
    ),
    path(
        "rounds/<int:round_pk>/close/", views.round_action, {"action": "close"}, name="round-close"
    ),
    path(
        "rounds/<int:round_pk>/propose/",
        views.round_action,
        {"action": "propose"},
        name="round-propose",
    ),
    path("rounds/<int:round_pk>/ranking/", views.round_ranking, name="round-ranking"),
    path(
        "rounds/<int:round_pk>/ranking.xlsx",
        views.round_ranking_export,
        name="round-ranking-export",
    ),
    path("rounds/<int:round_pk>/sheets/<int:sheet_pk>/", views.sheet_detail, name="sheet-detail"),
    path("reviews/", views.my_reviews, name="my-reviews"),
    path("reviews/<int:assignment_pk>/", views.review_sheet, name="review-sheet"),
    path("publicity/", views.publicity_list, name="publicity-list"),
    path("publicity/<int:publicity_pk>/", views.publicity_detail, name="publicity-detail"),
    path(
        "publicity/<int:publicity_pk>/publish/",
        views.publicity_action,
        {"action": "publish"},
        name="publicity-publish",
    ),
    path(
        "publicity/<int:publicity_pk>/finalise/",
        views.publicity_action,
        {"action": "finalise"},
        name="publicity-finalise",
    ),
    path(
        "publicity/<int:publicity_pk>/objections/",
        views.publicity_action,
        {"action": "objection"},
        name="publicity-objection",
    ),
    path("rounds/<int:round_pk>/ranking.pdf", views.round_ranking_pdf, name="round-ranking-pdf"),
    path("publicity/<int:publicity_pk>/pdf/", views.publicity_pdf, name="publicity-pdf"),
    # leading units' performance (004 §3, §4) and satisfaction (002 §三.3)
    path("performance/", performance_views.performance_units, name="performance-units"),
    path(
        "performance/units/<int:unit_pk>/",
        performance_views.performance_unit,
        name="performance-unit",
    ),
    path(
        "performance/units/<int:unit_pk>/evaluate/",
        performance_views.performance_evaluate,
        name="performance-evaluate",
    ),
    path(
        "performance/reports/<int:report_pk>/evidence/",
        performance_views.report_evidence,
        name="performance-report-evidence",
    ),
    path(
        "performance/sanctions/<int:sanction_pk>/evidence/",
        performance_views.sanction_evidence,
        name="performance-sanction-evidence",
    ),
    path(
        "performance/satisfaction/",
        performance_views.satisfaction,
        name="performance-satisfaction",
    ),
]
urlpatterns += [
    # dashboards of a bureau's area and the meeting-room cockpit (issue 12)
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/cockpit/", dashboard_views.cockpit, name="dashboard-cockpit"),
    path(
        "dashboard/cockpit/figures/",
        dashboard_views.cockpit_figures,
        name="dashboard-cockpit-figures",
    ),
]
