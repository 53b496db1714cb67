"""The log table refuses UPDATE and DELETE (and, on PostgreSQL, TRUNCATE): see
coordination/log/guard.py for the one escape hatch (Django's flush in the test suite)."""

from django.db import migrations

TABLE = "coordination_logentry"
MESSAGE = "the after-action log is append-only"

POSTGRESQL_FORWARD = [
    f"""
    CREATE OR REPLACE FUNCTION coordination_log_append_only() RETURNS trigger
    LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'TRUNCATE'
           AND coalesce(current_setting('parley.log_flush', true), '') = 'on' THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION '{MESSAGE} (% refused on %)', TG_OP, TG_TABLE_NAME
            USING HINT = 'Entries are never edited or deleted; append a new entry instead.';
    END;
    $$;
    """,
    f"""
    CREATE TRIGGER coordination_log_no_update_delete
        BEFORE UPDATE OR DELETE ON {TABLE}
        FOR EACH ROW EXECUTE FUNCTION coordination_log_append_only();
    """,
    f"""
    CREATE TRIGGER coordination_log_no_truncate
        BEFORE TRUNCATE ON {TABLE}
        FOR EACH STATEMENT EXECUTE FUNCTION coordination_log_append_only();
    """,
]
POSTGRESQL_BACKWARD = [
    f"DROP TRIGGER IF EXISTS coordination_log_no_truncate ON {TABLE};",
    f"DROP TRIGGER IF EXISTS coordination_log_no_update_delete ON {TABLE};",
    "DROP FUNCTION IF EXISTS coordination_log_append_only();",
]

SQLITE_FORWARD = [
    f"""
    CREATE TRIGGER coordination_log_no_update BEFORE UPDATE ON {TABLE}
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
    # Django's flush empties tables with DELETE on SQLite: the test suite's teardown lets it
    # through with parley_log_flush_allowed() (coordination/log/guard.py).
    f"""
    CREATE TRIGGER coordination_log_no_delete BEFORE DELETE ON {TABLE}
    WHEN parley_log_flush_allowed() = 0
    BEGIN SELECT RAISE(ABORT, '{MESSAGE}'); END;
    """,
]
SQLITE_BACKWARD = [
    "DROP TRIGGER IF EXISTS coordination_log_no_delete;",
    "DROP TRIGGER IF EXISTS coordination_log_no_update;",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        statements = statements_by_vendor.get(schema_editor.connection.vendor, [])
        for statement in statements:
            schema_editor.execute(statement, params=None)
    return run


class Migration(migrations.Migration):

    dependencies = [
        ("coordination", "0003_reviewer_note"),
    ]

    operations = [
        migrations.RunPython(
            _run({"postgresql": POSTGRESQL_FORWARD, "sqlite": SQLITE_FORWARD}),
            _run({"postgresql": POSTGRESQL_BACKWARD, "sqlite": SQLITE_BACKWARD}),
        ),
    ]
