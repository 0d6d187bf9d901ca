"""A new intake form from the studio's template: a few answers in, a flow's YAML out
(name, title, typed questions, audience, confirmation, ``records.save``). The YAML is a
starting point the editor refines; it goes through the same checks as any flow."""

from __future__ import annotations

import re
from typing import Any

import yaml

from bot.errors import TongguanError
from bot.services.ops.geo import districts

#: the template's question types → slot types (docs/slot-types.md) and their params
QUESTION_TYPES: dict[str, tuple[str, dict[str, Any]]] = {
    "text": ("text", {"max_length": 200}),
    "number": ("integer", {"min": 0}),
    "choice": ("choice", {}),
    "yes_no": ("yes_no", {}),
    "date": ("date", {}),
    "phone": ("phone", {}),
    "id_number": ("id_number", {}),
    "location": ("location", {"allow_text": True}),
}
AUDIENCES = ("anyone", "district", "community_workers")
SLOT = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
MAX_QUESTIONS = 40
MAX_OPTIONS = 20


class TemplateError(TongguanError):
    """A template answer that cannot make a flow; ``zh`` and ``en`` say which."""

    def __init__(self, zh: str, en: str) -> None:
        self.zh, self.en = zh, en
        super().__init__(en)


def _text(value: Any, what: str, *, limit: int = 200) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) - {"zh", "en"}:
        raise TemplateError(f"{what} 须有中文和英文（zh、en）。", f"{what}: give zh and en")
    out = {}
    for lang in ("zh", "en"):
        text = value.get(lang)
        if not isinstance(text, str) or not text.strip() or len(text) > limit:
            raise TemplateError(f"{what} 缺少{'中文' if lang == 'zh' else '英文'}（或太长）。",
                                f"{what}: the {lang} text is missing or longer than {limit}")
        out[lang] = text.strip()
    return out


def _question(n: int, q: Any, seen: set[str]) -> dict[str, Any]:
    where_zh, where_en = f"第 {n} 题", f"question {n}"
    if not isinstance(q, dict):
        raise TemplateError(f"{where_zh}格式不对。", f"{where_en} must be an object")
    kind = q.get("type")
    if kind not in QUESTION_TYPES:
        raise TemplateError(f"{where_zh}的类型不对。", f"{where_en}: type must be one of "
                            f"{', '.join(QUESTION_TYPES)}")
    slot = q.get("id") or f"q{n}"
    if not isinstance(slot, str) or not SLOT.match(slot) or slot in seen or slot in (
            "record_id", "in_area"):
        raise TemplateError(f"{where_zh}的字段名须为小写字母、数字和 _，且不重复。",
                            f"{where_en}: id must be lower-case letters, digits and _, "
                            "and unique")
    seen.add(slot)
    label = _text(q.get("label"), where_en, limit=60)
    prompt = _text(q["prompt"], where_en) if q.get("prompt") else {
        "zh": f"请填写：{label['zh']}", "en": f"{label['en']}?"}
    slot_type, params = QUESTION_TYPES[kind]
    step: dict[str, Any] = {"collect": slot, "type": slot_type}
    params = dict(params)
    if kind == "choice":
        options = q.get("options")
        if not isinstance(options, list) or not 2 <= len(options) <= MAX_OPTIONS:
            raise TemplateError(f"{where_zh}须有 2–{MAX_OPTIONS} 个选项。",
                                f"{where_en}: a choice needs 2–{MAX_OPTIONS} options")
        params["options"] = [{"value": str(i), **_text(o, f"{where_en} option {i}", limit=60)}
                             for i, o in enumerate(options, 1)]
    if params:
        step["params"] = params
    if q.get("optional") is True:
        step["optional"] = True
    step["label"] = label
    step["prompt"] = prompt
    return step


