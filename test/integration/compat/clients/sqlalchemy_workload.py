"""SQLAlchemy (ORM, its default PostgreSQL driver psycopg2, default engine options): the table is
created by metadata.create_all, rows are written and read through a Session."""
import sqlalchemy as sa
from sqlalchemy import exc, orm
from sqlalchemy.dialects import postgresql

from compat_common import SCHEMA_QUERY, TYPED_COLUMNS, TYPED_VALUES, VC, error_fields, main, normalise_row, sqlstate_of, step

TABLE = "compat_sqlalchemy"

Base = orm.declarative_base()


class Item(Base):
    __tablename__ = TABLE
    id = sa.Column(sa.Integer, primary_key=True)
    i2 = sa.Column(sa.SmallInteger)
    i4 = sa.Column(sa.Integer)
    i8 = sa.Column(sa.BigInteger)
    num = sa.Column(sa.Numeric(12, 4))
    f4 = sa.Column(sa.REAL)
    f8 = sa.Column(postgresql.DOUBLE_PRECISION)
    b = sa.Column(sa.Boolean)
    t = sa.Column(sa.Text)
    vc = sa.Column(sa.String(40), unique=True)
    by = sa.Column(sa.LargeBinary)
    d = sa.Column(sa.Date)
    tm = sa.Column(sa.Time)
    ts = sa.Column(sa.DateTime)
    tstz = sa.Column(sa.DateTime(timezone=True))
    iv = sa.Column(sa.Interval)
    u = sa.Column(postgresql.UUID(as_uuid=True))
    j = sa.Column(postgresql.JSON)
    jb = sa.Column(postgresql.JSONB)
    arr = sa.Column(postgresql.ARRAY(sa.Integer))
    tarr = sa.Column(postgresql.ARRAY(sa.Text))
    n = sa.Column(sa.Text)


def run(target):
    result = {}
    engine = sa.create_engine(f"postgresql://{target['user']}@{target['host']}:{target['port']}/{target['database']}")
    Session = orm.sessionmaker(engine)
    ids = [1, 2]

    def schema():
        Base.metadata.create_all(engine)
        with engine.connect() as conn:
            return [list(r) for r in conn.execute(sa.text(SCHEMA_QUERY.replace("%s", ":t")), {"t": TABLE})]

    def insert():
        with Session() as s:
            first, second = Item(**TYPED_VALUES), Item()
            s.add(first)
            s.flush()  # INSERT ... RETURNING id
            s.add(second)
            s.commit()
            ids[:] = [first.id, second.id]
            return {"first": {"id": first.id, "t": first.t}, "second": {"id": second.id}}

    def row(id_):
        with Session() as s:
            item = s.get(Item, id_)
            return normalise_row({c: getattr(item, c) for c in TYPED_COLUMNS})

    def update():
        with Session() as s:
            count = s.query(Item).filter_by(id=ids[0]).update({"t": "updated"})
            s.commit()
            return {"count": count, "t": s.get(Item, ids[0]).t}

    def delete():
        with Session() as s:
            count = s.query(Item).filter_by(id=ids[1]).delete()
            s.commit()
            return {"deleted": count, "remaining": s.query(Item).count()}

    def count_vc(s, vc):
        return s.query(Item).filter_by(vc=vc).count()

    def commit():
        with Session.begin() as s:
            s.add(Item(vc="committed"))
        with Session() as s:
            return {"count": count_vc(s, "committed")}

    def rollback():
        with Session() as s:
            s.add(Item(vc="rolled back"))
            s.flush()
            inside = count_vc(s, "rolled back")
            s.rollback()
            return {"inside": inside, "after": count_vc(s, "rolled back")}

    violation = {}

    def unique():
        with Session() as s:
            try:
                s.add(Item(vc=VC))
                s.commit()
            except exc.IntegrityError as e:
                s.rollback()
                violation["error"] = e
            error = violation.get("error")
            return {"sqlstate": sqlstate_of(error) if error else None, "error": type(error).__name__ if error else None,
                    "after": s.execute(sa.text("select 1")).scalar()}

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
    engine.dispose()
    return result


if __name__ == "__main__":
    main(run)
