"""Group-robot webhooks (WeCom 企业微信, DingTalk 钉钉, Feishu 飞书) for units not on Telegram.

Configured per unit in ``config.toml``::

    [webhooks."晋城市发展和改革委员会"]
    kind = "dingtalk"          # wecom | dingtalk | feishu
    url = "https://oapi.dingtalk.com/robot/send?access_token=…"
    secret = "SEC…"            # DingTalk 加签 / Feishu 签名校验; optional

Messages go as plain text: the bot's HTML is stripped (tags removed, entities unescaped).
Failures are raised as ``bot.reminders`` delivery errors, so ``deliver`` retries and records
them like Telegram sends: 429 and the robots' rate-limit codes → RetryLater; network errors,
timeouts and 5xx → TransientError; anything else → PermanentError. Pure core: no telegram.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import httpx

from bot.reminders import PermanentError, RetryLater, TransientError
from bot.render import html_to_text

KINDS = ("wecom", "dingtalk", "feishu")
TEXT_LIMIT = 4000  # WeCom allows 2048 bytes of UTF-8 text; the others more. See _limit.
# "too fast" answers: DingTalk 130101, WeCom 45009, Feishu 11232 / 9499 (frequency)
RATE_LIMIT_CODES = {130101, 45009, 11232}
RATE_LIMIT_WAIT = 60.0



class WebhookError(PermanentError):
    """A robot refused the message (bad URL, signature, keyword…): the message says why."""


def dingtalk_sign(secret: str, timestamp_ms: int) -> str:
    """DingTalk 加签: base64(HMAC-SHA256(key=secret, msg="{timestamp}\\n{secret}")).
    (URL-encoding is left to the HTTP client's query encoding.)"""
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp_ms}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def feishu_sign(secret: str, timestamp_s: int) -> str:
    """Feishu 签名校验: base64(HMAC-SHA256(key="{timestamp}\\n{secret}", msg=b""))."""
    digest = hmac.new(f"{timestamp_s}\n{secret}".encode("utf-8"), b"", hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def _limit(kind: str, text: str) -> str:
    budget = 2000 if kind == "wecom" else TEXT_LIMIT  # WeCom: 2048 bytes; keep a margin
    if kind == "wecom":
        encoded = text.encode("utf-8")
        if len(encoded) <= budget:
            return text
        return encoded[: budget - 3].decode("utf-8", errors="ignore") + "…"
    return text if len(text) <= budget else text[: budget - 1] + "…"


def build_request(kind: str, url: str, text: str, secret: str | None, now: float) -> tuple[dict, dict]:
    """(query params, JSON body) for one text message. ``now`` is a Unix time in seconds."""
    content = _limit(kind, html_to_text(text))
    if kind == "wecom":
        return {}, {"msgtype": "text", "text": {"content": content}}
    if kind == "dingtalk":
        params = {}
        if secret:
            stamp = int(now * 1000)
            params = {"timestamp": str(stamp), "sign": dingtalk_sign(secret, stamp)}
        return params, {"msgtype": "text", "text": {"content": content}}
    if kind == "feishu":
        body: dict[str, Any] = {"msg_type": "text", "content": {"text": content}}
        if secret:
            stamp = int(now)
            body.update(timestamp=str(stamp), sign=feishu_sign(secret, stamp))
        return {}, body
    raise WebhookError(f"不支持的机器人类型：{kind!r}（应为 {' / '.join(KINDS)}）")


async def post_text(
    kind: str,
    url: str,
    text: str,
    secret: str | None = None,
    *,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
    timeout: float = 10.0,
) -> None:
    """Post one text message to a group robot; raises a delivery error on failure."""
    params, body = build_request(kind, url, text, secret, clock())
    own = client is None
    http = client or httpx.AsyncClient(timeout=timeout)
    try:
        try:
            # merge, never replace: DingTalk's access_token is already in the URL's query
            target = httpx.URL(url).copy_merge_params(params) if params else url
            response = await http.post(target, json=body, timeout=timeout)
        except httpx.TimeoutException as exc:
            raise TransientError(f"{kind} 机器人超时：{exc.__class__.__name__}") from exc
        except httpx.TransportError as exc:
            raise TransientError(f"{kind} 机器人连接失败：{exc.__class__.__name__}: {exc}") from exc
    finally:
        if own:
            await http.aclose()
    _check(kind, response)


def _check(kind: str, response: httpx.Response) -> None:
    if response.status_code == 429:
        retry = response.headers.get("Retry-After", "")
        raise RetryLater(float(retry) if retry.replace(".", "", 1).isdigit() else RATE_LIMIT_WAIT)
    if response.status_code >= 500:
        raise TransientError(f"{kind} 机器人服务器错误 HTTP {response.status_code}")
    if response.status_code >= 400:
        raise WebhookError(f"{kind} 机器人拒绝了请求：HTTP {response.status_code} {response.text[:200]}")
    try:
        data = response.json()
    except ValueError:
        raise WebhookError(f"{kind} 机器人返回了无法识别的内容：{response.text[:200]}")
    code = data.get("errcode", data.get("code", data.get("StatusCode", 0))) if isinstance(data, dict) else 0
    if code in (0, None):
        return
    message = data.get("errmsg") or data.get("msg") or data.get("StatusMessage") or ""
    if code in RATE_LIMIT_CODES:
        raise RetryLater(RATE_LIMIT_WAIT, f"{kind} 机器人限流：{code} {message}")
    raise WebhookError(f"{kind} 机器人返回错误 {code}：{message}")


def make_webhook_sender(
    webhooks: Mapping[str, Mapping[str, str]],
    *,
    client: httpx.AsyncClient | None = None,
    clock: Callable[[], float] = time.time,
) -> Callable[[str, str], Awaitable[None]]:
    """``deliver(..., webhook_send=make_webhook_sender(config.webhooks, client=…))``:
    an ``async (unit, html_text)`` that posts to that unit's robot."""

    async def send(unit: str, text: str) -> None:
        hook = webhooks.get(unit)
        if not hook or not hook.get("url"):
            raise WebhookError(f"单位“{unit}”没有配置群机器人")
        kind = (hook.get("kind") or "").strip().lower()
        await post_text(kind, hook["url"], text, hook.get("secret") or None, client=client, clock=clock)

    return send


def check_webhooks(webhooks: Mapping[str, Mapping[str, str]]) -> list[str]:
    """Problems in ``config.webhooks``, one Chinese line each (empty when all is well)."""
    problems = []
    for unit, hook in webhooks.items():
        kind = (hook.get("kind") or "").strip().lower()
        if kind not in KINDS:
            problems.append(f"webhooks.{unit}.kind 应为 {' / '.join(KINDS)}，实际为 {hook.get('kind')!r}")
        url = hook.get("url") or ""
        if not url.startswith(("https://", "http://")):
            problems.append(f"webhooks.{unit}.url 应为 http(s) 地址")
    return problems