def form_yaml(spec: Any) -> tuple[str, str]:
    """The flow ``spec`` describes: ``(name, yaml)``.

    ``spec``: ``{"name", "title": {zh, en}, "questions": [{"type", "label": {zh, en},
    "prompt"?, "id"?, "optional"?, "options"?: [{zh, en}]}], "audience": anyone |
    district | community_workers, "district"?: code, "confirm"?: bool, "keywords"?}``.

    Raises:
        TemplateError: an answer that cannot make a flow.
    """
    if not isinstance(spec, dict):
        raise TemplateError("模板内容格式不对。", "the template must be an object")
    name = spec.get("name")
    if not isinstance(name, str) or not SLOT.match(name):
        raise TemplateError("表单名须为小写字母开头的字母、数字和 _（如 mask_survey）。",
                            "name: lower-case letters, digits and _ (e.g. mask_survey)")
    title = _text(spec.get("title"), "title", limit=60)
    questions = spec.get("questions")
    if not isinstance(questions, list) or not 1 <= len(questions) <= MAX_QUESTIONS:
        raise TemplateError(f"请添加 1–{MAX_QUESTIONS} 个问题。",
                            f"questions: 1 to {MAX_QUESTIONS}")
    audience = spec.get("audience", "anyone")
    if audience not in AUDIENCES:
        raise TemplateError("适用对象不对。", f"audience: one of {', '.join(AUDIENCES)}")
    seen: set[str] = set()
    steps: list[dict[str, Any]] = []
    flow: dict[str, Any] = {"id": name, "title": title}
    keywords = spec.get("keywords") or [title["zh"], title["en"]]
    if not isinstance(keywords, list) or not all(isinstance(k, str) and k.strip()
                                                 for k in keywords):
        raise TemplateError("关键词须为文字列表。", "keywords: a list of texts")
    if audience == "community_workers":
        flow["audience"] = ["community_worker"]
    elif audience == "district":
        area = next((d for d in districts() if d.code == spec.get("district")), None)
        if area is None:
            raise TemplateError("请选择一个区。", "district: choose one of "
                                + ", ".join(d.code for d in districts()))
        steps += [
            {"collect": "in_area", "type": "yes_no", "label": {"zh": "居住地", "en": "Lives in"},
             "prompt": {"zh": f"本表仅供{area.zh}居民填写。您住在{area.zh}吗？",
                        "en": f"This form is for residents of {area.en}. Do you live "
                              f"in {area.en}?"}},
            {"id": "area_check", "branch": [{"if": {"slot": "in_area", "eq": False},
                                             "goto": "not_for_you"}, {"goto": "questions"}]},
            {"id": "not_for_you", "say": {"zh": f"抱歉，本表仅供{area.zh}居民填写。",
                                          "en": f"Sorry, this form is for residents of "
                                                f"{area.en} only."}},
            {"id": "leave", "branch": [{"goto": "end"}]}]
    # a WeChat scene QR code `<name>:…` starts it (`tongguan wechat qrcode --scene`)
    flow["start"] = {"keywords": [k.strip() for k in keywords], "scene_prefix": f"{name}:"}
    asked = [_question(n, q, seen) for n, q in enumerate(questions, 1)]
    if audience == "district":
        asked[0] = {"id": "questions", **asked[0]}
    steps += asked
    if spec.get("confirm", True):
        steps.append({"id": "review", "confirm": [s["collect"] for s in asked],
                      "prompt": {"zh": "请核对您填写的信息：", "en": "Please check your answers:"}})
    steps += [{"id": "save", "action": "records.save"},
              {"id": "done", "say": {"zh": "已提交（编号 {record_id}），谢谢！",
                                     "en": "Submitted (no. {record_id}). Thank you!"}}]
    flow["steps"] = steps
    header = (f"# {title['zh']} / {title['en']}: made with the studio's form template.\n"
              "# Answers are saved (sealed) by records.save; export them from the studio.\n")
    return name, header + yaml.safe_dump(flow, allow_unicode=True, sort_keys=False,
                                         default_flow_style=None, width=100)
