"""Toolkit modules and lessons (loaded from content files) and each trainee's progress."""

from datetime import datetime

from sqlalchemy import JSON, DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.extensions import db
from lms.i18n import current_language
from lms.models import utcnow


class Bilingual:
    """Picks the current language's column (`title_vi` / `title_en`), falling back to Vietnamese."""

    def text(self, field: str, lang: str | None = None):
        lang = lang or current_language()
        return getattr(self, f"{field}_{lang}", None) or getattr(self, f"{field}_vi")


class ModuleTraits(Bilingual):
    """What a module row and its in-memory copy (lms.modules.toolkit) both answer."""

    @property
    def audience_list(self) -> list[str]:
        return self.audiences.split(",")

    @property
    def minutes(self) -> int:
        return sum(lesson.minutes for lesson in self.lessons)


class Module(ModuleTraits, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)  # the stable ID in the files
    folder: Mapped[str] = mapped_column(String(120))
    position: Mapped[int]
    audiences: Mapped[str] = mapped_column(String(80))  # comma-separated audience codes
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    summary_vi: Mapped[str] = mapped_column(Text, default="")
    summary_en: Mapped[str] = mapped_column(Text, default="")
    intro_vi: Mapped[str] = mapped_column(Text, default="")  # sanitised HTML
    intro_en: Mapped[str] = mapped_column(Text, default="")
    archived: Mapped[bool] = mapped_column(default=False)

    lessons: Mapped[list["Lesson"]] = relationship(
        back_populates="module",
        order_by="Lesson.position",
        primaryjoin="and_(Module.id == Lesson.module_id, Lesson.archived == False)",  # noqa: E712
        viewonly=True,
    )


class Lesson(Bilingual, db.Model):
    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80), unique=True)
    module_id: Mapped[int] = mapped_column(ForeignKey("module.id"), index=True)
    filename: Mapped[str] = mapped_column(String(160))
    position: Mapped[int]
    minutes: Mapped[int]
    required: Mapped[bool] = mapped_column(default=True)
    title_vi: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300))
    # [{"type": "text"|"key-facts"|"reflection"|…, "id": str|None, "html": str}], sanitised
    blocks_vi: Mapped[list] = mapped_column(JSON, deferred=True)  # loaded only to show it
    blocks_en: Mapped[list] = mapped_column(JSON, deferred=True)
    # A hash of both languages' blocks, set by `content sync`: the key of the rendered-lesson
    # cache (lms.modules.services.lesson_blocks), so a lesson page reads no block from the database.
    content_version: Mapped[str | None] = mapped_column(String(16))
    archived: Mapped[bool] = mapped_column(default=False)

    module: Mapped[Module] = relationship()


class ToolkitVersion(db.Model):
    """One row whose `version` changes whenever a module or lesson row is written (see
    lms.modules.toolkit): each process compares it with the toolkit it keeps in memory."""

    id: Mapped[int] = mapped_column(primary_key=True)
    version: Mapped[str] = mapped_column(String(32))


class LessonProgress(db.Model):
    """A trainee's visit to a lesson and, once marked, its completion."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"), index=True)
    last_viewed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)


class Reflection(db.Model):
    """A trainee's private written answer to a reflection prompt (only they can read it)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    lesson_id: Mapped[int] = mapped_column(ForeignKey("lesson.id"))
    block_key: Mapped[str] = mapped_column(String(80))
    answer: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "lesson_id", "block_key"),)
