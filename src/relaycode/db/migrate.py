"""Run Alembic migrations programmatically (``relaycode db upgrade`` and the tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config

_PACKAGE = Path(__file__).resolve().parents[1]


def _root() -> Path:
    """Where alembic.ini and migrations/ are: inside an installed wheel, else the checkout."""
    for root in (_PACKAGE, _PACKAGE.parents[1]):
        if (root / "migrations" / "env.py").is_file():
            return root
    raise FileNotFoundError("relaycode's migrations are missing from this installation")


def alembic_config(url: str) -> Config:
    root = _root()
    cfg = Config(str(root / "alembic.ini"))
    cfg.set_main_option("script_location", str(root / "migrations"))
    cfg.attributes["url"] = url
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    command.downgrade(alembic_config(url), revision)
