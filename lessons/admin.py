"""Lessons in the Django admin: every version, validated on save; runs, to inspect."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.http import HttpRequest

from lessons.models import Lesson, LessonRun
from lessons.reading import LessonInvalid
from lessons.validation import validate


class LessonForm(forms.ModelForm):
    # Kept as written, trailing newline and all: the version compares texts.
    text = forms.CharField(
        strip=False,
        widget=forms.Textarea(attrs={"rows": 40, "cols": 100, "spellcheck": "false"}),
    )

    class Meta:
        model = Lesson
        fields = ["text"]

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        try:
            self.lesson_data = validate(text)
        except LessonInvalid as invalid:
            raise forms.ValidationError([str(problem) for problem in invalid.problems]) from None
        return text


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    """A change saves a new version: the runs of the old one keep it."""

    form = LessonForm
    list_display = ["slug", "version", "title", "author", "created_at"]
    search_fields = ["slug", "title"]
    readonly_fields = ["slug", "version", "title", "author", "created_at"]

    def save_model(self, request: HttpRequest, obj: Lesson, form: LessonForm, change: bool) -> None:
        from lessons.runner import lesson_store

        stored = lesson_store(form.cleaned_data["text"], author=request.user)
        obj.pk, obj.slug, obj.version = stored.pk, stored.slug, stored.version

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return obj is None or not obj.runs.exists()


@admin.register(LessonRun)
class LessonRunAdmin(admin.ModelAdmin):
    list_display = ["lesson", "student", "sandbox", "state", "step", "updated_at"]
    list_filter = ["state", "headless"]
    search_fields = ["student__username", "lesson__slug"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
