from django import template

from fundmgr.money import pounds as format_pounds

register = template.Library()


@register.filter
def pounds(value):
    """£1,234.50"""
    return format_pounds(value)


@register.simple_tag(takes_context=True)
def page_url(context, number, param="page", anchor=""):
    """This page's URL with `param` set to `number`, every other query parameter kept."""
    query = context["request"].GET.copy()
    query[param] = number
    return "?" + query.urlencode() + (f"#{anchor}" if anchor else "")


@register.filter
def page_numbers(page) -> list:
    """GOV.UK pagination: the first, last, current and its neighbours; None for an ellipsis."""
    last, current = page.paginator.num_pages, page.number
    shown = sorted({1, last, current - 1, current, current + 1} & set(range(1, last + 1)))
    numbers: list = []
    for n in shown:
        if numbers and n - (numbers[-1] or 0) > 1:
            numbers.append(None)
        numbers.append(n)
    return numbers
