import os
import secrets
import subprocess
import sys

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command

from demo.world import DEMO_PASSWORD, PERSONAS
from tests.conftest import needs_second_factor, pass_second_factor


def test_check_deploy_is_clean_with_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "portal.example.gov.cn",
        "PORTAL_VAR_DIR": str(tmp_path),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path):
    env = {**os.environ, "DJANGO_DEBUG": "0", "PORTAL_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SECRET_KEY", None)
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=django_settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0 and "DJANGO_SECRET_KEY" in result.stderr


# What each persona's home page must say (the page tells them what to do next).
HOME_MARKERS = {
    "operator": "门户运行",
    "gd_manager": "广东省工业和信息化厅",
    "jm_admin": "江门市工业和信息化局",
    "jm_manager": "查看辖区内已注册的单位",
    "jm_reviewer": "江门市工业和信息化局",
    "pj_manager": "江门市蓬江区工业和信息化局",
    "jh_manager": "江门市江海区工业和信息化局",
    "gz_admin": "广州市工业和信息化局",
    "gz_manager": "广州市工业和信息化局",
    "js_manager": "江苏省工业和信息化厅",
    "wj_manager": "常州市武进区工业和信息化局",
    "pj_applicant": "江门市蓬江区华程机电有限公司",
    "pj_member": "江门市蓬江区华程机电有限公司",
    "jm_leader_admin": "江门市数智链科技有限公司",
    "jh_applicant": "江门市江海区锦达五金制品有限公司",
    "gz_applicant": "广州市天河区云图工业软件有限公司",
    "wj_applicant": "常州市武进区恒力智能装备有限公司",
    "jm_institute_admin": "江门市工业技术研究院",
    "wj_centre_admin": "常州市武进区中小企业发展服务中心",
    "expert_li": "评审专家库",
    "expert_wang": "评审专家库",
    "expert_zhao": "评审专家库",
    "expert_chen": "评审专家库",
    "expert_sun": "评审专家库",
}


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_every_demo_login_lands_on_its_home(client, capsys, settings):
    settings.DEBUG = True  # as under `make run`
    call_command("seed_demo")
    call_command("seed_demo")
    out = capsys.readouterr().out
    assert "Demo data is already loaded." in out and DEMO_PASSWORD in out
    assert set(HOME_MARKERS) == {p.username for p in PERSONAS}
    for persona in PERSONAS:
        client.logout()
        response = client.post(
            "/accounts/login/",
            {"username": persona.username, "password": DEMO_PASSWORD},
            follow=True,
        )
        from portal.models import User

        user = User.objects.get(username=persona.username)
        if needs_second_factor(user):  # staff then type the code from their phone
            response = pass_second_factor(client, user)
        body = response.content.decode()
        assert response.redirect_chain[-1][0] == "/", persona.username
        assert HOME_MARKERS[persona.username] in body, persona.username


@pytest.mark.django_db
def test_the_demo_deadline_puts_a_message_in_the_inbox(client, settings):
    """What `make run` shows within a minute: the beat's reminder job, without Redis."""
    from portal import deadlines
    from portal.models import Notification, User

    settings.DEBUG = True
    call_command("seed_demo")
    deadlines.plan_reminders()
    deadlines.send_pending(worker="demo")
    applicant = User.objects.get(username="pj_applicant")
    assert Notification.objects.filter(user=applicant, kind="call_close").count() == 1
    client.force_login(applicant)
    assert "还有 2 天截止" in client.get("/inbox/").content.decode()


