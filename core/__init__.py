"""retain-tui's domain: the shop store, importers, metrics, segments and composing.

Nothing in this package imports textual: the same code serves the CLI, the TUI and scripts.
"""

__version__ = "0.1.0"
