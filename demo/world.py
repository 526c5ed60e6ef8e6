"""The demo world: bureaus from the seeds' regions, organizations and a user for every persona.

One builder serves ``manage.py seed_demo`` (``make run``) and the test suite's personas, so the
people a newcomer logs in as are the people the tests check. Division codes are GB/T 2260;
the regions come from the seeds (000/001 Jiangmen, 003 Guangdong, 004 Guangzhou, 002 Jiangsu).
Organization names are invented; their codes are valid GB 32100-2015 codes made for the demo.
"""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from evaluation.models import ExpertProfile
from portal.models import Bureau, Organization, Role, User
from portal.services import bureau_create, membership_grant
from portal.uscc import with_check_digit

DEMO_PASSWORD = "Pilot@2025"  # noqa: S105 - printed for the demo logins; never in production data


@dataclass
class Persona:
    username: str
    full_name: str
    role: str
    target: str  # key of a bureau or organization in the world
    description: str


# (key, division code, level, name, region, parent key)
BUREAUS = [
    ("gd", "440000", "province", "广东省工业和信息化厅", "广东省", None),
    ("jm", "440700", "city", "江门市工业和信息化局", "江门市", "gd"),
    ("pj", "440703", "county", "江门市蓬江区工业和信息化局", "蓬江区", "jm"),
    ("jh", "440704", "county", "江门市江海区工业和信息化局", "江海区", "jm"),
    ("xh", "440705", "county", "江门市新会区工业和信息化局", "新会区", "jm"),
    ("gz", "440100", "city", "广州市工业和信息化局", "广州市", "gd"),
    ("th", "440106", "county", "广州市天河区工业和信息化局", "天河区", "gz"),
    ("py", "440113", "county", "广州市番禺区工业和信息化局", "番禺区", "gz"),
    ("js", "320000", "province", "江苏省工业和信息化厅", "江苏省", None),
    ("cz", "320400", "city", "常州市工业和信息化局", "常州市", "js"),
    ("wj", "320412", "county", "常州市武进区工业和信息化局", "武进区", "cz"),
]
FINANCE_BUREAUS = [("gd_finance", "440000", "province", "广东省财政厅", "广东省", None)]

# (key, first 17 characters of the USCC, name, kind, home bureau key)
ORGANIZATIONS = [
    ("pj_maker", "91440703MA4W7K2P3", "江门市蓬江区华程机电有限公司", "enterprise", "pj"),
    ("jh_maker", "91440704MA53Q8R1X", "江门市江海区锦达五金制品有限公司", "enterprise", "jh"),
    ("jm_leader", "91440700MA4UJ5T0L", "江门市数智链科技有限公司", "enterprise", "jm"),
    ("jm_institute", "12440700MB2C34781", "江门市工业技术研究院", "institution", "jm"),
    ("gz_maker", "91440106MA5CK9N2Y", "广州市天河区云图工业软件有限公司", "enterprise", "th"),
    ("wj_maker", "91320412MA1N6X8B4", "常州市武进区恒力智能装备有限公司", "enterprise", "wj"),
    ("xh_association", "Y1440705MJ0123456", "新会区智能制造产业协会", "association", "xh"),
    # Applies for the county pilot on the county's behalf (002 附1).
    ("wj_centre", "12320412MB1K5G7X3", "常州市武进区中小企业发展服务中心", "institution", "wj"),
]

