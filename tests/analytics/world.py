"""A small shop with hand-counted figures (see EXPECTED comments in the tests).

Period 2030-03-01 .. 2030-03-10. Merchant "tea": offers A and B; a rival merchant.
Codes of A: r1 (poster), r2 (no channel); a1 = alice's share of r1 (wechat);
b1 = bob's share of a1 (wechat); c1 = a device-only account's share of b1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics import factories as f
from relaycode.identity import service as identity

FROM, TO = "2030-03-01", "2030-03-10"


@dataclass
class World:
    tokens: dict[str, str]
    ids: dict[str, Any]


def build(app: Any) -> World:
    with app.state.rc.db.transaction() as db:
        owner = f.user(db, "owner")
        staff = f.user(db, "staffer")
        verifier = f.user(db, "checker")
        rival = f.user(db, "rival")
        alice = f.user(db, "alice", display_name="Alice W", phone="+8613800000000")
        bob = f.user(db, "bob", phone="+8613911111111")
        carol = f.user(db, None)  # a device-only account
        buyers = {n: f.user(db, n) for n in ("dave", "erin", "frank", "gina", "hank")}
        tea = f.merchant(db, "tea", {owner: "owner", staff: "staff", verifier: "verifier"})
        other = f.merchant(db, "rival", {rival: "owner"})
        a, b, x = f.offer(db, tea, "Tea A"), f.offer(db, tea, "Tea B"), f.offer(db, other, "X")
        r1 = f.code(db, a, channel="poster")
        r2 = f.code(db, a)
        a1 = f.code(db, a, parent=r1, holder=alice, channel="wechat")
        b1 = f.code(db, a, parent=a1, holder=bob, channel="wechat")
        c1 = f.code(db, a, parent=b1, holder=carol)
        rb = f.code(db, b, channel="poster")
        rx = f.code(db, x)

        day = f.at
        # r1: 5 counted in the period (bob twice, UA1, UA3, UA4), 4 unique; a bot, a
        # staff scan (not counted); UA1 once before the period.
        f.scan(db, r1, day("2030-03-01", 9), by=bob)
        f.scan(db, r1, day("2030-03-01", 10), by=bob)
        for ua in ("UA1", "UA3", "UA4"):
            f.scan(db, r1, day("2030-03-01", 11), agent=ua)
        f.scan(db, r1, day("2030-03-02"), agent="facebookexternalhit/1.1", bot=True)
        f.scan(db, r1, day("2030-03-02"), by=owner, staff=True)
        f.scan(db, r1, day("2030-02-28"), agent="UA1")
        # a1: 4 scans, 3 unique (UA1, one device twice, carol).
        device = identity.attach_device(db, buyers["hank"], None, "phone")
        f.scan(db, a1, day("2030-03-02"), agent="UA1")
        f.scan(db, a1, day("2030-03-02"), device_id=device.id, agent="UA5")
        f.scan(db, a1, day("2030-03-03"), by=carol)
        f.scan(db, a1, day("2030-03-03", 23), device_id=device.id, agent="UA6")
        f.scan(db, b1, day("2030-03-05"), by=buyers["dave"])
        f.scan(db, rb, day("2030-03-04"), agent="UA2")
        f.scan(db, rx, day("2030-03-04"), agent="UA9")

        o1 = f.order(db, a, buyers["dave"], via=b1, amount=1000, paid=day("2030-03-05"))
        o2 = f.order(db, a, carol, via=a1, amount=2000, refunded=500,
                     status="partially_refunded", paid=day("2030-03-03"))  # fmt: skip
        o3 = f.order(db, a, buyers["erin"], via=a1, amount=1500, refunded=1500,
                     status="refunded", paid=day("2030-03-03"))  # fmt: skip
        f.order(db, a, buyers["erin"], via=a1, amount=9999, status="pending",
                paid=day("2030-03-03"))  # fmt: skip
        f.order(db, a, buyers["erin"], via=a1, amount=8888, status="cancelled",
                paid=day("2030-03-03"))  # fmt: skip
        o6 = f.order(db, b, buyers["frank"], via=rb, amount=3000, status="fulfilled",
                     paid=day("2030-03-04"))  # fmt: skip
        # First touch: came through r1, credited to alice's earlier share a1.
        o7 = f.order(db, a, buyers["gina"], via=r1, credited=a1, amount=700,
                     paid=day("2030-03-06"))  # fmt: skip
        o8 = f.order(db, a, buyers["hank"], via=b1, amount=100, paid=day("2030-02-20"))
        o9 = f.order(db, x, buyers["hank"], via=rx, amount=5000, paid=day("2030-03-04"))
        f.order(db, a, buyers["hank"], via=r2, amount=400, currency="USD",
                paid=day("2030-03-07"))  # fmt: skip

        f.commission(db, o1, bob, via=b1, amount=100)
        f.commission(db, o1, alice, via=a1, amount=50, level=2, status="available")
        f.commission(db, o2, alice, via=a1, amount=200, reversed_minor=50)
        f.commission(db, o3, alice, via=a1, amount=150, reversed_minor=150, status="reversed")
        f.commission(db, o7, alice, via=a1, amount=70, status="blocked")
        f.commission(db, o6, None, via=None, amount=30, level=0, status="available")
        f.commission(db, o8, bob, via=b1, amount=10)
        f.commission(db, o9, None, via=None, amount=99, level=0)

        tokens = {
            u.username or "": f.token(db, u) for u in (owner, staff, verifier, rival, alice, bob)
        }
        ids = {
            "tea": tea.id, "rival": other.id, "A": a.id, "B": b.id, "X": x.id,
            "r1": r1.id, "r2": r2.id, "a1": a1.id, "b1": b1.id, "c1": c1.id, "rb": rb.id,
            "alice": alice.id, "bob": bob.id,
        }  # fmt: skip
    return World(tokens=tokens, ids=ids)


# ---- a livelier shop, for the pages and their screenshots -------------------------------


def demo(app: Any, *, shares: int = 300, seed: int = 6) -> dict[str, Any]:
    """A merchant with one offer shared ``shares`` times over the last 30 days, scans and
    orders on many shares, commissions for their sharers; Alice is one of the sharers.
    Returns ids and cookie-session secrets for "owner" and "alice"."""
    import random
    from datetime import timedelta

    from relaycode.analytics.period import today

    rnd = random.Random(seed)
    first = today() - timedelta(days=29)

    def when(day: int, hour: int = 12) -> Any:
        return f.at((first + timedelta(days=day)).isoformat(), hour)

    names = ["Alice Wang", "Bo Li", "陈晨", "Dana", "Eitan", "Fang Zhou", "Grace", "何静", "Ivan",
             "Jun", "Kenji", "刘洋", "Mia", "Nora", "Omar", "Pia", "Qiang", "Rosa"]  # fmt: skip
    with app.state.rc.db.transaction() as db:
        owner = f.user(db, "owner", display_name="Spring Tea")
        people = [f.user(db, f"u{i}", display_name=names[i % len(names)] + ("" if i < len(names)
                  else f" {i}")) for i in range(shares)]  # fmt: skip
        alice = people[0]
        tea = f.merchant(db, "spring-tea", {owner: "owner"})
        offer = f.offer(db, tea, "West Lake Longjing 250 g")
        other = f.offer(db, tea, "Jasmine pearls 100 g")
        pairs = ((offer, "poster"), (offer, "wechat"), (other, "poster"))
        roots = [f.code(db, o, channel=ch, created=when(0)) for o, ch in pairs]
        codes = roots[:2]
        made = [f.code(db, offer, parent=roots[0], holder=alice, channel="wechat",
                       created=when(1))]  # fmt: skip
        codes += made
        for person in people[1:shares]:
            # Earlier shares are likelier parents: a few busy branches, a long tail.
            parent = codes[min(int(rnd.paretovariate(1.2)) - 1, len(codes) - 1)]
            if rnd.random() < 0.5:
                parent = rnd.choice(codes)
            channel = rnd.choice(["wechat", "weibo", None, "moments"])
            share = f.code(db, offer, parent=parent, holder=person, channel=channel,
                           created=when(rnd.randrange(2, 20)))  # fmt: skip
            codes.append(share)
        buyers = [f.user(db, f"buyer{i}") for i in range(40)]
        for i, c in enumerate([*codes, roots[2]]):
            for _ in range(rnd.choice([0, 0, 1, 2, 3, 5, 8]) + (20 if i < 3 else 0)):
                d = rnd.randrange(30)
                f.scan(db, c, when(d, rnd.randrange(24)), agent=f"UA{rnd.randrange(400)}")
        for n in range(60):
            c = codes[min(int(rnd.expovariate(0.05)), len(codes) - 1)]
            amount = rnd.choice([3800, 7600, 11400])
            o = f.order(db, offer, rnd.choice(buyers), via=c, amount=amount,
                        paid=when(rnd.randrange(30)))  # fmt: skip
            if n % 9 == 0:
                o.status, o.amount_refunded_minor = "partially_refunded", 1900
            if c.holder_user_id is not None:
                holder = db.get(type(alice), c.holder_user_id)
                f.commission(db, o, holder, via=c, amount=o.amount_minor // 10,
                             status=rnd.choice(["pending", "available"]))  # fmt: skip
        for n in range(4):
            o = f.order(db, offer, buyers[n], via=made[0], amount=7600, paid=when(25 + n))
            f.commission(db, o, alice, via=made[0], amount=760,
                         status=["pending", "available", "reversed", "blocked"][n],
                         reversed_minor=760 if n == 2 else 0)  # fmt: skip
        device = identity.attach_device(db, owner, None, "test")
        owner_cookie = identity.start_session(db, owner, device, kind="cookie", days=1).secret
        device = identity.attach_device(db, alice, None, "test")
        alice_cookie = identity.start_session(db, alice, device, kind="cookie", days=1).secret
        return {"slug": tea.slug, "merchant_id": tea.id, "offer_id": offer.id,
                "owner": owner_cookie, "alice": alice_cookie, "nodes": len(codes)}  # fmt: skip
