"""The spec format as data: every block, key and type of a spec YAML file; checks shapes and yields the JSON Schema."""
from __future__ import annotations

import json

from workbook_tools.model.contract import (AnyOf, Bool, Enum, Field, Int, ListOf, MapOf, Num, Problems, Record,
                                           Ref, Str, T, _yaml_type, suggest)
from workbook_tools.model.rules import QUAL_GRADES, RULES

COVER_TYPES = ("text", "code", "year", "phone", "date", "choice")
SPEC_KINDS = ("dept-overall", "project")
INAPPLICABLE = ("forbidden", "full_marks", "rescale")
SCHEMA_ID = "https://wbtool.invalid/spec.schema.json"


class RuleT(T):
    """A leaf's ``rule:`` — a rule name (``manual``) or a mapping whose ``type`` picks the parameters allowed."""
    zh = "计分规则名或映射"
    en = "a rule name or a mapping"
    doc = "the scoring rule of a leaf indicator (default manual)"

    def check(self, v, path, probs):
        names = Enum(tuple(RULES), what_zh="计分规则", what_en="scoring rule")
        if isinstance(v, str):
            return names.check(v, path, probs)
        if not isinstance(v, dict):
            return self.wrong(v, path, probs)
        if "type" not in v:
            probs.add(path, "计分规则需要 type", "a rule needs a type")
            return False
        if not names.check(v["type"], f"{path}.type", probs):
            return False
        return RULES[v["type"]].contract().check(v, path, probs)

    def schema(self):
        branches = [{"if": {"properties": {"type": {"const": name}}, "required": ["type"]},
                     "then": rt.contract().schema()} for name, rt in RULES.items()]
        return {"description": self.doc, "anyOf": [
            {"enum": list(RULES)},
            {"type": "object", "required": ["type"], "properties": {"type": {"enum": list(RULES)}},
             "allOf": branches}]}


DEFS: dict[str, T] = {}

NODE = Record({
    "id": Field(Str(), required=True, doc='indicator number, letters/digits and dots, quoted: "2.4.1"'),
    "name": Field(Str(), required=True, doc="indicator name"),
    "weight": Field(Num(), required=True, doc="分值; children's weights add up to it"),
    "standard": Field(Str(), doc="评分标准 text shown in the workbook"),
    "rule": Field(RuleT(), doc="scoring rule of a leaf (default manual)"),
    "children": Field(ListOf(Ref("node", DEFS)), doc="sub-indicators (any depth)"),
}, doc="an indicator: a leaf with a rule, or a node with children")
DEFS["node"] = NODE

COVER = Record({
    "key": Field(Str(), required=True, doc="standard English key (agencyCode, agencyName …)"),
    "label": Field(Str(), required=True, doc="label shown on the cover"),
    "type": Field(Enum(COVER_TYPES), doc="input type"),
    "required": Field(Bool(), doc="must be filled"),
    "pattern": Field(Str(), doc="regular expression the value must match"),
    "choices": Field(ListOf(Str()), doc="dropdown values (type choice)"),
    "hint": Field(Str(), doc="input message"),
}, doc="a cover field")

FUNDS = Record({
    "sources": Field(ListOf(Str()), doc="funding sources, one row each"),
    "midyear": Field(Record({"label": Field(Str(), doc="period, e.g. 1-6月"),
                             "target_progress": Field(Num(), required=True, doc="target progress as a share, 0.5")}),
                     doc="the mid-year monitoring block"),
    "low_rate_threshold": Field(Num(), doc="execution rate below which a reason is needed (0.9)"),
    "project_counts": Field(AnyOf((Bool(), MapOf(Str()))),
                            doc="开展绩效自评项目数 per source: true, or 资金性质 → source row"),
    "project_average": Field(Bool(), doc="a cell for the projects' average score"),
    "labels": Field(MapOf(Str()), doc="column labels, e.g. {adjusted: 全年预算数（A）}"),
}, doc="the funds block")

TARGETS = Record({
    "kinds": Field(ListOf(Record({
        "key": Field(Str(), required=True, doc="key used by target_completion rules"),
        "label": Field(Str(), doc="section title"),
        "rows": Field(Int(), doc="number of target rows (1–200)"),
        "categories": Field(ListOf(Str()), doc="二级指标 choices"),
        "scored": Field(Bool(), doc="rows carry a 分值 and a score"),
        "scale": Field(Str(), doc="the `scales:` word list of its 定性 rows (default: qualitative_ratios)"),

        "row_score": Field(Enum(("ratio", "coefficient", "typed")),
                           doc="a row's 得分: ratio (completion ratio × 分值, default), coefficient (the unit types a "
                               "得分系数; 系数 × 分值), typed (the unit types the 得分, 0–分值); below full needs a reason"),
        "coefficient": Field(Record({"min": Field(Num(), doc="lowest 得分系数 (0)"),
                                     "max": Field(Num(), doc="highest 得分系数 (1)")}),
                             doc="bounds of the typed 得分系数 (row_score: coefficient), 0 ≤ min < max ≤ 1"),
    }, doc="a target table")), doc="target tables"),
    "form_values": Field(Bool(), doc="read 指标值 and 实际完成值 as forms write them (≥90%, =100 with unit %, 5次) "
                                     "through hidden helper columns; off (default) keeps issued templates' layout"),
    "value_columns": Field(ListOf(Enum(("value", "initial", "adjusted"))),
                           doc="[value] (default) or [initial, adjusted]: 年初指标值 and 调整后指标值, the ratio "
                               "using 调整后 when filled, else 年初"),
    "extra_columns": Field(ListOf(Record({
        "key": Field(Str(), required=True, doc="letters and digits, e.g. core"),
        "label": Field(Str(), required=True, doc="column header, e.g. 是否核心指标"),
        "choices": Field(ListOf(Str()), doc="dropdown values (none: free text)"),
    }, doc="a descriptive column of the target table")),
        doc="descriptive columns (是否核心指标 …), typed per row, carried by export, not scored"),
    "qualitative_ratios": Field(Record({g: Field(Num(), required=True, doc=f"completion ratio of {g}")
                                        for g in QUAL_GRADES}, what_zh="定性等级", what_en="grade",
                                       doc="the ratio each qualitative grade counts for (default 1 / 0.7 / 0.3)"),
                                doc="completion ratio of each qualitative grade"),
}, doc="the targets block")