PERSONAS = [
    Persona("operator", "系统运维", Role.OPERATOR, "", "portal operator"),
    Persona(
        "gd_manager", "广东省厅 陈处长", Role.BUREAU_MANAGER, "gd", "province staff (Guangdong)"
    ),
    Persona("jm_admin", "江门市局 管理员", Role.BUREAU_ADMIN, "jm", "city bureau admin (Jiangmen)"),
    Persona("jm_manager", "江门市局 李科长", Role.BUREAU_MANAGER, "jm", "city staff (Jiangmen)"),
    Persona(
        "jm_reviewer", "江门市局 王科员", Role.BUREAU_REVIEWER, "jm", "city reviewer (Jiangmen)"
    ),
    Persona("pj_manager", "蓬江区局 赵股长", Role.BUREAU_MANAGER, "pj", "county staff (Pengjiang)"),
    Persona("jh_manager", "江海区局 周股长", Role.BUREAU_MANAGER, "jh", "county staff (Jianghai)"),
    Persona(
        "gz_admin", "广州市局 管理员", Role.BUREAU_ADMIN, "gz", "city bureau admin (Guangzhou)"
    ),
    Persona("gz_manager", "广州市局 黄科长", Role.BUREAU_MANAGER, "gz", "city staff (Guangzhou)"),
    Persona("js_manager", "江苏省厅 吴处长", Role.BUREAU_MANAGER, "js", "province staff (Jiangsu)"),
    Persona("wj_manager", "武进区局 钱股长", Role.BUREAU_MANAGER, "wj", "county staff (Wujin)"),
    Persona(
        "pj_applicant",
        "华程机电 张经理",
        Role.ORG_ADMIN,
        "pj_maker",
        "applicant admin (Pengjiang enterprise)",
    ),
    Persona(
        "pj_member",
        "华程机电 刘专员",
        Role.ORG_MEMBER,
        "pj_maker",
        "applicant member (Pengjiang enterprise)",
    ),
    Persona(
        "jm_leader_admin",
        "数智链 孙总",
        Role.ORG_ADMIN,
        "jm_leader",
        "applicant admin (Jiangmen leading-unit candidate)",
    ),
    Persona(
        "jh_applicant",
        "锦达五金 何经理",
        Role.ORG_ADMIN,
        "jh_maker",
        "applicant admin (Jianghai enterprise)",
    ),
    Persona(
        "gz_applicant",
        "云图软件 林经理",
        Role.ORG_ADMIN,
        "gz_maker",
        "applicant admin (Guangzhou enterprise)",
    ),
    Persona(
        "wj_applicant",
        "恒力装备 徐经理",
        Role.ORG_ADMIN,
        "wj_maker",
        "applicant admin (Wujin enterprise)",
    ),
    Persona(
        "jm_institute_admin",
        "工研院 郑主任",
        Role.ORG_ADMIN,
        "jm_institute",
        "applicant admin (Jiangmen's city-pilot plan, 003)",
    ),
    Persona(
        "wj_centre_admin",
        "武进中小企业服务中心 冯主任",
        Role.ORG_ADMIN,
        "wj_centre",
        "applicant admin (Wujin's county-pilot plan, 002)",
    ),
    Persona("expert_li", "李教授", Role.EXPERT, "jm", "expert in Jiangmen's pool"),
    Persona("expert_wang", "王高工", Role.EXPERT, "jm", "expert in Jiangmen's pool"),
    Persona("expert_zhao", "赵研究员", Role.EXPERT, "jm", "expert in Jiangmen's pool"),
    Persona(
        "expert_chen",
        "陈工程师",
        Role.EXPERT,
        "jm",
        "expert in Jiangmen's pool, employed by an integrator",
    ),
    Persona("expert_sun", "孙教授", Role.EXPERT, "jm", "expert in Jiangmen's pool"),
]

# Where the experts work: expert_chen works for an integrator that appears in demo and test
# alliances, so the portal excludes them from those books by itself.
EXPERT_EMPLOYERS = {
    "expert_li": ("五邑大学", ""),
    "expert_wang": ("江门市工业技术研究院", "12440700MB2C34781"),
    "expert_zhao": ("广东省智能制造研究所", ""),
    "expert_chen": ("江门市集成服务有限公司", "91440703MA4W7K2P1"),
    "expert_sun": ("华南理工大学", ""),
}


@dataclass
class World:
    bureaus: dict[str, Bureau] = field(default_factory=dict)
    organizations: dict[str, Organization] = field(default_factory=dict)
    users: dict[str, User] = field(default_factory=dict)

    def __getattr__(self, key: str):  # world.jm, world.pj_maker, world.jm_manager
        for mapping in (self.bureaus, self.organizations, self.users):
            if key in mapping:
                return mapping[key]
        raise AttributeError(key)


