"""Residents' names and phones (代录, 电话 N), whether the phone was asked for; the villages a
team member is listed under (routing as the card says).

Revision ID: 0008_cadres2
Revises: 0007_security
"""
import sqlalchemy as sa
from alembic import op

revision = "0008_cadres2"
down_revision = "0007_security"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("villages", sa.JSON(), nullable=False, server_default="[]"))
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("name", sa.String(length=32), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("phone", sa.String(length=20), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("phone_asked", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("villages")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("phone_asked")
        batch_op.drop_column("phone")
        batch_op.drop_column("name")
