"""The council administrator's "Import from a file" page (fundmgr.imports does the work): choose
what the file holds and the file, check it first (the default: nothing is written), read the
report row by row, download it as CSV, then "Import these rows" applies the file the check kept,
checking it again as it goes. Past runs of the council are listed."""

from __future__ import annotations

import argparse
import csv
import io

from crispy_forms_gds.layout import HTML, Field, Fieldset, Size
from django import forms
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from fundmgr import access, councils, imports
from fundmgr.errors import DomainError
from fundmgr.forms import helper
from fundmgr.models import ImportRun

OUTCOMES_A_PAGE = 100
RUNS_A_PAGE = 25
# How the page names each action, in the table and the counts.
ACTION_NAMES = {
    "create": ("To create", "Created"),
    "change": ("To change", "Changed"),
    "unchanged": ("Unchanged", "Unchanged"),
    "skip": ("Skipped", "Skipped"),
    "warn": ("Warning", "Warning"),
    "refuse": ("Refused", "Refused"),
}
TAGS = {
    "create": "govuk-tag--green",
    "change": "govuk-tag--blue",
    "unchanged": "govuk-tag--grey",
    "skip": "govuk-tag--grey",
    "warn": "govuk-tag--yellow",
    "refuse": "govuk-tag--red",
}


def page_options(importer: type[imports.Importer]) -> list[argparse.Action]:
    """The options of an import's command that the page offers too: its text options and its
    yes/no switches, read from `Importer.add_arguments`. An option naming a FILE on the
    server (the organisations' postcode lookup) is the command's alone."""
    parser = argparse.ArgumentParser(add_help=False)
    importer.add_arguments(parser)
    return [action for action in parser._actions if _offered(action)]


def _offered(action: argparse.Action) -> bool:
    if not action.option_strings or action.metavar == "FILE":
        return False
    if isinstance(action, argparse._StoreTrueAction):
        return True
    return type(action) is argparse._StoreAction and action.nargs is None and not action.choices


def _option_field(action: argparse.Action) -> forms.Field:
    label = action.dest.replace("_", " ").capitalize()
    hint = (action.help or "").replace("%%", "%")
    if isinstance(action, argparse._StoreTrueAction):
        return forms.BooleanField(label=label, help_text=hint, required=False)
    return forms.CharField(label=label, help_text=hint, required=False, max_length=200)


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label="What does the file hold?",
        widget=forms.RadioSelect,
        error_messages={"required": "Choose what the file holds"},
    )
    file = forms.FileField(
        label="File",
        help_text=f"CSV or Excel (.xlsx), up to {imports.MAX_BYTES // 1024 // 1024} MB. "
        "The first row that is not blank holds the column headings.",
        error_messages={"required": "Choose the file to import", "empty": "The file is empty"},
    )
    sheet = forms.CharField(
        label="Sheet (optional)",
        help_text="Of an Excel workbook with several sheets, the name of the one to import. "
        "The first sheet is read when this is blank.",
        required=False,
        max_length=100,
    )
    check_only = forms.BooleanField(
        label="Check only, do not import",
        required=False,
        initial=True,
    )

    def __init__(self, *args, kinds: dict[str, type[imports.Importer]], **kwargs):
        super().__init__(*args, **kwargs)
        self.kinds = kinds
        self.fields["kind"].choices = [(kind, cls.title) for kind, cls in kinds.items()]
        others = sorted({s for cls in kinds.values() for s in cls.accepts} - {".csv", ".xlsx"})
        if others:  # a 360Giving package is JSON
            self.fields["file"].help_text += f" Some imports also take {', '.join(others)}."
        self.options: dict[str, list[tuple[str, argparse.Action]]] = {}
        fieldsets = []
        for kind, cls in kinds.items():
            for action in page_options(cls):
                name = f"{kind}__{action.dest}"
                self.fields[name] = _option_field(action)
                self.options.setdefault(kind, []).append((name, action))
            if kind in self.options:
                fieldsets.append(
                    Fieldset(
                        *[
                            Field.checkbox(name)
                            if isinstance(action, argparse._StoreTrueAction)
                            else Field.text(name)
                            for name, action in self.options[kind]
                        ],
                        legend=cls.title,
                        legend_size=Size.SMALL,
                    )
                )
        extra = []
        if fieldsets:
            extra = [
                HTML(
                    '<details class="govuk-details"><summary class="govuk-details__summary">'
                    '<span class="govuk-details__summary-text">Options of some imports'
                    '</span></summary><div class="govuk-details__text">'
                    '<p class="govuk-body">Only the options of the import chosen are used.</p>'
                ),
                *fieldsets,
                HTML("</div></details>"),
            ]
        self.helper = helper(
            Field.radios("kind", legend_size=Size.MEDIUM),
            Field("file"),
            Field.text("sheet", field_width=20),
            *extra,
            Field.checkbox("check_only"),
            button="Continue",
        )
        self.helper.attrs = {"enctype": "multipart/form-data"}

    def clean_file(self):
        file = self.cleaned_data["file"]
        if file.size > imports.MAX_BYTES:
            raise forms.ValidationError(
                f"The file must be {imports.MAX_BYTES // 1024 // 1024} MB or smaller"
            )
        return file

    def clean(self):
        data = super().clean()
        kind, file = data.get("kind"), data.get("file")
        if kind and file:
            accepts = self.kinds[kind].accepts
            if not file.name.lower().endswith(accepts):
                self.add_error(
                    "file",
                    f"The file must be {' or '.join(accepts)}: {file.name} is not. "
                    "Save a spreadsheet as CSV or as an Excel workbook (.xlsx).",
                )
        return data

    def chosen_options(self) -> dict:
        """The chosen import's options, as its command would pass them (a blank one: the
        option's default)."""
        chosen = {"sheet": self.cleaned_data["sheet"]} if self.cleaned_data.get("sheet") else {}
        for name, action in self.options.get(self.cleaned_data["kind"], []):
            value = self.cleaned_data.get(name)
            chosen[action.dest] = value if value not in ("", None) else action.default
        return chosen


