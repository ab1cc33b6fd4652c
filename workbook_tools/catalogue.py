"""The catalogue of checks: stable codes, titles, severities and message templates (docs are generated from it)."""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

ERROR, WARNING = "error", "warning"
SEVERITY_ZH = {ERROR: "强制性", WARNING: "提示性"}
CATEGORY_ZH = {"file": "文件与表单", "identity": "表单一致性", "cover": "封面完整性", "types": "类型与范围",
               "scores": "评分", "funds": "预算执行", "targets": "绩效目标", "consistency": "与 Excel 显示一致",
               "ledger": "台账核对", "links": "与项目自评表一致"}


class _Safe(dict):
    def __missing__(self, key):
        return "{" + key + "}"


@dataclass(frozen=True)
class Entry:
    code: str
    category: str
    severity: str
    title_zh: str
    title_en: str
    message_zh: str
    message_en: str
    trigger: str       # what makes it fire (Chinese, for docs)
    fix: str           # how to fix it (Chinese, for docs)
    live: str = ""     # how the workbook's 校验 sheet checks it as the unit types ('' = only wbtool validate)

    def title(self, lang: str) -> str:
        return self.title_en if lang == "en" else self.title_zh

    def render(self, lang: str, params: dict) -> str:
        tpl = self.message_en if lang == "en" else self.message_zh
        return tpl.format_map(_Safe({k: _fmt(v) for k, v in params.items()}))


def _fmt(v):
    if isinstance(v, Decimal):
        if v.is_finite() and v.as_tuple().exponent < -6:      # a quotient's 28 digits: 6 decimals are plenty
            from decimal import ROUND_HALF_UP
            v = v.quantize(Decimal("0.000001"), rounding=ROUND_HALF_UP)
        s = format(v.normalize(), "f")
        return s
    if isinstance(v, float):          # shortest exact form: 28650.32 stays 28650.32 (never :g's 28650.3)
        return format(Decimal(repr(v)).normalize(), "f") if abs(v) < 1e15 and v == v else repr(v)
    return "空" if v is None else str(v)


_E = []


def entry(code, category, severity, title_zh, title_en, message_zh, message_en, trigger, fix):
    _E.append(Entry(code, category, severity, title_zh, title_en, message_zh, message_en, trigger, fix))


# ---------------------------------------------------------------- file (the tool cannot read the workbook)
_READ = "用 Excel 或 WPS 打开原文件，另存为“Excel 工作簿 (*.xlsx)”后重新提交；或重新获取原始文件。"
_FIX = {"file-missing": "检查路径与文件名。", "file-is-directory": "指定文件夹中的 .xlsx 文件（批量处理用 wbtool collect）。",
        "file-unreadable": "关闭占用该文件的程序，或检查文件权限。", "file-empty": "重新获取该文件。",
        "file-too-large": "删除多余的工作表、图片后另存，或拆分文件。",
        "encrypted-workbook": "在 Excel/WPS 中取消打开密码后保存。"}
for code, zh, en, trig in (
    ("file-missing", "文件不存在", "file not found", "给出的路径不存在。"),
    ("file-is-directory", "路径是文件夹", "path is a folder", "给出的路径是文件夹。"),
    ("file-unreadable", "文件无法读取", "file unreadable", "没有读取权限或文件被占用。"),
    ("file-empty", "空文件", "empty file", "文件大小为 0 字节。"),
    ("file-too-large", "文件过大", "file too large", "文件超过 50 MB。"),
    ("wrong-extension", "文件类型不受支持", "unsupported file type", "扩展名不是 .xlsx / .xlsm（如 .xls、.ods、.csv）。"),
    ("legacy-xls", "旧版 .xls 格式", "legacy .xls", "内容是 Excel 97-2003 格式。"),
    ("encrypted-workbook", "设置了打开密码", "password-protected workbook", "文件被加密（设置了打开密码）。"),
    ("not-a-workbook", "不是 Excel 工作簿", "not a workbook", "内容不是 xlsx（如 CSV、PDF、网页改了扩展名）。"),
    ("corrupt-zip", "文件已损坏", "damaged file", "zip 结构损坏、被截断或缺少必要部件。"),
    ("corrupt-xml", "文件内容已损坏", "damaged XML", "工作簿内部的 XML 无法解析。"),
    ("zip-bomb", "文件结构异常（疑似压缩炸弹）", "zip bomb", "解压后体积或压缩比超过安全上限。"),
    ("unsafe-xml", "含不安全的 XML", "unsafe XML", "XML 中含 DOCTYPE / ENTITY 声明（实体扩展、外部实体）。"),
):
    entry(code, "file", ERROR, zh, en, "{detail}", "{detail_en}", trig, _FIX.get(code, _READ))

entry("form-unknown", "file", ERROR, "不是本工具的模板", "not made from a wbtool template", "{detail}", "{detail_en}",
      "工作簿中没有表单标识（隐藏的 _wbtool 表）。", "使用财政局下发的模板重新填报。")
entry("spec-unknown", "file", ERROR, "未知的表单规格", "unknown form spec", "{detail}", "{detail_en}",
      "表单标识中的规格 id 不在已知规格中。", "使用财政局下发的当年度模板；或用 --spec 指定规格文件。")
entry("spec-outdated", "file", ERROR, "表单版本过旧或不同", "outdated form version", "{detail}", "{detail_en}",
      "表单标识中的版本与当前规格版本不同。", "使用新版模板重新填报。")
entry("sheet-missing", "file", ERROR, "工作表缺失或被改名", "sheet missing or renamed", "{detail}", "{detail_en}",
      "模板中的工作表被删除或重命名。", "恢复原工作表名称，或使用原模板重新填报。")

entry("internal-error", "file", ERROR, "处理时发生内部错误", "internal error", "{detail}", "{detail_en}",
      "处理该文件时 wbtool 自身出错（缺陷），或读取它的进程意外退出；批量中其他文件照常处理，详细信息保存在消息给出的日志文件中。",
      "将日志文件和该文件反馈给维护者；修复后重新运行 collect 会重新读取该文件。")
