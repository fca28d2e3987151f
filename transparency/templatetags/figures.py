"""`{% bar_chart chart %}` and `{% figures_table table %}`: a dashboard's chart and the table
behind it; `|pence` shows integer pence as pounds."""

from django import template
from django.contrib.humanize.templatetags.humanize import intcomma

from fundmgr.money import pounds
from transparency.tables import COUNT, DAYS, MONEY, POUNDS, pounds_of

register = template.Library()


@register.filter
def pence(value) -> str:
    """123456 -> £1,234.56"""
    return pounds(pounds_of(value))


@register.filter
def cell(value, column) -> str:
    """A table cell as words: money in pounds, counts with commas, days to one place; a dash
    where there is no figure."""
    if value is None or value == "":
        return "–"
    if column.kind == MONEY:
        return pence(value)
    if column.kind == POUNDS:
        return pounds(value)
    if column.kind == COUNT:
        return intcomma(value)
    if column.kind == DAYS:
        return f"{value:,.1f}"
    return str(value)


@register.inclusion_tag("transparency/includes/bar_chart.html")
def bar_chart(chart):
    return {"chart": chart}


@register.inclusion_tag("transparency/includes/table.html")
def figures_table(table, id: str = "table"):
    return {"table": table, "id": id}


@register.filter
def cells(table, row) -> list:
    """(column, value) pairs of one of the table's rows."""
    return table.cells(row)
