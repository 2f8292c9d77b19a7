"""Django (its PostgreSQL backend on psycopg2) with the settings `startproject` writes: the workload
app is copied into a fresh folder with a generated settings module, `makemigrations` writes its
migration and `migrate` applies it; then the model API, transaction.atomic and
QuerySet.iterator() (a server-side cursor, WITH HOLD outside a transaction)."""
import os
import shutil
import sys
import tempfile

from compat_common import TYPED_COLUMNS, TYPED_VALUES, VC, SCHEMA_QUERY, error_fields, main, normalise_row, sqlstate_of, step

HERE = os.path.dirname(os.path.abspath(__file__))
TABLE = "compat_django"

SETTINGS = """
SECRET_KEY = "compat-suite-only"
INSTALLED_APPS = ["django.contrib.postgres", "compatapp"]
DATABASES = {{"default": {{
    "ENGINE": "django.db.backends.postgresql",
    "HOST": {host!r}, "PORT": {port!r}, "USER": {user!r}, "NAME": {database!r}, "PASSWORD": "",
}}}}
USE_TZ = True
TIME_ZONE = "UTC"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
"""


def run(target):
    project = tempfile.mkdtemp(prefix="compat-django-")
    try:
        shutil.copytree(os.path.join(HERE, "compatapp"), os.path.join(project, "compatapp"),
                        ignore=shutil.ignore_patterns("__pycache__", "migrations"))
        with open(os.path.join(project, "compat_settings.py"), "w") as f:
            f.write(SETTINGS.format(host=target["host"], port=str(target["port"]), user=target["user"], database=target["database"]))
        sys.path.insert(0, project)
        os.environ["DJANGO_SETTINGS_MODULE"] = "compat_settings"
        return workload()
    finally:
        shutil.rmtree(project, ignore_errors=True)


def workload():
    import django
    from django.core.management import call_command
    from django.db import IntegrityError, connection, transaction

    django.setup()
    from compatapp.models import Item

    result = {}
    ids = [1, 2]

    def schema():
        call_command("makemigrations", "compatapp", verbosity=0)
        call_command("migrate", verbosity=0)
        with connection.cursor() as cur:
            cur.execute(SCHEMA_QUERY, [TABLE])
            return [list(r) for r in cur.fetchall()]

    def insert():
        first = Item.objects.create(**TYPED_VALUES)
        second = Item.objects.create()
        ids[:] = [first.id, second.id]
        return {"first": {"id": first.id, "t": first.t}, "second": {"id": second.id}}

    def row(id_):
        item = Item.objects.get(id=id_)
        return normalise_row({c: getattr(item, c) for c in TYPED_COLUMNS})

    def update():
        count = Item.objects.filter(id=ids[0]).update(t="updated")
        return {"count": count, "t": Item.objects.get(id=ids[0]).t}

    def delete():
        deleted, _ = Item.objects.filter(id=ids[1]).delete()
        return {"deleted": deleted, "remaining": Item.objects.count()}

    def commit():
        with transaction.atomic():
            Item.objects.create(vc="committed")
        return {"count": Item.objects.filter(vc="committed").count()}

    class Rollback(Exception):
        pass

    def rollback():
        inside = -1
        try:
            with transaction.atomic():
                Item.objects.create(vc="rolled back")
                inside = Item.objects.filter(vc="rolled back").count()
                raise Rollback()
        except Rollback:
            pass
        return {"inside": inside, "after": Item.objects.filter(vc="rolled back").count()}

    violation = {}

    def unique():
        try:
            Item.objects.create(vc=VC)
        except IntegrityError as e:
            violation["error"] = e
        error = violation.get("error")
        with connection.cursor() as cur:
            cur.execute("select 1")
            after = cur.fetchone()[0]
        return {"sqlstate": sqlstate_of(error) if error else None, "error": type(error).__name__ if error else None, "after": after}

    def iterator():
        return list(Item.objects.order_by("id").values_list("id", flat=True).iterator())

    step(result, "schema", schema)
    step(result, "insert", insert)
    step(result, "types", lambda: row(ids[0]))
    step(result, "nulls", lambda: row(ids[1]))
    step(result, "update", update)
    step(result, "delete", delete)
    step(result, "commit", commit)
    step(result, "rollback", rollback)
    step(result, "unique", unique)
    step(result, "unique_fields", lambda: error_fields(violation.get("error")))
    step(result, "iterator", iterator)
    connection.close()
    return result


if __name__ == "__main__":
    main(run)
