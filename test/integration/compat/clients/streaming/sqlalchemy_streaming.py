"""SQLAlchemy with its default PostgreSQL driver (psycopg2) and default engine options, 2.0-style
connections (`future=True`, SQLAlchemy 1.4's spelling of 2.x behaviour): a Core result streamed
through execution_options(stream_results=True, yield_per=500), which reads through a psycopg2
named cursor; and one abandoned half-way and closed inside the transaction, which then commits."""
import sqlalchemy as sa

from streaming_common import MARKS_DDL, QUERY, main, step, summarise, take_half

STREAMING = {"stream_results": True, "yield_per": 500}


def run(target):
    result = {}
    url = f"postgresql://{target['user']}@{target['host']}:{target['port']}/{target['database']}"
    engine = sa.create_engine(url, future=True, connect_args={"connect_timeout": 10})

    def setup():
        with engine.connect() as conn:
            conn.execute(sa.text(MARKS_DDL))
            conn.commit()

    def streamed():
        with engine.connect() as conn:
            value = summarise(conn.execution_options(**STREAMING).execute(sa.text(QUERY)))
            conn.commit()
        with engine.connect() as conn:
            return {**value, "after": conn.execute(sa.text("select 1")).scalar()}

    def abandoned():
        with engine.connect() as conn:
            conn.execute(sa.text("insert into streaming_marks values (:h)"), {"h": "sqlalchemy"})
            rows = conn.execution_options(**STREAMING).execute(sa.text(QUERY))
            value = take_half(rows)
            rows.close()
            after = conn.execute(sa.text("select 1")).scalar()
            conn.commit()
        with engine.connect() as conn:
            committed = conn.execute(sa.text("select count(*) from streaming_marks where habit = 'sqlalchemy'")).scalar()
        return {**value, "after": after, "committed": committed}

    step(result, "setup", setup)
    step(result, "stream_results", streamed)
    step(result, "stream_results_abandoned", abandoned)
    engine.dispose()
    return result


if __name__ == "__main__":
    main(run)
