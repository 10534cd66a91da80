"""Build hooks that pyproject.toml cannot express.

A wheel carries the top-level ``templates/`` and ``migrations/`` folders as
``lms/_templates`` and ``lms/_migrations`` (``lms.resource_dir`` finds them there) and
compiled ``.mo`` catalogs. Everything else is declared in pyproject.toml.
"""
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent


class BuildWithResources(build_py):
    def run(self):
        super().run()
        package_dir = Path(self.build_lib) / "lms"
        for name in ("templates", "migrations"):
            source = ROOT / name
            if source.is_dir():
                target = package_dir / f"_{name}"
                shutil.rmtree(target, ignore_errors=True)
                shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        from babel.messages.mofile import write_mo
        from babel.messages.pofile import read_po

        for po_path in (ROOT / "lms" / "translations").glob("*/LC_MESSAGES/messages.po"):
            mo_path = package_dir / po_path.relative_to(ROOT / "lms").with_suffix(".mo")
            mo_path.parent.mkdir(parents=True, exist_ok=True)
            with po_path.open("rb") as source, mo_path.open("wb") as target:
                write_mo(target, read_po(source, locale=po_path.parent.parent.name))


setup(cmdclass={"build_py": BuildWithResources})
