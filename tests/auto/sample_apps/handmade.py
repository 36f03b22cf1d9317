"""An app that decorates some code by hand; patterns then match the same code."""

import otel_agents as oa


class Reviewer:
    @oa.agent(name="reviewer")
    def execute(self, text):
        return {"ok": True}


@oa.tool
def lookup(key):
    return key
