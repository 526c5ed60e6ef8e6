"""The provider pool and its products (002 §三) and the demand lists with adapted products (002 附4)."""

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from portal.models import Bureau
from portal.scoping import VisibleManager


class ServiceProvider(models.Model):
    """A digital service provider in a county's reference list (002 §三.1–2)."""

    class Capability(models.TextChoices):
        COMPREHENSIVE = "comprehensive", _("comprehensive")
        INDUSTRY = "industry", _("industry-specific")
        SCENARIO = "scenario", _("scenario-specific")

    class Field(models.TextChoices):
        EQUIPMENT = "equipment", _("intelligent equipment")
        SOFTWARE = "software", _("industrial software")
        INFRASTRUCTURE = "infrastructure", _("network and computing infrastructure")

    bureau = models.ForeignKey(
        Bureau, verbose_name=_("bureau"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("name"), max_length=200)
    uscc = models.CharField(_("unified social credit code"), max_length=18)
    capability = models.CharField(_("capability"), max_length=16, choices=Capability.choices)
    field = models.CharField(_("field"), max_length=16, choices=Field.choices)
    contact = models.CharField(_("contact"), max_length=100, blank=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("service provider")
        verbose_name_plural = _("service providers")
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "uscc"], name="provider_once_per_bureau")
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A “小快轻准灵” product or solution (002 §四; 000 §二(一)5)."""

    DIRECTIONS = [
        "设备数采",
        "要素互联互通",
        "数据治理",
        "人工智能赋能应用",
        "网络、算力和数据安全",
        "其他",
    ]  # 002 附2/附4
    STAGES = ["研发", "设计", "制造", "销售", "服务", "管理", "安全"]  # 000 §一; 003 附件

    provider = models.ForeignKey(
        ServiceProvider,
        verbose_name=_("provider"),
        on_delete=models.CASCADE,
        related_name="products",
    )
    name = models.CharField(_("name"), max_length=200)
    summary = models.CharField(_("summary"), max_length=500)
    direction = models.CharField(
        _("direction"), max_length=20, choices=[(d, d) for d in DIRECTIONS]
    )
    stage = models.CharField(_("stage"), max_length=8, choices=[(s, s) for s in STAGES])
    price_wan = models.DecimalField(
        _("price (10k yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    own_ip = models.BooleanField(
        _("own intellectual property"), help_text=_("Otherwise used under licence.")
    )

    objects = VisibleManager()

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["direction", "name", "pk"]

    def __str__(self) -> str:
        return self.name


class DemandList(models.Model):
    """The county's demand, problem and scenario list with adapted products, one per sub-industry
    (002 附4; 002 §二.2: the county sorts out needs, and after acceptance the adapted products)."""

    bureau = models.ForeignKey(
        Bureau, verbose_name=_("county bureau"), on_delete=models.PROTECT, related_name="+"
    )
    sub_industry = models.CharField(_("sub-industry"), max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = VisibleManager()

    class Meta:
        verbose_name = _("demand list")
        verbose_name_plural = _("demand lists")
        ordering = ["sub_industry", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["bureau", "sub_industry"], name="demand_list_once")
        ]

    def __str__(self) -> str:
        return f"{self.bureau} · {self.sub_industry}"


class DemandRow(models.Model):
    """One problem, need and scenario under one of the six directions of 附4, with its budget and
    the adapted product from the county's list."""

    demand_list = models.ForeignKey(DemandList, on_delete=models.CASCADE, related_name="rows")
    direction = models.CharField(
        _("direction"), max_length=20, choices=[(d, d) for d in Product.DIRECTIONS]
    )
    problem = models.TextField(_("problem"), max_length=1000)
    need = models.TextField(_("need"), max_length=1000)
    scenario = models.TextField(_("scenario"), max_length=1000)
    budget_wan = models.DecimalField(
        _("total budget (10k yuan)"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    product = models.ForeignKey(
        Product,
        verbose_name=_("adapted product"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = VisibleManager()

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return self.problem[:50]