entry("sheet-oversized", "file", ERROR, "工作表超出表单范围过多", "sheet padded far beyond the form",
      "{detail}", "{detail_en}", "要改写的工作表在表单范围之外有大量行或单元格（如空行一直填充到第 1,048,576 行），"
      "fill 拒绝改写（validate 只读表单范围，并以 outside-form 提示）。",
      "删除表单以外的行和列（选中多余的行 → 删除）后保存，再运行。")

# ---------------------------------------------------------------- identity
entry("outside-form", "identity", WARNING, "表单范围之外有内容", "content outside the form",
      "工作表“{sheet}”在表单范围（至第 {rows} 行、第 {cols} 列）之外{what}；这些内容不读取、不校验。",
      "sheet '{sheet}' has {what_en} beyond the form (row {rows}, column {cols}); it is neither read nor checked.",
      "表单以外的行列中有内容，或工作表被大量空行/单元格填充（如填充到第 1,048,576 行）。只读取表单范围，"
      "所以任何文件的校验都在几秒内完成。",
      "把说明写在表单内（如“情况说明”表）；删除表单以外的行和列后保存。")
entry("macros-present", "identity", WARNING, "文件含宏", "workbook contains macros",
      "文件含 VBA 宏（.xlsm）；wbtool 不执行也不修改宏。", "the workbook contains VBA macros; they are neither run nor changed.",
      "存在 xl/vbaProject.bin。", "如非必要，请另存为 .xlsx 提交。")
entry("fingerprint-mismatch", "identity", ERROR, "表单指纹不符", "form fingerprint mismatch",
      "表单指纹 {found} 与规格 {spec} 的指纹 {expected} 不符，表单可能被改动或来自改过的规格。",
      "form fingerprint {found} differs from spec {spec} ({expected}); the form was altered.",
      "隐藏表中的指纹与当前规格文件计算的指纹不同。", "使用财政局下发的原模板重新填报。")
entry("spec-embedded-mismatch", "identity", ERROR, "内嵌规格与财政局规格不符", "embedded spec differs",
      "工作簿内嵌的规格副本（{spec} 版本 {version}，sha256 {found_short}）与{origin}的同一规格（{where}，sha256 "
      "{expected_short}）不同：{what}。本文件按后者计分，内嵌副本不采用。",
      "the workbook's own copy of spec {spec} {version} (sha256 {found_short}) differs from the one {origin_en} "
      "({where}, sha256 {expected_short}): {what_en}. The file is scored by the latter; its own copy is not used.",
      "模板隐藏表 _wbtool_spec 中的规格文本与 --spec、WBTOOL_SPEC_PATH 或随 wbtool 安装的同一 id、同一版本的规格不同："
      "有人改过隐藏的规格副本，或财政局改了规格而未改版本号。",
      "单位：使用财政局下发的原模板重新填报。财政局：规格改动后请改版本号并重新下发模板。")
entry("spec-unexpected", "identity", ERROR, "表单与本次汇总不符", "form differs from the batch",
      "{detail}", "{detail_en}", "collect 时文件的表单规格与本次汇总的表单（--spec 或多数文件的表单）不同。",
      "使用本次下发的模板重新填报。")
entry("label-changed", "identity", ERROR, "指标内容被修改", "indicator wording edited",
      "{what}被修改（指标内容及分值不得修改）：应为“{expected}”，实际为“{found}”。",
      "{what} was edited: expected '{expected}', found '{found}'.",
      "指标编号、名称、评分方法、评分标准或清单项文字与模板不同。", "恢复为模板原文。")
entry("weight-changed", "identity", ERROR, "分值被修改", "weight edited",
      "{what}的分值被修改：应为 {expected}，实际为 {found}。", "weight of {what} edited: expected {expected}, found {found}.",
      "指标或清单项分值与规格不同。", "恢复为模板分值。")
entry("header-changed", "identity", ERROR, "表头缺失或被修改", "header missing or edited",
      "表头应为“{expected}”，实际为“{found}”。", "header should be '{expected}', found '{found}'.",
      "表格的列标题被删除或修改。", "恢复模板表头。")
entry("project-sheet-unlisted", "identity", ERROR, "项目表不在项目清单中", "project sheet not listed",
      "工作表“{sheet}”是一张项目表（可能是复制出来的），但不在本工作簿的项目清单中：它不会被计算、校验和汇总。",
      "sheet '{sheet}' is a project form (a copy?) but not one of this workbook's project sheets: it is not "
      "computed, checked or collected.",
      "项目工作簿中多出一张与项目表结构相同的工作表（如复制项目表来增加项目）。",
      "在项目清单文件中加入该项目后用 wbtool template --projects 重新生成工作簿，再把已填内容复制过去；"
      "或把该项目填在单独的项目自评表文件中。")
entry("formula-overwritten", "identity", ERROR, "公式被覆盖", "formula overwritten",
      "{what}应由公式自动计算，但公式被改成了{found_text}。",
      "{what} is computed by a formula, but the formula was replaced by {found_text_en}.",
      "受保护的公式单元格中是数值或不同的公式。", "运行 wbtool fill 恢复公式，或从模板复制原公式。")
entry("formula-deleted", "identity", ERROR, "公式被删除", "formula deleted",
      "{what}应由公式自动计算，但公式被删除了（单元格为空）。", "{what} is computed by a formula, but the formula was deleted.",
      "受保护的公式单元格为空。", "运行 wbtool fill 恢复公式。")
entry("name-broken", "identity", ERROR, "定义名称损坏", "defined name broken",
      "定义名称 {name} 应指向 {expected}，实际为 {found}。", "defined name {name} should refer to {expected}, found {found}.",
      "模板的定义名称缺失、被改指向或为 #REF!。", "使用原模板，或在“公式 → 名称管理器”中恢复。")

# ---------------------------------------------------------------- cover & completeness
entry("cover-missing", "cover", ERROR, "封面必填项为空", "cover field empty",
      "封面“{label}”未填写。", "cover field '{label}' is empty.", "必填的封面字段为空。", "在“封面”表填写。")
entry("cover-format", "cover", ERROR, "封面格式不符", "cover field format",
      "封面“{label}”格式不符（{rule}）：{found}。", "cover field '{label}' has a wrong format ({rule}): {found}.",
      "单位编码、财政区划代码、联系电话、年度或选项不符合格式。", "按提示的格式填写。")
