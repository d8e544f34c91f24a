"""The Chinese edition: its catalogues and its build, from the English sources.

``python _ext/edition_zh.py catalogues``
    Extract every message of the English book (Sphinx's ``gettext`` builder, nothing executed)
    and bring ``locales/zh_CN/LC_MESSAGES/<doc>.po`` up to date with it (``sphinx-intl update``):
    a new English paragraph arrives untranslated, a changed one fuzzy with its old translation,
    so ``_ext/po_check.py`` (part of ``make test``) fails until someone translates it.
``python _ext/edition_zh.py build``
    Build the Chinese site from the English build's execution cache (nothing is executed again)
    into ``_build/zh/``, then copy it to ``_build/html/zh/``, where the language switch of every
    English page points.

Both write a config derived from ``_config.yml`` (``jupyter-book build --config`` takes a whole
file): the same book, with ``language: zh_CN`` and absolute paths for what Jupyter Book would
otherwise resolve next to the derived file.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
LOCALES = ROOT / "locales"
TITLE_ZH = "循序渐进学 ReID"
BIN = Path(sys.executable).parent


def derived_config(**sphinx_config: object) -> dict:
    config = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
    sphinx = config["sphinx"]
    sphinx["local_extensions"] = {name: str(ROOT / path) for name, path in sphinx["local_extensions"].items()}
    sphinx["config"].update(
        gettext_compact=False,  # one catalogue per page
        gettext_location=False,  # no line numbers: a catalogue changes only when its text does
        gettext_uuid=False,
        nb_execution_cache_path=str(BUILD / ".jupyter_cache"),  # the English build's cache
        **sphinx_config,
    )
    return config


def write_config(name: str, config: dict) -> Path:
    path = BUILD / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def jupyter_book(*args: str) -> str:
    """Run ``jupyter-book build`` on the book, echoing its output; returns the output."""
    done = subprocess.run(
        [str(BIN / "jupyter-book"), "build", str(ROOT), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    print(done.stdout, end="")
    if done.returncode:
        sys.exit(f"jupyter-book build {' '.join(args)} failed (exit {done.returncode})")
    return done.stdout


def extract(out: Path) -> Path:
    """Every message of the English book, one ``.pot`` per page, in ``out``; returns their folder.
    The figures' alt texts are messages too, so this reads the execution cache (``make book``
    fills it; a chapter missing from it is executed)."""
    # myst-nb drops image outputs for the gettext builder; keep them, so that their alt texts are
    # messages (the Chinese build translates an image's alt text when its catalogue has it)
    images = [["gettext", mime, 5] for mime in ("image/png", "image/svg+xml", "image/jpeg")]
    path = write_config("_config.gettext.yml", derived_config(nb_mime_priority_overrides=images))
    shutil.rmtree(out, ignore_errors=True)
    jupyter_book(
        "--config", str(path), "--builder", "custom", "--custom-builder", "gettext", "--path-output", str(out)
    )
    return out / "_build" / "gettext"


def catalogues() -> None:
    pot = extract(BUILD / "gettext")
    subprocess.run(
        [str(BIN / "sphinx-intl"), "update", "-p", str(pot), "-l", "zh_CN", "-d", str(LOCALES), "-w", "0"],
        check=True,
    )


def build() -> None:
    config = derived_config(
        language="zh_CN",
        locale_dirs=[str(LOCALES)],
        togglebutton_hint="点击显示",  # sphinx-togglebutton's, on folded admonitions
        togglebutton_hint_hide="点击隐藏",
    )
    config["title"] = TITLE_ZH
    path = write_config("_config.zh.yml", config)
    out = BUILD / "zh"
    start = time.perf_counter()
    args = ["--config", str(path), "--path-output", str(out), "--warningiserror", "--nitpick", "--keep-going"]
    log = jupyter_book(*args)
    executed = [line for line in log.splitlines() if "Executing notebook" in line]
    if executed:  # the English build's cache did not match: its numbers may not be the English ones
        sys.exit(
            "the Chinese build executed notebooks instead of reading the English build's cache:\n"
            + "\n".join(executed)
        )
    site = BUILD / "html" / "zh"
    shutil.rmtree(site, ignore_errors=True)
    shutil.copytree(out / "_build" / "html", site)
    print(f"The Chinese edition is in {site}/index.html ({time.perf_counter() - start:.0f} s to build)")


if __name__ == "__main__":
    commands = {"catalogues": catalogues, "build": build}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(f"usage: {sys.argv[0]} {{{'|'.join(commands)}}}")
    os.chdir(ROOT)
    commands[sys.argv[1]]()