@pytest.mark.django_db
def test_the_demo_has_a_pilot_to_look_at(client, settings):
    """After `make run` the leading unit has enterprises in two counties; each county sees its own
    enterprises and its provider list, and the sibling county sees neither."""
    from portal.models import User

    settings.DEBUG = True
    call_command("seed_demo")
    client.force_login(User.objects.get(username="jm_leader_admin"))
    page = client.get("/pilots/enterprises/").content.decode()
    assert "江门市蓬江区华程机电有限公司" in page and "江门市江海区锦达五金制品有限公司" in page
    client.force_login(User.objects.get(username="pj_manager"))
    page = client.get("/pilots/enterprises/").content.decode()
    assert "恒信五金厂" in page and "锦达五金" not in page
    assert "设备联网数采盒" in client.get("/pilots/providers/").content.decode()
    client.force_login(User.objects.get(username="jh_manager"))
    assert "设备联网数采盒" not in client.get("/pilots/providers/").content.decode()
    # The Pengjiang enterprise's task book (002 附3) is drawn up and signed by the three parties.
    from pilots.models import PilotEnterprise
    from portal.scoping import scopes_disabled

    with scopes_disabled():
        enterprise = PilotEnterprise.objects.get(organization__name="江门市蓬江区华程机电有限公司")
        book = enterprise.task_book
        assert book.bank_account_number and book.signatures.count() == 3
    client.force_login(User.objects.get(username="pj_manager"))
    page = client.get(f"/pilots/enterprises/{enterprise.pk}/").content.decode()
    assert "华程机电冲压车间设备数采与质检数字化改造项目" in page and "三方已签署" in page


