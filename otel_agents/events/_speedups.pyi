from typing import Any

def configure(
    template: dict[str, Any],
    str_fields: dict[str, str],
    dispatch: dict[str, tuple[str, int]],
    metadata_prefix: str,
    operations: dict[str, tuple[str, str]],
    severity_of_status: dict[str, str],
    status_code_names: dict[Any, str],
    resource_cache: dict[int, tuple[Any, dict[str, Any]]],
    resource_of: Any,
    event_type: str,
    namespace: bytes,
    event_class: type,
) -> None: ...
def build_outcome(span: Any, attributes: Any, events: Any, limit: int) -> dict[str, Any] | None: ...
def configure_envelope(fragments: tuple[bytes, ...], dumps: Any, default: Any) -> None: ...
def envelope_json(data: Any) -> bytes | None: ...
def record_ids(data: Any) -> tuple[bytes, bytes] | None: ...
def seal_event(event: Any) -> Any: ...
def sha1(data: bytes, accelerated: bool) -> bytes | None: ...

sha1_accelerated: bool
