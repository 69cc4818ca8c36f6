"""Querysets compiled once and run again with new arguments: for the statements of hot paths.

Building a queryset and compiling it to SQL costs Django 0.2–1 ms of CPU each time (a label create
ran four such statements, more CPU than the database spent on them). A ``PreparedQuery`` compiles
its queryset on first use per database connection, remembers where each argument sits in the SQL's
parameters, and afterwards only substitutes the arguments, runs the SQL and turns the rows into
model instances exactly as Django's own ``ModelIterable`` does (``select_related`` objects and
``annotate`` values included), so the callers get the same objects as from the queryset.

    LOCK = PreparedQuery(lambda image_id: Image.objects.select_for_update().filter(pk=image_id))
    image = LOCK.first(image_id=5)

Arguments are scalars (ints, strings, UUIDs): the queryset is built once with a marker of each
argument's type, and compiling must leave every marker as one parameter (a lookup such as ``pk=``,
``digest=``, ``OuterRef``-free filters); otherwise the first call raises ``ImproperlyConfigured``. An
argument may not be None (``IS NULL`` would change the SQL): callers keep one prepared query per
shape. Relies on the compiler attributes ``ModelIterable`` reads (``select``, ``klass_info``,
``annotation_col_map``), stable through Django 5.2; ``base/tests/test_prepared.py`` compares every
prepared query of the site with its queryset on the test database.
"""

import uuid
import weakref
from inspect import signature

from django.core.exceptions import ImproperlyConfigured
from django.db import connections
from django.db.backends.postgresql.base import ServerBindingCursor  # psycopg is always installed
from django.db.backends.utils import CursorDebugWrapper
from django.db.models.query import get_related_populators
from django.db.transaction import TransactionManagementError

_INT_MARKER = -1_987_654_321  # in every integer column's range, never an id (ids are positive)


def _marker(number, example):
    """A value of ``example``'s type that no real argument is and that compiling keeps recognisable."""
    if isinstance(example, bool):
        raise ImproperlyConfigured("A prepared query takes no true/false arguments: make two queries.")
    if isinstance(example, int):
        return _INT_MARKER - number
    if isinstance(example, str):
        return f"\x00prepared-argument-{number}"
    if isinstance(example, uuid.UUID):
        return uuid.UUID(int=0xF00D_0000_0000_0000_0000_0000_0000_0000 + number)
    raise ImproperlyConfigured(f"A prepared query takes ints, strings and UUIDs, not {type(example).__name__}.")


def _as_parameter(marker, parameter):
    """How compiling turned ``marker`` into ``parameter``: a function doing the same to a real
    argument, or None when ``parameter`` is not that marker."""
    if parameter == marker and type(parameter) is type(marker):
        return _unchanged
    if isinstance(marker, int) and type(parameter) is float and parameter == marker:  # a float column
        return float
    if isinstance(marker, uuid.UUID) and parameter == marker.hex:  # backends without a UUID type
        return lambda value: value.hex
    return None


def _unchanged(value):
    return value


class _Compiled:
    """One connection's SQL, parameters and the row-to-object recipe of a ``PreparedQuery``."""

    def __init__(self, queryset, markers, *, lock=""):
        compiler = queryset.query.get_compiler(using=queryset.db)
        self.sql, parameters = compiler.as_sql()
        if lock:
            self.sql = f"{self.sql} {lock}"
        self.parameters = list(parameters)
        self.slots = []  # (position, argument name, conversion)
        for position, parameter in enumerate(self.parameters):
            for name, marker in markers.items():
                convert = _as_parameter(marker, parameter)
                if convert is not None:
                    self.slots.append((position, name, convert))
        missing = set(markers) - {name for _, name, _ in self.slots}
        if missing:
            raise ImproperlyConfigured(f"The prepared query's SQL does not take {sorted(missing)} as parameters.")
        self.kinds = {name: type(marker) for name, marker in markers.items()}
        self.db = queryset.db
        self.locks = queryset.query.select_for_update or bool(lock)
        self.model = queryset.model
        select, klass_info = compiler.select, compiler.klass_info
        fields = [column[0] for column in select[0 : compiler.col_count]]
        self.converters = compiler.get_converters(fields)
        self.apply_converters = compiler.apply_converters
        start, end = klass_info["select_fields"][0], klass_info["select_fields"][-1] + 1
        self.model_slice = slice(start, end)
        self.init_list = [column[0].target.attname for column in select[start:end]]
        self.related_populators = get_related_populators(klass_info, select, queryset.db)
        self.annotations = list(compiler.annotation_col_map.items())

    def parameters_for(self, arguments):
        parameters = list(self.parameters)
        for position, name, convert in self.slots:
            parameters[position] = convert(arguments[name])
        return parameters

    def objects(self, rows):
        if self.converters:
            rows = self.apply_converters(rows, self.converters)
        for row in rows:
            instance = self.model.from_db(self.db, self.init_list, row[self.model_slice])
            for populator in self.related_populators:
                populator.populate(row, instance)
            for name, position in self.annotations:
                setattr(instance, name, row[position])
            yield instance