NARRATIVE = Record({
    "key": Field(Str(), required=True, doc="letters and digits, e.g. duties"),
    "label": Field(Str(), required=True, doc="heading"),
    "required": Field(Bool(), doc="must be filled"),
    "hint": Field(Str(), doc="input message"),
    "cells": Field(Int(), doc="continuation cells (1–10)"),
    "height": Field(Num(), doc="row height in points (15–409)"),
}, doc="a text of the narrative report")

FORM_RULES = Record({
    "execution_cap": Field(Record({"bands": Field(doc="caps, any order", type=ListOf(Record({
        "below": Field(Num(), required=True, doc="execution rate below which the cap applies"),
        "max_total": Field(Num(), required=True, doc="the highest total allowed")}, doc="one cap")))},
                                  doc="caps of the total by execution rate"),
        doc="caps of the total by execution rate"),
    "target_deviation_penalty": Field(Record({
        "threshold": Field(Num(), required=True, doc="relative deviation of an actual from its target (0.3)"),
        "points": Field(Num(), required=True, doc="points deducted per deviating target"),
        "max_total": Field(Num(), doc="most points deducted in all")}),
        doc="points off the total per target whose actual deviates from its value"),
}, doc="whole-form rules")

SOURCE = Record({
    "title": Field(Str(), required=True, doc="the published document's title, as printed"),
    "publisher": Field(Str(), doc="who published it (the unit, bureau or site)"),
    "url": Field(Str(), doc="where it was found"),
    "year": Field(AnyOf((Int(), Str())), doc="the fiscal year the form is for"),
    "retrieved": Field(Str(), doc="when the copy was read, e.g. 2026-12"),
    "note": Field(Str(), doc="what was transcribed as printed, and what was not (distortions, guesses)"),
}, doc="the published form this spec was transcribed from (documentation only: not part of the fingerprint)")

SPEC = Record({
    "id": Field(Str(), required=True, doc="spec id, stored in every workbook"),
    "version": Field(AnyOf((Str(), Num())), required=True, doc='version, quoted: "2023.1"'),
    "title": Field(Str(), required=True, doc="form title"),
    "kind": Field(Enum(SPEC_KINDS), doc="dept-overall (部门整体) or project (项目支出)"),
    "money_unit": Field(Str(), doc="money unit, 万元 or 元"),
    "total_weight": Field(Num(), doc="full marks (100)"),
    "inapplicable": Field(Enum(INAPPLICABLE), doc="不适用 indicators: forbidden, full_marks, or rescale"),
    "grades": Field(ListOf(Record({"name": Field(Str(), required=True, doc="grade name (优, 良 …)"),
                                   "min": Field(Num(), required=True, doc="lowest total (2 decimals) of the grade")},
                                  doc="a grade and its lowest total")), doc="grades, highest first"),
    "instructions": Field(ListOf(Str()), doc="lines of the 填报说明 sheet"),
    "placeholders": Field(ListOf(Str()), doc="template text that must not be left in a returned file"),
    "cover": Field(ListOf(COVER), doc="cover fields"),
    "funds": Field(FUNDS),
    "scales": Field(MapOf(MapOf(Num(doc="completion ratio 0–1")), doc="word → completion ratio, in dropdown order"),
                    doc="named word lists for 定性 results: `{满意度: {很满意: 1, 满意: 0.8, 基本满意: 0.6, 不满意: 0}}`"),
    "targets": Field(TARGETS),
    "narrative": Field(ListOf(NARRATIVE), doc="texts of the 自评报告 typed in the 文字说明 sheet"),
    "form_rules": Field(FORM_RULES),
    "severities": Field(MapOf(Enum(("error", "warning"))), doc="check code → error or warning"),
    "tree": Field(ListOf(Ref("node", DEFS)), required=True, doc="the indicator tree"),
    "source": Field(SOURCE),
}, doc="a wbtool indicator spec (部门整体 / 项目支出绩效自评表)")


def check_shape(data) -> Problems:
    """Every shape problem of a parsed YAML document (unknown keys, wrong types, missing keys) at its path."""
    probs = Problems()
    SPEC.check(data, "", probs)
    return probs


def json_schema() -> dict:
    """The JSON Schema (draft-07, for editors' YAML language servers) of the spec format."""
    s = {"$schema": "http://json-schema.org/draft-07/schema#", "$id": SCHEMA_ID,
         "title": "wbtool spec (部门整体 / 项目支出绩效自评 指标体系规格)"}
    s.update(SPEC.schema())
    s["definitions"] = {name: t.schema() for name, t in DEFS.items()}
    return s


def schema_text() -> str:
    return json.dumps(json_schema(), ensure_ascii=False, indent=2) + "\n"


__all__ = ["SPEC", "NODE", "check_shape", "json_schema", "schema_text", "suggest", "_yaml_type"]
