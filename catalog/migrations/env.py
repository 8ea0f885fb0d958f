"""Alembic environment: migrations run on the connection given by catalog.store."""

from alembic import context

from catalog.models import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:  # `alembic` CLI use: build the engine from DATABASE_URL
    from catalog.store import make_engine

    connection = make_engine().connect()

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
