from django import template

from fundmgr.money import pounds as format_pounds

register = template.Library()


@register.filter
def pounds(value):
    """£1,234.50"""
    return format_pounds(value)
