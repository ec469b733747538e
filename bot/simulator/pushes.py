"""Pushes the fake WeChat API received, turned into what the recipient's phone would show."""
SEND_PATHS = {"/cgi-bin/message/custom/send": "客服消息", "/cgi-bin/message/template/send": "模板消息",
              "/cgi-bin/message/send": "企业微信"}
# The official account's template definitions live in WeChat's backend; these imitate them.
TEMPLATE_TITLES = {"default": "案件办理通知", "notice": "工作提醒", "followup": "服务评价提醒"}
FIELD_LABELS = {"title": "事项", "number": "案件编号", "time": "时间", "hint": "下一步", "detail": "内容",
                "place": "村·类别", "excerpt": "反映内容", "due": "时限"}


def _template_lookup(templates: dict) -> dict:
    """Template id → (card title, {field name: label}) from the notifications config."""
    lookup = {}
    for kind, template in (templates or {}).items():
        labels = {name: FIELD_LABELS.get(source, name) for name, source in (template.get("fields") or {}).items()}
        lookup[template.get("id")] = (TEMPLATE_TITLES.get(kind, "服务通知"), labels)
    return lookup


def _content(body: dict, lookup: dict) -> dict:
    """The visible content of one sent message: text, image or template card."""
    if "template_id" in body:
        title, labels = lookup.get(body["template_id"], ("服务通知", {}))
        data = body.get("data") or {}
        order = [name for name in labels if name in data] + [name for name in data if name not in labels]
        fields = [{"label": labels.get(name, name), "value": (data[name] or {}).get("value", "")} for name in order]
        return {"type": "template", "title": title, "fields": fields, "url": body.get("url") or ""}
    kind = body.get("msgtype", "text")
    part = body.get(kind) or {}
    if kind == "image":
        return {"type": "image", "media_id": part.get("media_id", "")}
    if kind == "text":
        return {"type": "text", "text": part.get("content", "")}
    return {"type": "text", "text": part.get("content") or part.get("description") or f"[{kind}]"}


def delivered(records: list[dict], templates: dict, wecom_openids) -> list[dict]:
    """The messages WeChat accepted (failed attempts never reach a phone), one per recipient."""
    lookup = _template_lookup(templates)
    accepted = [r for r in records if r["path"] in SEND_PATHS and r["status"] == 200 and not r["errcode"]
                and isinstance(r["body"], dict)]
    userids = {u for r in accepted if r["path"] == "/cgi-bin/message/send"
               for u in str(r["body"].get("touser") or "").split("|") if u}
    openids = wecom_openids(userids)
    shown = []
    for record in accepted:
        body = record["body"]
        recipients = [str(body.get("touser") or "")]
        if record["path"] == "/cgi-bin/message/send":
            recipients = [openids.get(u) for u in recipients[0].split("|")]
        for to in filter(None, recipients):
            shown.append({"seq": record["seq"], "at": record["at"], "to": to, "channel": SEND_PATHS[record["path"]],
                          **_content(body, lookup)})
    return shown
