"""config.toml, read with tomllib into typed, validated settings.

Every rule that differs by jurisdiction (months to reply, cut-off dates, reply-class schemes)
lives here, never as a constant in code. The bot token is never read from the file: it comes
from the PROPOSAL_BOT_TOKEN environment variable.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

TOKEN_ENV = "PROPOSAL_BOT_TOKEN"
WEBHOOK_SECRET_ENV = "PROPOSAL_BOT_WEBHOOK_SECRET"
CONFIG_ENV = "PROPOSAL_BOT_CONFIG"
CONFIG_NAME = "config.toml"
TEMPLATE = Path(__file__).with_name("config_template.toml")  # what `proposal-bot init` writes


class ConfigError(Exception):
    """One clear line naming the key that is missing or wrong."""


@dataclass(frozen=True)
class ClassScheme:
    """A reply-class scheme: what each class means and what it does to the item."""

    name: str
    labels: dict[str, str]
    closes: tuple[str, ...]  # classes whose first reply closes the item
    follow_up: tuple[str, ...]  # classes that keep it open for a second reply


# The checks of a reply letter (bot.letter_check); a jurisdiction may switch some off.
REPLY_CHECKS = ("class", "handler", "phone", "late", "proposer", "title", "doc_number", "issuer", "addressee")


@dataclass(frozen=True)
class HandlingRule:
    """Deadlines for one jurisdiction (region, "*" for any) and body (政协 / 人大)."""

    region: str
    body: str
    reply_months: int
    complex_months: int
    co_unit_months: int
    reopen_months: int
    follow_up_days: int
    cutoff_dates: tuple[date, ...]
    class_scheme: str
    reply_checks: tuple[str, ...] = REPLY_CHECKS


@dataclass(frozen=True)
class Reminders:
    daily_time: time
    offsets: tuple[int, ...]  # days before due; 0 = the due day
    escalate_after_days: int
    follow_up_every_days: int
    workdays_only: bool
    holidays: tuple[date, ...]
    extra_workdays: tuple[date, ...]
    link_token_hours: int
    admin_chat_id: int | None
    retry_backoff_minutes: int = 5  # first same-day retry of failed pings; doubles each round
    retry_max_minutes: int = 60  # longest wait between retry rounds


@dataclass(frozen=True)
class Uploads:
    """Limits on one uploaded file's parse (see bot.uploads); the size is bot.max_upload_mb."""

    max_uncompressed_mb: int = 100  # docx/xlsx: the members' total size once decompressed
    max_compression_ratio: int = 100  # docx/xlsx: any member of 1 MB or more
    max_zip_members: int = 2000
    max_pdf_pages: int = 500
    timeout_seconds: int = 60
    memory_mb: int = 512  # address space the worker may add to what it starts with


