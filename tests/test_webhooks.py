"""Group-robot webhooks against a loopback receiver that checks what the real robots check."""

import base64
import hashlib
import hmac
import time

import httpx
import pytest
from aiohttp import web

from bot.ledger import Ledger
from bot.reminder_plan import Ping
from bot.reminders import RetryLater, TransientError, deliver
from bot.render import html_to_text
from bot.webhooks import WebhookError, check_webhooks, make_webhook_sender, post_text

DING_SECRET = "SECb5c2f0e1d9a84e7f9b0c3d2a1e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d3e4"
FEISHU_SECRET = "fs-secret-不要外传"
NOW = 1_796_000_000.0  # an injected clock (seconds)


class Receiver:
    """A tiny robot server on 127.0.0.1 (port 0) that records every post."""

    def __init__(self):
        self.posts = []
        self.status_script = []  # HTTP statuses to answer first

    async def handle(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind = request.match_info["kind"]
        self.posts.append((kind, dict(request.query), body))
        if self.status_script:
            status = self.status_script.pop(0)
            return web.json_response({"errcode": status}, status=status, headers={"Retry-After": "4"})
        if kind == "dingtalk":
            return web.json_response(self.check_dingtalk(request.query))
        if kind == "feishu":
            return web.json_response(self.check_feishu(body))
        if kind == "dingtalk-busy":
            return web.json_response({"errcode": 130101, "errmsg": "send too fast"})
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    @staticmethod
    def check_dingtalk(query):
        """DingTalk's rule: sign = base64(HMAC-SHA256(secret, f"{timestamp}\\n{secret}")),
        timestamp in ms within an hour of the server's clock."""
        timestamp, sign = query.get("timestamp"), query.get("sign")
        if query.get("access_token") != "tok":
            return {"errcode": 300001, "errmsg": "token is not exist"}
        if not timestamp or not sign:
            return {"errcode": 310000, "errmsg": "sign not match"}
        expected = base64.b64encode(hmac.new(
            DING_SECRET.encode(), f"{timestamp}\n{DING_SECRET}".encode(), hashlib.sha256).digest()).decode()
        if sign != expected or abs(int(timestamp) / 1000 - NOW) > 3600:
            return {"errcode": 310000, "errmsg": "sign not match"}
        return {"errcode": 0, "errmsg": "ok"}

    @staticmethod
    def check_feishu(body):
        if "sign" in body:
            key = f"{body['timestamp']}\n{FEISHU_SECRET}".encode()
            expected = base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
            if body["sign"] != expected:
                return {"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}
        return {"code": 0, "msg": "success", "data": {}}


@pytest.fixture
async def receiver():
    robot = Receiver()
    app = web.Application()
    app.router.add_post("/{kind}", robot.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    robot.base = f"http://127.0.0.1:{port}"
    yield robot
    await runner.cleanup()


def hooks(base, ding_secret=DING_SECRET):
    return {
        "企业微信单位": {"kind": "wecom", "url": f"{base}/wecom?key=abc"},
        "钉钉单位": {"kind": "dingtalk", "url": f"{base}/dingtalk?access_token=tok", "secret": ding_secret},
        "飞书单位": {"kind": "feishu", "url": f"{base}/feishu", "secret": FEISHU_SECRET},
        "飞书无签名": {"kind": "feishu", "url": f"{base}/feishu"},
    }


HTML = "⏰ 还剩 3 天：第125号 关于&lt;城乡&gt; &amp; 融合\n截止 2026-12-07 · 主办 <b>发改委</b>"
PLAIN = "⏰ 还剩 3 天：第125号 关于<城乡> & 融合\n截止 2026-12-07 · 主办 发改委"


def test_html_to_text():
    assert html_to_text(HTML) == PLAIN
    assert html_to_text("a<br>b<br/>c") == "a\nb\nc"


async def test_three_robot_kinds_with_signatures(receiver):
    send = make_webhook_sender(hooks(receiver.base), clock=lambda: NOW)
    for unit in ("企业微信单位", "钉钉单位", "飞书单位", "飞书无签名"):
        await send(unit, HTML)
    wecom, ding, feishu, feishu_plain = receiver.posts
    assert wecom == ("wecom", {"key": "abc"}, {"msgtype": "text", "text": {"content": PLAIN}})
    assert ding[0] == "dingtalk" and ding[2] == {"msgtype": "text", "text": {"content": PLAIN}}
    assert ding[1]["access_token"] == "tok" and ding[1]["timestamp"] == str(int(NOW * 1000))
    assert feishu[2]["msg_type"] == "text" and feishu[2]["content"] == {"text": PLAIN}
    assert feishu[2]["timestamp"] == str(int(NOW)) and feishu[2]["sign"]
    assert "sign" not in feishu_plain[2]


async def test_wrong_dingtalk_secret_is_refused_by_the_receiver(receiver):
    send = make_webhook_sender(hooks(receiver.base, ding_secret="SECwrong"), clock=lambda: NOW)
    with pytest.raises(WebhookError, match="310000"):
        await send("钉钉单位", "text")
    stale = make_webhook_sender(hooks(receiver.base), clock=lambda: NOW - 7200)  # clock two hours off
    with pytest.raises(WebhookError, match="sign not match"):
        await stale("钉钉单位", "text")


async def test_errors_map_to_delivery_errors(receiver):
    receiver.status_script = [429, 502, 400]
    with pytest.raises(RetryLater) as err:
        await post_text("wecom", f"{receiver.base}/wecom", "x")
    assert err.value.retry_after == 4.0
    with pytest.raises(TransientError):
        await post_text("wecom", f"{receiver.base}/wecom", "x")
    with pytest.raises(WebhookError, match="HTTP 400"):
        await post_text("wecom", f"{receiver.base}/wecom", "x")
    with pytest.raises(RetryLater):  # DingTalk's own "send too fast" code
        await post_text("dingtalk", f"{receiver.base}/dingtalk-busy", "x")
    with pytest.raises(TransientError, match="连接失败"):
        await post_text("wecom", "http://127.0.0.1:1/closed", "x")
    with pytest.raises(WebhookError, match="不支持"):
        await post_text("slack", f"{receiver.base}/wecom", "x")
    with pytest.raises(WebhookError, match="没有配置群机器人"):
        await make_webhook_sender({})("某单位", "x")


async def test_deliver_through_webhooks_exactly_once_with_retry(receiver, tmp_path):
    receiver.status_script = [503]  # the first post fails, deliver retries
    sleeps = []

    async def sleep(seconds):
        sleeps.append(seconds)

    async with httpx.AsyncClient() as client:
        send_hook = make_webhook_sender(hooks(receiver.base), client=client, clock=lambda: NOW)
        ping = Ping(1, "due-3", "webhook:钉钉单位", HTML, "2026-12-07", "钉钉单位")

        async def no_telegram(chat, text):
            raise AssertionError("not a Telegram ping")

        ledger = Ledger(tmp_path / "p.ledger.json")
        report = await deliver([ping], no_telegram, ledger, webhook_send=send_hook, sleep=sleep)
        again = await deliver([ping], no_telegram, ledger, webhook_send=send_hook, sleep=sleep)
    assert report.sent == [ping] and again.skipped_already_sent == [ping]
    assert sleeps == [1.0] and len(receiver.posts) == 2
    assert receiver.posts[-1][2]["text"]["content"] == PLAIN


def test_check_webhooks():
    assert check_webhooks(hooks("http://x")) == []
    problems = check_webhooks({"某单位": {"kind": "qq", "url": "ftp://x"}})
    assert len(problems) == 2 and "wecom / dingtalk / feishu" in problems[0]


def test_signatures_match_the_published_recipes():
    from bot.webhooks import dingtalk_sign, feishu_sign

    stamp = int(time.time() * 1000)
    expected = base64.b64encode(hmac.new(b"s", f"{stamp}\ns".encode(), hashlib.sha256).digest()).decode()
    assert dingtalk_sign("s", stamp) == expected
    expected = base64.b64encode(hmac.new(f"{stamp}\ns".encode(), b"", hashlib.sha256).digest()).decode()
    assert feishu_sign("s", stamp) == expected


async def test_dingtalk_sign_with_plus_and_slash_survives_url_encoding(receiver):
    from bot.webhooks import dingtalk_sign

    moment = next(NOW + i for i in range(1000) if "+" in dingtalk_sign(DING_SECRET, int((NOW + i) * 1000)))
    send = make_webhook_sender(hooks(receiver.base), clock=lambda: moment)
    await send("钉钉单位", "text")  # the receiver refuses a mangled sign
    assert "+" in receiver.posts[-1][1]["sign"]
