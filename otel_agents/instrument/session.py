"""``oa.session`` and ``oa.user``: tie every action in a block to a session and an end user.

    with oa.session("chat-42"), oa.user("u-7"):
        support_agent("where is my parcel?")

The ids travel as W3C baggage (``session.id``, ``user.id``), so they cross process
boundaries with the trace context, and every span started inside, ours or another
library's, carries them (the outcome processor stamps them); OutcomeEvents and FeedbackEvents
show them as ``session_id`` and ``user_id``.
"""

from __future__ import annotations

from typing import Any

from opentelemetry import context as otel_context

from otel_agents import semconv


class _BaggageScope:
    _key = ""

    def __init__(self, value: str) -> None:
        self._value = str(value)
        self._tokens: list[Any] = []

    def __enter__(self) -> _BaggageScope:
        from opentelemetry import baggage  # its import is not paid by every start-up

        self._tokens.append(otel_context.attach(baggage.set_baggage(self._key, self._value)))
        return self

    def __exit__(self, *exc_info: object) -> None:
        otel_context.detach(self._tokens.pop())

    async def __aenter__(self) -> _BaggageScope:
        return self.__enter__()

    async def __aexit__(self, *exc_info: object) -> None:
        self.__exit__(*exc_info)


class session(_BaggageScope):
    """Every action in the block belongs to session ``session_id`` (W3C baggage ``session.id``).

    with oa.session(request.cookies["sid"]):
        agent.run(question)
    """

    _key = semconv.BAGGAGE_SESSION_ID


class user(_BaggageScope):
    """Every action in the block serves end user ``user_id`` (W3C baggage ``user.id``).

    with oa.user(current_user.id):
        agent.run(question)
    """

    _key = semconv.BAGGAGE_USER_ID
