"""A corpus of national-layout 项目支出绩效自评表 made by other programs (XlsxWriter, openpyxl, LibreOffice),
in several layouts of the same form: shifted blocks, inserted columns, other column order, merged headers,
blank rows, two forms on one sheet. Nothing here uses wbtool's own writers."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

# the published form's rows (天长市水利局 2022 style), with one row scored above its figures
ROWS = [
    ("产出指标\n（50分）", "数量指标", "指标1：完成灌区节水改造项目数量", "≥10个", "8个", 20, 20, ""),       # 8/10×20 = 16
    ("产出指标\n（50分）", "质量指标", "指标1：工程验收合格率", "≥95%", 0.98, 10, 10, ""),
    ("产出指标\n（50分）", "时效指标", "指标1：年度资金支付完成率", "=100%", "100%", 10, 10, ""),
    ("产出指标\n（50分）", "成本指标", "指标1：资金执行在预算范围内", "≤880万元", "870万元", 10, 10, ""),
    ("效益指标\n（30分）", "社会效益指标", "指标1：保护人口财产安全", "显著提高", "达成预期指标", 15, 15, ""),
    ("效益指标\n（30分）", "可持续影响指标", "指标1：已建工程良性运行", "长期", "部分达成", 15, 12, "部分工程运行维护经费不足"),
    ("满意度指标\n（10分）", "服务对象满意度指标", "指标1：服务对象满意度", "≥90%", "95%", 10, 10, ""),
]


@dataclass
class Form:
    project: str = "水旱灾害防御经费"
    supervisor: str = "天长市水利局"
    unit: str = "天长市水利局"
    initial: float = 880
    adjusted: float = 880
    actual: float = 792            # 90%: rate score 9
    funds_score: float = 10        # typed 10: above the rule
    rows: list = field(default_factory=lambda: list(ROWS))
    total: float | None = None     # None: the sum of the typed scores

    def typed_total(self):
        return self.total if self.total is not None else self.funds_score + sum(r[6] for r in self.rows)


HEAD = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]


DEPT = dict(title="部门整体支出绩效自评表", name_label="部门（单位）名称", funds_label="年度预算执行情况\n（万元）",
            sources=("基本支出", "项目支出"))


def layout_form(put, merge, form: Form, top=0, left=0, *, extra_col=False, swap=False, blank_rows=0,
                merged_header=True, title="项目支出绩效自评表", name_label="项目名称", funds_label="项目资金\n（万元）",
                sources=("其中：本年财政拨款", "上年结转资金", "其他资金")):
    """Write one form through ``put(r, c, v)`` / ``merge(r0, c0, r1, c1, v)`` (0-based); returns the last row."""
    cols = list(range(8))
    if extra_col:                       # an inserted 备注-like column between 三级指标 and 年度指标值
        cols = [0, 1, 2, 4, 5, 6, 7, 8]
    if swap:                            # 实际完成值 before 年度指标值, 得分 before 分值
        cols[3], cols[4] = cols[4], cols[3]
        cols[5], cols[6] = cols[6], cols[5]
    C = lambda i: left + cols[i]  # noqa: E731
    width = max(cols) + 1
    r = top
    merge(r, left, r, left + width - 1, title)
    r += 1
    put(r, left, "（2022年度）")
    r += 1 + blank_rows
    put(r, left, name_label)
    merge(r, left + 1, r, left + width - 1, form.project)
    r += 1
    put(r, left, "主管部门")
    merge(r, left + 1, r, left + 3, form.supervisor)
    put(r, left + 4, "实施单位")
    merge(r, left + 5, r, left + width - 1, form.unit)
    r += 1 + blank_rows
    merge(r, left, r + len(sources) + 1, left, funds_label)
    heads = ["年初预算数", "全年预算数（A）", "全年执行数（B）", "分值", "执行率（B/A）", "得分"]
    for j, h in enumerate(heads):
        put(r, left + 2 + j, h)
    money = [("年度资金总额：", form.initial, form.adjusted, form.actual, 10,
              round(form.actual / form.adjusted, 4), form.funds_score),
             (sources[0], form.initial, form.adjusted, form.actual, "-", None, "-")]
    money += [(name, None, None, None, "-", None, "-") for name in sources[1:]]
    for i, row in enumerate(money, 1):
        put(r + i, left + 1, row[0])
        for j, v in enumerate(row[1:]):
            if v is not None:
                put(r + i, left + 2 + j, v)
    r += len(money) + 1 + blank_rows
    merge(r, left, r + 1, left, "年度总体目标")
    merge(r, left + 1, r, left + 4, "预期目标")
    merge(r, left + 5, r, left + width - 1, "实际完成情况")
    merge(r + 1, left + 1, r + 1, left + 4, "完成年度防汛工作，完成中型灌区节水改造项目。")
    merge(r + 1, left + 5, r + 1, left + width - 1, "完成年度目标。")
    r += 2 + blank_rows
    for i, h in enumerate(HEAD):
        text = h.replace("指标", "\n指标") if merged_header and i < 2 else h
        if merged_header and i < 3:
            merge(r, C(i), r + 1, C(i), text)
        else:
            put(r, C(i), text)
    if extra_col:
        put(r, left + 3, "备注")
    r += 2 if merged_header else 1
    start = r
    groups: dict[str, list[int]] = {}
    for k, row in enumerate(form.rows):
        groups.setdefault(row[0], []).append(start + k)
    for lv1, rs in groups.items():
        merge(rs[0], C(0), rs[-1], C(0), lv1) if len(rs) > 1 else put(rs[0], C(0), lv1)
    for k, row in enumerate(form.rows):
        rr = start + k
        for i in range(1, 8):
            if row[i] not in (None, ""):
                put(rr, C(i), row[i])
    r = start + len(form.rows)
    put(r, left, "总分")
    put(r, C(5), 100)
    put(r, C(6), form.typed_total())
    return r


def write_xlsxwriter(path: Path, forms: list[Form], **kw):
    import xlsxwriter
    wb = xlsxwriter.Workbook(str(path))
    wrap = wb.add_format({"text_wrap": True})
    ws = wb.add_worksheet(kw.pop("sheet", "项目支出绩效自评表"))
    top = kw.pop("top", 0)
    left = kw.pop("left", 0)
    side = kw.pop("side_by_side", False)

    def put(r, c, v):
        if isinstance(v, str):
            ws.write_string(r, c, v, wrap)      # "=100%" is a target, not a formula
        else:
            ws.write(r, c, v, wrap)

    def merge(r0, c0, r1, c1, v):
        if (r0, c0) == (r1, c1):
            put(r0, c0, v)
        else:
            ws.merge_range(r0, c0, r1, c1, v, wrap)
    for i, f in enumerate(forms):
        if side:
            layout_form(put, merge, f, top, left + i * 12, **kw)
        else:
            top = layout_form(put, merge, f, top, left, **kw) + 3
    wb.close()
    return path


def write_openpyxl(path: Path, forms: list[Form], **kw):
    from openpyxl import Workbook
    wb = Workbook()
    wb.active.title = "封面"
    wb.active["A1"] = "某单位项目支出绩效自评"
    ws = wb.create_sheet(kw.pop("sheet", "自评表"))
    top, left = kw.pop("top", 0), kw.pop("left", 0)

    def put(r, c, v):
        cell = ws.cell(r + 1, c + 1, v)
        if isinstance(v, str) and v.startswith("="):
            cell.data_type = "s"                # "=100%" is a target, not a formula

    def merge(r0, c0, r1, c1, v):
        put(r0, c0, v)
        if (r0, c0) != (r1, c1):
            ws.merge_cells(start_row=r0 + 1, start_column=c0 + 1, end_row=r1 + 1, end_column=c1 + 1)
    for f in forms:
        top = layout_form(put, merge, f, top, left, **kw) + 2
    wb.save(path)
    return path


def soffice_convert(src: Path, fmt: str, outdir: Path) -> Path:
    """LibreOffice re-saves a file (xls: Excel 97-2003 BIFF8; xlsx: Calc's own OOXML writer)."""
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    outdir.mkdir(parents=True, exist_ok=True)
    filt = {"xls": "xls:MS Excel 97", "xlsx": "xlsx:Calc MS Excel 2007 XML"}[fmt]
    subprocess.run([exe, "--headless", "--norestore", f"-env:UserInstallation=file://{outdir}/lo_profile",
                    "--convert-to", filt, "--outdir", str(outdir), str(src)],
                   check=True, capture_output=True, timeout=180)
    out = outdir / (src.stem + "." + fmt)
    assert out.exists(), f"LibreOffice did not write {out}"
    return out
