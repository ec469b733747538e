"""Services: the configured categories as Open311 services, with their time limits."""
from bot.api.errors import ApiError


def time_limits(config: dict, code: str) -> dict:
    """The category's contact and resolve limits in hours, as filing applies them."""
    urgent = bool((config["categories"].get(code) or {}).get("urgent"))
    rule = config["time_limits"]["urgent" if urgent else "default"]
    resolve = rule.get("resolve_hours", 0) + 24 * rule.get("resolve_days", 0)
    return {"contact_hours": rule["contact_hours"], "resolve_hours": resolve,
            "working_days": bool(config["time_limits"].get("working_days")) and not urgent}


def service(config: dict, code: str) -> dict:
    """One category as an Open311 service."""
    category = config["categories"][code] or {}
    return {
        "service_code": code, "service_name": code, "description": category.get("description", code),
        "metadata": True, "type": "realtime", "keywords": ",".join(category.get("keywords") or {}),
        "group": "township" if category.get("township_level") else "village",
        "urgent": bool(category.get("urgent")), "time_limits": time_limits(config, code),
    }


def services(config: dict) -> list[dict]:
    """Every configured category, in config order."""
    return [service(config, code) for code in config["categories"]]


def definition(config: dict, code: str) -> dict:
    """The service definition: no extra attributes, the time limits as metadata; 404 when unknown."""
    if code not in config["categories"]:
        raise ApiError(404, f"service_code {code} not found")
    return {"service_code": code, "attributes": [], "time_limits": time_limits(config, code)}
