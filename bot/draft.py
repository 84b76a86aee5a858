"""A reply-letter draft from a proposal's record, in the official document layout.

``draft_docx(proposal, handlers, today)`` returns a .docx (python-docx) laid out after GB/T
9704-2012 (党政机关公文格式): A4, top margin 37 mm and left 28 mm for a 156 × 225 mm text area
(so right 26 mm, bottom 35 mm), a document grid of 22 lines × 28 characters (``linesAndChars``),
the unit's name in red as the issuing-authority mark over a red rule, the doc-number line and the
class mark left for the unit to fill, the title in 二号 方正小标宋简体, the body in 三号
仿宋_GB2312 (first-level headings 三号 黑体), the salutation to the proposer (委员 / 代表 when a
person), the customary opening (您提出的《…》收悉) and closing, numbered headings to fill in,
the signing unit and date, 联系人 / 联系电话 from the item's handlers, and 抄送 the committee
office in 四号. Fonts are named, not bundled (they are proprietary): Word and WPS use them when
installed and substitute otherwise.

The draft parses back with ``bot.parsing``: number, session, title, proposer, issuer and
handler come out as the record has them (tests/test_draft.py). Pure core module: no telegram.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date

from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt, RGBColor

from bot.model import Contact, Proposal, Reply, _cn
from bot.parsing import is_government_unit

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
LATIN_FONT = "Times New Roman"
TITLE_PT, BODY_PT, NOTE_PT = 22, 16, 14  # 二号, 三号, 四号

PAGE_MM = (210, 297)
TOP_MM, LEFT_MM = 37, 28
TEXT_MM = (156, 225)
LINES, CHARS = 22, 28
# The grid: the line pitch in twentieths of a point that fits 22 lines in 225 mm, and the
# character spacing (in 4096ths of a point, relative to the 16 pt body font) that fits 28
# characters in 156 mm.
LINE_PITCH = int(TEXT_MM[1] / 25.4 * 1440 / LINES)
CHAR_SPACE = math.floor((TEXT_MM[0] / 25.4 * 72 / CHARS - BODY_PT) * 4096)
RED = RGBColor(0xE6, 0x00, 0x12)

SECTIONS = ("一、基本情况", "二、办理措施和成效", "三、下一步工作打算")
FILL_IN = "（请在此填写。）"
# 抄送: the office that assigned the item and follows its handling
COMMITTEE_OFFICE = {"政协": "{region}政协提案委员会", "人大": "{region}人大常委会代表工作委员会"}


def session_text(proposal: Proposal) -> str:
    """晋城市政协八届三次会议 / 晋城市十五届人大二次会议, as reply titles print them."""
    if proposal.term is None or proposal.meeting is None:
        return f"{proposal.region}{proposal.body}"
    term, meeting = _cn(proposal.term), _cn(proposal.meeting)
    if proposal.body == "人大":
        return f"{proposal.region}{term}届人大{meeting}次会议"
    return f"{proposal.region}政协{term}届{meeting}次会议"


def letter_title(proposal: Proposal) -> str:
    kind = "建议" if proposal.body == "人大" else "提案"
    return f"关于{session_text(proposal)}第{proposal.number}号{kind}的答复"


def _organisation(proposer: str) -> bool:
    """民建晋城市委会, 九三学社高平市支社: not a person's name."""
    return (is_government_unit(proposer) or
            bool(re.search(r"(?:会|社|委|部|组|盟|党|联|团|协)$", proposer)) and "、" not in proposer and len(proposer) > 4)


def salutation(proposal: Proposal) -> tuple[str, str]:
    """(the addressee line's name, how the letter says "you"): 王明委员 / 您; 张三、李四代表 /
    你们; 民建晋城市委会 / 贵单位."""
    proposer = proposal.proposer.strip() or ("提案人" if proposal.body == "政协" else "代表")
    if _organisation(proposer):
        return proposer, "贵单位"
    several = "、" in proposer or "等" in proposer
    you = "你们" if several else "您"
    if re.search(r"(?:委员|代表|同志)$", proposer):
        return proposer, you
    return proposer + ("代表" if proposal.body == "人大" else "委员"), you


