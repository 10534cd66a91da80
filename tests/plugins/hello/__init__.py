"""A tiny third-party plugin: one page, one nav entry, one home panel, one CLI command."""
