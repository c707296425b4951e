"""argon2id password hashing, with a dummy verify so unknown users cost the same time."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError


class Passwords:
    def __init__(self, memory_kib: int, time_cost: int) -> None:
        self._ph = PasswordHasher(memory_cost=memory_kib, time_cost=time_cost, parallelism=1)
        self._dummy = self._ph.hash("relaycode-dummy-password")

    def hash(self, password: str) -> str:
        return self._ph.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        try:
            return self._ph.verify(stored or self._dummy, password) and stored is not None
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self._ph.check_needs_rehash(stored)
