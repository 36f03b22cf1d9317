"""Former home of the exporters, kept so existing imports keep working; see ``export``."""