class PreparedQuery:
    """A queryset built by ``build(**arguments)``, compiled once per connection to ``using``.
    ``names``: the arguments it takes (default: the parameters of ``build``). ``lock``: a locking
    clause Django cannot write (PostgreSQL's ``FOR KEY SHARE``), appended to the SQL; the query
    then runs only inside a transaction, as ``select_for_update`` does."""

    def __init__(self, build, *names, using="default", lock=""):
        self._build = build
        self._lock = lock
        self._names = names or tuple(signature(build).parameters)
        self._using = using
        self._compiled = weakref.WeakKeyDictionary()  # connection wrapper → _Compiled

    def all(self, **arguments):
        """The instances, as ``list(build(**arguments))`` would give them."""
        if set(arguments) != set(self._names) or any(value is None for value in arguments.values()):
            raise TypeError(f"A prepared query needs every one of {self._names}, none of them None.")
        connection = connections[self._using]
        compiled = self._compiled.get(connection)
        if compiled is None:
            markers = {name: _marker(number, arguments[name]) for number, name in enumerate(self._names)}
            try:
                queryset = self._build(**markers).using(self._using)
            except (TypeError, ValueError) as error:  # e.g. a slice, which takes no negative marker
                raise ImproperlyConfigured(
                    f"The prepared query cannot take its arguments as parameters: {error}"
                ) from error
            compiled = self._compiled[connection] = _Compiled(queryset, markers, lock=self._lock)
        for name, kind in compiled.kinds.items():
            if type(arguments[name]) is not kind:  # ints stay ints: the SQL was compiled for that type
                raise TypeError(f"The prepared query's {name} must be {kind.__name__}, as when it was compiled.")
        if compiled.locks and not connection.in_atomic_block:
            raise TransactionManagementError("select_for_update cannot be used outside of a transaction.")
        with planned_once_cursor(connection) as cursor:
            cursor.execute(compiled.sql, compiled.parameters_for(arguments))
            rows = cursor.fetchall()
        return list(compiled.objects(rows))

    def first(self, **arguments):
        """The first instance, or None (the queryset's own order; give it one if several rows match)."""
        found = self.all(**arguments)
        return found[0] if found else None


def planned_once_cursor(connection):
    """A cursor whose statements PostgreSQL parses and plans once per connection: psycopg binds the
    parameters on the server and prepares each statement (``prepare=True``). For the statements of
    hot paths (a label create's database CPU halved); Django's own cursors keep binding on the client,
    which knows no limit of 65,535 parameters (a ``bulk_create`` of 10,000 images has 110,000).
    Elsewhere, and with IT_DB_PREPARED_STATEMENTS off (no ``prepare_threshold``): Django's cursor."""
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        return connection.cursor()
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = _PreparingCursor(connection.connection)
    return _DebugWrapper(cursor, connection) if connection.queries_logged else connection.make_cursor(cursor)


class _PreparingCursor(ServerBindingCursor):
    """psycopg's server-side binding, every statement prepared (on its first run)."""

    def execute(self, query, params=None, *, prepare=None, binary=None):
        return super().execute(query, params, prepare=True, binary=binary)


class _DebugWrapper(CursorDebugWrapper):
    """Logs (``connection.queries``, ``CaptureQueriesContext``) the SQL as given: psycopg keeps no
    text of a prepared statement's run for Django's ``last_executed_query``."""

    def debug_sql(self, sql=None, params=None, use_last_executed_query=False, many=False):
        return super().debug_sql(sql, params, use_last_executed_query=False, many=many)