entry("cover-date-invalid", "cover", ERROR, "日期无效", "invalid date",
      "封面“{label}”不是有效日期：{found}。", "cover field '{label}' is not a valid date: {found}.",
      "填报日期不是日期，或是无法识别的文字。", "填写日期，如 2024-03-15。")
entry("cover-date-text", "cover", WARNING, "日期以文字形式填写", "date typed as text",
      "封面“{label}”是文字“{found}”，已按日期 {expected} 识别；建议改为日期格式。",
      "cover field '{label}' is text '{found}', read as {expected}; use a date cell.",
      "日期以文字输入但可识别。", "以日期格式重新输入。")
entry("score-missing", "scores", ERROR, "未评分", "score missing",
      "{indicator_name}未填写自评得分。", "no self-score for {indicator_name}.",
      "人工评分的末级指标自评得分为空。", "在“评分表”填写自评得分。")
entry("basis-missing", "scores", ERROR, "评分依据未填写", "scoring basis missing",
      "{indicator_name}的评分依据（{basis}）未填写，无法计算得分。", "{indicator_name}: the basis ({basis}) is empty.",
      "需要评分依据（数值、例数或等级）的指标未填写评分依据。", "在“评分依据”列填写。")
entry("checklist-item-missing", "scores", ERROR, "清单项未作答", "checklist item unanswered",
      "{indicator_name}的清单项“{item}”未选择“是/否”。", "{indicator_name}: checklist item '{item}' unanswered.",
      "清单计分的某一项为空。", "选择“是”或“否”。")
entry("funds-missing", "funds", ERROR, "预算资金未填写", "funds not entered",
      "收支情况未填写（{what}合计为 0）。", "funds not entered ({what} total is 0).",
      "调整后预算或实际支出合计为 0。", "在“收支情况”表填写各资金来源的金额。")
entry("funds-row-incomplete", "funds", WARNING, "资金来源行不完整", "fund row incomplete",
      "“{source}”只填了部分金额，{missing}为空。", "fund source '{source}' is partly filled; {missing} empty.",
      "同一资金来源行部分金额为空。", "补全该行金额（无此项资金填 0）。")
entry("placeholder-text", "cover", ERROR, "残留模板提示文字", "template placeholder left",
      "{label}仍是模板提示文字“{found}”。", "{label} still holds placeholder text '{found}'.",
      "文字中含规格列出的提示语（如“结合自评情况，说明…”）。", "替换为实际内容。")

# ---------------------------------------------------------------- types and ranges
entry("number-as-text", "types", ERROR, "数字以文本形式存储", "number stored as text",
      "{label}是文本“{found}”，不是数字{why}（Excel 不会计算它）。", "{label} holds the text '{found}', not a number{why_en}.",
      "应填数字的单元格中是可识别为数字的文字（如前导撇号、全角数字）。",
      "全角数字（１２３）请切换到半角输入法重新输入；否则选中单元格，点黄色感叹号“转换为数字”，或删除后重新输入。")
entry("not-a-number", "types", ERROR, "应填数字", "number expected",
      "{label}应为数字，实际为“{found}”。", "{label} should be a number, found '{found}'.",
      "应填数字的单元格中是文字。", "填写数字。")
entry("number-out-of-range", "types", ERROR, "数值超出范围", "number out of range",
      "{label}的数值 {found} 超出可计算的范围（非数、无穷大或绝对值达到 10 的 15 次方），未参与计算。",
      "{label} holds {found}, outside the range that can be computed (NaN, infinity or 10^15 and above); "
      "it was left out of every calculation.",
      "单元格中存的是 NaN、无穷大，或应填数字的单元格中绝对值 ≥ 10^15 的数（Excel 只有 15 位有效数字）；"
      "常见于其他程序导出或误粘贴的数据。",
      "填写实际数值（注意单位：万元）。")
entry("negative-money", "types", ERROR, "金额为负数", "negative amount",
      "{label}为负数 {found}。", "{label} is negative: {found}.", "金额小于 0。", "填写非负金额。")
entry("percent-as-number", "types", ERROR, "百分比填成了数字", "percent typed as a number",
      "{label}为 {found}，像是把百分比填成了数字（如 99.74 应填 99.74% 或 0.9974）。",
      "{label} is {found}: a percentage typed as a number (99.74 instead of 99.74%)?",
      "以 % 为单位或按比例计分的值大于合理范围（> 10 倍）。", "填写百分比格式或小数。")
entry("money-magnitude", "types", WARNING, "金额单位疑似错误", "amount magnitude",
      "{label}为 {found}，是同行其他金额的 {ratio} 倍，可能按“元”填写（本表单位为{unit}）。",
      "{label} is {found}, {ratio}× the other amounts in the row: entered in 元 instead of {unit}?",
      "同一资金来源行中某金额与其他金额相差 1000 倍以上。", "按本表金额单位（万元）换算后重新填写。")
entry("funds-row-scale", "types", WARNING, "资金来源整行疑似按“元”填写", "fund row entered in 元?",
      "“{source}”的金额 {found} {unit}（约 {yi} 亿元）是其他资金来源的 {ratio} 倍，整行可能按“元”填写（本表单位为{unit}）。",
      "'{source}': {found} {unit} (about {yi} 亿元) is {ratio}× the other sources: the whole row entered in 元 "
      "instead of {unit}?",
      "某资金来源行的金额是其他所有资金来源行的 1000 倍以上，且不少于 10 亿元（100000 万元）。",
      "按本表金额单位（万元）换算：元 ÷ 10000 = 万元，重新填写整行；确实如此的在“情况说明”表说明。")
entry("funds-implausible-total", "types", WARNING, "预算总额不合常理", "implausible budget total",
      "调整后预算合计 {found} {unit}（约 {yi} 亿元）超过 {limit} 亿元，金额可能按“元”填写（本表单位为{unit}）。",
      "adjusted budget total {found} {unit} (about {yi} 亿元) exceeds {limit} 亿元: entered in 元 instead of {unit}?",
      "调整后预算合计超过 1000 亿元（10000000 万元）。",
      "按本表金额单位（万元）换算：元 ÷ 10000 = 万元，重新填写；确实如此的在“情况说明”表说明。")
