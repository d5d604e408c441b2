import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

import jichikai.models  # noqa: F401  (every feature's tables)
from jichikai.database import UTCDateTime
from jichikai.notices.search import outside_models

config = context.config
if config.config_file_name and not logging.getLogger().handlers:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    return target_db.engine


def get_metadata():
    return target_db.metadata


def render_item(type_, obj, autogen_context):
    """Write our UTC datetime column as the plain type it is stored as."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def run_migrations_offline():
    context.configure(
        url=get_engine().url.render_as_string(hide_password=False),
        target_metadata=get_metadata(),
        literal_binds=True,
        render_as_batch=True,
        render_item=render_item,
        include_name=outside_models,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online():
    def process_revision_directives(context, revision, directives):
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()
    with connectable.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=get_metadata(),
            render_item=render_item,
            include_name=outside_models,
            **conf_args,
        )
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # A batch migration copies a table, drops it and renames the copy; with foreign
            # keys enforced, dropping a table other rows refer to fails (or would cascade).
            # Off for the migration only (a PRAGMA outside any transaction), checked after.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        with context.begin_transaction():
            if connection.dialect.name == "postgresql":
                # Web requests fail fast (DATABASE_STATEMENT_TIMEOUT_SECONDS); a migration that
                # rewrites a large table must not be cut off halfway by the same limit. LOCAL:
                # the pooled connection keeps its limit once the migrations are done.
                connection.exec_driver_sql("SET LOCAL statement_timeout = 0")
            context.run_migrations()
        if sqlite:
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            if broken:
                raise RuntimeError(f"the migrations left rows without their parent: {broken}")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
