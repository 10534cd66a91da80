"""Reading a course folder: front matter, lessons, quiz blocks and assets, with every
problem reported as ``path:line: message`` and nothing written anywhere."""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from flask_babel import gettext as _

from lms.markdown_html import (
    ATTACHMENT_TYPES,
    BLOCK_LIMIT,
    IMAGE_TYPES,
    NESTING_LIMIT,
    deep_lines,
    find_references,
    long_blocks,
    normalise_asset_path,
)
from lms.plugins.courses.framework import Framework
from lms.plugins.courses.quizparse import ParsedQuestion, parse_quiz_block

MODULE_FILE_RE = re.compile(r"^(\d{2})-([a-z0-9][a-z0-9-]*)\.md$")
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
LEVELS = ("beginner", "intermediate", "advanced")
FEEDBACK_MODES = ("after_attempt", "after_pass", "never")
GRADING_MODES = ("highest", "average", "first", "last")
MAX_ASSET_BYTES = 5 * 1024 * 1024
FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})\s*([\w-]*)")


@dataclass
class LessonSource:
    title: str
    slug: str
    markdown: str
    line: int


@dataclass
class ModuleSource:
    path: Path
    slug: str
    position: int
    meta: dict
    intro: str
    lessons: list[LessonSource]
    questions: list[ParsedQuestion]
    text: str

    @property
    def content_hash(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()


@dataclass
class CourseSource:
    path: Path
    slug: str
    meta: dict
    intro: str
    text: str
    modules: list[ModuleSource] = field(default_factory=list)
    assets: dict[str, bytes] = field(default_factory=dict)


def question_types() -> dict | None:
    """The app's question-type registry (plugins may add types); None outside an app."""
    from flask import current_app, has_app_context

    return current_app.extensions.get("lms.question_types") if has_app_context() else None


def slugify(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug[:80] or "bagian"


def read_text(path: Path, problems: list[str]) -> str | None:
    """The file's text, or None with a problem when it is not UTF-8."""
    data = path.read_bytes()
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8").replace("\r\n", "\n")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        problems.append(f"{path}:{line}: " + _("the file is not UTF-8 (save it as UTF-8)"))
        return None


def split_front_matter(path: Path, text: str, problems: list[str]) -> tuple[dict | None, str, int]:
    """(meta, body, body's first line number). The front matter sits between `---` lines."""
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        problems.append(f"{path}:1: " + _("the file must start with front matter between `---` lines"))
        return None, text, 1
    for end in range(1, len(lines)):
        if lines[end].strip() == "---":
            break
    else:
        problems.append(f"{path}:1: " + _("the front matter has no closing `---` line"))
        return None, text, 1
    try:
        meta = yaml.safe_load("\n".join(lines[1:end])) or {}
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = mark.line + 2 if mark else 1
        problems.append(f"{path}:{line}: " + _("invalid front matter: %(error)s",
                                                error=getattr(error, "problem", None) or error))
        return None, "\n".join(lines[end + 1:]), end + 2
    if not isinstance(meta, dict):
        problems.append(f"{path}:2: " + _("the front matter must be `key: value` lines"))
        return None, "\n".join(lines[end + 1:]), end + 2
    meta["_lines"] = {str(key): _key_line(lines[1:end], str(key)) + 1 for key in meta}
    return meta, "\n".join(lines[end + 1:]), end + 2


def _key_line(lines: list[str], key: str) -> int:
    for number, line in enumerate(lines, start=1):
        if line.startswith(f"{key}:"):
            return number
    return 0


def _where(path: Path, meta: dict, key: str) -> str:
    return f"{path}:{meta.get('_lines', {}).get(key, 1)}"


def _bilingual(path, meta, key, problems, required=True) -> dict[str, str]:
    value = meta.get(key)
    if value is None or value == "":
        if required:
            problems.append(f"{path}:1: " + _("missing required field `%(key)s`", key=key))
        return {"id": "", "en": ""}
    if isinstance(value, str):
        return {"id": value.strip(), "en": value.strip()}
    if isinstance(value, dict) and isinstance(value.get("id"), str) and value["id"].strip():
        english = value.get("en")
        return {"id": value["id"].strip(), "en": (english if isinstance(english, str) and english.strip()
                                                  else value["id"]).strip()}
    problems.append(f"{_where(path, meta, key)}: "
                    + _("`%(key)s` needs an Indonesian text (`id:`) and optionally `en:`", key=key))
    return {"id": "", "en": ""}


def _competency_list(path, meta, key, framework: Framework, problems, required=True) -> list[str]:
    value = meta.get(key)
    if value is None:
        if required:
            problems.append(f"{path}:1: " + _("missing required field `%(key)s`", key=key))
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        problems.append(f"{_where(path, meta, key)}: " + _("`%(key)s` must be a list of competency ids", key=key))
        return []
    result = []
    for item in value:
        if str(item) not in framework.competencies:
            problems.append(f"{_where(path, meta, key)}: "
                            + _("unknown competency %(id)r (see competencies.yml)", id=item))
        else:
            result.append(str(item))
    return result


def _number(path, meta, key, problems, *, default=None, low=0.0, high=10_000.0, integer=False):
    value = meta.get(key, default)
    if value is None:
        problems.append(f"{path}:1: " + _("missing required field `%(key)s`", key=key))
        return default
    if isinstance(value, bool) or not isinstance(value, (int, float)) or (integer and not isinstance(value, int)):
        problems.append(f"{_where(path, meta, key)}: " + (_("`%(key)s` must be a whole number", key=key) if integer
                                                          else _("`%(key)s` must be a number", key=key)))
        return default
    if not low <= value <= high:
        problems.append(f"{_where(path, meta, key)}: " + _("`%(key)s` must be between %(low)s and %(high)s",
                                                            key=key, low=f"{low:g}", high=f"{high:g}"))
        return default
    return value


def parse_course_meta(path: Path, meta: dict, framework: Framework, problems: list[str]) -> dict:
    """Validate ``course.md``'s front matter into a clean dict."""
    clean = {
        "title": _bilingual(path, meta, "title", problems),
        "summary": _bilingual(path, meta, "summary", problems),
        "competencies": _competency_list(path, meta, "competencies", framework, problems),
        "jp": _number(path, meta, "jp", problems, low=0.5, high=1000),
        "version": str(meta.get("version", "")).strip(),
        "authors": meta.get("authors") or [],
    }
    topic = meta.get("topic")
    if topic is None:
        problems.append(f"{path}:1: " + _("missing required field `%(key)s`", key="topic"))
    elif str(topic) not in framework.topics:
        problems.append(f"{_where(path, meta, 'topic')}: "
                        + _("unknown topic %(topic)r; use one of %(topics)s (see topics.yml)",
                            topic=topic, topics=", ".join(sorted(framework.topics))))
    clean["topic"] = str(topic or "")
    level = str(meta.get("level", "beginner"))
    if level not in LEVELS:
        problems.append(f"{_where(path, meta, 'level')}: "
                        + _("level must be one of %(levels)s", levels=", ".join(LEVELS)))
    clean["level"] = level
    if not clean["version"]:
        problems.append(f"{path}:1: " + _("missing required field `%(key)s`", key="version"))
    if isinstance(clean["authors"], str):
        clean["authors"] = [clean["authors"]]
    if not isinstance(clean["authors"], list) or not all(isinstance(a, str) for a in clean["authors"]):
        problems.append(f"{_where(path, meta, 'authors')}: " + _("`authors` must be a list of names"))
        clean["authors"] = []
    organisation = meta.get("organisation")
    clean["organisation"] = None  # shared across the network
    if organisation is not None and organisation != "":
        if not isinstance(organisation, (str, int)) or isinstance(organisation, bool):
            problems.append(f"{_where(path, meta, 'organisation')}: "
                            + _("`organisation` must be the code of one unit that is an organisation"))
        else:
            # checked against the database by services.check_courses (the file alone cannot say)
            clean["organisation"] = str(organisation).strip()
    clean["organisation_where"] = _where(path, meta, "organisation")
    known = {"title", "summary", "competencies", "jp", "version", "authors", "topic", "level", "organisation",
             "_lines"}
    for key in meta:
        if key not in known:
            problems.append(f"{_where(path, meta, key)}: " + _("unknown field `%(key)s` in course.md", key=key))
    return clean


def parse_module_meta(path: Path, meta: dict, framework: Framework, problems: list[str]) -> dict:
    """Validate a module's front matter (quiz settings included) into a clean dict."""
    title = _bilingual(path, meta, "title", problems)
    objectives = meta.get("objectives")
    if not isinstance(objectives, list) or not objectives or not all(isinstance(o, str) for o in objectives):
        problems.append(f"{_where(path, meta, 'objectives') if 'objectives' in meta else f'{path}:1'}: "
                        + _("`objectives` must be a list of learning objectives"))
        objectives = []
    clean = {
        "title": title,
        "objectives": objectives,
        "competencies": _competency_list(path, meta, "competencies", framework, problems),
        "minutes": _number(path, meta, "minutes", problems, low=1, high=6000, integer=True),
        "pass_mark": _number(path, meta, "pass_mark", problems, default=70, low=0, high=100),
        "attempts": _number(path, meta, "attempts", problems, default=0, low=0, high=100, integer=True),
        "time_limit": _number(path, meta, "time_limit", problems, default=0, low=0, high=600, integer=True),
        "shuffle": meta.get("shuffle", True),
        "feedback": str(meta.get("feedback", "after_attempt")),
        "grading": str(meta.get("grading", "highest")),
    }
    if not isinstance(clean["shuffle"], bool):
        problems.append(f"{_where(path, meta, 'shuffle')}: " + _("`shuffle` must be true or false"))
    if clean["feedback"] not in FEEDBACK_MODES:
        problems.append(f"{_where(path, meta, 'feedback')}: "
                        + _("`feedback` must be one of %(modes)s", modes=", ".join(FEEDBACK_MODES)))
    if clean["grading"] not in GRADING_MODES:
        problems.append(f"{_where(path, meta, 'grading')}: "
                        + _("`grading` must be one of %(modes)s", modes=", ".join(GRADING_MODES)))
    known = {"title", "objectives", "competencies", "minutes", "pass_mark", "attempts", "time_limit", "shuffle",
             "feedback", "grading", "_lines"}
    for key in meta:
        if key not in known:
            problems.append(f"{_where(path, meta, key)}: " + _("unknown field `%(key)s` in a module", key=key))
    return clean


def split_body(path: Path, body: str, first_line: int, problems: list[str]):
    """Split a module body into (intro, lessons, quiz blocks) - fences respected."""
    intro: list[str] = []
    lessons: list[tuple[str, int, list[str]]] = []
    quizzes: list[tuple[str, int]] = []
    lines = body.split("\n")
    index = 0
    while index < len(lines):
        line = lines[index]
        number = first_line + index
        fence = FENCE_RE.match(line)
        if fence:
            marker = fence.group(2)
            end = index + 1
            while end < len(lines) and not lines[end].strip().startswith(marker):
                end += 1
            if end >= len(lines):
                problems.append(f"{path}:{number}: " + _("a fenced block opened here is never closed"))
            block = lines[index + 1:end]
            if fence.group(3) == "quiz":
                quizzes.append(("\n".join(block), number + 1))
                if lessons:
                    lessons[-1][2].append(f"<!--quiz:{len(quizzes) - 1}-->")
            else:
                (lessons[-1][2] if lessons else intro).extend(lines[index:end + 1])
            index = end + 1
            continue
        if line.startswith("## "):
            lessons.append((line[3:].strip(), number, []))
        elif line.startswith("# ") and not lessons:
            problems.append(f"{path}:{number}: "
                            + _("use `## ` headings for lessons (the title is in the front matter)"))
        else:
            (lessons[-1][2] if lessons else intro).append(line)
        index += 1
    return "\n".join(intro).strip(), lessons, quizzes


def parse_module(path: Path, framework: Framework, problems: list[str], position: int) -> ModuleSource | None:
    """Parse one ``NN-slug.md`` module file."""
    text = read_text(path, problems)
    if text is None:
        return None
    return parse_module_text(path, text, framework, problems, position)


def parse_module_text(path: Path, text: str, framework: Framework, problems: list[str],
                      position: int) -> ModuleSource:
    """Parse a module's Markdown; ``path`` names it in problems (a file, or the editor's label)."""
    text = text.replace("\r\n", "\n")
    meta, body, body_line = split_front_matter(path, text, problems)
    clean = parse_module_meta(path, meta, framework, problems) if meta is not None else {}
    intro, raw_lessons, blocks = split_body(path, body, body_line, problems)
    lessons: list[LessonSource] = []
    slugs: set[str] = set()
    for title, line, content in raw_lessons:
        real = [item for item in content if not item.startswith("<!--quiz:")]
        if not "\n".join(real).strip():
            if not any(item.startswith("<!--quiz:") for item in content):
                problems.append(f"{path}:{line}: " + _("the lesson %(title)r is empty", title=title))
            continue  # a section with only quiz blocks is the quiz, not a lesson
        slug = slugify(title)
        while slug in slugs:
            slug += "-2"
        slugs.add(slug)
        lessons.append(LessonSource(title=title, slug=slug, markdown="\n".join(real).strip(), line=line))
    if not lessons:
        problems.append(f"{path}:{body_line}: " + _("the module has no lessons (start each with `## Title`)"))
    questions: list[ParsedQuestion] = []
    module_competencies = clean.get("competencies") or []
    for block, line in blocks:
        question, block_problems = parse_quiz_block(block, line, question_types())
        problems.extend(f"{path}:{p.line}: {p.message}" for p in block_problems)
        if question is None:
            continue
        if question.competency is None and module_competencies:
            question.competency = module_competencies[0]
        elif question.competency and question.competency not in framework.competencies:
            problems.append(f"{path}:{line}: " + _("unknown competency %(id)r (see competencies.yml)",
                                                     id=question.competency))
        if any(other.id == question.id for other in questions):
            problems.append(f"{path}:{question.line}: "
                            + _("question id %(id)r is used twice in this module", id=question.id))
        questions.append(question)
    match = MODULE_FILE_RE.match(path.name)
    return ModuleSource(path=path, slug=match.group(2) if match else path.stem, position=position, meta=clean,
                        intro=intro, lessons=lessons, questions=questions, text=text)


def check_references(course: CourseSource, problems: list[str]) -> None:
    """Every relative image or link must name a file of a safe type inside the course, and
    no paragraph may be longer than the renderer renders (it would be shown as plain text)."""
    files = [(course.path / "course.md", course.text)] + [(module.path, module.text) for module in course.modules]
    for path, text in files:
        lines = text.split("\n")
        start = 0  # scan the file's own lines (after the front matter) so line numbers are exact
        if lines and lines[0].strip() == "---":
            start = next((i + 1 for i in range(1, len(lines)) if lines[i].strip() == "---"), len(lines))
        scan = lines[start:]
        index = 0
        while index < len(scan):  # quiz blocks are Markdown too: drop their fences so they are scanned
            fence = FENCE_RE.match(scan[index])
            if fence:
                end = next((i for i in range(index + 1, len(scan))
                            if scan[i].strip().startswith(fence.group(2))), len(scan))
                if fence.group(3) == "quiz":
                    scan[index] = ""
                    if end < len(scan):
                        scan[end] = ""
                index = end
            index += 1
        for offset, length in long_blocks("\n".join(scan)):
            problems.append(f"{path}:{start + offset + 1}: " + _(
                "paragraph of %(length)s characters is longer than the limit of %(limit)s; split it",
                length=length, limit=BLOCK_LIMIT))
        for offset in deep_lines("\n".join(scan)):
            problems.append(f"{path}:{start + offset + 1}: " + _(
                "more than %(limit)s nested lists or quotes on one line; the page would show the text unformatted",
                limit=NESTING_LIMIT))
        for offset, is_image, url in find_references("\n".join(scan)):
            where = f"{path}:{start + offset + 1}"
            target = normalise_asset_path("", url)
            suffix = Path(target or "").suffix.lower()
            kinds = IMAGE_TYPES if is_image else ATTACHMENT_TYPES
            if target is None:
                problems.append(f"{where}: " + _("the link %(url)r points outside the course folder", url=url))
            elif suffix not in kinds:
                problems.append(f"{where}: " + _("%(url)r is not an allowed file type (%(types)s)",
                                                    url=url, types=", ".join(sorted(kinds))))
            elif target not in course.assets:
                problems.append(f"{where}: " + _("missing file %(url)r (not in %(folder)s/)", url=url,
                                                    folder=course.path.name))


def collect_assets(course_dir: Path, problems: list[str]) -> dict[str, bytes]:
    """Files in the course folder other than Markdown, keyed by their relative path."""
    assets: dict[str, bytes] = {}
    for path in sorted(course_dir.rglob("*")):
        if not path.is_file() or path.suffix == ".md" or path.name.startswith("."):
            continue
        relative = path.relative_to(course_dir).as_posix()
        if path.suffix.lower() not in ATTACHMENT_TYPES:
            continue  # other files are ignored (never served)
        if path.stat().st_size > MAX_ASSET_BYTES:
            problems.append(f"{path}:1: " + _("the file is larger than %(size)d MB",
                                              size=MAX_ASSET_BYTES // (1024 * 1024)))
            continue
        assets[relative] = path.read_bytes()
    return assets


def parse_course(course_dir: Path, framework: Framework, problems: list[str]) -> CourseSource | None:
    """Parse a whole course folder. Problems are appended; the result may be partial."""
    slug = course_dir.name
    if not SLUG_RE.match(slug):
        problems.append(f"{course_dir}:1: " + _("the folder name %(slug)r is the course slug: lowercase letters, "
                                                "digits and hyphens only", slug=slug))
    course_file = course_dir / "course.md"
    if not course_file.is_file():
        problems.append(f"{course_file}:1: " + _("missing course.md"))
        return None
    text = read_text(course_file, problems)
    if text is None:
        return None
    meta, body, _body_line = split_front_matter(course_file, text, problems)
    clean = parse_course_meta(course_file, meta, framework, problems) if meta is not None else {}
    course = CourseSource(path=course_dir, slug=slug, meta=clean, intro=body.strip(), text=text)
    positions: dict[int, Path] = {}
    for path in sorted(course_dir.glob("*.md")):
        if path.name == "course.md":
            continue
        match = MODULE_FILE_RE.match(path.name)
        if not match:
            problems.append(f"{path}:1: " + _("module files are named NN-slug.md (for example 01-marc21.md)"))
            continue
        position = int(match.group(1))
        if position in positions:
            problems.append(f"{path}:1: " + _("module number %(number)s is also used by %(file)s",
                                                 number=match.group(1), file=positions[position].name))
            continue
        positions[position] = path
        module = parse_module(path, framework, problems, position)
        if module is not None:
            course.modules.append(module)
    if not positions:
        problems.append(f"{course_dir}:1: " + _("the course has no module files (NN-slug.md)"))
    seen: dict[str, Path] = {}
    for module in course.modules:
        for question in module.questions:
            if question.id in seen and seen[question.id] != module.path:
                problems.append(f"{module.path}:{question.line}: "
                                + _("question id %(id)r is used twice (also in %(file)s)", id=question.id,
                                    file=seen[question.id].name))
            else:
                seen[question.id] = module.path
    course.assets = collect_assets(course_dir, problems)
    check_references(course, problems)
    return course
