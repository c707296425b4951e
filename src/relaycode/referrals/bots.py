"""Link-preview bots, unfurlers and crawlers, known by their User-Agent: the one list.

A link pasted into a chat is fetched at once by the chat's server (or the sender's app)
to draw a card from the page's Open Graph tags; search engines and archivers come by
too. Those fetches are recorded as scan events flagged ``is_bot`` and never counted as
scans (nor, later, as a referral's visit).

Matching is by case-insensitive substring of the agent names below, plus a few generic
words crawlers use. People's browsers are never listed: WeChat's and QQ's in-app
browsers (``MicroMessenger``, ``MQQBrowser`` without ``QQ-URL-Manager``), Line's,
Facebook's (``FBAN``/``FBAV``) and Instagram's are real readers and count. A plain
``bot`` is not a pattern on its own: phone models such as CUBOT would match it; a
``…bot/<version>`` token is.

Keep the list sorted by vendor; add an agent with a test in tests/referrals/test_bots.py.
"""

from __future__ import annotations

import re
from functools import lru_cache

# Vendor → the agent names its fetchers send (substrings, matched case-insensitively).
PREVIEW_AGENTS: dict[str, tuple[str, ...]] = {
    "Apple": ("Applebot", "iMessageLinkPreviews"),
    "Baidu": ("Baiduspider",),
    "Bitly": ("bitlybot",),
    "Bluesky": ("Bluesky Cardyb",),
    "ByteDance": ("Bytespider", "TikTokSpider"),
    "DingTalk": ("DingTalkBot",),
    "Discord": ("Discordbot",),
    "DuckDuckGo": ("DuckDuckBot", "DuckAssistBot"),
    "Embedly / Iframely": ("Embedly", "Iframely"),
    "Facebook / Meta": ("facebookexternalhit", "Facebot", "meta-externalagent",
                        "meta-externalfetcher"),
    "Google": ("Googlebot", "Google-InspectionTool", "GoogleOther", "Google-PageRenderer",
               "FeedFetcher-Google", "GoogleImageProxy", "AdsBot-Google", "APIs-Google",
               "Mediapartners-Google", "Google-Read-Aloud"),
    "Huawei": ("PetalBot",),
    "Kakao": ("kakaotalk-scrap",),
    "LinkedIn": ("LinkedInBot",),
    "Lark / Feishu": ("LarkUrl2Card", "Lark-Link-Preview"),
    "Mastodon": ("Mastodon/",),
    "Microsoft": ("bingbot", "BingPreview", "MicrosoftPreview", "SkypeUriPreview",
                  "msnbot", "adidxbot"),
    "Pinterest": ("Pinterestbot", "Pinterest/"),
    "Reddit": ("redditbot",),
    "Snap": ("Snap URL Preview", "Snapchat"),
    "Sogou": ("Sogou web spider", "Sogou inst spider"),
    "Slack": ("Slackbot", "Slack-ImgProxy", "Slack-LinkExpanding"),
    "Telegram": ("TelegramBot",),
    "Tencent (QQ / WeChat)": ("QQ-URL-Manager", "WeChatShareExtension", "TencentTraveler"),
    "Twitter / X": ("Twitterbot",),
    "Viber": ("Viber/",),
    "VK": ("vkShare",),
    "WhatsApp": ("WhatsApp/",),
    "Yahoo": ("Slurp",),
    "Yandex": ("YandexBot", "YandexImages", "YandexMobileBot"),
    "Zoom": ("Zoombot",),
    "Archivers": ("ia_archiver", "archive.org_bot"),
}  # fmt: skip
# Generic words only crawlers put in their agent.
GENERIC = (r"crawler", r"spider", r"scraper", r"link ?preview", r"url ?preview", r"unfurl",
           r"[a-z]bot/\d")  # fmt: skip

_PATTERN = re.compile(
    "|".join([re.escape(a) for names in PREVIEW_AGENTS.values() for a in names] + list(GENERIC)),
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def is_preview_bot(user_agent: str | None) -> bool:
    """True for a link-preview bot, unfurler or crawler (cached: agents repeat)."""
    if not user_agent:
        return False
    return _PATTERN.search(user_agent[:512]) is not None