def build_world(*, password: str = DEMO_PASSWORD) -> World:
    """Create the demo world. Must run as the system (inside ``scopes_disabled()``)."""
    world = World()
    for key, code, level, name, region, parent in BUREAUS + FINANCE_BUREAUS:
        department = (
            Bureau.Department.FINANCE if key.endswith("_finance") else Bureau.Department.INDUSTRY
        )
        world.bureaus[key] = bureau_create(
            division_code=code,
            level=level,
            name=name,
            region_name=region,
            parent=world.bureaus[parent] if parent else None,
            department=department,
        )
    for key, first17, name, kind, bureau_key in ORGANIZATIONS:
        world.organizations[key] = Organization.objects.create(
            uscc=with_check_digit(first17),
            name=name,
            kind=kind,
            home_bureau=world.bureaus[bureau_key],
            address=f"{world.bureaus[bureau_key].region_name}示范路1号",
            legal_representative="（演示）",
            contact_name="（演示联系人）",
            contact_phone="13800000000",
        )
    for persona in PERSONAS:
        user = User(username=persona.username, full_name=persona.full_name)
        if persona.role == Role.OPERATOR:
            user.is_staff = user.is_superuser = True
        user.set_password(password)
        user.save()
        world.users[persona.username] = user
        target = world.bureaus.get(persona.target) or world.organizations.get(persona.target)
        if persona.username in EXPERT_EMPLOYERS:
            employer, code = EXPERT_EMPLOYERS[persona.username]
            ExpertProfile(
                user=user,
                employer_name=employer,
                employer_uscc=with_check_digit(code) if code else "",
            ).save()
        membership_grant(
            user=user,
            role=persona.role,
            bureau=target if isinstance(target, Bureau) else None,
            organization=target if isinstance(target, Organization) else None,
        )
    return world


def build_demo_calls(world: World) -> None:
    """Calls from the seeds, open now, so a newcomer can apply (``make run`` only)."""
    from datetime import timedelta

    from django.utils import timezone

    from applications.models import Call, CallTemplate
    from applications.services import application_recommend, application_start
    from demo import books
    from portal.deadlines import deadline_set
    from portal.visibility import Visibility

    now = timezone.now()
    leading = CallTemplate.objects.get(code="leading-unit-jiangmen-2025", version=1)
    Call.objects.create(
        bureau=world.jm,
        document_number="江工信工业互联函〔2025〕28号",
        title="江门市中小企业数字化转型城市试点数字化牵引单位遴选",
        kind=Call.Kind.LEADING_UNIT,
        template=leading,
        sub_industries=["五金制品及零配件", "绿色环保消费品加工制造"],
        description="面向全国征集一批有意愿、有能力为江门市中小企业数字化转型提供“小快轻准”解决方案及产品服务的企业或机构，"
        "作为江门市中小企业数字化转型城市试点期间（2025-2027年）的数字化牵引单位。（演示数据，依据 000 号文）",
        eligibility="详见通知第二部分“申报条件”。",
        opens_at=now - timedelta(days=3),
        closes_at=now + timedelta(days=30),
        status=Call.Status.PUBLISHED,
        published_at=now - timedelta(days=3),
    )
    benchmark = CallTemplate.objects.filter(kind="benchmark").order_by("-version").first()
    if benchmark is not None:
        benchmark_call = Call.objects.create(
            bureau=world.jm,
            document_number="江工信工业互联网〔2023〕22号",
            title="江门市制造业数字化转型标杆示范申报",
            kind=Call.Kind.BENCHMARK,
            template=benchmark,
            sub_industries=[],
            description="申报单位提交至所属县（市、区）工业和信息化主管部门，由其初审后择优推荐至市工业和信息化局。（演示数据，依据 001 号文）",
            opens_at=now - timedelta(days=1),
            closes_at=now + timedelta(days=2),
            requires_recommendation=True,
            status=Call.Status.PUBLISHED,
            published_at=now - timedelta(days=1),
        )
        # Jianghai's enterprise filled the whole book and submitted it, and its county
        # recommended it (001 §三(二)), so the city's recommendation summary (001 附件4) has a
        # row and the city can run the review.
        jianghai = application_start(
            visibility=Visibility.for_user(world.jh_applicant),
            call=benchmark_call,
            organization=world.jh_maker,
            actor=world.jh_applicant,
        )
        books.fill_answers(
            jianghai,
            world.jh_applicant,
            books.benchmark_answers(world.jh_maker, direction="方向二：示范车间"),
            books.BENCHMARK_SLOTS,
        )
        _submit(jianghai, world.jh_applicant)
        application_recommend(
            visibility=Visibility.for_user(world.jh_manager),
            application=jianghai,
            recommend=True,
            note="数字化水平二级，项目已建成运行（演示）",
            actor=world.jh_manager,
        )
        # A draft with its first two parts typed, so the deadline reminds its owner in the inbox
        # and the applicant has a book to finish.
        pengjiang = application_start(
            visibility=Visibility.for_user(world.pj_applicant),
            call=benchmark_call,
            organization=world.pj_maker,
            actor=world.pj_applicant,
        )
        answers = books.benchmark_answers(world.pj_maker)
        books.fill_answers(
            pengjiang,
            world.pj_applicant,
            {key: answers[key] for key in ("basic_info", "direction")},
        )
    build_demo_plan_calls(world)
    for call in Call.objects.all():
        deadline_set(
            kind="call_close",
            subject=call,
            due_at=call.closes_at,
            title=call.title,
            link=f"/calls/{call.pk}/",
            bureau=call.bureau,
        )


