"""The server's check of formats 3 and 4 for the scanner: this instance's trust list, now.

The verification itself is pure (credential_token.py); this binds it to the settings,
the keyring and the clock, for ``classify`` (scan API, pages, ``codes inspect``).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from relaycode.codes.credential_text import Decoded
from relaycode.codes.credential_token import Presented, verify_decoded
from relaycode.codes.trust_list import instance_trust_list

if TYPE_CHECKING:
    from collections.abc import Callable

    from relaycode.codes.keys import Keyring
    from relaycode.config import Settings


def credential_check(settings: Settings, keyring: Keyring) -> Callable[[Decoded], Presented]:
    issuer = settings.public_url

    def check(decoded: Decoded) -> Presented:
        trust = instance_trust_list(settings, keyring)
        return verify_decoded(decoded, trust=trust, now=int(time.time()), our_issuer=issuer)

    return check
