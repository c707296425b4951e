"""The referral tree as a picture (server-side SVG) and as a collapsible HTML list.

The picture is an *indented* tidy tree: one row per node, children below their parent and
indented one step, joined by elbow lines, as a file browser draws folders. Unlike a
top-down Reingold–Tilford layout, whose width grows with the number of leaves (hundreds
of shares make it metres wide), its width grows only with the depth, so it fits a
phone's width and reads by scrolling down; every label sits on its own row, so none
overlap. To stay readable with hundreds of nodes it folds, per parent, the children
beyond the ``max_children`` busiest (most orders, then scans, in the whole subtree), and
the quiet ones (no order in their subtree) beyond the ``max_quiet`` most scanned, into one
"+N more" row carrying their summed figures; the same below ``max_depth`` or once
``max_drawn`` rows are drawn. The HTML list beside it has every node (up to the tree
cap), folded with <details> below the first levels.

The nodes come parents first (analytics.service.referral_tree); building, summing and
listing are iterative, so a chain thousands of shares deep cannot exhaust the stack.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from markupsafe import Markup, escape

from relaycode.analytics.schemas import TreeNode

ROW, INDENT, PAD = 34, 18, 12


@dataclass
class Node:
    key: str
    kind: str  # "offer" (the picture's root), "code", "share", "more"
    title: str
    scans: int = 0
    orders: int = 0
    revenue: dict[str, int] = field(default_factory=dict)
    commissions: dict[str, int] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    count: int = 1  # nodes in the subtree (for "more": the nodes it stands for)
    # Sums over the subtree, for ranking and for "+N more" rows.
    sub_scans: int = 0
    sub_orders: int = 0


def _add(into: dict[str, int], more: dict[str, int]) -> None:
    for cur, v in more.items():
        into[cur] = into.get(cur, 0) + v


def build(offer_title: str, nodes: Sequence[TreeNode], name: Callable[[TreeNode], str]) -> Node:
    """The tree under one root standing for the offer; a node whose parent is not in
    ``nodes`` (cut by the cap, or a code of another offer) hangs from the root."""
    root = Node(key="offer", kind="offer", title=offer_title)
    by_id: dict[str, Node] = {}
    order: list[tuple[Node, Node]] = []
    for n in nodes:
        node = Node(key=n.code_id, kind="share" if n.kind == "share" else "code", title=name(n),
                    scans=n.scans, orders=n.orders, revenue=dict(n.revenue),
                    commissions=dict(n.commissions))  # fmt: skip
        parent = by_id.get(n.parent_id or "", root)
        parent.children.append(node)
        by_id[n.code_id] = node
        order.append((node, parent))
    for node in (root, *by_id.values()):
        node.sub_scans, node.sub_orders = node.scans, node.orders
    for node, parent in reversed(order):  # children before parents: sums bubble up
        parent.count += node.count
        parent.sub_scans += node.sub_scans
        parent.sub_orders += node.sub_orders
        _add(root.revenue, node.revenue)
        _add(root.commissions, node.commissions)
    root.scans, root.orders = root.sub_scans, root.sub_orders
    for node in (root, *by_id.values()):
        node.children.sort(key=lambda c: (c.sub_orders, c.sub_scans, c.count), reverse=True)
    return root


def _fold(nodes: Sequence[Node], title: Callable[[int], str]) -> Node:
    more = Node(key="more:" + nodes[0].key, kind="more", title=title(sum(n.count for n in nodes)))
    stack = list(nodes)
    more.count = 0
    while stack:
        n = stack.pop()
        more.count += 1
        more.scans += n.scans
        more.orders += n.orders
        _add(more.revenue, n.revenue)
        _add(more.commissions, n.commissions)
        stack.extend(n.children)
    more.title = title(more.count)
    return more


@dataclass(frozen=True)
class Row:
    node: Node
    depth: int
    parent_row: int | None


def rows(
    root: Node,
    more_title: Callable[[int], str],
    *,
    max_children: int = 10,
    max_quiet: int = 2,
    max_depth: int = 12,
    max_drawn: int = 600,
) -> list[Row]:
    """The rows the picture draws, in reading order (pre-order)."""
    out: list[Row] = []
    stack: list[tuple[Node, int, int | None]] = [(root, 0, None)]
    while stack:
        node, depth, parent_row = stack.pop()
        out.append(Row(node, depth, parent_row))
        me = len(out) - 1
        kids = node.children
        if not kids or node.kind == "more":
            continue
        room = max(max_drawn - len(out) - len(stack), 1)
        # Children come busiest first: those that sold (in their subtree), then the
        # quiet ones, of which only the most scanned few are drawn.
        selling = sum(1 for c in kids if c.sub_orders)
        wanted = selling + min(max_quiet, len(kids) - selling)
        keep = 0 if depth >= max_depth else min(max_children, wanted, room)
        if keep == len(kids) - 1:  # folding a single row saves nothing
            keep = len(kids)
        shown: list[Node] = list(kids[:keep])
        if keep < len(kids):
            shown.append(_fold(kids[keep:], more_title))
        for child in reversed(shown):
            stack.append((child, depth + 1, me))
    return out


def _text_width(text: str, size: float) -> float:
    wide = sum(1 for ch in text if ord(ch) >= 0x2E80)  # CJK and friends: about 1 em
    return (len(text) - wide) * size * 0.56 + wide * size


def svg(lines: Sequence[Row], detail: Callable[[Node], str], title: str) -> Markup:
    """The picture of ``lines`` (from ``rows``), at its natural size in CSS pixels."""
    width = 0.0
    parts: list[str] = []
    last_child: dict[int, int] = {}
    for i, line in enumerate(lines):
        if line.parent_row is not None:
            last_child[line.parent_row] = i
    for i, line in enumerate(lines):
        cx, cy = PAD + line.depth * INDENT, PAD + i * ROW + 9
        n = line.node
        if i in last_child:  # the trunk down to this node's last child
            y2 = PAD + last_child[i] * ROW + 9
            parts.append(f'<path class="edge" d="M{cx} {cy}V{y2}"/>')
        if line.parent_row is not None:
            parts.append(f'<path class="edge" d="M{cx - INDENT} {cy}H{cx}"/>')
        r = 4 + min(5.0, math.log2(1 + n.scans)) if n.kind != "more" else 4
        css = {"offer": "n-offer", "more": "n-more"}.get(n.kind, "n-code" if n.kind == "code"
                                                          else "n-share")  # fmt: skip
        css += " has-orders" if n.orders else ""
        text = detail(n)
        parts.append(
            f'<g class="node {css}"><circle cx="{cx}" cy="{cy}" r="{r:.1f}"/>'
            f'<text class="t-name" x="{cx + 11}" y="{cy + 4}">{escape(n.title)}</text>'
            f'<text class="t-detail" x="{cx + 11}" y="{cy + 19}">{escape(text)}</text></g>'
        )
        width = max(width, cx + 11 + max(_text_width(n.title, 13), _text_width(text, 11)))
    w, h = math.ceil(width + PAD), PAD * 2 + len(lines) * ROW
    head = (f'<svg class="tree" width="{w}" height="{h}" viewBox="0 0 {w} {h}" role="img" '
            f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">'
            f"<title>{escape(title)}</title>")  # fmt: skip
    # Edges first, so nodes and labels are drawn over them.
    edges = [p for p in parts if p.startswith("<path")]
    nodes = [p for p in parts if not p.startswith("<path")]
    return Markup(head + "".join(edges) + "".join(nodes) + "</svg>")


def html_list(root: Node, detail: Callable[[Node], str], *, open_depth: int = 2) -> Markup:
    """Every node as nested lists; a node with children is a <details>, open near the top."""
    out: list[str] = ['<ul class="tree-list">']
    # A stack of (node, depth) to open, or None to close a node's <details>.
    stack: list[tuple[Node, int] | None] = [(c, 1) for c in reversed(root.children)]
    while stack:
        item = stack.pop()
        if item is None:
            out.append("</ul></details></li>")
            continue
        node, depth = item
        head = (f'<span class="tl-name">{escape(node.title)}</span> '
                f'<span class="tl-detail">{escape(detail(node))}</span>')  # fmt: skip
        css = " has-orders" if node.orders else ""
        if not node.children:
            out.append(f'<li class="tl-leaf{css}" id="n-{escape(node.key)}">{head}</li>')
            continue
        opened = " open" if depth < open_depth else ""
        out.append(f'<li class="tl-node{css}" id="n-{escape(node.key)}"><details{opened}>'
                   f'<summary>{head}</summary><ul>')  # fmt: skip
        stack.append(None)
        stack.extend((c, depth + 1) for c in reversed(node.children))
    out.append("</ul>")
    return Markup("".join(out))
