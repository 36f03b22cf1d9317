"""The published event shapes, independent of how spans are made or where events go.

- ``outcome``: OutcomeEvent v1, built from a finished span.
- ``feedback``: FeedbackEvent v1.
- ``jsonsafe``: turning any value into JSON-safe, size-limited data.
- ``schema``: the JSON Schemas shipped with the package.
"""
