from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from clientela.core.access import AccessLevel, Action, RestrictedQuerySet, is_crm_user
from clientela.core.folding import fold_name
from clientela.core.models import AccessControlled, AdminList, BaseRecord


class ContactType(AdminList):
    class Meta(AdminList.Meta):
        verbose_name = _("contact type")
        verbose_name_plural = _("contact types")


class Temperature(AdminList):
    color = models.CharField(_("colour"), max_length=7, default="#6c757d")

    class Meta(AdminList.Meta):
        verbose_name = _("temperature level")
        verbose_name_plural = _("temperature levels")


class Source(AdminList):
    description = models.CharField(_("description"), max_length=250, blank=True)

    class Meta(AdminList.Meta):
        verbose_name = _("source")
        verbose_name_plural = _("sources")


class Interest(AdminList):
    description = models.CharField(_("description"), max_length=250, blank=True)

    class Meta(AdminList.Meta):
        verbose_name = _("interest")
        verbose_name_plural = _("interests")


class Contact(BaseRecord, AccessControlled):
    """A person or a company. Customers and suppliers are roles of a contact."""

    class Kind(models.TextChoices):
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    kind = models.CharField(_("kind"), max_length=7, choices=Kind.choices, default=Kind.PERSON)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    # Kept by the service: the name shown; the same name folded (core.folding), which lists
    # sort on and a search's best matches are found by (its start is a b-tree range: on
    # PostgreSQL the column compares bytes, collation "C", see migration 0006); and the folded
    # text searched: the name, emails and phones.
    display_name = models.CharField(_("name"), max_length=250, editable=False)
    name_key = models.CharField(max_length=250, editable=False, default="")
    search_text = models.TextField(editable=False, default="")
    company = models.ForeignKey(
        "self",
        verbose_name=_("company"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="people",
        limit_choices_to={"kind": "company"},
    )
    position = models.CharField(_("position"), max_length=100, blank=True)
    description = models.TextField(_("description"), blank=True)
    photo = models.ImageField(_("photo"), upload_to="contacts/photos/", blank=True)
    currency = models.CharField(_("currency"), max_length=3, default="EUR")
    contact_type = models.ForeignKey(
        ContactType, verbose_name=_("contact type"), null=True, blank=True, on_delete=models.PROTECT
    )
    temperature = models.ForeignKey(
        Temperature, verbose_name=_("temperature"), null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.ForeignKey(
        Source, verbose_name=_("source"), null=True, blank=True, on_delete=models.PROTECT
    )
    interests = models.ManyToManyField(
        Interest, verbose_name=_("interests"), blank=True, related_name="contacts"
    )
    is_lead = models.BooleanField(_("lead"), default=False)
    primary_email = models.CharField(_("email"), max_length=254, blank=True, editable=False)
    primary_phone = models.CharField(_("phone"), max_length=40, blank=True, editable=False)

    class Meta:
        ordering = ["name_key", "id"]
        verbose_name = _("contact")
        verbose_name_plural = _("contacts")
        indexes = [
            models.Index(fields=["name_key", "id"], name="contact_name"),
            models.Index(fields=["-created_at", "-id"], name="contact_created"),
            models.Index(fields=["kind", "name_key", "id"], name="contact_kind_name"),
            models.Index(fields=["access", "name_key", "id"], name="contact_access_name"),
            models.Index(fields=["primary_email"], name="contact_email"),
            models.Index(
                fields=["name_key", "id"], condition=Q(is_lead=True), name="contact_lead_name"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="person") | ~Q(first_name="") & ~Q(last_name=""),
                name="person_has_full_name",
            ),
            models.CheckConstraint(
                condition=~Q(kind="company") | ~Q(company_name=""), name="company_has_name"
            ),
        ]

    # Columns the service derives from others: their change shows in the fields they come from.
    changelog_exclude = (
        *BaseRecord.changelog_exclude,
        "display_name",
        "name_key",
        "search_text",
        "primary_email",
        "primary_phone",
    )

    def __str__(self):
        return self.display_name

    def get_absolute_url(self):
        return reverse("contacts:detail", args=[self.pk])

    @property
    def is_company(self) -> bool:
        return self.kind == self.Kind.COMPANY

    @classmethod
    def name_key_of(cls, name: str) -> str:
        """`name` as `name_key` holds it (and as a name is looked up by it)."""
        return fold_name(name, cls._meta.get_field("name_key").max_length)

    def compute_display_name(self) -> str:
        if self.is_company:
            return self.company_name.strip()
        return f"{self.first_name.strip()} {self.last_name.strip()}".strip()

    @classmethod
    def changelog_present(cls, name: str, value):
        """Emails, phones and websites are logged as "kind: value"; shown as "value (Kind)"."""
        kinds = {
            "emails": ContactEmail.Kind,
            "phones": ContactPhone.Kind,
            "websites": ContactWebsite.Kind,
        }
        if name not in kinds or not isinstance(value, list):
            return None
        labels = dict(kinds[name].choices)
        presented = []
        for item in value:
            kind, _sep, text = str(item).partition(": ")
            presented.append(f"{text} ({labels[kind]})" if kind in labels and text else str(item))
        return presented

    # What the change log calls the keys `changelog_extra` adds.
    changelog_labels = {
        "emails": _("Emails"),
        "phones": _("Phones"),
        "websites": _("Websites and social profiles"),
        "addresses": _("Addresses"),
    }

    def changelog_extra(self) -> dict:
        return {
            "emails": [f"{e.kind}: {e.email}" for e in self.emails.all()],
            "phones": [f"{p.kind}: {p.number}" for p in self.phones.all()],
            "websites": [f"{w.kind}: {w.url}" for w in self.websites.all()],
            "addresses": [str(a) for a in self.addresses.all()],
        }


class ContactEmail(models.Model):
    class Kind(models.TextChoices):
        WORK = "work", _("Work")
        HOME = "home", _("Personal")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="emails")
    email = models.EmailField(_("email"))
    kind = models.CharField(_("kind"), max_length=5, choices=Kind.choices, default=Kind.WORK)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]
        # text_pattern_ops (PostgreSQL) serves `LIKE 'prefix%'` as well as equality: a search
        # for an address is a prefix match here (see ContactFilter.apply).
        indexes = [
            models.Index(
                fields=["email"], name="contactemail_email_prefix", opclasses=["text_pattern_ops"]
            )
        ]

    def __str__(self):
        return self.email