entry("funds-scale-vs-last-year", "funds", WARNING, "预算规模与上年或名单差异过大", "budget scale far from last year",
      "调整后预算合计 {found} {unit}，是{basis} {expected} {unit}的 {ratio} 倍，金额单位可能填错（元 / 万元）。",
      "adjusted budget total {found} {unit} is {ratio}× {basis_en} {expected} {unit}: 元 instead of 万元 (or back)?",
      "collect 时，调整后预算合计与该单位上一年度报送的合计（数据库中）或名单的“预算规模”相差 100 倍以上。",
      "核对金额单位（本表为万元）后重新填写；确实如此的在“情况说明”表说明。")
entry("count-invalid", "types", ERROR, "个数应为非负整数", "count must be a whole number",
      "{label}应为非负整数，实际为 {found}。", "{label} must be a non-negative whole number, found {found}.",
      "项目个数、违规例数等不是非负整数。", "填写整数。")
entry("invalid-choice", "types", ERROR, "选项无效", "invalid choice",
      "{label}应为 {choices} 之一，实际为“{found}”。", "{label} must be one of {choices}, found '{found}'.",
      "下拉选项单元格中填写了列表以外的内容。", "从下拉列表中选择。")
entry("score-precision", "types", WARNING, "得分小数位过多", "score has too many decimals",
      "{indicator_name}的得分 {found} 超过 4 位小数。", "{indicator_name}: score {found} has more than 4 decimals.",
      "自评得分小数位超过 4 位。", "保留至多 4 位小数。")

# ---------------------------------------------------------------- scores
entry("score-out-of-range", "scores", ERROR, "得分超出范围", "score out of range",
      "{indicator_name}得分 {found} 超出 0–{expected} 分。", "{indicator_name}: score {found} outside 0–{expected}.",
      "自评得分小于 0 或大于分值。", "填写 0 至分值之间的得分。")
entry("deduction-without-reason", "scores", ERROR, "扣分未说明原因", "deduction without reason",
      "{indicator_name}得分 {found} 低于分值 {expected}，未填写扣分原因。",
      "{indicator_name}: score {found} below weight {expected} but no reason given.",
      "得分低于分值且扣分原因为空或为模板提示文字。", "在“扣分原因”列说明扣分原因。")
entry("full-score-with-reason", "scores", WARNING, "满分却填写了扣分原因", "full score with a deduction reason",
      "{indicator_name}得满分，但填写了扣分原因“{found}”。", "{indicator_name} has full marks but a reason '{found}'.",
      "得分等于分值但扣分原因不为空。", "核实得分，或删除扣分原因。")
entry("rule-score-mismatch", "scores", ERROR, "得分与计分规则不符", "score differs from its rule",
      "{indicator_name}的得分为 {found}，按计分规则应为 {expected}。",
      "{indicator_name}: score {found}, the rule gives {expected}.",
      "按规则计算的得分与单元格中的值不同（公式被覆盖或依据被改）。", "运行 wbtool fill 或恢复公式。")
entry("qualitative-band", "scores", ERROR, "定性得分不在等级区间", "qualitative score outside its band",
      "{indicator_name}评为“{grade}”，得分应在 {lo}–{hi} 分之间，实际为 {found}。",
      "{indicator_name} is '{grade}': score must be {lo}–{hi}, found {found}.",
      "定性分档指标的得分不在所选等级对应的区间（达成 80–100%、部分达成 60–80%、未达成 0–60%）。",
      "调整得分或等级。")
entry("coefficient-out-of-range", "scores", ERROR, "得分系数超出范围", "coefficient out of range",
      "{indicator_name}的得分系数 {found} 超出 {lo}–{hi}，该指标无法计分。",
      "{indicator_name}: coefficient {found} outside {lo}–{hi}; the indicator cannot be scored.",
      "系数计分（coefficient）指标的评分依据（得分系数）小于规格的 min 或大于 max；超出时不计分（不按边界截断）。",
      "在“评分依据”列填写范围内的得分系数（如 0.85）。")
entry("not-applicable-without-reason", "scores", ERROR, "不适用未说明原因", "not applicable without reason",
      "{indicator_name}被标为“不适用”，但未在扣分原因列说明原因。", "{indicator_name} is not applicable but no reason is given.",
      "标为不适用的指标没有说明。", "在“扣分原因”列说明不适用的原因。")
entry("subtotal-mismatch", "scores", ERROR, "小计与下级合计不符", "subtotal differs from its children",
      "{indicator_name}的小计为 {found}，下级指标得分合计为 {expected}（散总不一致）。",
      "{indicator_name}: subtotal {found}, children sum to {expected}.",
      "上级指标得分不等于下级得分之和。", "运行 wbtool fill 或恢复小计公式。")
entry("total-mismatch", "scores", ERROR, "总分与指标得分合计不符", "total differs from the leaves",
      "总分为 {found}，按各指标得分计算应为 {expected}。", "total is {found}; the indicator scores give {expected}.",
      "汇总表的总分（两位小数）与各末级指标得分计算结果不同。", "运行 wbtool fill 或恢复汇总公式。")
entry("grade-mismatch", "scores", ERROR, "评级与得分不符", "grade does not match the score",
      "总分 {score} 对应等级“{expected}”，表中为“{found}”。", "total {score} means grade '{expected}', found '{found}'.",
      "等级与总分所在区间不符（优 ≥ 90、良 ≥ 80、中 ≥ 60、差 < 60）。", "运行 wbtool fill 或恢复等级公式。")

# ---------------------------------------------------------------- funds
entry("fund-total-mismatch", "funds", ERROR, "资金合计不符", "fund total differs",
      "{label}为 {found}，各资金来源合计为 {expected}。", "{label} is {found}; the sources add up to {expected}.",
      "合计行不等于各资金来源之和。", "运行 wbtool fill 或恢复合计公式。")
entry("exec-rate-mismatch", "funds", ERROR, "执行率与金额不符", "execution rate differs from the amounts",
      "{label}为 {found}，按金额计算应为 {expected}。", "{label} is {found}; the amounts give {expected}.",
      "执行率（或其得分）不等于 实际支出 ÷ 预算。", "运行 wbtool fill 或恢复公式。")
entry("overspend", "funds", WARNING, "实际支出超过预算", "spending above budget",
      "{source}实际支出 {found} 超过预算 {expected}。", "{source}: spending {found} exceeds budget {expected}.",
      "实际支出大于调整后预算。", "核实金额，或在情况说明中说明。")