def _council(request):
    council = getattr(request, "council", None) or councils.current()
    if council is None:  # a service page: imports are always for one council
        raise Http404(access.NOT_HERE)
    return council


@access.page(access.administrator, access.administrator)
def index(request):
    council = _council(request)
    kinds = imports.importers()
    form = ImportForm(request.POST or None, request.FILES or None, kinds=kinds)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        report = imports.run_import(
            kinds[form.cleaned_data["kind"]],
            upload.read(),
            upload.name,
            council=council,
            by=request.user,
            dry_run=form.cleaned_data["check_only"],
            options=form.chosen_options(),
        )
        assert report.run is not None
        return redirect("imports:run", pk=report.run.pk)
    runs = Paginator(ImportRun.objects.select_related("by").defer("data", "report"), RUNS_A_PAGE)
    page = runs.get_page(request.GET.get("page"))
    for past in page.object_list:
        past.title = kinds[past.kind].title if past.kind in kinds else past.kind
    return render(
        request,
        "fundmgr/imports/index.html",
        {
            "form": form,
            "kinds": kinds,
            "page": page,
        },
        status=400 if form.errors else 200,
    )


def _outcomes(run: ImportRun) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(run.report)))


def _summary(run: ImportRun) -> list[tuple[str, int, str]]:
    done = not run.dry_run and not run.refused
    return [
        (ACTION_NAMES[action][done], count, TAGS[action])
        for action, count in run.counts.items()
        if count and action in ACTION_NAMES
    ]


@access.page(access.administrator, access.administrator)
def run(request, pk: int):
    _council(request)
    run = get_object_or_404(ImportRun.objects.select_related("by"), pk=pk)
    if request.method == "POST":
        try:
            report = imports.import_kept(run, by=request.user)
        except DomainError as error:
            messages.error(request, error.message)
            return redirect("imports:run", pk=run.pk)
        assert report.run is not None
        if report.refused:
            messages.error(request, "Nothing was imported: the file was refused when imported.")
        else:
            messages.success(request, f"Imported {run.filename}.")
        return redirect("imports:run", pk=report.run.pk)
    done = not run.dry_run and not run.refused
    outcomes = _outcomes(run)
    for outcome in outcomes:
        outcome["name"] = ACTION_NAMES.get(outcome["action"], ("", ""))[done]
        outcome["tag"] = TAGS.get(outcome["action"], "")
    page = Paginator(outcomes, OUTCOMES_A_PAGE).get_page(request.GET.get("page"))
    kinds = imports.importers()
    return render(
        request,
        "fundmgr/imports/run.html",
        {
            "run": run,
            "title": kinds[run.kind].title if run.kind in kinds else run.kind,
            "summary": _summary(run),
            "page": page,
            "may_import": run.dry_run and not run.refused and run.data is not None,
            "imported_as": run.imported_as,
            "keep_days": imports.KEEP_FILES.days,
        },
    )


def _download(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@access.page(access.administrator)
def report_csv(request, pk: int):
    _council(request)
    run = get_object_or_404(ImportRun.objects.defer("data"), pk=pk)
    return _download(
        "\ufeff".encode() + run.report.encode(), f"import-{run.pk}-{run.kind}-report.csv"
    )


@access.page(access.administrator)
def sample(request, kind: str):
    _council(request)
    importer = imports.importers().get(kind)
    if importer is None:
        raise Http404(access.NOT_HERE)
    return _download(importer.sample_csv(), f"{kind}-sample.csv")