def build_demo_plan_calls(world: World) -> None:
    """This year's city-pilot call of Guangdong (003) with Jiangmen's plan submitted for review,
    and Jiangsu's county-pilot call (002) with Wujin's plan complete but its stamped scan."""
    from datetime import timedelta

    from django.utils import timezone

    from applications.models import Call, CallTemplate
    from applications.services import application_start
    from demo import books
    from portal.visibility import Visibility

    now = timezone.now()
    city = Call.objects.create(
        bureau=world.gd,
        document_number="粤工信工业互联网函〔2023〕26号",
        title="广东省中小企业数字化转型城市试点实施方案征集",
        kind=Call.Kind.CITY_PLAN,
        template=CallTemplate.objects.get(code="city-plan-guangdong-2023", version=1),
        sub_industries=[],
        description="各地级以上市结合本地产业特点编制城市试点实施方案，经市政府同意后报送省工业和信息化厅。"
        "（演示数据，依据 003 号文）",
        opens_at=now - timedelta(days=5),
        closes_at=now + timedelta(days=20),
        status=Call.Status.PUBLISHED,
        published_at=now - timedelta(days=5),
    )
    plan = application_start(
        visibility=Visibility.for_user(world.jm_institute_admin),
        call=city,
        organization=world.jm_institute,
        actor=world.jm_institute_admin,
    )
    books.fill_answers(plan, world.jm_institute_admin, books.city_plan_answers(), books.CITY_SLOTS)
    _submit(plan, world.jm_institute_admin)
    county = Call.objects.create(
        bureau=world.js,
        document_number="苏工信中小〔2025〕（演示）",
        title="江苏省中小企业数字化转型县（市、区）试点实施方案征集",
        kind=Call.Kind.COUNTY_PLAN,
        template=CallTemplate.objects.get(code="county-plan-jiangsu-2025", version=1),
        sub_industries=[],
        description="试点县（市、区）按实施指南附1编制实施方案及主要数据表，经设区市工信局推荐后报送。"
        "（演示数据，依据 002 号文）",
        opens_at=now - timedelta(days=2),
        closes_at=now + timedelta(days=25),
        status=Call.Status.PUBLISHED,
        published_at=now - timedelta(days=2),
    )
    draft = application_start(
        visibility=Visibility.for_user(world.wj_centre_admin),
        call=county,
        organization=world.wj_centre,
        actor=world.wj_centre_admin,
    )
    # Every part typed; the stamped scan of the plan is still to be uploaded.
    books.fill_answers(draft, world.wj_centre_admin, books.county_plan_answers([world.wj_maker]))


def _submit(application: Any, user: User) -> None:
    from applications.services import application_submit
    from portal.scoping import visibility_scope
    from portal.visibility import Visibility

    visibility = Visibility.for_user(user)
    with visibility_scope(visibility):
        application_submit(visibility=visibility, application=application, actor=user)