entry("low-exec-rate", "funds", WARNING, "预算执行率偏低未说明", "low execution rate without reason",
      "预算执行率 {found} 低于 {expected}，未说明原因。", "execution rate {found} below {expected} with no reason.",
      "执行率低于规格阈值（默认 90%）且“执行率低于…原因说明”为空。", "在“收支情况”表填写原因说明。")
entry("budget-adjusted-without-reason", "funds", WARNING, "预算调整未说明", "budget adjustment without reason",
      "调整后预算 {found} 与年初预算 {expected} 不同，未说明调整原因。",
      "adjusted budget {found} differs from the initial {expected}; no reason.",
      "调整后预算合计 ≠ 年初预算合计且“年中预算调整情况说明”为空。", "填写调整说明。")
entry("midyear-mismatch", "funds", ERROR, "年中监控进度不符", "mid-year progress inconsistent",
      "{label}为 {found}，按 1–6 月金额计算应为 {expected}。", "{label} is {found}; the mid-year amounts give {expected}.",
      "1–6 月支出进度或其与目标的差距与金额不符。", "运行 wbtool fill 或恢复公式。")
entry("midyear-over-annual", "funds", WARNING, "年中预算大于全年预算", "mid-year budget above annual",
      "{source} 1–6 月预算 {found} 大于全年调整后预算 {expected}。", "{source}: mid-year budget {found} above annual {expected}.",
      "1–6 月预算数大于全年预算。", "核实金额。")

# ---------------------------------------------------------------- targets
entry("targets-missing", "targets", ERROR, "未填写绩效目标", "no targets",
      "{kind}没有填写任何指标，{indicator_name}无法计分。", "no {kind} targets; {indicator_name} cannot be scored.",
      "计分所需的目标类别一行也没有填写。", "在“绩效目标”表填写指标。")
entry("target-incomplete", "targets", ERROR, "绩效目标不完整", "target incomplete",
      "{kind}第 {row} 行“{name}”缺少{missing}。", "{kind} row {row} '{name}' lacks {missing}.",
      "目标行已填写部分内容，但指标名称、方向、指标值或实际完成值为空。", "补全该行。")
entry("target-ratio-mismatch", "targets", ERROR, "完成比例与方向不符", "completion ratio differs",
      "{kind}第 {row} 行完成比例为 {found}，按方向“{direction}”应为 {expected}。",
      "{kind} row {row}: ratio {found}, direction '{direction}' gives {expected}.",
      "完成比例不等于按方向（≥ B/A、≤ A/B、= 偏差）计算的值。", "运行 wbtool fill 或恢复公式。")
entry("target-not-applicable-without-reason", "targets", ERROR, "指标不适用未说明原因",
      "target row not applicable without reason",
      "{kind}第 {row} 行“{name}”的实际完成值为“不适用”，但未在偏差原因分析列说明原因。",
      "{kind} row {row} '{name}' is marked 不适用 but no reason is given.",
      "允许整行不适用的表单（项目支出自评表）中，实际完成值填“不适用”的指标行没有说明原因；该行不计分，其分值从满分中扣除后"
      "按百分制折算。", "在该行“偏差原因分析及改进措施”列说明不适用的原因；确实适用的请填写实际完成值。")
entry("target-missed-without-reason", "targets", ERROR, "未完成目标未说明原因", "missed target without reason",
      "{kind}第 {row} 行“{name}”完成比例 {found}，未填写偏差原因。",
      "{kind} row {row} '{name}' reached {found} but gives no reason.",
      "完成比例低于 100% 且偏差原因为空。", "填写偏差原因分析及改进措施。")
entry("target-row-score-out-of-range", "targets", ERROR, "指标行得分系数或得分超出范围", "row coefficient or score out of range",
      "{label}为 {found}，应在 {lo}–{hi} 之间。", "{label} is {found}; it must lie within {lo}–{hi}.",
      "由单位填写得分系数的目标行（row_score: coefficient），系数不在规格给出的范围内；由单位填写得分的目标行"
      "（row_score: typed），得分小于 0 或大于本行分值。", "按完成情况在范围内填写；得分不能超过本行分值。")
entry("target-row-below-full-without-reason", "targets", ERROR, "指标行未得满分未说明原因",
      "row below full marks without reason",
      "{kind}第 {row} 行“{name}”得分 {found}，低于本行分值 {expected}，未填写偏差原因。",
      "{kind} row {row} '{name}' scores {found}, below its 分值 {expected}, but gives no reason.",
      "由单位填写得分系数或得分的目标行（row_score: coefficient / typed），得分低于本行分值而偏差原因不是有效文字。",
      "在该行“偏差原因分析及改进措施”列说明扣分原因。")
entry("target-value-unreadable", "targets", ERROR, "指标值或完成值读不出数字", "target value unreadable",
      "{label}为“{found}”，读不出数字，该行无法计算完成比例。",
      "{label} is '{found}': no number can be read from it, so the row's completion ratio cannot be computed.",
      "定量指标（方向为 ≥、≤、= 或指标值带这些符号）的指标值或实际完成值是文字，且开头（去掉 ≥ ≤ = 等符号和空格后）不是数字，"
      "如“约5次”“较上年提高”“１２”（全角数字）、“-”。",
      "按表单写法填写：数字开头，可带符号、% 和单位，如 ≥90%、=100、≤3%、5次、20集、0；定性指标把方向选为“定性”。")
entry("target-weight-sum", "targets", ERROR, "指标分值合计不符", "target weights do not add up",
      "{kind}各行分值合计 {found}（{cells}），应等于 {expected}。",
      "{kind} row weights add up to {found} ({cells}), expected {expected}.",
      "计分目标行的分值之和不等于对应一级指标分值。", "调整各行分值。")
entry("unknown-scale-word", "targets", ERROR, "定性评价词不在词表中", "word not in the scale",
      "{kind}第 {row} 行“{name}”为定性指标，实际完成值“{found}”不是评价词（{words}）之一，该行无法计算完成比例。",
      "{kind} row {row} '{name}' is qualitative: '{found}' is not one of the words ({words}); no ratio can be computed.",
      "方向为“定性”的目标行，实际完成值不是该类指标评价词表（规格的 scales，默认 达成/部分达成/未达成）中的词"
      "（包括数字、错别字、多余空格）；不报此错就会被当作未填而少算得分。",
      "从单元格提示的评价词中选填；定量指标把方向改为 ≥ ≤ =。")

