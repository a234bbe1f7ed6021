"""SQL written by hand around a record's key, for the few reads where compiling ORM subqueries
costs more than running them (the access grants, a list row's tags)."""

from django.db.models import Expression, F


class RecordSQL(Expression):
    """An expression computed from one record, given by its key column (`pk` by default, or an
    expression naming another record). Django resolves and compiles the key; a subclass writes
    the rest in `record_sql`, with the table and column names taken from the model's
    metadata."""

    def __init__(self, model, pk=None, output_field=None):
        super().__init__(output_field=output_field or self.output_field)
        self.model = model
        self.pk = pk if pk is not None else F("pk")

    def get_source_expressions(self):
        return [self.pk]

    def set_source_expressions(self, exprs):
        (self.pk,) = exprs

    def resolve_expression(
        self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False
    ):
        clone = self.copy()
        clone.pk = self.pk.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone

    def as_sql(self, compiler, connection):
        pk_sql, pk_params = compiler.compile(self.pk)
        return self.record_sql(pk_sql, tuple(pk_params), connection)

    def record_sql(self, pk_sql: str, pk_params: tuple, connection) -> tuple[str, tuple]:
        raise NotImplementedError
