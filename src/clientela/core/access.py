"""The one access point: every page, endpoint, search, export and autocomplete reads records
through these querysets, so a record outside a user's reach behaves as if it did not exist."""

import functools
from enum import StrEnum

from django.db import models
from django.db.models import BooleanField, Q
from django.utils.translation import gettext_lazy as _

from clientela.core.expressions import RecordSQL


class AccessLevel(models.TextChoices):
    PRIVATE = "private", _("Private")
    PUBLIC_READ = "public_read", _("Public, read only")
    PUBLIC_WRITE = "public_write", _("Public, read and write")


class Action(StrEnum):
    VIEW = "view"
    CHANGE = "change"
    DELETE = "delete"


def is_crm_user(user) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_crm_admin(user) -> bool:
    return is_crm_user(user) and user.is_crm_admin


class RestrictedQuerySet(models.QuerySet):
    """The interface of every access point: a model's queryset says in `restrict(user,
    action)` who reaches its records; pages, endpoints, `get_for_user_or_404` and `can` call
    these."""

    def visible_to(self, user):
        return self.restrict(user, Action.VIEW)

    def editable_by(self, user):
        return self.restrict(user, Action.CHANGE)

    def deletable_by(self, user):
        return self.restrict(user, Action.DELETE)

    def restrict(self, user, action: Action | str):
        raise NotImplementedError


class AccessQuerySet(RestrictedQuerySet):
    """Queryset of a model that mixes in `AccessControlled`.

    Who reaches a record:
    - CRM admins: everything, for every action.
    - its managers and the users and teams it is shared with: view, change, delete.
    - everyone else: view when public, change when public read/write, never delete.
    """

    # For `core.pagination.capped_count`: public records first ("public_write" and
    # "public_read" sort after "private"), so counting a capped number of visible records
    # rarely needs a grant check; an index on `access` serves the order.
    count_ordering = ("-access",)

    def restrict(self, user, action: Action | str):
        if not is_crm_user(user):
            return self.none()
        if user.is_crm_admin:
            return self
        # The cheap public-access test comes first so the grant subqueries only run for the
        # rows it does not let through (PostgreSQL evaluates OR arms in order).
        reach = Q()
        if action == Action.VIEW:
            reach = Q(access__in=[AccessLevel.PUBLIC_READ, AccessLevel.PUBLIC_WRITE])
        elif action == Action.CHANGE:
            reach = Q(access=AccessLevel.PUBLIC_WRITE)
        return self.filter(reach | self._granted_to(user))

    def _granted_to(self, user) -> Q:
        return Q(GrantedTo(self.model, user.pk))


class GrantedTo(RecordSQL):
    """Whether a record's managers, shared users or shared teams include the user.

    Each grant is a correlated scalar subquery, `(SELECT 1 … LIMIT 1) IS NOT NULL`, not
    `pk IN (…)` nor EXISTS: under an OR, PostgreSQL turns those into a hash of every record
    granted to the user (tens of thousands of rows for a busy manager) built on each request,
    while a scalar subquery stays one index probe per candidate row, and only for rows the
    public-access test before it has not already let through (see `restrict`).

    The SQL is written here rather than built from three ORM subqueries because compiling those
    cost more than running them (about 3 ms per list request, twice with the companies'
    prefetch); the table and column names still come from the model's metadata."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, model, user_id: int, pk=None):
        super().__init__(model, pk)
        self.user_id = user_id

    def record_sql(self, pk_sql, pk_params, connection):
        sql = _grant_sql(self.model, connection.ops.quote_name).format(pk=pk_sql)
        return sql, (*pk_params, self.user_id, *pk_params, self.user_id, *pk_params, self.user_id)


@functools.cache
def _grant_sql(model, quote) -> str:
    from clientela.accounts.models import Team

    def probe(field_name: str, target_in: str) -> str:
        field = model._meta.get_field(field_name)
        through = field.remote_field.through._meta
        record_column = through.get_field(field.m2m_field_name()).column
        target_column = through.get_field(field.m2m_reverse_field_name()).column
        return (
            f"(SELECT 1 FROM {quote(through.db_table)} grants"
            f" WHERE grants.{quote(record_column)} = {{pk}}"
            f" AND grants.{quote(target_column)} {target_in} LIMIT 1) IS NOT NULL"
        )

    membership = Team.members.through._meta
    teams_of_user = (
        f"IN (SELECT {quote(membership.get_field('team').column)}"
        f" FROM {quote(membership.db_table)}"
        f" WHERE {quote(membership.get_field('user').column)} = %s)"
    )
    return (
        f"({probe('managers', '= %s')}"
        f" OR {probe('shared_users', '= %s')}"
        f" OR {probe('shared_teams', teams_of_user)})"
    )


def get_for_user_or_404(queryset, user, action: Action | str = Action.VIEW, **lookup):
    """Fetch one record through the access point; out of reach and missing both raise Http404."""
    from django.http import Http404

    try:
        return queryset.restrict(user, action).get(**lookup)
    except (queryset.model.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404(str(queryset.model._meta.verbose_name)) from exc


def can(user, action: Action | str, instance) -> bool:
    """Whether `user` may perform `action` on `instance`, answered by the access queryset."""
    return type(instance).objects.filter(pk=instance.pk).restrict(user, action).exists()