# ---------------------------------------------------------------- consistency with what Excel shows
entry("stale-value", "consistency", WARNING, "显示值与计算值不一致", "stored value differs from the engine",
      "{label}显示为 {found}，重新计算应为 {expected}（文件未重新计算，或在不计算公式的程序中编辑过）。",
      "{label} shows {found}; recalculation gives {expected}.",
      "公式未被改动，但单元格保存的计算结果与引擎结果不同。", "在 Excel 中按 Ctrl+Alt+F9 重新计算后保存，或运行 wbtool fill。")

entry("values-not-calculated", "consistency", WARNING, "文件没有保存计算结果", "file saved without calculated values",
      "本文件的 {count} 个公式单元格没有保存计算结果（文件由不计算公式的程序生成或保存）；wbtool 按公式重新计算了全部结果，"
      "但在 Excel/WPS 中打开前，这些单元格在其他程序里显示为空。",
      "{count} formula cells carry no calculated value (the file was written by a program that does not calculate); "
      "wbtool recalculated every result, but other programs show these cells empty until Excel/WPS saves the file.",
      "一半以上（至少 5 个）的公式单元格没有保存值；此时不再逐格报告显示值与计算值不一致。",
      "在 Excel 或 WPS 中打开文件、保存一次；或运行 wbtool fill 写入计算结果。")

# ---------------------------------------------------------------- ledger (wbtool crosscheck: the file against the bureau's ledger)
_LEDGER_FIX = "按财政局台账（预算管理一体化系统）的数据改正；如认为台账有误，请与财政局核对。"
entry("ledger-unit-missing", "ledger", ERROR, "单位不在台账中", "unit not in the ledger",
      "单位编码 {found} 在台账 {ledger} 中找不到，无法核对资金。",
      "unit code {found} is not in the ledger {ledger}; the funds cannot be checked.",
      "封面的单位编码为空，或不在财政局的台账中。", "核对封面“单位编码”是否与预算管理一体化系统一致；新设单位请财政局补充台账。")
entry("ledger-name-mismatch", "ledger", WARNING, "单位名称与台账不同", "unit name differs from the ledger",
      "单位名称“{found}”与台账中单位编码 {agency_code} 的名称“{expected}”不同。",
      "unit name '{found}' differs from the ledger's '{expected}' for code {agency_code}.",
      "封面单位名称与台账中同一单位编码的名称不同（忽略空格）。", "核对单位编码与名称；简称等差异可在“情况说明”表说明。")
for code, zh, en, what in (
    ("ledger-initial-mismatch", "年初预算数与台账不符", "initial budget differs from the ledger", "年初预算数"),
    ("ledger-budget-mismatch", "调整后预算数与台账不符", "adjusted budget differs from the ledger", "调整后预算数（全年预算数）"),
    ("ledger-actual-mismatch", "实际支出数与台账不符", "actual spending differs from the ledger", "实际支出数（执行数）"),
    ("ledger-midyear-mismatch", "1–6 月金额与台账不符", "mid-year amount differs from the ledger", "1–6 月预算数或实际支出数"),
    ("ledger-total-mismatch", "合计与台账不符", "total differs from the ledger", "合计行（各资金来源行一致，合计公式被改动时）"),
):
    entry(code, "ledger", ERROR, zh, en,
          "{label}为 {found} {unit}，台账为 {expected} {unit}（表中减台账 {diff} {unit}）。",
          "{label} is {found} {unit}; the ledger says {expected} {unit} (workbook minus ledger: {diff} {unit}).",
          f"{what}与台账相差超过容差（默认 0.01 万元）。",
          "运行 wbtool fill 恢复合计公式。" if code == "ledger-total-mismatch" else _LEDGER_FIX)
entry("ledger-source-missing-in-workbook", "ledger", ERROR, "台账有此资金来源，表中未填", "fund source missing in the workbook",
      "台账中有“{source}”资金（调整后预算 {expected} {unit}，实际支出 {actual} {unit}），表中{where}。",
      "the ledger has '{source}' funds (budget {expected} {unit}, spent {actual} {unit}); the workbook {where_en}.",
      "台账中该单位某资金来源有金额，表中该行金额为空或为 0，或表单没有这一资金来源。", _LEDGER_FIX)
entry("ledger-source-missing-in-ledger", "ledger", ERROR, "表中资金来源台账中没有", "fund source not in the ledger",
      "表中“{source}”填有金额（{label} {found} {unit}），台账中该单位没有这一资金来源。",
      "the workbook has '{source}' funds ({label} {found} {unit}); the ledger has none for this unit.",
      "表中某资金来源行有金额，台账中该单位没有此资金来源（或金额全为 0）。", _LEDGER_FIX)
entry("ledger-project-missing", "ledger", ERROR, "项目不在台账中", "project not in the ledger",
      "项目编码 {found}（单位编码 {agency_code}）在台账 {ledger} 中找不到，无法核对该项目的资金。",
      "project code {found} (unit {agency_code}) is not in the ledger {ledger}; the project's funds cannot be checked.",
      "项目表封面的项目编码为空，或不在财政局的项目台账中。",
      "核对项目表封面“项目编码”是否与预算管理一体化系统的项目库一致；台账遗漏的项目请财政局补充。")
entry("ledger-project-missing-in-workbook", "ledger", ERROR, "台账有此项目，工作簿中没有", "ledger project missing in the workbook",
      "台账中单位 {agency_code} 有项目 {project_code} {project_name}（全年预算 {expected} {unit}，执行 {actual} {unit}），"
      "工作簿中没有它的项目表。",
      "the ledger has project {project_code} {project_name} of unit {agency_code} (budget {expected} {unit}, "
      "spent {actual} {unit}); the workbook has no sheet for it.",
      "台账中该单位有金额不为 0 的项目，项目工作簿中没有封面项目编码与之相同的项目表。", _LEDGER_FIX)
entry("ledger-no-projects", "ledger", ERROR, "台账没有项目编码，无法按项目核对", "ledger has no project rows",
      "{detail}", "{detail_en}",
      "项目工作簿与没有“项目编码”列（或该列全空）的单位级台账核对（collect --ledger 时逐个文件列出；crosscheck 为用法错误）。",
      "提供项目级台账：每行一个项目的一个资金来源或其合计（docs/ledger.md“项目台账”）。")