def test_the_file_broker_keeps_its_state_under_var(tmp_path):
    """The first-run broker's exchange table lives under var/, not in the checkout (./control)."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "CELERY_BROKER_URL"}
    env |= {"PORTAL_VAR_DIR": str(tmp_path), "DJANGO_SETTINGS_MODULE": "portal.settings"}
    printed = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json; from django.conf import settings; "
            "print(json.dumps(settings.CELERY_BROKER_TRANSPORT_OPTIONS))",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    options = json.loads(printed)
    for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
        assert options[key].startswith(str(tmp_path)), key


@pytest.mark.django_db
def test_the_demo_programme_shows_its_evaluations_and_funds(client, settings):
    """After `make run` the city and the province see Jiangmen's programme with its first tranche,
    its fund uses and the split, and its passed mid-term evaluation (003 §四, §五)."""
    from pilots.models import PilotProgramme
    from portal.models import User
    from portal.scoping import scopes_disabled

    settings.DEBUG = True
    call_command("seed_demo")
    with scopes_disabled():
        programme = PilotProgramme.objects.get(name__endswith="（演示）")
    for username in ("jm_manager", "gd_manager"):
        client.force_login(User.objects.get(username=username))
        funds = client.get(f"/pilots/programmes/{programme.pk}/funds/").content.decode()
        assert "2400.00" in funds and "行业平台" in funds and "376.00" in funds
        evaluations = client.get(f"/pilots/programmes/{programme.pk}/evaluations/")
        assert "中期绩效评价通过" in evaluations.content.decode()
    client.force_login(User.objects.get(username="gz_manager"))
    assert client.get(f"/pilots/programmes/{programme.pk}/funds/").status_code == 404


def test_make_run_serves_on_the_port_asked_for(tmp_path):
    """`make run PORT=8100` passes the port to scripts/run-dev, which serves on it."""
    import os
    import shutil
    import stat
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    (tmp_path / "scripts").mkdir()
    shutil.copy(root / "scripts" / "run-dev", tmp_path / "scripts" / "run-dev")
    bin_dir = tmp_path / ".venv" / "bin"
    bin_dir.mkdir(parents=True)
    log = tmp_path / "calls.log"
    for name in ("celery", "python"):
        stub = bin_dir / name
        stub.write_text(f'#!/usr/bin/env bash\necho "{name} $*" >> "{log}"\n', encoding="utf-8")
        stub.chmod(stub.stat().st_mode | stat.S_IEXEC)
    subprocess.run(
        [str(tmp_path / "scripts" / "run-dev")],
        env={**os.environ, "PORT": "8123"},
        check=True,
        capture_output=True,
        timeout=30,
    )
    assert "python manage.py runserver 127.0.0.1:8123" in log.read_text(encoding="utf-8")
    makefile = (root / "Makefile").read_text(encoding="utf-8")
    assert "PORT=$(PORT) scripts/run-dev" in makefile


@pytest.mark.django_db
def test_the_demo_has_an_open_benchmark_city_plan_and_county_plan_call_with_books_to_work_on(
    client, settings
):
    """One open call of each seed's kind (001, 003, 002 附1), with books a newcomer can take on:
    a recommended benchmark book and a draft, a submitted city plan, a county plan short of one
    upload."""
    from django.utils import timezone

    from applications.models import Application, Call
    from applications.selectors import answers_of, attachment_counts, book_for
    from portal.models import User
    from portal.scoping import scopes_disabled

    settings.DEBUG = True
    call_command("seed_demo")
    now = timezone.now()

    def book(kind, organization):
        call = Call.objects.get(kind=kind, status="published", closes_at__gt=now)
        application = Application.objects.get(call=call, organization__name=organization)
        per_section, cross = book_for(application).check(
            answers_of(application), attachment_counts(application)
        )
        return call, application, [i for issues in per_section.values() for i in issues] + cross

    with scopes_disabled():
        call, recommended, issues = book("benchmark", "江门市江海区锦达五金制品有限公司")
        assert recommended.status == "recommended" and issues == []
        _call, draft, issues = book("benchmark", "江门市蓬江区华程机电有限公司")
        assert draft.status == "draft" and issues  # the applicant still has parts to fill
        city_call, plan, issues = book("city_plan", "江门市工业技术研究院")
        assert plan.status == "submitted" and issues == []
        _county, county_plan, issues = book("county_plan", "常州市武进区中小企业发展服务中心")
        assert county_plan.status == "draft"
        assert [(i.section, i.field) for i in issues] == [("materials", "stamped_plan")]
    # The province sees Jiangmen's plan to review; the Wujin applicant opens its own draft.
    client.force_login(User.objects.get(username="gd_manager"))
    assert (
        "江门市工业技术研究院" in client.get(f"/applications/?call={city_call.pk}").content.decode()
    )
    client.force_login(User.objects.get(username="wj_centre_admin"))
    assert client.get(f"/applications/{county_plan.pk}/").status_code == 200


@pytest.mark.django_db
@pytest.mark.second_factor_pending
def test_a_demo_staff_login_passes_the_second_step_with_the_code_demo_code_prints(client, settings):
    """A first visitor of `make run` has no authenticator app: the demo's staff come enrolled and
    `manage.py demo_code` shows the code; it shows none for a real enrolment."""
    import io

    from django.core.management.base import CommandError
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from portal.models import User

    settings.DEBUG = True
    call_command("seed_demo")
    client.post("/accounts/login/", {"username": "jm_manager", "password": DEMO_PASSWORD})
    assert client.get("/", follow=True).redirect_chain[-1][0].startswith("/accounts/two-factor/")
    out = io.StringIO()
    call_command("demo_code", "jm_manager", stdout=out)
    code = out.getvalue().strip()
    assert code.isdigit() and len(code) == 6
    response = client.post(
        "/accounts/two-factor/verify/", {"token": code, "next": "/"}, follow=True
    )
    assert response.redirect_chain[-1][0] == "/"
    assert HOME_MARKERS["jm_manager"] in response.content.decode()
    with pytest.raises(CommandError):
        call_command("demo_code", "pj_applicant")  # an enterprise user: no demo device
    real = User.objects.get(username="pj_applicant")
    TOTPDevice.objects.create(user=real, name="authenticator", confirmed=True)
    with pytest.raises(CommandError):
        call_command("demo_code", "pj_applicant")  # a real enrolment's code is never shown


def test_the_first_run_migrates_and_seeds_its_embedded_sqlite_file(tmp_path):
    """`make run` on a fresh machine: no DATABASE_URL, so every migration (including data
    migrations written as SQL) runs on SQLite, and the demo loads into it."""
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL")}
    env |= {"PORTAL_VAR_DIR": str(tmp_path), "DJANGO_DEBUG": "1"}
    for command in (["migrate", "--noinput"], ["seed_demo"]):
        result = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=django_settings.BASE_DIR,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-4000:]
    assert "Demo data loaded." in result.stdout
    assert (tmp_path / "portal.sqlite3").stat().st_size > 0
