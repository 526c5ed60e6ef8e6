from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from . import (
    document_views,
    export_views,
    import_views,
    inbox_views,
    member_views,
    my_data_views,
    ratelimit,
    security_views,
    token_views,
    views,
)
from .api import registry as api_registry
from .forms import LoginForm

urlpatterns = [
    path("", views.home, name="home"),
    path(
        "accounts/login/",
        ratelimit.limited(
            ratelimit.Rule("login_ip", ratelimit.client_address),
            ratelimit.Rule("login_account", ratelimit.posted_username),
        )(
            auth_views.LoginView.as_view(
                authentication_form=LoginForm, redirect_authenticated_user=True
            )
        ),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", views.PasswordChangeView.as_view(), name="password-change"),
    path(
        "accounts/two-factor/verify/",
        security_views.two_factor_verify,
        name="two-factor-verify",
    ),
    path(
        "accounts/two-factor/setup/",
        security_views.two_factor_setup,
        name="two-factor-setup",
    ),
    path("accounts/two-factor/", security_views.two_factor_manage, name="two-factor"),
    path("accounts/sessions/", security_views.session_list, name="account-sessions"),
    path("accounts/my-data/", my_data_views.my_data, name="my-data"),
    path("register/", views.register, name="register"),
    path("organizations/", views.organization_list, name="organization-list"),
    path(
        "organizations/<int:organization_pk>/",
        views.organization_detail,
        name="organization-detail",
    ),
    path(
        "organizations/<int:organization_pk>/edit/",
        views.organization_edit,
        name="organization-edit",
    ),
    path("bureaus/", views.bureau_list, name="bureau-list"),
    path("bureaus/<int:bureau_pk>/", views.bureau_detail, name="bureau-detail"),
    path("bureaus/<int:bureau_pk>/seal/", document_views.bureau_seal_upload, name="bureau-seal"),
    path("audit/", views.audit_list, name="audit-list"),
    path("exports/", export_views.export, name="export"),
    path("imports/", import_views.import_page, name="imports"),
    path(
        "organizations/<int:organization_pk>/members/add/",
        member_views.member_add,
        name="organization-member-add",
    ),
    path(
        "organizations/<int:organization_pk>/members/<int:membership_pk>/role/",
        member_views.member_role,
        name="organization-member-role",
    ),
    path(
        "organizations/<int:organization_pk>/members/<int:membership_pk>/remove/",
        member_views.member_remove,
        name="organization-member-remove",
    ),
    path(
        "organizations/<int:organization_pk>/members/<int:membership_pk>/password/",
        member_views.member_password,
        name="organization-member-password",
    ),
    path("exports/jobs/", export_views.job_list, name="export-jobs"),
    path("exports/jobs/<int:job_pk>/", export_views.job_detail, name="export-job"),
    path("exports/jobs/<int:job_pk>/status/", export_views.job_status, name="export-job-status"),
    path(
        "exports/jobs/<int:job_pk>/download/",
        export_views.job_download,
        name="export-job-download",
    ),
    path(
        "organizations/<int:organization_pk>/seal/",
        document_views.seal_upload,
        name="organization-seal",
    ),
    path("documents/<int:bundle_pk>/", document_views.bundle_download, name="bundle-download"),
    path("documents/<int:bundle_pk>/status/", document_views.bundle_status, name="bundle-status"),
    path("verify/", document_views.verify, name="verify"),
    path("inbox/", inbox_views.inbox, name="inbox"),
    path("inbox/read-all/", inbox_views.inbox_read_all, name="inbox-read-all"),
    path(
        "inbox/preferences/", inbox_views.notification_preferences, name="notification-preferences"
    ),
    path("inbox/<int:notification_pk>/", inbox_views.inbox_open, name="inbox-open"),
    path("deadlines/", inbox_views.deadline_list, name="deadline-list"),
    path("deadlines/policies/", inbox_views.reminder_policies, name="reminder-policies"),
    path("deadlines/<int:deadline_pk>/", inbox_views.deadline_detail, name="deadline-detail"),
    path("", include("applications.urls")),
    path("", include("evaluation.urls")),
    path("", include("pilots.urls")),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", set_language, name="set-language"),
    path("api/v1/", include(api_registry.urlpatterns())),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path(
        "api/docs/",
        SpectacularSwaggerSplitView.as_view(url_name="api-schema"),
        name="api-docs",
    ),
    path("account/tokens/", token_views.token_list, name="token-list"),
    path("account/tokens/<int:token_pk>/revoke/", token_views.token_revoke, name="token-revoke"),
    path("admin/", admin.site.urls),
]

handler400 = "portal.views.error_400"
handler403 = "portal.views.error_403"
handler404 = "portal.views.error_404"
handler500 = "portal.views.error_500"
