class BaseAgent:
    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.registered = True

    def run(self, task):
        return {"task": task, "by": type(self).__name__}


class EarlyAgent(BaseAgent):
    def run(self, task):
        return super().run(task.upper())
