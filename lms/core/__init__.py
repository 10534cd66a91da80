"""The core: home pages, health check, language switch, error pages, demo and backup."""
