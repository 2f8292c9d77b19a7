"""The Django app of the compatibility workload: one model with a column of every common type."""
from django.contrib.postgres.fields import ArrayField
from django.db import models


class RealField(models.FloatField):
    """float4: Django's FloatField is double precision."""

    def db_type(self, connection):
        return "real"


class TimestampField(models.Field):
    """timestamp without time zone, values passed through as naive datetimes (USE_TZ=True
    would otherwise make them aware)."""

    def db_type(self, connection):
        return "timestamp"


class PlainJsonField(models.JSONField):
    """json (JSONField is jsonb); psycopg2 already parses json values."""

    def db_type(self, connection):
        return "json"

    def from_db_value(self, value, expression, connection):
        return value if not isinstance(value, str) else super().from_db_value(value, expression, connection)


class Item(models.Model):
    i2 = models.SmallIntegerField(null=True)
    i4 = models.IntegerField(null=True)
    i8 = models.BigIntegerField(null=True)
    num = models.DecimalField(max_digits=12, decimal_places=4, null=True)
    f4 = RealField(null=True)
    f8 = models.FloatField(null=True)
    b = models.BooleanField(null=True)
    t = models.TextField(null=True)
    vc = models.CharField(max_length=40, unique=True, null=True)
    by = models.BinaryField(null=True)
    d = models.DateField(null=True)
    tm = models.TimeField(null=True)
    ts = TimestampField(null=True)
    tstz = models.DateTimeField(null=True)
    iv = models.DurationField(null=True)
    u = models.UUIDField(null=True)
    j = PlainJsonField(null=True)
    jb = models.JSONField(null=True)
    arr = ArrayField(models.IntegerField(null=True), null=True)
    tarr = ArrayField(models.TextField(), null=True)
    n = models.TextField(null=True)

    class Meta:
        db_table = "compat_django"
