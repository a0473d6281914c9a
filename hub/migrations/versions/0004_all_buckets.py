"""every histogram bucket in the rollups

Revision ID: 0004
Revises: 0003
The rollups had 65 bucket columns each for waits and services, but a report may send up to 128 edges
(contactpoint.report_format.MAX_EDGES) and the box sends 80: the buckets past the 65th were dropped at ingest and
the dashboard failed reading them. Now 129 each; the added ones are 0 in the rows already there (no box could
fill them: its reports' rollups cannot be read at all before this, and are rebuilt at their next report).

"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision: str = '0004'
down_revision: str | Sequence[str] | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD, NEW = 65, 129
TABLES = ("hourly", "daily", "monthly")


def upgrade() -> None:
    """Upgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for prefix in ("w", "s"):
                for i in range(OLD, NEW):
                    batch.add_column(sa.Column(f"{prefix}{i}", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Downgrade schema."""
    for table in TABLES:
        with op.batch_alter_table(table) as batch:
            for prefix in ("w", "s"):
                for i in range(OLD, NEW):
                    batch.drop_column(f"{prefix}{i}")