class ContactPhone(models.Model):
    class Kind(models.TextChoices):
        MOBILE = "mobile", _("Mobile")
        WORK = "work", _("Work")
        HOME = "home", _("Home")
        FAX = "fax", _("Fax")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="phones")
    number = models.CharField(_("number"), max_length=40)
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.MOBILE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.number


class ContactWebsite(models.Model):
    class Kind(models.TextChoices):
        WEBSITE = "website", _("Website")
        LINKEDIN = "linkedin", _("LinkedIn")
        X = "x", _("X / Twitter")
        FACEBOOK = "facebook", _("Facebook")
        INSTAGRAM = "instagram", _("Instagram")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="websites")
    url = models.URLField(_("address"), max_length=300)
    kind = models.CharField(_("kind"), max_length=9, choices=Kind.choices, default=Kind.WEBSITE)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self):
        return self.url


class ContactAddress(models.Model):
    class Kind(models.TextChoices):
        BILLING = "billing", _("Billing")
        SHIPPING = "shipping", _("Shipping")
        VISIT = "visit", _("Visit")
        OTHER = "other", _("Other")

    contact = models.ForeignKey(Contact, on_delete=models.CASCADE, related_name="addresses")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.BILLING)
    street = models.CharField(_("street"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(_("region"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=100, blank=True)
    is_main = models.BooleanField(_("main address"), default=False)

    class Meta:
        ordering = ["-is_main", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact"], condition=Q(is_main=True), name="one_main_address"
            )
        ]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")

    def __str__(self):
        parts = [
            self.street,
            " ".join(p for p in [self.postal_code, self.city] if p),
            self.region,
            self.country,
        ]
        return ", ".join(p for p in parts if p)


class BusinessRole(models.Model):
    """What a customer and a supplier both hold besides their contact."""

    code = models.CharField(_("code"), max_length=30, unique=True)
    tax_id = models.CharField(_("tax id"), max_length=40, blank=True)
    payment_terms = models.CharField(_("payment terms"), max_length=100, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    version = models.PositiveIntegerField(_("version"), default=1)

    changelog_exclude = ("version",)
    # Who may see a role: whoever may see its contact (core.changelog reads this).
    visible_through = "contact"

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.code} · {self.contact}"


class Customer(BusinessRole):
    contact = models.OneToOneField(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="customer"
    )
    primary_contact = models.ForeignKey(
        Contact,
        verbose_name=_("primary contact"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")


class Supplier(BusinessRole):
    contact = models.OneToOneField(
        Contact, verbose_name=_("contact"), on_delete=models.CASCADE, related_name="supplier"
    )

    class Meta:
        verbose_name = _("supplier")
        verbose_name_plural = _("suppliers")


# The admin-edited lists of contacts, by the URL slug of their settings page and API path.
CONTACT_ADMIN_LISTS = {
    "contact-types": ContactType,
    "temperatures": Temperature,
    "sources": Source,
    "interests": Interest,
}


class ContactImportQuerySet(RestrictedQuerySet):
    """An import is its owner's: only they act on it; CRM admins may also look at it."""

    def restrict(self, user, action: Action | str):
        if not is_crm_user(user):
            return self.none()
        if action == Action.VIEW and user.is_crm_admin:
            return self
        return self.filter(owner=user)


class ContactImport(models.Model):
    """A CSV file of contacts on its way in: the file's shape, how its columns map to contact
    fields, the options chosen for the batch, and how far the check and the import got.

    The uploaded file is kept under `stored_name` in `settings.ATTACHMENTS_ROOT`, outside every
    served folder, until the import is done or discarded."""

    class Status(models.TextChoices):
        MAPPING = "mapping", _("Columns to map")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Ready to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Done")
        FAILED = "failed", _("Stopped")

    class Duplicates(models.TextChoices):
        SKIP = "skip", _("Skip the row")
        UPDATE = "update", _("Update the existing contact")
        CREATE = "create", _("Create a new contact anyway")

    class DefaultKind(models.TextChoices):
        AUTO = "auto", _("Guess from the names")
        PERSON = "person", _("Person")
        COMPANY = "company", _("Company")

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.MAPPING
    )
    file_name = models.CharField(_("file name"), max_length=200)
    stored_name = models.CharField(max_length=100, blank=True)
    size = models.PositiveBigIntegerField(_("size"), default=0)
    encoding = models.CharField(_("encoding"), max_length=20)
    delimiter = models.CharField(_("delimiter"), max_length=1)
    headers = models.JSONField(_("columns"), default=list)
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    # The first rows' values, shown under each column while mapping.
    samples = models.JSONField(default=list, blank=True)
    # One field key per column, in the file's order; "" leaves the column out.
    mapping = models.JSONField(_("mapping"), default=list)
    default_kind = models.CharField(
        _("kind when the file does not say"),
        max_length=7,
        choices=DefaultKind.choices,
        default=DefaultKind.AUTO,
    )
    access = models.CharField(
        _("access"), max_length=12, choices=AccessLevel.choices, default=AccessLevel.PRIVATE
    )
    tag = models.CharField(_("tag for every imported contact"), max_length=60, blank=True)
    duplicates = models.CharField(
        _("duplicates"), max_length=6, choices=Duplicates.choices, default=Duplicates.SKIP
    )
    # After the check: what the import would do; after the import: what it did.
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(_("created"), default=0)
    updated_count = models.PositiveIntegerField(_("updated"), default=0)
    skipped_count = models.PositiveIntegerField(_("skipped"), default=0)
    failed_count = models.PositiveIntegerField(_("failed"), default=0)
    companies_created = models.PositiveIntegerField(_("companies created"), default=0)
    # The first rows as the check read them, for the preview.
    preview = models.JSONField(default=list, blank=True)
    error = models.TextField(_("error"), blank=True)

    objects = ContactImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["owner", "-created_at"], name="contactimport_owner")]
        verbose_name = _("contact import")
        verbose_name_plural = _("contact imports")

    def __str__(self):
        return self.file_name

    def get_absolute_url(self):
        return reverse("contacts:import_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def is_busy(self) -> bool:
        return self.status in (self.Status.CHECKING, self.Status.IMPORTING)


class ContactImportFailure(models.Model):
    """A line of an import that was not (or, after a check, would not be) imported, with why."""

    job = models.ForeignKey(ContactImport, on_delete=models.CASCADE, related_name="failures")
    line = models.PositiveIntegerField(_("line"))
    # [{"field": field key or "", "column": the column's header or "", "message": text}]
    errors = models.JSONField(_("errors"), default=list)
    values = models.JSONField(default=list)

    class Meta:
        ordering = ["line", "id"]
        indexes = [models.Index(fields=["job", "line"], name="contactimportfailure_line")]
        verbose_name = _("failed line")
        verbose_name_plural = _("failed lines")

    def __str__(self):
        return f"{self.job_id}:{self.line}"
