"""Fixtures of real components live in plugin modules, one per component."""

pytest_plugins = [
    "tests.plugins.compiled_builder",
    "tests.plugins.core",
    "tests.plugins.kafka",
    "tests.plugins.ops",
    "tests.plugins.spark",
]