def build_demo_pilot(world: World) -> None:
    """A leading unit already selected for one sub-industry, its alliance, three enrolled pilot
    enterprises in two counties (enrolled through the same import as a real sheet) and a county
    provider list, so a newcomer sees pilot execution (``make run`` only)."""
    import tablib
    from django.utils import timezone

    from pilots.models import (
        Alliance,
        AllianceMember,
        DemandList,
        DemandRow,
        LeadingUnit,
        Product,
        ServiceProvider,
    )
    from pilots.services import enrolment
    from portal.uscc import with_check_digit
    from portal.visibility import Visibility

    unit = LeadingUnit.objects.create(
        organization=world.jm_leader,
        bureau=world.jm,
        kind=LeadingUnit.Kind.INDUSTRY_CHAIN,
        sub_industries=["五金制品及零配件"],
        selected_at=timezone.now(),
    )
    alliance = Alliance.objects.create(leading_unit=unit, bureau=world.jm)
    AllianceMember.objects.create(
        alliance=alliance,
        role=AllianceMember.Role.LEADER,
        name=world.jm_leader.name,
        uscc=world.jm_leader.uscc,
        organization=world.jm_leader,
        duties="统筹联合体改造工作",
    )
    sheet = tablib.Dataset(headers=enrolment.COLUMNS)
    sheet.append(
        [
            world.pj_maker.name,
            world.pj_maker.uscc,
            "五金制品及零配件",
            "小型",
            "规上",
            "专精特新",
            "5800",
            "320",
        ]
    )
    sheet.append(
        [
            world.jh_maker.name,
            world.jh_maker.uscc,
            "五金制品及零配件",
            "小型",
            "规上",
            "创新型",
            "4200",
            "180",
        ]
    )
    sheet.append(
        [
            "江门市蓬江区恒信五金厂",
            with_check_digit("92440703MA5AB0001"),
            "五金制品及零配件",
            "微型",
            "规下",
            "无",
            "600",
            "",
        ]
    )
    report = enrolment.enterprises_import(
        visibility=Visibility.for_user(world.jm_leader_admin),
        leading_unit=unit,
        content=sheet.export("csv").encode(),
        filename="演示名单.csv",
        confirm=True,
        actor=world.jm_leader_admin,
    )
    if not report.ok:  # the demo sheet is fixed; a failure here is a bug in the import
        raise RuntimeError(report.file_errors or report.rows)
    provider = ServiceProvider.objects.create(
        bureau=world.pj,
        name="江门市智造云科技有限公司",
        uscc=with_check_digit("91440703MA5CD0002"),
        capability=ServiceProvider.Capability.SCENARIO,
        field=ServiceProvider.Field.SOFTWARE,
        contact="0750-0000000（演示）",
    )
    Product.objects.create(
        provider=provider,
        name="五金件视觉质检",
        summary="产线相机采集图像，自动判定表面缺陷并回传质检记录",
        direction="人工智能赋能应用",
        stage="制造",
        price_wan="3.80",
        own_ip=True,
    )
    box = Product.objects.create(
        provider=provider,
        name="设备联网数采盒",
        summary="老旧机床免改造接入，采集开机、产量和能耗数据",
        direction="设备数采",
        stage="制造",
        price_wan="1.20",
        own_ip=True,
    )
    demand = DemandList.objects.create(bureau=world.pj, sub_industry="五金制品及零配件")
    DemandRow.objects.create(
        demand_list=demand,
        direction="设备数采",
        problem="冲压、抛光设备老旧，开机和产量靠人工记录",
        need="免改造采集设备状态、产量和能耗",
        scenario="冲压车间 40 台设备联网，看板显示稼动率",
        budget_wan="12.50",
        product=box,
    )
    build_demo_programme(world)
    build_demo_performance(world, unit, provider)


