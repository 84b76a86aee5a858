"""The `proposal-bot` command: run the bot (console mode without a token), and admin tools.

    proposal-bot init [DIR]
    proposal-bot [run] [--config PATH] [--today YYYY-MM-DD] [--db PATH]
    proposal-bot status NUMBER [--db PATH] [--json]
    proposal-bot parse FILE... --json
    proposal-bot import FILE|DIR... [--db PATH] [--history]
    proposal-bot check FILE... [--db PATH] [--json]
    proposal-bot draft NUMBER [-o FILE.docx] [--db PATH]
    proposal-bot samples [remove] [--db PATH]
    proposal-bot find TEXT [--db PATH] [--json]
    proposal-bot contact TEXT [--db PATH] [--json]
    proposal-bot export FILE.xlsx [--session TEXT] [--public] [--db PATH]
    proposal-bot backup [FILE] [--db PATH]
    proposal-bot restore FILE [--db PATH]
    proposal-bot stats [--session TEXT] [--unit TEXT] [--as-of DATE] [--json] [--chart FILE.png] [--db PATH]
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Callable

from bot.config import CONFIG_NAME, TEMPLATE, TOKEN_ENV, WEBHOOK_SECRET_ENV, Config, ConfigError, load_config
from bot.redact import add_secret
from bot.storage import DatabaseLocked, Repository, StorageError, backup_database, restore_database

log = logging.getLogger("proposal-bot")

EXIT_OK, EXIT_NOT_FOUND, EXIT_USAGE = 0, 1, 2


def shifted_clock(config: Config, today: date | None) -> Callable[[], datetime]:
    """Local time now, moved by whole days so that today is ``today`` (for trying reminders)."""
    tz = config.tzinfo
    if today is None:
        return lambda: datetime.now(tz)
    shift = today - datetime.now(tz).date()
    return lambda: datetime.now(tz) + shift


def open_repo(config: Config, db: str | None) -> Repository:
    """The database named on the command line, else the configured one, for reading: the last
    committed state, also while the bot runs. A missing one is an error (StorageError, exit 1)
    that creates nothing: a real database is never seeded with the samples."""
    path = Path(db) if db else config.database
    if not path.exists():
        raise StorageError(f"数据库不存在：{path}。尚未导入任何数据（未创建任何文件）；"
                           "请先启动机器人，或用 proposal-bot import 导入交办清单。")
    return Repository(path, read_only=True)


def open_for_writing(config: Config, db: str | None, wait: bool) -> Repository | None:
    """The database for a command that writes; None (after saying why) while the bot runs,
    unless ``wait``: then wait until it stops."""
    path = Path(db) if db else config.database
    try:
        return Repository(path, backups=config.backups)
    except DatabaseLocked as exc:
        if not wait:
            who = f"（进程 {exc.pid}）" if exc.pid else ""
            print(f"机器人正在运行{who}并占用数据库 {path}：请在聊天中把文件发给机器人导入，"
                  "或加 --wait 等机器人停止后再执行。", file=sys.stderr)
            return None
        print(f"机器人正在运行（进程 {exc.pid}），等待它释放数据库 {path} …", file=sys.stderr)
        return Repository(path, backups=config.backups, wait=True)


def cmd_run(args: argparse.Namespace, config: Config) -> int:
    """The bot on the configured database (created empty, never seeded); without a token, the
    console demo on its own database filled with the sample records (unless --db names one)."""
    from dataclasses import replace

    from bot.app import build_application, make_services, quiet_http_logs, run
    from bot.samples import demo_database

    if not args.verbose:
        quiet_http_logs()
    configured = config.database
    if args.db:
        config = replace(config, database=Path(args.db).resolve())
    elif config.token is None:
        config = replace(config, database=demo_database(config))
    services = make_services(config, shifted_clock(config, args.today))  # writes a valid empty file
    if config.token is None:
        from bot.console import run_console

        return run_console(services, demo=not args.db, configured=configured)
    app = build_application(services, config.token)
    log.info("bot starting with database %s", config.database)
    run(app)
    log.info("bot stopped")
    return EXIT_OK


def cmd_init(args: argparse.Namespace) -> int:
    """Write a commented config.toml and an empty data folder into DIR (never overwriting)."""
    folder = Path(args.dir).expanduser()
    target = folder / CONFIG_NAME
    if target.exists():
        print(f"{target} 已存在，未改动。", file=sys.stderr)
        return EXIT_USAGE
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "data").mkdir(exist_ok=True)
    target.write_text(TEMPLATE.read_text(encoding="utf-8"), encoding="utf-8")
    print(f"已生成 {target} 和空的数据目录 {folder / 'data'}。\n"
          f"请在 [access] 中填写管理员的 Telegram 用户编号；令牌放在环境变量 {TOKEN_ENV} 中，不写入文件。\n"
          f"在该目录中运行 proposal-bot，或用 --config {target} 指定。")
    return EXIT_OK


def cmd_status(args: argparse.Namespace, config: Config) -> int:
    from bot.search import record_to_json
    from bot.lookup import lookup_number
    from bot.card import card_text
    from bot.render import html_to_text
    from bot.services import Services

    repo = open_repo(config, args.db)
    services = Services(config, repo, shifted_clock(config, None))
    found = lookup_number(repo, args.number)
    if args.json:
        matches = []
        for proposal in found.matches:
            replies, handlers = services.proposal_view(proposal)
            match = record_to_json("proposal", proposal, {c.id: c for c in handlers}, replies)
            due = services.due_date(proposal)
            match["due_date"] = due.isoformat() if due else None
            matches.append(match)
        print(json.dumps({"query": args.number, "matches": matches,
                          "suggestions": found.suggestions}, ensure_ascii=False))
    else:
        for proposal in found.matches:
            print(html_to_text(card_text(services, proposal)), end="\n\n")
        if not found.matches:
            print(found.not_found_text() if found.query.key else f"未找到第{args.number}号。", file=sys.stderr)
    return EXIT_OK if found.matches else EXIT_NOT_FOUND


def cmd_parse(args: argparse.Namespace, config: Config | None) -> int:
    """One JSON object per file, one per line; changes nothing."""
    from bot.parsing import parse_letter_bytes

    unreadable = False
    for name in args.files:
        try:
            data = Path(name).read_bytes()
        except OSError as exc:
            result = {"error": f"无法读取文件：{exc.strerror or exc}", "warnings": []}
        else:
            result = parse_letter_bytes(data, Path(name).name)
        unreadable |= bool(result.get("error"))
        print(json.dumps({"file": name, **result}, ensure_ascii=False))
    return EXIT_NOT_FOUND if unreadable else EXIT_OK


def cmd_check(args: argparse.Namespace, config: Config) -> int:
    """Check reply letters without importing them: the letter's own rules, and when its
    proposal is in the database (never created here), the rules that compare with the record."""
    from bot.deadlines import WorkCalendar
    from bot.importer import proposals_for_letter
    from bot.letter_check import check_letter
    from bot.parsing import for_matching, parse_letter_bytes

    path = Path(args.db) if args.db else config.database
    repo = Repository(path, read_only=True) if path.exists() else None  # beside a running bot too
    calendar = WorkCalendar.from_config(config)
    unreadable = False
    for name in args.files:
        try:
            parsed = parse_letter_bytes(Path(name).read_bytes(), Path(name).name)
        except OSError as exc:
            parsed = {"error": f"无法读取文件：{exc.strerror or exc}"}
        if parsed.get("error"):
            unreadable = True
            print(json.dumps({"file": name, "error": parsed["error"]}, ensure_ascii=False) if args.json
                  else f"{name}：无法检查：{parsed['error']}")
            continue
        found = proposals_for_letter(repo, for_matching(parsed)) if repo is not None else []
        proposal = found[0] if len(found) == 1 else None
        findings = check_letter(parsed, proposal, config, calendar)
        number = parsed.get("proposal_number")
        if args.json:
            print(json.dumps({"file": name, "proposal_number": number, "proposal_found": proposal is not None,
                              "findings": [f.to_json() for f in findings]}, ensure_ascii=False))
            continue
        where = "已与库中记录核对" if proposal is not None else "库中没有这件提案，只核对了信件本身"
        print(f"{name}：第{number or '？'}号，{where}；" + (f"发现 {len(findings)} 处问题" if findings else "未发现问题"))
        for finding in findings:
            print(f"  核对：{finding.message}")
    if repo is not None:
        repo.close()
    return EXIT_NOT_FOUND if unreadable else EXIT_OK


def cmd_draft(args: argparse.Namespace, config: Config) -> int:
    """Write a reply-letter draft (.docx, GB/T 9704 layout) for one proposal."""
    from bot.draft import draft_docx
    from bot.lookup import lookup_number
    from bot.services import Services
    from bot.storage import atomic_write

    services = Services(config, open_repo(config, args.db), shifted_clock(config, None))
    found = lookup_number(services.repo, args.number)
    if len(found.matches) != 1:
        if found.matches:
            sessions = "、".join(f"{p.body}{p.session_label}" for p in found.matches)
            print(f"第{found.query.key}号有多件（{sessions}），请写明届次，如 “八届三次 {found.query.key}”", file=sys.stderr)
            return EXIT_USAGE
        print(found.not_found_text() if found.query.key else f"未找到第{args.number}号。", file=sys.stderr)
        return EXIT_NOT_FOUND
    proposal = found.matches[0]
    out = Path(args.output or f"答复草稿-第{proposal.number}号.docx")
    if out.suffix.lower() != ".docx":
        print("草稿文件名应以 .docx 结尾", file=sys.stderr)
        return EXIT_USAGE
    replies, handlers = services.proposal_view(proposal)
    atomic_write(out.resolve(), draft_docx(proposal, handlers, services.today(), replies))
    print(f"已生成 {out}：{proposal.body}{proposal.session_label}第{proposal.number}号的答复草稿")
    return EXIT_OK


def cmd_import(args: argparse.Namespace, config: Config) -> int:
    """Upsert files and folders; print per file and in total what changed."""
    from tqdm import tqdm

    from bot.importer import HISTORY_NOTE, Importer, expand_paths
    from bot.uploads import UploadWorker

    missing = [p for p in args.paths if not Path(p).exists()]
    if missing:
        print(f"找不到：{'、'.join(missing)}", file=sys.stderr)
        return EXIT_USAGE
    repo = open_for_writing(config, args.db, args.wait)
    if repo is None:
        return EXIT_NOT_FOUND
    files = list(expand_paths(args.paths))
    show_bar = len(files) > 20 and sys.stderr.isatty()
    progress = (lambda items: tqdm(items, desc="导入", unit="个文件")) if show_bar else iter
    # parsed in a worker process under the same limits as a chat upload (time and memory too)
    with repo, UploadWorker(config.uploads).session() as worker:
        report = Importer(repo, config, quiet=args.history).import_paths(files, progress=progress,
                                                                          parse=worker.parse)
    for file_report in report.files:
        print(file_report.summary())
        for check in file_report.checks:
            print(f"  {check}")
        for note in file_report.unit_notes:
            print(f"  待确认：{note}")
        for reason in file_report.skipped:
            print(f"  跳过：{reason}")
        for warning in file_report.warnings:
            print(f"  提示：{warning}")
    print(report.total_line())
    from bot.services import Services
    from bot.similar import import_note

    similar = import_note(Services(config, repo, shifted_clock(config, None)),
                          [pid for f in report.files for pid in f.created])
    if similar:
        print(similar)
    if args.history:
        print(HISTORY_NOTE)
    return EXIT_NOT_FOUND if report.failed else EXIT_OK


def cmd_samples(args: argparse.Namespace, config: Config) -> int:
    """How many sample records the database holds; with ``remove``, delete them."""
    from bot.samples import removal_text, remove_samples, sample_proposals

    if args.action != "remove":
        repo = open_repo(config, args.db)
        found = sample_proposals(repo, config)
        repo.close()
        print(f"数据库中有示例提案 {len(found)} 件" + ("；用 proposal-bot samples remove 删除。" if found else "。"))
        return EXIT_OK
    open_repo(config, args.db).close()  # a missing database is an error, never created here
    repo = open_for_writing(config, args.db, wait=False)
    if repo is None:
        return EXIT_NOT_FOUND
    with repo:
        print(removal_text(remove_samples(repo, config)))
    return EXIT_OK


def cmd_find(args: argparse.Namespace, config: Config) -> int:
    """find / contact: best matches first, as JSON or as lines. find also answers questions in
    plain words (lists and figures as well as records)."""
    from bot.questions import answer_question, answer_to_json
    from bot.render import html_to_text
    from bot.report import figures_text, listing_text
    from bot.search import SearchIndex, run_find
    from bot.services import Services

    repo = open_repo(config, args.db)
    if args.command == "contact":
        result = run_find(args.text, repo, config, ("contact",))
    else:
        services = Services(config, repo, shifted_clock(config, None))
        index = SearchIndex.build(repo, config.aliases)
        answer = answer_question(services, index, args.text)
        result = answer_to_json(index, answer)
        if not args.json and (answer.listing is not None or answer.figures is not None):
            if answer.note:
                print(answer.note)
            print(html_to_text(listing_text(answer.listing) if answer.listing else figures_text(answer.figures)))
            return EXIT_OK
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return EXIT_OK
    if result.get("reason"):
        print(result["reason"])
    for hit in result["results"] or result.get("suggestions", []):
        record = hit["record"]
        label = record.get("name") or f"第{record.get('number')}号 {record.get('title', '')}"
        phones = "、".join(record.get("phones") or [])
        print(f"{hit['score']:5.1f}  {hit['kind']:8} {label} {record.get('unit', '')} {phones}".rstrip())
    return EXIT_OK


def session_arg(text: str | None):
    """--session 八届三次 → Session; None when absent. Raises ValueError (Chinese) when unreadable."""
    from bot.numbers import parse_session

    if not text:
        return None
    session = parse_session(text if "会议" in text else text + "会议")
    if session is None:
        raise ValueError(f"没有看懂届次“{text}”，请写成 八届三次 或 政协八届三次会议")
    return session


def cmd_export(args: argparse.Namespace, config: Config) -> int:
    """Write the Excel file (internal, or public without names and phones)."""
    from bot.export import export_workbook
    from bot.services import Services
    from bot.stats import facts_of, figures, session_text
    from bot.storage import atomic_write

    try:
        session = session_arg(args.session)
    except ValueError as exc:
        print(exc, file=sys.stderr)
        return EXIT_USAGE
    out = Path(args.file)
    if out.suffix.lower() != ".xlsx":
        print("导出文件名应以 .xlsx 结尾", file=sys.stderr)
        return EXIT_USAGE
    services = Services(config, open_repo(config, args.db), shifted_clock(config, None))
    scope = figures(facts_of(services), services.today(), session)
    label = session_text(session) if session else "全部"
    if not scope.items:
        print(f"没有找到{label}的提案或建议，未导出。", file=sys.stderr)
        return EXIT_NOT_FOUND
    atomic_write(out.resolve(), export_workbook(services, session, args.public))
    print(f"已导出 {out}（{label}，{'公开版' if args.public else '内部版'}）：{scope.items} 件")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace, config: Config) -> int:
    """A consistent copy with every committed write, also while the bot runs."""
    path = Path(args.db) if args.db else config.database
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    target = Path(args.file) if args.file else path.parent / "backups" / f"{path.stem}.manual-{stamp}{path.suffix}"
    count = backup_database(path, target)
    print(f"已备份 {count} 条记录到 {target}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace, config: Config) -> int:
    """Put a backup back (the bot must be stopped); the replaced data is kept as a backup."""
    path = Path(args.db) if args.db else config.database
    source = Path(args.file)
    if not source.exists():
        print(f"找不到备份文件：{source}", file=sys.stderr)
        return EXIT_USAGE
    try:
        count, kept = restore_database(path, source)
    except DatabaseLocked as exc:
        print(f"机器人正在运行（进程 {exc.pid}）：请先停止机器人，再恢复数据库 {path}。", file=sys.stderr)
        return EXIT_NOT_FOUND
    print(f"已从 {source} 恢复 {count} 条记录到 {path}")
    if kept:
        print(f"原有数据已另存为 {kept}")
    return EXIT_OK


def cmd_stats(args: argparse.Namespace, config: Config) -> int:
    """The figures (text or JSON), as of today or an earlier date; optionally the chart."""
    from bot.chart import stats_chart
    from bot.questions import figures_to_json, stats_scope
    from bot.render import html_to_text
    from bot.report import figures_text
    from bot.search import SearchIndex
    from bot.services import Services
    from bot.stats import facts_of, figures
    from bot.storage import atomic_write

    repo = open_repo(config, args.db)
    services = Services(config, repo, shifted_clock(config, None))
    scope = " ".join(filter(None, [args.session, args.unit]))
    session, unit, error = stats_scope(SearchIndex.build(repo, config.aliases), scope)
    if error:
        print(error, file=sys.stderr)
        return EXIT_USAGE
    as_of = args.as_of or services.today()
    f = figures(facts_of(services, as_of), as_of, session, unit)
    if args.json:
        print(json.dumps(figures_to_json(f), ensure_ascii=False))
    else:
        print(html_to_text(figures_text(f)))
    if args.chart:
        atomic_write(Path(args.chart).resolve(), stats_chart(f).png)
    return EXIT_OK if f.items else EXIT_NOT_FOUND


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="proposal-bot", description="提案办理助手")
    parser.add_argument("--config", help="配置文件路径（默认：环境变量 PROPOSAL_BOT_CONFIG，否则当前目录的 config.toml）")
    parser.add_argument("-v", "--verbose", action="store_true", help="输出调试日志")
    # no subcommand: run, with run's options (`proposal-bot --db PATH` is what the console advises).
    # The commands' own --db and --today default to SUPPRESS: a subparser's default would
    # overwrite the value given before the command (`proposal-bot --db X import` used the
    # configured database).
    parser.add_argument("--today", type=date.fromisoformat, help="同 run --today")
    parser.add_argument("--db", help="同 run --db")
    parser.set_defaults(func=cmd_run)
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="运行机器人（未设置 PROPOSAL_BOT_TOKEN 时进入控制台模式）")
    run.add_argument("--today", type=date.fromisoformat, default=argparse.SUPPRESS, help="把“今天”设为该日期（YYYY-MM-DD），用于演示提醒")
    run.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库；控制台模式默认用示例数据库 demo.json）")
    run.set_defaults(func=cmd_run)

    init = sub.add_parser("init", help="生成带注释的 config.toml 和空的数据目录")
    init.add_argument("dir", nargs="?", default=".", help="目标目录（默认：当前目录）")
    init.set_defaults(func=cmd_init)

    status = sub.add_parser("status", help="查询提案办理状态")
    status.add_argument("number", help="案号，如 125、TA0010、“八届三次 125”")
    status.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    status.add_argument("--json", action="store_true", help="输出 JSON")
    status.set_defaults(func=cmd_status)

    parse = sub.add_parser("parse", help="解析答复函，输出 JSON（不写入数据库）")
    parse.add_argument("files", nargs="+", help="答复函文件（txt、docx、pdf …）")
    parse.add_argument("--json", action="store_true", help="输出 JSON（默认即为 JSON，每行一个文件）")
    parse.set_defaults(func=cmd_parse)

    importer = sub.add_parser("import", help="导入答复函、交办清单、联系人表（文件或文件夹）")
    importer.add_argument("paths", nargs="+", help="文件或文件夹")
    importer.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    importer.add_argument("--wait", action="store_true", help="机器人正在运行时，等它停止后再导入")
    importer.add_argument("--history", action="store_true",
                          help="作为历史记录导入：按文件记录，不为这些事项发送任何提醒")
    importer.set_defaults(func=cmd_import)

    check = sub.add_parser("check", help="核对答复函（类别、承办人、电话、是否逾期、提案人、标题、文号、单位），不导入")
    check.add_argument("files", nargs="+", help="答复函文件（txt、docx、pdf …）")
    check.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库；不存在时只核对信件本身）")
    check.add_argument("--json", action="store_true", help="每个文件输出一行 JSON")
    check.set_defaults(func=cmd_check)

    backup = sub.add_parser("backup", help="备份数据库（机器人运行时也可以）")
    backup.add_argument("file", nargs="?", help="备份文件（默认：backups/ 下带时间的文件名）")
    backup.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    backup.set_defaults(func=cmd_backup)

    restore = sub.add_parser("restore", help="从备份恢复数据库（须先停止机器人）")
    restore.add_argument("file", help="备份文件")
    restore.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    restore.set_defaults(func=cmd_restore)
    samples = sub.add_parser("samples", help="查看或删除示例数据（remove：删除）")
    samples.add_argument("action", nargs="?", choices=["remove"], help="remove：删除示例数据")
    samples.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    samples.set_defaults(func=cmd_samples)

    draft = sub.add_parser("draft", help="生成答复函草稿（.docx，GB/T 9704 公文版式）")
    draft.add_argument("number", help="案号，如 125、“八届三次 125”")
    draft.add_argument("-o", "--output", help="输出文件（默认：答复草稿-第N号.docx）")
    draft.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    draft.set_defaults(func=cmd_draft)

    for name, help_text in (("find", "模糊查找提案、联系人、单位，或直接提问（如“哪些单位逾期了”）"), ("contact", "查找承办人联系方式")):
        finder = sub.add_parser(name, help=help_text)
        finder.add_argument("text", help="查询内容：案号、标题、单位简称、姓名、拼音、电话")
        finder.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
        finder.add_argument("--json", action="store_true", help="输出 JSON")
        finder.set_defaults(func=cmd_find)
    export = sub.add_parser("export", help="导出 Excel 办理情况表（含统计表）")
    export.add_argument("file", help="输出文件，如 办理情况.xlsx")
    export.add_argument("--session", help="只导出一个届次，如 八届三次")
    export.add_argument("--public", action="store_true", help="公开版：不含承办人姓名和联系电话")
    export.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    export.set_defaults(func=cmd_export)

    stats = sub.add_parser("stats", help="办理统计：办复率、按期办复率、类别占比、满意率、逾期（按单位）")
    stats.add_argument("--session", help="届次，如 八届三次")
    stats.add_argument("--unit", help="主办单位，全称或简称")
    stats.add_argument("--as-of", type=date.fromisoformat, help="统计截至日期（YYYY-MM-DD，默认今天）")
    stats.add_argument("--json", action="store_true", help="输出 JSON")
    stats.add_argument("--chart", help="同时把图表写入该 PNG 文件")
    stats.add_argument("--db", default=argparse.SUPPRESS, help="数据库文件（默认：配置中的数据库）")
    stats.set_defaults(func=cmd_stats)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # The console chat shares the terminal with the log: keep the log to warnings there.
    quiet = args.func is not cmd_run or not os.environ.get(TOKEN_ENV)
    setup_logging(logging.DEBUG if args.verbose else logging.WARNING if quiet else logging.INFO)
    if args.func is cmd_init:
        return cmd_init(args)
    try:
        config = None if args.func is cmd_parse else load_config(args.config)  # parse reads no config
        return args.func(args, config)
    except ConfigError as exc:
        print(f"配置错误：{exc}", file=sys.stderr)
        return EXIT_USAGE
    except StorageError as exc:
        print(str(exc), file=sys.stderr)
        return EXIT_NOT_FOUND
    except Exception as exc:  # the log line is scrubbed of the token; the bare traceback would not be
        log.critical("stopped by an error: %s", exc, exc_info=True)
        return EXIT_NOT_FOUND


def setup_logging(level: int) -> None:
    """One format for every line, to stderr (the journal under systemd); the token and the
    webhook secret are scrubbed from every record, tracebacks included."""
    add_secret(os.environ.get(TOKEN_ENV))
    add_secret(os.environ.get(WEBHOOK_SECRET_ENV))
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