entry("ledger-rate-mismatch", "ledger", ERROR, "执行率或得分与台账计算不符", "rate or score differs from the ledger's figures",
      "按台账金额计算，{label}应为 {expected}，表中为 {found}。",
      "with the ledger's figures {label} is {expected}; the workbook shows {found}.",
      "用台账金额代入表单重新计算（与模板公式相同的计分引擎）的预算执行率、1–6 月支出进度或执行率得分与表中不同。",
      "先改正与台账不符的金额；金额一致后执行率与得分会自动更新。")

# ---------------------------------------------------------------- links (validate OVERALL --projects PROJECTS.xlsx)
_LINK_FIX = "运行 wbtool fill 本表 --projects 项目工作簿，由项目自评表自动填入；或核对项目工作簿是否完整。"
entry("projects-count-mismatch", "links", ERROR, "自评项目数与项目自评表不符", "project count differs from the project forms",
      "“{source}”开展绩效自评项目数填 {found} 个，项目自评表中已自评的为 {expected} 个（{files}）。",
      "'{source}': {found} project(s) self-evaluated entered; the project forms have {expected} ({files}).",
      "用 --projects 给出项目工作簿时，各资金来源的“开展绩效自评项目数”与项目自评表中状态不是“未完成”的项目数不同"
      "（项目的资金性质按规格 funds.project_counts 对应到资金来源行）。", _LINK_FIX)
entry("projects-average-mismatch", "links", ERROR, "自评项目平均分与项目自评表不符",
      "average project score differs from the project forms",
      "自评项目平均得分填 {found}，项目自评表中 {count} 个已自评项目的平均分为 {expected}（{files}）。",
      "average project score entered {found}; the {count} self-evaluated project forms average {expected} ({files}).",
      "用 --projects 给出项目工作簿时，“开展绩效自评项目的平均得分”与项目总分的平均值（保留两位小数）不同。", _LINK_FIX)
entry("projects-type-unmapped", "links", WARNING, "项目资金性质在本表中没有对应行", "project fund type has no row here",
      "项目自评表中有 {found} 个资金性质为“{fund_type}”的已自评项目，本表没有对应的资金来源行，未计入项目数。",
      "{found} self-evaluated project(s) of fund type '{fund_type}' have no source row in this form; not counted.",
      "项目的资金性质不在规格 funds.project_counts 的对应关系中。", "在规格中补充对应关系，或在“情况说明”表说明。")

# ---------------------------------------------------------------- roster (wbtool collect --roster: whose return is it)
CATEGORY_ZH["roster"] = "与单位名单一致"
entry("roster-unit-unknown", "roster", WARNING, "单位不在名单中", "unit not on the roster",
      "单位编码 {found}（{name}）不在本次汇总的单位名单中：该报送单列，不计入统计。",
      "unit code {found} ({name}) is not on this collection's roster: listed apart, not in the statistics.",
      "collect --roster 时，报送文件封面的单位编码不在名单中（编码填错，或名单漏了该单位）。",
      "核对封面“单位编码”是否与预算管理一体化系统一致；确属新单位的，请财政局把它加入名单后重新汇总。")
entry("roster-name-mismatch", "roster", WARNING, "单位名称与名单不同", "unit name differs from the roster",
      "单位名称“{found}”与名单中单位编码 {agency_code} 的名称“{expected}”不同。",
      "unit name '{found}' differs from the roster's '{expected}' for code {agency_code}.",
      "collect --roster 时，封面单位名称与名单中同一单位编码的名称不同（忽略空格与全角/半角括号）。",
      "核对单位编码是否填成了其他单位的；名称用简称的，请改为名单中的全称。")

# ---------------------------------------------------------------- report narrative (文字说明 sheet)
# A warning by default (the figures do not depend on it); a spec whose headings say （必填） makes it an error
# (severities:, docs/specs.md), as the shipped gd-dept-overall-2023 does.
CATEGORY_ZH["narrative"] = "报告文字说明"
entry("narrative-missing", "narrative", WARNING, "报告文字未填写", "report narrative missing",
      "{label}未填写，生成的自评报告中该部分将为空。", "{label} is empty; that part of the report will be blank.",
      "规格中标为必填的文字说明项为空、过短（不足 2 字）或仍为模板提示文字。",
      "在“文字说明”表填写；文字报告另行报送的，在“情况说明”表说明。")

# ---------------------------------------------------------------- re-scoring foreign forms (抽查复核, docs/foreign.md)
CATEGORY_ZH["rescore"] = "抽查复核（外来表式）"
entry("self-score-above-rule", "rescore", ERROR, "自评得分高于按填报数据复核的得分", "self score above the recomputed score",
      "{indicator_name}自评得分 {found}，按本表填报的数据（{how}）复核应为 {expected}，高出 {diff} 分。",
      "{indicator_name}: self score {found}, the form's own figures ({how}) give {expected} ({diff} higher).",
      "读取其他系统或模板的自评表（wbtool inspect 能识别的表式）时，用表中的年度指标值、实际完成值、预算数和执行数按规格的"
      "计分规则重新计算，自评得分比计算结果高出 0.005 分以上（定量指标 B/A 或 A/B、定性指标按达成/部分达成/未达成、"
      "预算执行率 × 分值）。", "按实际完成情况如实评分；确有依据的，在偏差原因中说明并附佐证材料。")
entry("self-total-above-rule", "rescore", ERROR, "总分高于复核总分", "self total above the recomputed total",
      "{label}的自评总分 {found}，按本表填报的数据复核为 {expected}，高出 {diff} 分。",
      "{label}: self total {found}; the form's own figures give {expected} ({diff} higher).",
      "外来表式的自评总分（未填总分时为各行得分之和）高于复核总分 0.005 分以上；无法计算的指标行按自评得分计入复核总分。",
      "逐行核对被标出的指标得分。")
entry("foreign-row-unscorable", "rescore", WARNING, "指标无法复核", "row cannot be re-scored",
      "{indicator_name}无法按规则复核（{why}），只核对了得分范围。",
      "{indicator_name} cannot be re-scored ({why}); only its range was checked.",
      "外来表式中某指标行没有年度指标值或实际完成值，或两者无法比较（如指标值为文字、实际完成值为不认识的文字）。",
      "填写可比较的年度指标值和实际完成值（如 ≥90% 与 95%，或 达成/部分达成/未达成）。")

