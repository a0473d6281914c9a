"""room for every edge the format allows in the rollups' `edges`

Revision ID: 0005
Revises: 0004
The rollups keep a histogram's edges as text ("30,60,…"), in 400 characters: the box's 80 edges take 387, but the
format allows 128 edges (up to a day each, contactpoint.report_format.MAX_EDGE_S), which take up to 767. PostgreSQL
refused such a rollup and the ingest failed; now 800.

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0005'
down_revision: str | Sequence[str] | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("hourly", "daily", "monthly")


def upgrade() -> None:
    """Upgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("edges", type_=sa.String(800), existing_type=sa.String(400), existing_nullable=False)


def downgrade() -> None:
    """Downgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            batch.alter_column("edges", type_=sa.String(400), existing_type=sa.String(800), existing_nullable=False)