def draft_docx(proposal: Proposal, handlers: list[Contact], today: date, replies: list[Reply] = ()) -> bytes:
    """The draft as .docx bytes. 联系人 / 联系电话: the item's handlers, else what its latest
    reply letter printed."""
    doc = Document()
    _page(doc)
    unit = proposal.lead_unit or "（答复单位）"

    mark = _paragraph(doc, WD_ALIGN_PARAGRAPH.CENTER)
    _run(mark, unit, TITLE_FONT, TITLE_PT, color=RED)
    number_line = _paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT)
    _run(number_line, f"〔{today.year}〕　号", BODY_FONT, BODY_PT)  # the unit's 机关代字 and number to fill
    _run(number_line, "　" * 12 + "类别：　", BODY_FONT, BODY_PT)
    _red_rule(_paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT))

    title = _paragraph(doc, WD_ALIGN_PARAGRAPH.CENTER)
    _run(title, letter_title(proposal), TITLE_FONT, TITLE_PT)
    _paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT)

    addressee, you = salutation(proposal)
    _run(_paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT), f"{addressee}：", BODY_FONT, BODY_PT)
    item = proposal.title or "（案由）"
    _run(_body(doc), f"{you}提出的《{item}》收悉。我们高度重视，认真研究办理，现答复如下：", BODY_FONT, BODY_PT)
    for heading in SECTIONS:
        _run(_body(doc), heading, HEADING_FONT, BODY_PT)
        _run(_body(doc), FILL_IN, BODY_FONT, BODY_PT)
    _run(_body(doc), f"感谢{you}对我们工作的关心和支持，欢迎继续提出宝贵意见和建议。", BODY_FONT, BODY_PT)
    _paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT)

    for text in (unit, f"{today.year}年{today.month}月{today.day}日"):
        signature = _paragraph(doc, WD_ALIGN_PARAGRAPH.RIGHT)
        signature.paragraph_format.right_indent = Pt(BODY_PT * 4)  # 右空四字
        _run(signature, text, BODY_FONT, BODY_PT)
    _paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT)
    last = max(replies, key=lambda r: r.reply_date or "", default=None)
    names = "、".join(c.name for c in handlers) or "、".join(last.handlers if last else []) or "　"
    phones = ("、".join(dict.fromkeys(p for c in handlers for p in c.phones))
              or "、".join(last.phones if last else []) or "　")
    _run(_body(doc), f"联系人：{names}", BODY_FONT, BODY_PT)
    _run(_body(doc), f"联系电话：{phones}", BODY_FONT, BODY_PT)

    office = COMMITTEE_OFFICE.get(proposal.body, "{region}").format(region=proposal.region)
    copy_to = _paragraph(doc, WD_ALIGN_PARAGRAPH.LEFT)
    copy_to.paragraph_format.left_indent = Pt(NOTE_PT)
    _border(copy_to, "top")
    _border(copy_to, "bottom")
    _run(copy_to, f"抄送：{office}。", BODY_FONT, NOTE_PT)

    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _page(doc) -> None:
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(PAGE_MM[0]), Mm(PAGE_MM[1])
    section.top_margin, section.left_margin = Mm(TOP_MM), Mm(LEFT_MM)
    section.right_margin = Mm(PAGE_MM[0] - LEFT_MM - TEXT_MM[0])
    section.bottom_margin = Mm(PAGE_MM[1] - TOP_MM - TEXT_MM[1])
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    grid.set(qn("w:type"), "linesAndChars")
    grid.set(qn("w:linePitch"), str(LINE_PITCH))
    grid.set(qn("w:charSpace"), str(CHAR_SPACE))
    normal = doc.styles["Normal"]
    normal.font.size = Pt(BODY_PT)
    normal.font.name = LATIN_FONT
    _fonts(normal.element.get_or_add_rPr(), BODY_FONT)


def _fonts(rpr, east_asia: str) -> None:
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.insert(0, fonts)
    for key in ("w:ascii", "w:hAnsi", "w:cs"):
        fonts.set(qn(key), LATIN_FONT)
    fonts.set(qn("w:eastAsia"), east_asia)


def _paragraph(doc, align):
    paragraph = doc.add_paragraph()
    paragraph.alignment = align
    fmt = paragraph.paragraph_format
    fmt.space_before = fmt.space_after = Pt(0)
    fmt.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    fmt.line_spacing = Pt(LINE_PITCH / 20)
    return paragraph


def _body(doc):
    """A body paragraph: first line indented two characters."""
    paragraph = _paragraph(doc, WD_ALIGN_PARAGRAPH.JUSTIFY)
    paragraph.paragraph_format.first_line_indent = Pt(BODY_PT * 2)
    return paragraph


def _run(paragraph, text: str, east_asia: str, size: float, color: RGBColor | None = None):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.name = LATIN_FONT
    _fonts(run._element.get_or_add_rPr(), east_asia)
    if color is not None:
        run.font.color.rgb = color
    return run


def _border(paragraph, side: str, color: str = "000000", size: int = 4) -> None:
    ppr = paragraph._p.get_or_add_pPr()
    borders = ppr.find(qn("w:pBdr"))
    if borders is None:
        borders = OxmlElement("w:pBdr")
        ppr.append(borders)
    line = OxmlElement(f"w:{side}")
    for key, value in (("w:val", "single"), ("w:sz", str(size)), ("w:space", "1"), ("w:color", color)):
        line.set(qn(key), value)
    borders.append(line)


def _red_rule(paragraph) -> None:
    """The red line under the issuing-authority mark (版头中的分隔线)."""
    _border(paragraph, "bottom", "E60012", 12)