@dataclass(frozen=True)
class Config:
    path: Path
    database: Path
    backups: int
    timezone: str
    base_url: str
    base_file_url: str
    max_upload_mb: int
    admins: tuple[int, ...]
    staff: tuple[int, ...]
    console_user_id: int
    rules: tuple[HandlingRule, ...]
    class_schemes: dict[str, ClassScheme]
    reminders: Reminders
    aliases: dict[str, tuple[str, ...]] = field(default_factory=dict)
    region: str = ""  # bot.region: the default region of unit names without one (市发改委)
    liaison_positions: tuple[str, ...] = ("联络员",)
    leader_positions: tuple[str, ...] = ("分管领导", "负责人", "主任", "局长", "主席", "书记", "部长", "院长", "行长")
    liaison_fallback: str = "first"  # several contacts, none a 联络员: "first" listed (待确认) or "none"
    webhooks: dict[str, dict[str, str]] = field(default_factory=dict)
    rate_limit_retries: int = 3  # a chat reply hit by flood control (429) is retried this often
    poll_timeout: int = 50  # seconds Telegram holds a getUpdates open (long polling)
    webhook_url: str = ""  # set: Telegram POSTs updates there (webhook mode) instead of polling
    listen: str = "127.0.0.1"
    port: int = 8443
    uploads: Uploads = field(default_factory=Uploads)

    @property
    def tzinfo(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def token(self) -> str | None:
        return os.environ.get(TOKEN_ENV) or None

    @property
    def webhook_secret(self) -> str | None:
        """Telegram sends it in every webhook request's X-Telegram-Bot-Api-Secret-Token."""
        return os.environ.get(WEBHOOK_SECRET_ENV) or None

    def rule_for(self, region: str, body: str) -> HandlingRule:
        """The most specific rule: exact region and body, then any region for the body."""
        for candidate in (region, "*"):
            for rule in self.rules:
                if rule.region == candidate and rule.body == body:
                    return rule
        for rule in self.rules:
            if rule.region == "*" and rule.body == "*":
                return rule
        raise ConfigError(f"配置缺少办理规则：rules 中没有适用于 {region or '*'} / {body} 的条目")

    def scheme_for(self, region: str, body: str) -> ClassScheme:
        return self.class_schemes[self.rule_for(region, body).class_scheme]


class _Reader:
    """Typed access to one TOML table, with errors that name the full key."""

    def __init__(self, data: dict[str, Any], prefix: str):
        self.data, self.prefix = data, prefix

    def _key(self, key: str) -> str:
        return f"{self.prefix}.{key}" if self.prefix else key

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise ConfigError(f"配置缺少必填项 {self._key(key)}")
            return default
        value = self.data[key]
        if isinstance(value, bool) and kind in (int, float):
            raise ConfigError(f"配置项 {self._key(key)} 应为数字，实际为 {value!r}")
        if not isinstance(value, kind):
            names = kind.__name__ if isinstance(kind, type) else "/".join(k.__name__ for k in kind)
            raise ConfigError(f"配置项 {self._key(key)} 类型错误：应为 {names}，实际为 {value!r}")
        return value

    def int_list(self, key: str, default: list[int]) -> tuple[int, ...]:
        values = self.get(key, list, default)
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in values):
            raise ConfigError(f"配置项 {self._key(key)} 应为整数列表，实际为 {values!r}")
        return tuple(values)

    def date_list(self, key: str) -> tuple[date, ...]:
        values = self.get(key, list, [])
        result = []
        for value in values:
            if isinstance(value, date):
                result.append(value)
            elif isinstance(value, str):
                try:
                    result.append(date.fromisoformat(value))
                except ValueError:
                    raise ConfigError(f"配置项 {self._key(key)} 中的日期无效：{value!r}（应为 YYYY-MM-DD）")
            else:
                raise ConfigError(f"配置项 {self._key(key)} 中的日期无效：{value!r}")
        return tuple(result)

    def positive(self, key: str, default: int) -> int:
        value = self.get(key, int, default)
        if value < 0:
            raise ConfigError(f"配置项 {self._key(key)} 不能为负数：{value}")
        return value

    def table(self, key: str) -> "_Reader":
        return _Reader(self.get(key, dict, {}), self._key(key))


def find_config(path: str | os.PathLike | None = None) -> Path:
    """The config file: the given path (--config), else $PROPOSAL_BOT_CONFIG, else
    ./config.toml in the working directory; otherwise say how to make one."""
    if path:
        return Path(path)
    if os.environ.get(CONFIG_ENV):
        return Path(os.environ[CONFIG_ENV])
    here = Path.cwd() / CONFIG_NAME
    if here.exists():
        return here
    raise ConfigError(
        f"找不到配置文件：当前目录没有 {CONFIG_NAME}，也未设置环境变量 {CONFIG_ENV}。"
        f"请用 --config 指定，或运行 proposal-bot init 目录 生成一份带注释的配置文件和空的数据目录。")


