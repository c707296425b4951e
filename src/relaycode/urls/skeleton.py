"""Step 13 of Chromium's IDN display policy: a host whose confusable skeleton is that of a
well-known domain (or of one of ours) without being it is shown in ``xn--`` form.

Chromium compares against its list of top domains; we keep a short list of the domains
most worth imitating for our users (global and Chinese payment, shopping and messaging
sites), and the instance's own hosts are added by the caller. The skeleton is a subset
of UTS #39's: diacritics removed, then the common Cyrillic, Greek, Armenian and Latin
look-alikes folded to the Latin letter they imitate.
"""

from __future__ import annotations

import unicodedata
from functools import lru_cache

TOP_DOMAINS = frozenset(
    [
        "alipay.com",
        "taobao.com",
        "tmall.com",
        "jd.com",
        "qq.com",
        "wechat.com",
        "weixin.qq.com",
        "baidu.com",
        "weibo.com",
        "163.com",
        "126.com",
        "sina.com.cn",
        "sohu.com",
        "aliyun.com",
        "alibaba.com",
        "meituan.com",
        "dianping.com",
        "pinduoduo.com",
        "douyin.com",
        "kuaishou.com",
        "bilibili.com",
        "xiaohongshu.com",
        "ctrip.com",
        "12306.cn",
        "gov.cn",
        "unionpay.com",
        "icbc.com.cn",
        "ccb.com",
        "boc.cn",
        "abchina.com",
        "bankcomm.com",
        "cmbchina.com",
        "google.com",
        "gmail.com",
        "youtube.com",
        "facebook.com",
        "instagram.com",
        "whatsapp.com",
        "apple.com",
        "icloud.com",
        "microsoft.com",
        "live.com",
        "outlook.com",
        "office.com",
        "amazon.com",
        "paypal.com",
        "ebay.com",
        "github.com",
        "linkedin.com",
        "netflix.com",
        "twitter.com",
        "x.com",
        "yahoo.com",
        "dropbox.com",
        "binance.com",
        "coinbase.com",
        "visa.com",
        "mastercard.com",
        "stripe.com",
    ]
)

_FOLD = str.maketrans(
    {
        # Cyrillic
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ҽ": "e", "ԍ": "g", "һ": "h",
        "і": "i", "ӏ": "l", "ј": "j", "к": "k", "м": "m", "п": "n", "о": "o", "р": "p",
        "ԛ": "q", "г": "r", "ѕ": "s", "т": "t", "у": "y", "ѵ": "v", "ԝ": "w", "ѡ": "w",
        "х": "x", "ь": "b", "ъ": "b", "з": "3",
        # Greek
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o",
        "ρ": "p", "τ": "t", "υ": "u", "χ": "x", "ω": "w",
        # Armenian
        "ա": "w", "գ": "q", "զ": "q", "հ": "h", "յ": "j", "լ": "l", "ո": "n", "ս": "u",
        "օ": "o", "ց": "g",
        # Latin letters that decompose to nothing but look like ASCII ones
        "ɑ": "a", "ɡ": "g", "ı": "i", "ɩ": "i", "ȷ": "j", "ɪ": "i", "ʟ": "l", "ɴ": "n",
        "ø": "o", "ł": "l", "đ": "d", "ħ": "h", "ŧ": "t", "ƅ": "b", "ß": "ss", "þ": "p",
        "ð": "d", "ǀ": "l",
        # Digits that pass for letters
        "0": "o", "1": "l",
    }
)  # fmt: skip


@lru_cache(maxsize=1024)
def skeleton(host: str) -> str:
    without_marks = "".join(
        c for c in unicodedata.normalize("NFD", host.lower()) if unicodedata.category(c) != "Mn"
    )
    return without_marks.translate(_FOLD).replace("rn", "m").replace("vv", "w")


@lru_cache(maxsize=64)
def _skeletons(protected: frozenset[str]) -> dict[str, str]:
    return {skeleton(d): d for d in TOP_DOMAINS | protected}


def imitated_domain(host: str, protected: frozenset[str] = frozenset()) -> str | None:
    """The well-known domain ``host`` (Unicode) imitates, or None.

    Like Chromium, the last two to four labels are compared, so ``www.аpple.com`` and
    ``pay.аlipay.com`` are caught, while the domain itself and its subdomains are not
    flagged (``éxample.blogspot.com`` is not a look-alike of ``blogspot.com``).
    """
    host = host.lower().rstrip(".")
    known = _skeletons(frozenset(d.lower() for d in protected))
    labels = skeleton(host).split(".")
    for n in range(min(4, len(labels)), 1, -1):
        match = known.get(".".join(labels[-n:]))
        if match is None:
            continue
        if host == match or host.endswith("." + match):
            return None
        return match
    return None
