"""classifier: the model store (every trained model, the live one) and a case's suggested categories

Revision ID: 0004_classifier
Revises: 0003_setup
Frozen DDL: imports nothing from the live models.
"""
from alembic import op
import sqlalchemy as sa


revision = "0004_classifier"
down_revision = "0003_setup"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "classifier_model",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("samples", sa.Integer(), nullable=False),
        sa.Column("corrections", sa.Integer(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("accepted", sa.Boolean(), nullable=False),
        sa.Column("blob", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_classifier_model")),
    )
    # existing cases had no suggestions: an empty list
    op.add_column("case", sa.Column("suggested", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))


def downgrade() -> None:
    op.drop_column("case", "suggested")
    op.drop_table("classifier_model")