# ---------------------------------------------------------------- live in the workbook (校验 sheet, issue 17)
# Checks a formula can express exactly (Excel 2010 / WPS functions only): model/checksheet.py has one generator per
# code below and builds the template's 校验 sheet from them; tests/test_checksheet_lo.py proves that after
# recalculation the sheet flags the same (check, cell) pairs as validate. The rest need what a formula cannot see
# (whether a formula was overwritten, the spec fingerprint, the ledger, text patterns) and run only in validate.
LIVE = {
    "cover-missing": "必填封面单元格为空或只有空格",
    "invalid-choice": "选项单元格的内容不在下拉列表中（EXACT 比较）",
    "placeholder-text": "文字中含规格的模板提示语（FIND）",
    "negative-money": "金额单元格为负数",
    "count-invalid": "个数单元格为负数或不是整数",
    "score-precision": "人工得分超过 4 位小数（ROUND(x,4)≠x）",
    "percent-as-number": "度量单位含 % 而指标值或实际完成值（数字单元格，同行另一值不是文字）的绝对值大于 10",
    "not-applicable-without-reason": "不适用而扣分原因为空、过短或为提示语",
    "basis-missing": "需要评分依据的指标依据为空",
    "checklist-item-missing": "清单项未选择是/否",
    "score-missing": "人工评分的得分为空",
    "score-out-of-range": "得分小于 0 或大于分值",
    "deduction-without-reason": "得分低于满分（扣除不适用目标行的分值）而扣分原因不是有效文字",
    "full-score-with-reason": "满分却填写了有效的扣分原因",
    "qualitative-band": "定性得分不在所选等级的区间",
    "funds-missing": "调整后预算合计不大于 0，或实际支出一个也没有填写",
    "funds-row-incomplete": "资金来源行三项金额只填了一部分",
    "money-magnitude": "同一行某金额 ≥1000 且是其他金额最大值的 1000 倍以上",
    "overspend": "实际支出大于调整后预算",
    "midyear-over-annual": "1–6 月预算大于全年调整后预算",
    "low-exec-rate": "按金额算出的执行率低于阈值且原因说明不是有效文字",
    "budget-adjusted-without-reason": "年初预算合计与调整后预算合计不同且调整说明不是有效文字",
    "targets-missing": "计分所需的目标类别一行也没有填写",
    "target-incomplete": "目标行已填部分内容，标出第一个空的必填单元格",
    "target-not-applicable-without-reason": "实际完成值为“不适用”而偏差原因不是有效文字",
    "target-missed-without-reason": "按方向算出的完成比例低于 100% 而偏差原因不是有效文字",
    "target-weight-sum": "已填目标行的分值合计不等于一级指标分值",
    "target-row-score-out-of-range": "单位填写的得分系数不在规格范围内，或单位填写的行得分小于 0 或大于本行分值",
    "target-row-below-full-without-reason": "单位评定的行得分（系数 × 分值或填写的得分）低于本行分值而偏差原因不是有效文字",
    "target-value-unreadable": "定量目标行的指标值或实际完成值是文字，去掉符号后不以数字开头（与隐藏的读数列同一算法）",
    "narrative-missing": "必填文字说明为空、过短或为提示语",
    "unknown-scale-word": "方向为“定性”而实际完成值不是该类指标的评价词（Excel 的 = 比较）",
    "coefficient-out-of-range": "得分系数为数字而小于 min 或大于 max",
}
_E = [replace(e, live=LIVE[e.code]) if e.code in LIVE else e for e in _E]

CATALOGUE: dict[str, Entry] = {e.code: e for e in _E}
assert set(LIVE) <= set(CATALOGUE), sorted(set(LIVE) - set(CATALOGUE))
assert len(CATALOGUE) == len(_E), "duplicate catalogue code"


def catalogue_markdown(overrides: dict[str, list[str]] | None = None) -> str:
    """docs/checks.md, generated from the catalogue; ``overrides``: code → the shipped specs' own severities
    ("gd-dept-overall-2023: error"), given by workbook_tools.docs (the catalogue does not read specs)."""
    lines = ["# 校验规则目录 (checks catalogue)", "",
             "本文件由 `python -m workbook_tools.docs` 从 `workbook_tools/catalogue.py` 生成，请勿手工编辑。",
             "严重性：**error = 强制性**（必须修改，退出码 1），**warning = 提示性**（可在“情况说明”表说明）。",
             "文件类问题使 `wbtool validate` 以退出码 3 结束。",
             "规格可以用 `severities:` 改变某项检查的严重性（docs/specs.md），随附规格的改动列在严重性一栏。",
             "“运行于”一栏：**表内实时** = 模板的“校验”表用公式随填写检查（Excel 2010 / WPS 均可），与 validate 结果一致"
             "（LibreOffice 重算测试逐格比对）；**仅 validate** = 只有运行 `wbtool validate` 时检查。",
             "“校验”表由各检查的表内实时声明生成（`model/checksheet.py` 每项一个生成器，产出“检查、单元格、公式”）："
             "单表格式的模板在封面之后；项目工作簿（`template --projects`）在“项目清单”之后，同一组生成器套用到每个项目表，"
             "统计全部项目的问题并逐条列出项目、位置和改法（`model/projectcheck.py`）。", ""]
    overrides = overrides or {}
    for cat, zh in CATEGORY_ZH.items():
        entries = [e for e in _E if e.category == cat]
        if not entries:
            continue
        lines += [f"## {zh}", "", "| 代码 | 标题 | 严重性 | 何时触发 | 如何修改 | 运行于 |", "|---|---|---|---|---|---|"]
        for e in entries:
            sev = f"{e.severity}（{SEVERITY_ZH[e.severity]}）" + "".join(f"<br>{o}" for o in overrides.get(e.code, []))
            where = f"表内实时：{e.live}" if e.live else "仅 validate"
            lines.append(f"| `{e.code}` | {e.title_zh}<br>*{e.title_en}* | {sev} | {e.trigger} | {e.fix} | {where} |")
        lines.append("")
    return "\n".join(lines)
