"""reading: case kind (complaint | inquiry), the knowledge base, pre-binding media and dialogue state

Revision ID: 0005_reading
Revises: 0004_classifier
"""
from alembic import op
import sqlalchemy as sa


revision = "0005_reading"
down_revision = "0004_classifier"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="complaint"))
    if op.get_bind().dialect.name == "postgresql":  # the rates read kind from the covering index too
        op.drop_index("ix_case_village_received", table_name="case")
        op.create_index("ix_case_village_received", "case", ["village_id", "received_at"], postgresql_include=[
            "state", "accepted_at", "contact_due_at", "resolve_due_at", "reopened", "category", "kind"])
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending_media", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.add_column(sa.Column("dialogue", sa.JSON(), nullable=False, server_default="{}"))
    op.create_table(
        "knowledge_entry",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("county", sa.String(length=64), nullable=False),
        sa.Column("township", sa.String(length=64), nullable=False),
        sa.Column("village", sa.String(length=64), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.Column("words", sa.JSON(), nullable=False),
        sa.Column("hits", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_knowledge_entry")),
    )
    with op.batch_alter_table("knowledge_entry", schema=None) as batch_op:
        batch_op.create_index("ix_knowledge_entry_scope", ["county", "township", "village"], unique=False)


def downgrade() -> None:
    op.drop_table("knowledge_entry")
    with op.batch_alter_table("resident", schema=None) as batch_op:
        batch_op.drop_column("dialogue")
        batch_op.drop_column("pending_media")
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_case_village_received", table_name="case")
        op.create_index("ix_case_village_received", "case", ["village_id", "received_at"], postgresql_include=[
            "state", "accepted_at", "contact_due_at", "resolve_due_at", "reopened", "category"])
    with op.batch_alter_table("case", schema=None) as batch_op:
        batch_op.drop_column("kind")