def load_config(path: str | os.PathLike | None = None) -> Config:
    """Read and validate config.toml (found by ``find_config``). Raises ConfigError with one
    clear Chinese line."""
    path = find_config(path)
    try:
        with open(path, "rb") as handle:
            data = tomllib.load(handle)
    except FileNotFoundError:
        raise ConfigError(f"找不到配置文件：{path}")
    except PermissionError:
        raise ConfigError(f"没有权限读取配置文件：{path}")
    except IsADirectoryError:
        raise ConfigError(f"配置文件路径是一个文件夹：{path}")
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"配置文件 {path} 格式错误：{exc}")
    root = _Reader(data, "")
    if "token" in data or "token" in data.get("bot", {}):
        raise ConfigError(f"配置项 bot.token 不允许写在文件中：请使用环境变量 {TOKEN_ENV}")

    storage = root.table("storage")
    database = Path(storage.get("database", str, "data/proposals.json"))
    if not database.is_absolute():
        database = path.resolve().parent / database

    bot = root.table("bot")
    timezone = bot.get("timezone", str, "Asia/Shanghai")
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"配置项 bot.timezone 无效：{timezone!r}")

    access = root.table("access")
    admins = access.int_list("admins", [])
    console_user_id = root.table("console").get("user_id", int, admins[0] if admins else 1)

    schemes = _class_schemes(root)
    rules = _rules(root, schemes)
    units = root.table("units")
    fallback = units.get("liaison_fallback", str, "first")
    if fallback not in ("first", "none"):
        raise ConfigError(f"配置项 units.liaison_fallback 应为 first 或 none，实际为 {fallback!r}")

    webhook_url = bot.get("webhook_url", str, "")
    if webhook_url and not webhook_url.startswith(("https://", "http://")):
        raise ConfigError(f"配置项 bot.webhook_url 应为 https:// 开头的地址，实际为 {webhook_url!r}")
    if webhook_url and not os.environ.get(WEBHOOK_SECRET_ENV):
        raise ConfigError(f"配置了 bot.webhook_url，但未设置环境变量 {WEBHOOK_SECRET_ENV}"
                          "（webhook 的校验密钥，1–256 个字符 A-Z a-z 0-9 _ -）")
    port = bot.positive("port", 8443)
    if not 0 < port < 65536:
        raise ConfigError(f"配置项 bot.port 无效：{port}")

    return Config(
        path=path.resolve(),
        database=database,
        backups=storage.positive("backups", 7),
        timezone=timezone,
        base_url=bot.get("base_url", str, "https://api.telegram.org/bot"),
        base_file_url=bot.get("base_file_url", str, "https://api.telegram.org/file/bot"),
        max_upload_mb=bot.positive("max_upload_mb", 20),
        admins=admins,
        staff=access.int_list("staff", []),
        console_user_id=console_user_id,
        rules=rules,
        class_schemes=schemes,
        reminders=_reminders(root),
        aliases={
            name: tuple(_str_list(root.table("aliases"), name))
            for name in root.get("aliases", dict, {})
        },
        region=bot.get("region", str, ""),
        liaison_positions=tuple(_str_list(units, "liaison_positions") or Config.liaison_positions),
        leader_positions=tuple(_str_list(units, "leader_positions") or Config.leader_positions),
        liaison_fallback=fallback,
        webhooks={
            unit: {k: str(v) for k, v in hook.items()}
            for unit, hook in root.get("webhooks", dict, {}).items()
            if isinstance(hook, dict)
        },
        rate_limit_retries=bot.positive("rate_limit_retries", 3),
        poll_timeout=bot.positive("poll_timeout", 50),
        webhook_url=webhook_url,
        listen=bot.get("listen", str, "127.0.0.1"),
        port=port,
        uploads=_uploads(root),
    )


def _uploads(root: _Reader) -> Uploads:
    table, default = root.table("uploads"), Uploads()
    values = {}
    for name in ("max_uncompressed_mb", "max_compression_ratio", "max_zip_members", "max_pdf_pages",
                 "timeout_seconds", "memory_mb"):
        values[name] = table.positive(name, getattr(default, name))
        if values[name] == 0:
            raise ConfigError(f"配置项 uploads.{name} 必须大于 0")
    return Uploads(**values)


def _str_list(reader: _Reader, key: str) -> list[str]:
    values = reader.get(key, list, [])
    if not all(isinstance(v, str) for v in values):
        raise ConfigError(f"配置项 {reader._key(key)} 应为字符串列表")
    return values