def build_demo_programme(world: World) -> None:
    """Jiangmen's city pilot, approved by the province fourteen months ago: targets, a passed
    mid-term evaluation, its allocation with the first tranche (80%) released and a few fund uses,
    so the evaluation and funds pages show content (003 §四, §五)."""
    from datetime import timedelta
    from decimal import Decimal

    from django.utils import timezone

    from applications.models import Application, ApplicationSection, Call, CallTemplate
    from pilots.models import PilotProgramme, ProgrammeTarget
    from pilots.services import funds, programme_evaluations
    from pilots.services.programme_evaluations import add_months
    from portal.visibility import Visibility

    now = timezone.now()
    approved = now - timedelta(days=430)
    template = CallTemplate.objects.filter(kind="city_plan").order_by("-version").first()
    if template is None:
        return
    call = Call.objects.create(
        bureau=world.gd,
        document_number="粤工信融合函〔2023〕38号",
        title="广东省中小企业数字化转型城市试点申报",
        kind=Call.Kind.CITY_PLAN,
        template=template,
        sub_industries=[],
        opens_at=approved - timedelta(days=60),
        closes_at=approved - timedelta(days=30),
        status=Call.Status.CLOSED,
        published_at=approved - timedelta(days=60),
    )
    application = Application.objects.create(
        call=call,
        organization=world.jm_institute,
        status="selected",
        created_by=world.jm_manager,
        submitted_at=approved - timedelta(days=31),
    )
    # The approved plan's sub-industry table (003 附件 附1), which the reports page prints.
    ApplicationSection.objects.create(
        application=application,
        key="sub_industry_table",
        data={
            "rows": [
                {
                    "name": "五金制品及零配件",
                    "counties": "蓬江区、江海区、新会区",
                    "gross_output": "1260.5",
                    "above_scale_output": "980.2",
                    "above_scale_smes": "612",
                    "below_scale_smes": "3400",
                    "key_smes": "国家级专精特新“小巨人”企业 6 个，省级专精特新企业 85 个（演示）",
                    "pilots": "省级中小企业特色产业集群 1 个（演示）",
                    "carriers": "省级工业互联网产业示范基地 1 个（演示）",
                    "supply": "特色型专业型工业互联网平台 2 个（演示）",
                    "titles": "中国五金制品产业基地（演示）",
                },
                {
                    "name": "绿色环保消费品加工制造",
                    "counties": "新会区",
                    "gross_output": "420",
                    "above_scale_output": "310.8",
                    "above_scale_smes": "205",
                    "below_scale_smes": "1500",
                    "key_smes": "省级创新型中小企业 40 个（演示）",
                    "pilots": "",
                    "carriers": "",
                    "supply": "",
                    "titles": "",
                },
            ]
        },
    )
    start = timezone.localdate(approved)
    programme = PilotProgramme.objects.create(
        name="江门市中小企业数字化转型城市试点（演示）",
        bureau=world.jm,
        approving_bureau=world.gd,
        source_application=application,
        approved_at=approved,
        sub_industries=["五金制品及零配件", "绿色环保消费品加工制造"],
        starts_on=start,
        ends_on=add_months(start, 24) - timedelta(days=1),
    )
    for year, value in ((start.year, 150), (start.year + 1, 350)):
        ProgrammeTarget.objects.create(
            programme=programme, year=year, metric=ProgrammeTarget.Metric.TRANSFORMED, value=value
        )
    province, city = Visibility.for_user(world.gd_manager), Visibility.for_user(world.jm_manager)
    funds.fund_allocate(
        visibility=province,
        programme=programme,
        amount_wan=Decimal("3000.00"),
        tier="第一档",
        actor=world.gd_manager,
    )
    funds.tranche_release(visibility=province, programme=programme, actor=world.gd_manager)
    for category, amount, description, month in (
        ("transformation", "860.00", "首批 120 家企业“小快轻准”产品改造补助", 2),
        ("transformation", "415.50", "五金制品产业链设备联网与数据采集补助", 5),
        ("platforms", "280.00", "五金产业链数字化转型行业平台建设", 6),
        ("platforms", "96.00", "数字化转型咨询诊断与人才培训服务", 9),
    ):
        funds.fund_use_record(
            visibility=city,
            programme=programme,
            category=category,
            amount_wan=amount,
            description=description,
            spent_on=add_months(start, month),
            actor=world.jm_manager,
        )
    programme_evaluations.programme_evaluation_record(
        visibility=city,
        programme=programme,
        kind="self",
        outcome="pass",
        findings="第一年绩效自评：改造企业数达到年度目标，行业平台上线试运行。",
        actor=world.jm_manager,
    )
    programme_evaluations.programme_evaluation_record(
        visibility=province,
        programme=programme,
        kind="mid_term",
        outcome="pass",
        findings="中期绩效评价通过：可拨付其余 20% 奖补资金。",
        actor=world.gd_manager,
    )


