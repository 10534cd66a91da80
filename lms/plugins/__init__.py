"""Built-in feature plugins, one package each (hooks, models, forms, views, services, cli)."""