def _class_schemes(root: _Reader) -> dict[str, ClassScheme]:
    raw = root.get("class_schemes", dict, None)
    if raw is None:
        raw = {"ABCD": {
            "labels": {"A": "已解决或基本解决", "B": "正在解决或列入计划", "C": "条件具备时解决", "D": "留作参考"},
            "closes": ["A", "D"], "follow_up": ["B", "C"],
        }}
    schemes = {}
    for name in raw:
        scheme = _Reader(raw, "class_schemes").table(name)
        labels = scheme.get("labels", dict)
        closes, follow_up = _str_list(scheme, "closes"), _str_list(scheme, "follow_up")
        unknown = [c for c in closes + follow_up if c not in labels]
        if unknown:
            raise ConfigError(f"配置项 class_schemes.{name} 引用了未定义的类别：{'、'.join(unknown)}")
        schemes[name] = ClassScheme(name, {str(k): str(v) for k, v in labels.items()},
                                    tuple(closes), tuple(follow_up))
    return schemes


def _rules(root: _Reader, schemes: dict[str, ClassScheme]) -> tuple[HandlingRule, ...]:
    raw = root.get("rules", list, None)
    if raw is None:
        raw = [{"body": "政协"}, {"body": "人大"}]
    rules = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ConfigError(f"配置项 rules[{i}] 应为表（[[rules]]）")
        rule = _Reader(item, f"rules[{i}]")
        body = rule.get("body", str)
        if body not in ("政协", "人大", "*"):
            raise ConfigError(f"配置项 rules[{i}].body 应为 政协、人大 或 *，实际为 {body!r}")
        scheme = rule.get("class_scheme", str, next(iter(schemes)))
        if scheme not in schemes:
            raise ConfigError(f"配置项 rules[{i}].class_scheme 引用了未定义的方案：{scheme!r}")
        reply_months = rule.positive("reply_months", 3)
        checks = rule.get("reply_checks", list, list(REPLY_CHECKS))
        unknown = [c for c in checks if c not in REPLY_CHECKS]
        if unknown:
            raise ConfigError(f"配置项 rules[{i}].reply_checks 中有未知的检查项：{'、'.join(map(str, unknown))}"
                              f"（可用：{'、'.join(REPLY_CHECKS)}）")
        rules.append(HandlingRule(
            region=rule.get("region", str, "*"),
            body=body,
            reply_months=reply_months,
            complex_months=max(reply_months, rule.positive("complex_months", 6)),
            co_unit_months=rule.positive("co_unit_months", 1),
            reopen_months=rule.positive("reopen_months", 2),
            follow_up_days=rule.positive("follow_up_days", 90),
            cutoff_dates=rule.date_list("cutoff_dates"),
            class_scheme=scheme,
            reply_checks=tuple(checks),
        ))
    return tuple(rules)


def _reminders(root: _Reader) -> Reminders:
    rem = root.table("reminders")
    raw_time = rem.get("daily_time", (str, time), "09:00")
    try:
        daily_time = raw_time if isinstance(raw_time, time) else time.fromisoformat(raw_time)
    except ValueError:
        raise ConfigError(f"配置项 reminders.daily_time 无效：{raw_time!r}（应为 HH:MM）")
    admin_chat = rem.get("admin_chat_id", int, 0)
    return Reminders(
        daily_time=daily_time,
        offsets=tuple(sorted(set(rem.int_list("offsets", [30, 14, 7, 3, 1, 0])), reverse=True)),
        escalate_after_days=rem.positive("escalate_after_days", 3),
        follow_up_every_days=rem.positive("follow_up_every_days", 30) or 30,
        workdays_only=rem.get("workdays_only", bool, True),
        holidays=rem.date_list("holidays"),
        extra_workdays=rem.date_list("extra_workdays"),
        link_token_hours=rem.positive("link_token_hours", 72),
        admin_chat_id=admin_chat or None,
        retry_backoff_minutes=max(1, rem.positive("retry_backoff_minutes", 5)),
        retry_max_minutes=max(1, rem.positive("retry_max_minutes", 60)),
    )