def build_demo_task_book(world: World) -> None:
    """The task book (002 附3) of the Pengjiang enterprise, drawn up by the leading unit with its
    schedule, budget and party B's bank details, and signed by the three parties, so its PDF has
    every clause and signature to show (``make run`` only; runs after ``build_demo_pilot``)."""
    from datetime import date
    from decimal import Decimal

    from pilots.models import PilotEnterprise
    from pilots.services import transformation
    from portal.visibility import Visibility

    enterprise = PilotEnterprise.objects.get(
        organization=world.pj_maker, leading_unit__organization=world.jm_leader
    )
    drafter = Visibility.for_user(world.jm_leader_admin)
    book = transformation.task_book_create(
        visibility=drafter,
        enterprise=enterprise,
        actor=world.jm_leader_admin,
        project_name="华程机电冲压车间设备数采与质检数字化改造项目",
        goals="冲压、抛光设备联网率达到80%，数字化水平由一级提升到二级。",
        performance_goals="生产计划达成率提升10%，产品一次合格率提升3个百分点。",
        content="部署设备联网数采盒与视觉质检，上线轻量化生产执行系统（MES）。",
        starts_on=date(2025, 9, 1),
        ends_on=date(2026, 9, 30),
        schedule=[
            {"period": "2025年9月-12月", "work": "诊断评估与实施方案", "investment": "4.5"},
            {"period": "2026年1月-6月", "work": "设备联网与视觉质检部署", "investment": "22"},
            {"period": "2026年7月-9月", "work": "系统联调、培训与验收", "investment": "8"},
        ],
        budget_wan=Decimal("34.5"),
        obligations="丙方在验收后提供一年免费运维服务。",
        bank_account_name=world.pj_maker.name,
        bank_name="中国工商银行江门蓬江支行（演示）",
        bank_account_number="2012004009200123456",
    )
    for party, user in (
        ("provider", world.jm_leader_admin),
        ("enterprise", world.pj_applicant),
        ("bureau", world.pj_manager),
    ):
        transformation.task_book_sign(
            visibility=Visibility.for_user(user), task_book=book, party=party, actor=user
        )


def build_demo_performance(world: World, unit: Any, provider: Any) -> None:
    """Last quarter of the demo unit's performance (004 §3): the task book the bureau issued, the
    unit's report with evidence, an enterprise's ratings and the working group's evaluation."""
    import io
    from datetime import timedelta

    from django.core.files.base import ContentFile
    from django.utils import timezone
    from pypdf import PdfWriter

    from evaluation import performance, performance_outcomes
    from pilots.models import LeadingUnit, PilotEnterprise
    from portal.visibility import Visibility

    year, quarter = performance.previous_quarter(*performance.quarter_of(timezone.localdate()))
    # Selected before last quarter began, so that quarter is the unit's to report and evaluate.
    selected = timezone.make_aware(
        datetime.combine(performance.quarter_start(year, quarter), datetime.min.time())
    ) - timedelta(days=1)
    LeadingUnit.objects.filter(pk=unit.pk).update(selected_at=selected)
    unit.refresh_from_db()
    staff = Visibility.for_user(world.jm_manager)
    performance.task_book_set(
        visibility=staff,
        unit=unit,
        targets=[
            {
                "sub_industry": "五金制品及零配件",
                "enterprises": 30,
                "above_scale": 10,
                "level_two": 24,
            }
        ],
        duties="每季度报送改造合同签订与项目进度；配合工作小组调度与抽查（004 §2.2.11）",
        actor=world.jm_manager,
        today=performance.quarter_start(year, quarter),
    )
    writer, buffer = PdfWriter(), io.BytesIO()
    writer.add_blank_page(width=595, height=842)
    writer.write(buffer)
    performance.report_submit(
        visibility=Visibility.for_user(world.jm_leader_admin),
        unit=unit,
        year=year,
        quarter=quarter,
        figures={**performance.unit_figures(unit), "solutions": 2},
        duties_done="完成 3 家企业诊断，签订改造合同 1 份，部署设备联网数采盒",
        evidence=ContentFile(buffer.getvalue(), name="evidence.pdf"),
        actor=world.jm_leader_admin,
        today=performance.quarter_end(year, quarter),
    )
    enterprise = PilotEnterprise.objects.get(organization=world.pj_maker, leading_unit=unit)
    for rated, score in ((None, 4), (provider, 5)):
        performance.satisfaction_rate(
            visibility=Visibility.for_user(world.pj_applicant),
            enterprise=enterprise,
            provider=rated,
            score=score,
            comment="响应及时" if rated is None else "数采盒安装快",
            actor=world.pj_applicant,
        )
    definition = performance.indicator_set().definition
    # The portal's suggestions, with the working group's judgement where it checked on site.
    scores = {
        k: str(v) for k, v in performance.suggested_scores(unit, year, quarter, definition).items()
    }
    scores.update(completed="20", effect="15", capability="12")
    performance_outcomes.evaluation_record(
        visibility=staff,
        unit=unit,
        year=year,
        quarter=quarter,
        scores=scores,
        absent=False,
        reason="诊断与合同签订按计划推进，满意度良好；完成改造数量尚在爬坡期",
        actor=world.jm_manager,
    )
